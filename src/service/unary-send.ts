import { Metadata, status, type handleUnaryCall, type ServerUnaryCall } from '@grpc/grpc-js';
import { richError } from '../errors/rich-status';
import { callBounds } from './call-bounds';
import { deliver, IDEMPOTENCY_KEY_HEADER, REPLAY_METADATA_KEY, type SendSpec } from './send-pipeline';
import { logSend, type SendRecord } from './send-log';
import type { ServiceDeps } from './service-deps';
import { annotateFailure, annotateSuccess } from './send-telemetry';
import { ATTR, currentSpan } from '../telemetry/send-attributes';
import { callerOf } from './caller-of';

/** The idempotency key of a call: the field, else the `idempotency-key` metadata alias. */
export function idempotencyKeyOf(fieldValue: string, metadata: Metadata): string {
  if (fieldValue) return fieldValue;
  const alias = metadata.get(IDEMPOTENCY_KEY_HEADER)[0];
  return typeof alias === 'string' ? alias : '';
}

/** A unary RPC handler around `deliver`, with its log line, span facts and replay marker. */
export function unarySend<Req extends { pageId: string; idempotencyKey: string }, Res extends object>(
  deps: ServiceDeps,
  spec: SendSpec<Req, Res>,
): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback) => {
    const req = call.request;
    const record: SendRecord = { method: spec.method, page: req.pageId, code: status.OK, startedAt: performance.now(), caller: callerOf(call.metadata) };
    const span = currentSpan();
    span?.setAttributes(spec.attributes(req, deps.recordRecipient));
    if (record.caller) span?.setAttribute(ATTR.CALLER, record.caller);
    const bounds = callBounds(call);
    deliver(deps, spec, req, idempotencyKeyOf(req.idempotencyKey, call.metadata), bounds, record, span)
      .then((result) => {
        bounds.dispose();
        // Only a replay carries a trailer of its own; grpc-js sends empty trailers otherwise.
        let trailer: Metadata | undefined;
        if (result.replayed) {
          trailer = new Metadata();
          trailer.set(REPLAY_METADATA_KEY, 'true');
          span?.setAttribute('messenger.idempotency.replayed', true);
        }
        if (result.ok) {
          annotateSuccess(span, record);
          logSend(deps.logger, record);
          callback(null, result.response, trailer);
          return;
        }
        record.code = result.error.code;
        annotateFailure(span, record, result.error);
        logSend(deps.logger, record);
        if (trailer) result.error.metadata.merge(trailer);
        callback(result.error);
      })
      .catch((err: unknown) => {
        bounds.dispose();
        deps.logger.error({ err, method: spec.method }, 'unexpected failure');
        record.code = status.INTERNAL;
        record.reason = 'INTERNAL';
        logSend(deps.logger, record);
        callback(richError(status.INTERNAL, 'internal error in the gateway', []));
      });
  };
}
