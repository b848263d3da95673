import { status, type handleClientStreamingCall } from '@grpc/grpc-js';
import { MediaType } from '../../gen/messenger/v1/enums';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import type { UploadAttachmentRequest, UploadAttachmentResponse } from '../../gen/messenger/v1/service';
import { gatewayFailure, INTERNAL_FAILURE, invalidRequest, type Failure } from '../errors/failure';
import { encodeFailure, redactResponse } from '../errors/status-encoder';
import { badResponseFailure, upstreamFailure } from '../errors/upstream-failure';
import { fromGraphUploadResponse } from '../graph/from-graph';
import type { FilePart } from '../graph/graph-types';
import { toGraphUploadMessage } from '../graph/to-graph';
import { ATTR } from '../telemetry/attribute-names';
import { serverSpanOf } from '../telemetry/server-span';
import { traceFields } from '../telemetry/log-trace-fields';
import { annotateFailure, annotateGraphCall, annotateRequest, annotateSuccess } from '../telemetry/send-span';
import type { FieldViolation } from '../validate/field-violation';
import { validateUploadMetadata } from '../validate/validate-upload';
import { callBounds } from './call-bounds';
import { pageRateLimited } from './send-pipeline';
import { logSend, type SendRecord } from './send-log';
import type { ServiceDeps } from './service-deps';
import { failureFacts } from './unary-send';
import { ClientIdle, clientIdleFailure, IdleBound } from './client-idle';

/** A problem of the stream found while it is forwarded: the upload is refused, not an upstream failure. */
class StreamViolation extends Error {
  constructor(readonly violation: FieldViolation) {
    super(violation.description);
  }
}

/** `UploadAttachment`: metadata first, then the file's chunks streamed to Graph as they arrive. */
export function uploadAttachmentHandler(deps: ServiceDeps): handleClientStreamingCall<UploadAttachmentRequest, UploadAttachmentResponse> {
  return (call, callback) => {
    // A streamed upload is one span (the server span), carrying its byte count.
    const span = serverSpanOf(call);
    const record: SendRecord = { method: 'UploadAttachment', page: '', code: status.OK, startedAt: performance.now(), bytes: 0, caller: deps.callerOf(call.metadata), span };
    annotateRequest(span, {}, record.caller);
    // The protocol edge of an upload: every failure is encoded here, once.
    const fail = (failure: Failure) => {
      record.code = failure.code;
      record.failure = failure;
      annotateFailure(span, failureFacts(failure, record.bytes));
      logSend(deps.logger, record);
      callback(encodeFailure(failure));
    };
    const refuse = (violations: FieldViolation[]) => fail(invalidRequest('UploadAttachment stream', violations));
    // Every read of the client's stream is bounded by limits.streamIdleMs: a client that stops
    // sending is ended as the slow side (CLIENT_STREAM_IDLE), never blamed on Graph.
    const stream = new IdleBound(call[Symbol.asyncIterator]() as AsyncIterator<UploadAttachmentRequest>, deps.streamIdleMs);
    const idle = () => clientIdleFailure(deps.streamIdleMs, 'upload stream');

    const run = async () => {
      const first = await stream.next();
      const part = first.done ? undefined : (first.value as UploadAttachmentRequest).part;
      if (part?.$case !== 'metadata') {
        refuse([{ field: 'metadata', description: 'the first request of the stream must carry metadata' }]);
        return;
      }
      const meta = part.value;
      record.page = meta.pageId;
      annotateRequest(span, { [ATTR.PAGE_ID]: meta.pageId, [ATTR.UPLOAD_SOURCE]: meta.source?.$case ?? 'none' }, undefined);
      const violations = validateUploadMetadata(meta, deps.pages.has);
      if (violations.length > 0) return refuse(violations);
      const creds = deps.pages.get(meta.pageId)!;
      const bounds = callBounds(call);
      try {
        let file: FilePart | undefined;
        let problem: StreamViolation | ClientIdle | undefined;
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
              if (err instanceof StreamViolation || err instanceof ClientIdle) problem = err;
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
        if (!token.ok) return fail(pageRateLimited(meta.pageId, token, deps.sandbox));
        const graphStart = performance.now();
        const outcome = await deps.graph.uploadAttachment(creds, toGraphUploadMessage(meta), file, bounds, span);
        annotateGraphCall(meta.pageId, graphStart, outcome.kind, 'status' in outcome ? outcome.status : undefined, 'usage' in outcome ? outcome.usage : undefined);
        if (problem instanceof ClientIdle) return fail(idle());
        if (problem) return refuse([problem.violation]);
        if (outcome.kind !== 'ok') return fail(upstreamFailure(outcome));
        const res = fromGraphUploadResponse(outcome.body);
        if ('malformed' in res) return fail(badResponseFailure(outcome.status, res.malformed));
        record.attachmentId = res.attachmentId;
        annotateSuccess(span, record);
        logSend(deps.logger, record);
        callback(null, redactResponse(res));
      } finally {
        bounds.dispose();
      }
    };
    run().catch((err: unknown) => {
      if (err instanceof ClientIdle) return fail(idle());
      // A client that cancels mid-stream makes the stream throw: that is no gateway failure.
      if (call.cancelled) return fail(gatewayFailure(status.CANCELLED, ErrorReason.CANCELLED, 'the upload was cancelled', { nothingSent: false }));
      deps.logger.error({ err, method: 'UploadAttachment', ...traceFields(span) }, 'unexpected failure');
      fail(INTERNAL_FAILURE);
    });
  };
}
