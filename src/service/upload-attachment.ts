import { status, type handleClientStreamingCall, type ServerReadableStream } from '@grpc/grpc-js';
import type { Span } from '@opentelemetry/api';
import { MediaType } from '../../gen/messenger/v1/enums';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import type { UploadAttachmentRequest, UploadAttachmentResponse, UploadMetadata } from '../../gen/messenger/v1/service';
import { gatewayFailure, invalidRequest, type Failure } from '../errors/failure';
import { fromGraphUploadResponse } from '../graph/from-graph';
import type { CallBounds } from '../call/bounds';
import { toGraphUploadMessage } from '../graph/to-graph';
import { ATTR } from '../telemetry/attribute-names';
import type { FieldViolation } from '../validate/field-violation';
import { validateUploadMetadata } from '../validate/validate-upload';
import { failed, type CallResult } from './call-result';
import { ClientIdle, clientIdleFailure, IdleBound } from './client-idle';
import { runGraphCall } from './graph-call';
import { instagramUploadMaxBytes, instagramUploadViolations } from '../validate/validate-instagram';
import type { AccountView, GraphCallSpec, SpecRequest } from './graph-call-spec';
import { clientStreamEdge } from './rpc-edge';
import type { ServiceDeps } from './service-deps';

/** What the Graph-call core runs for one upload: the stream's metadata, and the rest of the stream. */
export interface UploadCall {
  meta: UploadMetadata;
  body: UploadBody;
}

/**
 * UploadAttachment: `POST /{page-id}/message_attachments`, a URL as JSON or the file streamed from
 * the client as multipart `filedata`. Not safe to retry blindly (Graph stores an attachment each
 * time), and a streamed body cannot be sent twice anyway; no idempotency key.
 */
export const uploadAttachmentSpec: GraphCallSpec<UploadCall, UploadAttachmentResponse> = {
  method: 'UploadAttachment',
  requestName: 'UploadAttachment stream',
  pageOf: (u) => u.meta.pageId,
  validate: (u, isPageConfigured) => validateUploadMetadata(u.meta, isPageConfigured),
  instagram: (u) => instagramUploadViolations(u.meta),
  request: uploadRequest,
  fromGraph: fromGraphUploadResponse,
  describe: (res) => ({ attachmentId: res.attachmentId }),
  attributes: (u) => ({ [ATTR.PAGE_ID]: u.meta.pageId, [ATTR.UPLOAD_SOURCE]: u.meta.source?.$case ?? 'none' }),
  // Uploads count against the page's rate like sends; audio and video against the media bucket.
  rateClass: (u) => (u.meta.type === MediaType.MEDIA_TYPE_AUDIO || u.meta.type === MediaType.MEDIA_TYPE_VIDEO ? 'media' : 'default'),
  safeToRetry: false,
};

function uploadRequest(u: UploadCall, account: AccountView): SpecRequest | Promise<SpecRequest | Failure> {
  const path = `/${u.meta.pageId}/message_attachments`;
  const message = toGraphUploadMessage(u.meta);
  // Meta's Attachment Upload API for Instagram takes `platform: instagram`; the file is then bounded by Instagram's table.
  const platform = account.platform === 'instagram' ? { platform: 'instagram' } : {};
  if (account.platform === 'instagram') u.body.limit(instagramUploadMaxBytes(u.meta.type));
  const source = u.meta.source;
  if (source?.$case === 'file') {
    const declared = source.value.size === undefined ? undefined : Number(source.value.size);
    return {
      method: 'POST',
      path,
      multipart: { fields: { message, ...platform }, file: { filename: source.value.filename, contentType: source.value.contentType, size: declared, data: u.body.chunks(declared) } },
      bodyFailure: () => u.body.failure(),
    };
  }
  // A URL upload carries no bytes: anything after the metadata is a mistake worth reporting.
  return u.body.expectEnd().then((failure) => failure ?? { method: 'POST', path, json: { message, ...platform } });
}

/** `UploadAttachment`: metadata first, then the file's chunks streamed to Graph as they arrive. */
export function uploadAttachmentHandler(deps: ServiceDeps): handleClientStreamingCall<UploadAttachmentRequest, UploadAttachmentResponse> {
  return clientStreamEdge<UploadAttachmentRequest, UploadAttachmentResponse>(
    deps,
    { name: uploadAttachmentSpec.method, describe: uploadAttachmentSpec.describe },
    (call, bounds, span) => upload(deps, call, bounds, span),
  );
}

