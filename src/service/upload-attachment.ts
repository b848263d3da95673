import { status, type handleClientStreamingCall, type ServiceError } from '@grpc/grpc-js';
import type { UploadAttachmentRequest, UploadAttachmentResponse } from '../../gen/messenger/v1/service';
import { invalidRequestError } from '../errors/invalid-request-error';
import { richError } from '../errors/rich-status';
import { gatewayError } from '../errors/gateway-error';
import { MediaType } from '../../gen/messenger/v1/enums';
import { upstreamError } from '../errors/upstream-error';
import { fromGraphUploadResponse } from '../graph/from-graph';
import type { FilePart } from '../graph/graph-client';
import { toGraphUploadMessage } from '../graph/to-graph';
import type { FieldViolation } from '../validate/field-violation';
import { validateUploadMetadata } from '../validate/validate-upload';
import { callBounds } from './call-bounds';
import { logSend, type SendRecord } from './send-log';
import type { ServiceDeps } from './service-deps';
import { callerOf } from './caller-of';
import { annotateFailure, annotateGraphCall, annotateSuccess } from './send-telemetry';
import { ATTR, currentSpan } from '../telemetry/send-attributes';

/** A problem of the stream found while it is forwarded: the upload is refused, not an upstream failure. */
class StreamViolation extends Error {
  constructor(readonly violation: FieldViolation) {
    super(violation.description);
  }
}

/** `UploadAttachment`: metadata first, then the file's chunks streamed to Graph as they arrive. */
export function uploadAttachmentHandler(deps: ServiceDeps): handleClientStreamingCall<UploadAttachmentRequest, UploadAttachmentResponse> {
  return (call, callback) => {
    const record: SendRecord = { method: 'UploadAttachment', page: '', code: status.OK, startedAt: performance.now(), bytes: 0, caller: callerOf(call.metadata) };
    // A streamed upload is one span (the server span), carrying its byte count.
    const span = currentSpan();
    if (record.caller) span?.setAttribute(ATTR.CALLER, record.caller);
    const fail = (err: ServiceError, extra: Partial<SendRecord> = {}) => {
      Object.assign(record, extra, { code: err.code });
      annotateFailure(span, record, err);
      logSend(deps.logger, record);
      callback(err);
    };
    const refuse = (violations: FieldViolation[]) => fail(invalidRequestError('UploadAttachment stream', violations), { reason: 'INVALID_REQUEST' });
    const stream = call[Symbol.asyncIterator]() as AsyncIterator<UploadAttachmentRequest>;

    const run = async () => {
      const first = await stream.next();
      const part = first.done ? undefined : (first.value as UploadAttachmentRequest).part;
      if (part?.$case !== 'metadata') {
        refuse([{ field: 'metadata', description: 'the first request of the stream must carry metadata' }]);
        return;
      }
      const meta = part.value;
      record.page = meta.pageId;
      span?.setAttributes({ [ATTR.PAGE_ID]: meta.pageId, 'messenger.upload.source': meta.source?.$case ?? 'none' });
      const violations = validateUploadMetadata(meta, deps.pages.has);
      if (violations.length > 0) return refuse(violations);
      const creds = deps.pages.get(meta.pageId)!;
      const bounds = callBounds(call);
      try {
        let file: FilePart | undefined;
        let problem: StreamViolation | undefined;
        if (meta.source?.$case === 'file') {
          const declared = meta.source.value.size === undefined ? undefined : Number(meta.source.value.size);
          const data = async function* (): AsyncIterable<Uint8Array> {
            try {
              for (let next = await stream.next(); !next.done; next = await stream.next()) {
                const p = (next.value as UploadAttachmentRequest).part;
                if (p?.$case !== 'chunk') throw new StreamViolation({ field: 'metadata', description: 'metadata may only be sent once, first' });
                record.bytes! += p.value.length;
                if (record.bytes! > deps.maxUploadBytes) throw new StreamViolation({ field: 'chunk', description: `the file is larger than ${deps.maxUploadBytes} bytes` });
                if (declared !== undefined && record.bytes! > declared) {
                  throw new StreamViolation({ field: 'metadata.file.size', description: `the stream is longer than the declared ${declared} bytes` });
                }
                if (p.value.length > 0) yield p.value;
              }
              if (record.bytes === 0) throw new StreamViolation({ field: 'chunk', description: 'the file is empty' });
              if (declared !== undefined && record.bytes !== declared) {
                throw new StreamViolation({ field: 'metadata.file.size', description: `the stream has ${record.bytes} bytes, not the declared ${declared}` });
              }
            } catch (err) {
              if (err instanceof StreamViolation) problem = err;
              throw err;
            }
          };
          file = { filename: meta.source.value.filename, contentType: meta.source.value.contentType, size: declared, data: data() };
        } else {
          // A URL upload carries no bytes: anything after the metadata is a mistake worth reporting.
          const extra = await stream.next();
          if (!extra.done) return refuse([{ field: 'chunk', description: 'chunks may only follow metadata with a file source' }]);
        }
        // Uploads count against the page's rate like sends; audio and video against the media bucket.
        const cls = meta.type === MediaType.MEDIA_TYPE_AUDIO || meta.type === MediaType.MEDIA_TYPE_VIDEO ? 'media' : 'default';
        const token = await deps.rateLimiter.acquire(meta.pageId, cls, bounds.deadline, bounds.signal);
        if (!token.ok) {
          return fail(gatewayError(status.RESOURCE_EXHAUSTED, 'PAGE_RATE_LIMITED', `page ${meta.pageId} is over its send rate (${token.reason}); nothing was sent`, token.retryAfterMs, { cause: token.reason }), { reason: 'PAGE_RATE_LIMITED' });
        }
        const graphStart = performance.now();
        const outcome = await deps.graph.uploadAttachment(creds, toGraphUploadMessage(meta), file, bounds);
        annotateGraphCall(meta.pageId, graphStart, outcome);
        if (problem) return refuse([problem.violation]);
        if (outcome.kind !== 'ok') {
          const up = upstreamError(outcome);
          return fail(up.error, { reason: up.reason, graph: up.graph });
        }
        const res = fromGraphUploadResponse(outcome.body);
        if ('malformed' in res) {
          const up = upstreamError({ kind: 'bad-response', status: outcome.status, detail: res.malformed });
          return fail(up.error, { reason: up.reason });
        }
        record.attachmentId = res.attachmentId;
        annotateSuccess(span, record);
        logSend(deps.logger, record);
        callback(null, res);
      } finally {
        bounds.dispose();
      }
    };
    run().catch((err: unknown) => {
      // A client that cancels mid-stream makes the stream throw: that is no gateway failure.
      if (call.cancelled) return fail(richError(status.CANCELLED, 'the upload was cancelled', []), { reason: 'CANCELLED' });
      deps.logger.error({ err, method: 'UploadAttachment' }, 'unexpected failure');
      fail(richError(status.INTERNAL, 'internal error in the gateway', []), { reason: 'INTERNAL' });
    });
  };
}
