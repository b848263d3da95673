import { Metadata, status, type handleUnaryCall, type ServerUnaryCall } from '@grpc/grpc-js';
import { INTERNAL_FAILURE, reasonName, type Failure } from '../errors/failure';
import { encodeFailure, redactResponse } from '../errors/status-encoder';
import { annotateFailure, annotateReplay, annotateRequest, annotateSuccess } from '../telemetry/send-span';
import { serverSpanOf } from '../telemetry/server-span';
import { callBounds } from './call-bounds';
import { IDEMPOTENCY_KEY_HEADER, REPLAY_METADATA_KEY, startDelivery, storeUnavailable, type SendResult, type SendSpec } from './send-pipeline';
import { logSend, type SendRecord } from './send-log';
import { traceFields } from '../telemetry/log-trace-fields';
import type { ServiceDeps } from './service-deps';

/** The idempotency key of a call: the field, else the `idempotency-key` metadata alias. */
export function idempotencyKeyOf(fieldValue: string, metadata: Metadata): string {
  if (fieldValue) return fieldValue;
  const alias = metadata.get(IDEMPOTENCY_KEY_HEADER)[0];
  return typeof alias === 'string' ? alias : '';
}

/** The span facts of a failed send. */
export function failureFacts(f: Failure, bytes?: number) {
  return { reason: reasonName(f.reason), violations: f.violations?.length, retryAfterMs: f.retryAfterMs, graph: f.graph, bytes };
}

/** The trailer that marks an answer replayed from the idempotency store. */
export function replayTrailer(): Metadata {
  const trailer = new Metadata();
  trailer.set(REPLAY_METADATA_KEY, 'true');
  return trailer;
}

/** A unary RPC handler around the send pipeline (`startDelivery`): the protocol edge of SendMessage and SendSenderAction. */
export function unarySend<Req extends { pageId: string; idempotencyKey: string }, Res extends object>(
  deps: ServiceDeps,
  spec: SendSpec<Req, Res>,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback) => {
    const req = call.request;
    const span = serverSpanOf(call);
    const record: SendRecord = { method: spec.method, page: req.pageId, code: status.OK, startedAt: performance.now(), caller: deps.callerOf(call.metadata), span };
    if (span) annotateRequest(span, spec.attributes(req, deps.recordRecipient), record.caller);
    const bounds = callBounds(call);
    const failed = (err: unknown) => {
      bounds.dispose();
      deps.logger.error({ err, method: spec.method, ...traceFields(span) }, 'unexpected failure');
      record.code = status.INTERNAL;
      record.failure = INTERNAL_FAILURE;
      logSend(deps.logger, record);
      callback(encodeFailure(INTERNAL_FAILURE));
    };
    const answer = (result: SendResult<Res>) => {
      bounds.dispose();
      // Only a replay carries a trailer of its own; grpc-js sends empty trailers otherwise.
      const trailer = result.replayed ? replayTrailer() : undefined;
      if (result.replayed) annotateReplay(span);
      if (result.ok) {
        annotateSuccess(span, record);
        logSend(deps.logger, record);
        callback(null, redactResponse(result.response), trailer);
        return;
      }
      record.code = result.failure.code;
      record.failure = result.failure;
      annotateFailure(span, failureFacts(result.failure));
      logSend(deps.logger, record);
      callback(encodeFailure(result.failure, trailer));
    };
    // One promise reaction for the result and the rejection (a store outage, or a bug).
    const settled = (result: SendResult<Res>) => {
      try {
        answer(result);
      } catch (err) {
        failed(err);
      }
    };
    let started: SendResult<Res> | Promise<SendResult<Res>>;
    try {
      started = startDelivery(deps, spec, req, idempotencyKeyOf(req.idempotencyKey, call.metadata), bounds, record, { span, parent: span });
    } catch (err) {
      failed(err);
      return;
    }
    if (!(started instanceof Promise)) return settled(started);
    started.then(settled, (err: unknown) => {
      let result: SendResult<Res>;
      try {
        result = storeUnavailable(deps, spec.method, err, span);
      } catch (unexpected) {
        failed(unexpected);
        return;
      }
      settled(result);
    });
  };
}