/** Reads the metadata, runs the upload through the core; its result carries the Page and the bytes read. */
async function upload(deps: ServiceDeps, call: ServerReadableStream<UploadAttachmentRequest, UploadAttachmentResponse>, bounds: CallBounds, span: Span | undefined): Promise<CallResult<UploadAttachmentResponse>> {
  // Every read of the client's stream is bounded by limits.streamIdleMs: a client that stops
  // sending is ended as the slow side (CLIENT_STREAM_IDLE), never blamed on Graph.
  const stream = new IdleBound(call[Symbol.asyncIterator]() as AsyncIterator<UploadAttachmentRequest>, deps.streamIdleMs);
  const body = new UploadBody(stream, deps.maxUploadBytes, deps.streamIdleMs);
  let page: string | undefined;
  let result: CallResult<UploadAttachmentResponse>;
  try {
    const first = await stream.next();
    const part = first.done ? undefined : first.value.part;
    if (part?.$case !== 'metadata') {
      result = failed(refused({ field: 'metadata', description: 'the first request of the stream must carry metadata' }));
    } else {
      page = part.value.pageId;
      result = await runGraphCall(deps, uploadAttachmentSpec, { meta: part.value, body }, '', bounds, { span, parent: span });
    }
  } catch (err) {
    if (err instanceof ClientIdle) result = failed(body.idleFailure());
    // A client that cancels mid-stream makes the stream throw: that is no gateway failure.
    else if (call.cancelled) result = failed(gatewayFailure(status.CANCELLED, ErrorReason.CANCELLED, 'the upload was cancelled', { nothingSent: false }));
    else throw err;
  }
  return { ...result, bytes: body.bytes, page };
}

/** A problem of the stream found while it is forwarded: the upload is refused, not an upstream failure. */
class StreamViolation extends Error {
  constructor(readonly violation: FieldViolation) {
    super(violation.description);
  }
}

/** A request with its `part` unset (empty, or only fields this gateway does not know). */
const NEITHER: FieldViolation = { field: 'part', description: 'a request must carry metadata or a chunk; this one carries neither' };

function refused(violation: FieldViolation): Failure {
  return invalidRequest('UploadAttachment stream', [violation]);
}

/** The client's stream after its metadata: the file's chunks, counted and checked as Graph is sent them. */
class UploadBody {
  /** Bytes of the file read from the client so far. */
  bytes = 0;
  private problem: StreamViolation | ClientIdle | undefined;

  constructor(
    private readonly stream: IdleBound<UploadAttachmentRequest>,
    private maxBytes: number,
    private readonly idleMs: number,
  ) {}

  /** Lowers the bound to `max` (an Instagram account's media table), before any chunk is read. */
  limit(max: number | undefined): void {
    if (max !== undefined && max < this.maxBytes) this.maxBytes = max;
  }

  /** The file's bytes as they arrive; a stream that breaks the rules (or idles) ends the body with an error. */
  async *chunks(declared: number | undefined): AsyncIterable<Uint8Array> {
    try {
      for (let next = await this.stream.next(); !next.done; next = await this.stream.next()) {
        const p = next.value.part;
        if (p?.$case !== 'chunk') throw new StreamViolation(p ? { field: 'metadata', description: 'metadata may only be sent once, first' } : NEITHER);
        this.bytes += p.value.length;
        if (this.bytes > this.maxBytes) throw new StreamViolation({ field: 'chunk', description: `the file is larger than ${this.maxBytes} bytes` });
        if (declared !== undefined && this.bytes > declared) {
          throw new StreamViolation({ field: 'metadata.file.size', description: `the stream is longer than the declared ${declared} bytes` });
        }
        if (p.value.length > 0) yield p.value;
      }
      if (this.bytes === 0) throw new StreamViolation({ field: 'chunk', description: 'the file is empty' });
      if (declared !== undefined && this.bytes !== declared) {
        throw new StreamViolation({ field: 'metadata.file.size', description: `the stream has ${this.bytes} bytes, not the declared ${declared}` });
      }
    } catch (err) {
      if (err instanceof StreamViolation || err instanceof ClientIdle) this.problem = err;
      throw err;
    }
  }

  /** After a URL upload's metadata the stream must end: a failure when it does not (or idles). */
  async expectEnd(): Promise<Failure | undefined> {
    let extra: IteratorResult<UploadAttachmentRequest>;
    try {
      extra = await this.stream.next();
    } catch (err) {
      if (err instanceof ClientIdle) return this.idleFailure();
      throw err;
    }
    if (extra.done) return undefined;
    return refused(extra.value.part ? { field: 'chunk', description: 'chunks may only follow metadata with a file source' } : NEITHER);
  }

  /** What the body did wrong, once Graph has answered (or failed to). */
  failure(): Failure | undefined {
    if (this.problem instanceof ClientIdle) return this.idleFailure();
    return this.problem ? refused(this.problem.violation) : undefined;
  }

  idleFailure(): Failure {
    return clientIdleFailure(this.idleMs, 'upload stream');
  }
}
