import { status, type handleUnaryCall, type ServiceError } from '@grpc/grpc-js';
import type { Attributes } from '@opentelemetry/api';
import { richError } from '../errors/rich-status';
import { invalidRequestError } from '../errors/invalid-request-error';
import { upstreamError } from '../errors/upstream-error';
import type { Malformed } from '../graph/from-graph';
import type { FieldViolation } from '../validate/field-violation';
import { callBounds } from './call-bounds';
import { logSend, type SendRecord } from './send-log';
import type { ServiceDeps } from './service-deps';
import { annotateFailure, annotateGraphCall, annotateSuccess } from './send-telemetry';
import { currentSpan } from '../telemetry/send-attributes';

/** How one unary RPC is validated, translated and mapped back. */
export interface UnarySendSpec<Req extends { pageId: string }, Res> {
  method: string;
  validate(req: Req, isPageConfigured: (pageId: string) => boolean): FieldViolation[];
  toGraph(req: Req): object;
  fromGraph(body: Record<string, unknown>): Res | Malformed;
  /** Facts of a success worth a log field and span attribute (message id, ...). */
  describe?(res: Res): Pick<SendRecord, 'messageId' | 'attachmentId'>;
  /** Span attributes of the request (messaging type, recipient kind, ...); never a credential. */
  attributes(req: Req, recordRecipient: boolean): Attributes;
}

/** The request path of a unary send: validate -> translate -> Graph -> map the answer. */
export function unarySend<Req extends { pageId: string }, Res extends object>(
  deps: ServiceDeps,
  spec: UnarySendSpec<Req, Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const req = call.request;
    const record: SendRecord = { method: spec.method, page: req.pageId, code: status.OK, startedAt: performance.now() };
    const span = currentSpan();
    span?.setAttributes(spec.attributes(req, deps.recordRecipient));
    const fail = (err: ServiceError, extra: Partial<SendRecord> = {}) => {
      Object.assign(record, extra, { code: err.code });
      annotateFailure(span, record, err);
      logSend(deps.logger, record);
      callback(err);
    };

    const violations = spec.validate(req, deps.pages.has);
    if (violations.length > 0) {
      fail(invalidRequestError(`${spec.method} request`, violations), { reason: 'INVALID_REQUEST', violations: violations.length });
      return;
    }
    // validate() refused unknown pages, so the credentials exist.
    const creds = deps.pages.get(req.pageId)!;
    const bounds = callBounds(call);
    const graphStart = performance.now();
    deps.graph
      .sendMessage(creds, spec.toGraph(req), bounds)
      .then((outcome) => {
        annotateGraphCall(req.pageId, graphStart, outcome);
        if (outcome.kind !== 'ok') {
          const up = upstreamError(outcome);
          fail(up.error, { reason: up.reason, graph: up.graph });
          return;
        }
        const res = spec.fromGraph(outcome.body);
        if ('malformed' in res) {
          const up = upstreamError({ kind: 'bad-response', status: outcome.status, detail: res.malformed });
          fail(up.error, { reason: up.reason });
          return;
        }
        Object.assign(record, spec.describe?.(res));
        annotateSuccess(span, record);
        logSend(deps.logger, record);
        callback(null, res);
      })
      .catch((err: unknown) => {
        deps.logger.error({ err, method: spec.method }, 'unexpected failure');
        fail(richError(status.INTERNAL, 'internal error in the gateway', []), { reason: 'INTERNAL' });
      })
      .finally(() => bounds.dispose());
  };
}
