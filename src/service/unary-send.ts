import { status, type handleUnaryCall, type ServiceError } from '@grpc/grpc-js';
import { richError } from '../errors/rich-status';
import { invalidRequestError } from '../errors/invalid-request-error';
import { upstreamError } from '../errors/upstream-error';
import type { Malformed } from '../graph/from-graph';
import type { FieldViolation } from '../validate/field-violation';
import { callBounds } from './call-bounds';
import { logSend, type SendRecord } from './send-log';
import type { ServiceDeps } from './service-deps';

/** How one unary RPC is validated, translated and mapped back. */
export interface UnarySendSpec<Req extends { pageId: string }, Res> {
  method: string;
  validate(req: Req, isPageConfigured: (pageId: string) => boolean): FieldViolation[];
  toGraph(req: Req): object;
  fromGraph(body: Record<string, unknown>): Res | Malformed;
  /** Facts of a success worth a log field (message id, ...). */
  describe?(res: Res): Pick<SendRecord, 'messageId' | 'attachmentId'>;
}

/** The request path of a unary send: validate -> translate -> Graph -> map the answer. */
export function unarySend<Req extends { pageId: string }, Res extends object>(
  deps: ServiceDeps,
  spec: UnarySendSpec<Req, Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const req = call.request;
    const record: SendRecord = { method: spec.method, page: req.pageId, code: status.OK, startedAt: performance.now() };
    const fail = (err: ServiceError, extra: Partial<SendRecord> = {}) => {
      Object.assign(record, extra, { code: err.code });
      logSend(deps.logger, record);
      callback(err);
    };

    const violations = spec.validate(req, deps.pages.has);
    if (violations.length > 0) {
      fail(invalidRequestError(`${spec.method} request`, violations), { reason: 'INVALID_REQUEST' });
      return;
    }
    // validate() refused unknown pages, so the credentials exist.
    const creds = deps.pages.get(req.pageId)!;
    const bounds = callBounds(call);
    deps.graph
      .sendMessage(creds, spec.toGraph(req), bounds)
      .then((outcome) => {
        if (outcome.kind !== 'ok') {
          const up = upstreamError(outcome);
          fail(up.error, { reason: up.reason, graphCode: up.graph?.code, graphSubcode: up.graph?.errorSubcode, fbtraceId: up.graph?.fbtraceId });
          return;
        }
        const res = spec.fromGraph(outcome.body);
        if ('malformed' in res) {
          const up = upstreamError({ kind: 'bad-response', status: outcome.status, detail: res.malformed });
          fail(up.error, { reason: up.reason });
          return;
        }
        Object.assign(record, spec.describe?.(res));
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
