// UploadAttachment on the Graph-call core: what the client's stream does wrong is answered as
// the caller's fault (INVALID_REQUEST for a broken stream, CLIENT_STREAM_IDLE for a silent one),
// never as Graph's, and the one log line of the call carries its Page and the bytes read.
import { Metadata, status, type ClientWritableStream, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType } from '../../gen/messenger/v1/enums';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import type { UploadAttachmentRequest, UploadAttachmentResponse, UploadMetadata } from '../../gen/messenger/v1/service';
import { DEFAULT_CONFIG } from '../../src/config/gateway-config';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { reasonName } from '../../src/errors/failure';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';

const IDLE_MS = 300;
const MAX_BYTES = 1000;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ extra: { limits: { ...DEFAULT_CONFIG.limits, streamIdleMs: IDLE_MS, maxUploadBytes: MAX_BYTES } } });
});
afterAll(() => gw.close());

type Part = UploadAttachmentRequest['part'];

/** Opens an upload, writes `parts`, and half-closes unless told to leave the stream open. */
function upload(parts: Part[], end = true): { call: ClientWritableStream<UploadAttachmentRequest>; done: Promise<{ err?: ServiceError; res?: UploadAttachmentResponse }> } {
  let call!: ClientWritableStream<UploadAttachmentRequest>;
  const done = new Promise<{ err?: ServiceError; res?: UploadAttachmentResponse }>((resolve) => {
    call = gw.client.uploadAttachment(new Metadata(), { deadline: Date.now() + 15_000 }, (err: ServiceError | null, res?: UploadAttachmentResponse) => resolve(err ? { err } : { res }));
  });
  for (const part of parts) call.write({ part });
  if (end) call.end();
  return { call, done };
}

const meta = (source: UploadMetadata['source'], pageId = '1001'): Part => ({ $case: 'metadata', value: { pageId, type: MediaType.MEDIA_TYPE_FILE, source } });
const fileMeta = (size?: number) => meta({ $case: 'file', value: { filename: 'a.pdf', contentType: 'application/pdf', size: size === undefined ? undefined : String(size) } });
const chunk = (n: number): Part => ({ $case: 'chunk', value: Buffer.alloc(n, 7) });

function lastUploadLine(): Record<string, unknown> {
  return gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).reverse().find((l) => l.method === 'UploadAttachment')!;
}

async function refusal(parts: Part[]): Promise<{ err: ServiceError; field: string | undefined; description: string | undefined }> {
  const { err } = await upload(parts).done;
  expect(err).toBeDefined();
  const v = decodeStatusDetails(err!.metadata).badRequest?.fieldViolations[0];
  return { err: err!, field: v?.field, description: v?.description };
}

describe('UploadAttachment: problems of the client stream', () => {
  it('a URL upload followed by a chunk is refused (chunk)', async () => {
    const r = await refusal([meta({ $case: 'url', value: 'https://example.com/a.pdf' }), chunk(3)]);
    expect(r.err.code).toBe(status.INVALID_ARGUMENT);
    expect(r.err.details).toMatch(/^invalid UploadAttachment stream \(1 violation\)/);
    expect(r).toMatchObject({ field: 'chunk', description: 'chunks may only follow metadata with a file source' });
  });

  it('metadata sent twice is refused (metadata), not blamed on Graph', async () => {
    const r = await refusal([fileMeta(), chunk(3), fileMeta()]);
    expect(r.err.code).toBe(status.INVALID_ARGUMENT);
    expect(r).toMatchObject({ field: 'metadata', description: 'metadata may only be sent once, first' });
  });

  it('a request with neither metadata nor a chunk after the metadata is refused as such (part)', async () => {
    const neither = { field: 'part', description: 'a request must carry metadata or a chunk; this one carries neither' };
    const file = await refusal([fileMeta(), chunk(3), undefined]);
    expect(file.err.code).toBe(status.INVALID_ARGUMENT);
    expect(file).toMatchObject(neither);
    const url = await refusal([meta({ $case: 'url', value: 'https://example.com/a.pdf' }), undefined]);
    expect(url.err.code).toBe(status.INVALID_ARGUMENT);
    expect(url).toMatchObject(neither);
  });

  it('a file over limits.maxUploadBytes is refused (chunk)', async () => {
    const r = await refusal([fileMeta(), chunk(600), chunk(600)]);
    expect(r).toMatchObject({ field: 'chunk', description: `the file is larger than ${MAX_BYTES} bytes` });
    expect(lastUploadLine()).toMatchObject({ msg: 'send failed', page: '1001', reason: 'INVALID_REQUEST', bytes: 1200 });
  });

  it('a stream shorter than its declared size is refused (metadata.file.size)', async () => {
    const r = await refusal([fileMeta(10), chunk(4)]);
    expect(r).toMatchObject({ field: 'metadata.file.size', description: 'the stream has 4 bytes, not the declared 10' });
  });

  it('invalid metadata is refused before anything is read or sent', async () => {
    const before = gw.sandbox!.received.length;
    const r = await refusal([meta({ $case: 'url', value: 'not a url' }, '1001')]);
    expect(r.err.details).toMatch(/^invalid UploadAttachment stream/);
    expect(r.field).toBe('metadata.url');
    expect(gw.sandbox!.received.length).toBe(before);
  });

  it('a client silent before its metadata is ended CLIENT_STREAM_IDLE', async () => {
    const { call, done } = upload([], false);
    const { err } = await done;
    call.end();
    expect(err?.code).toBe(status.DEADLINE_EXCEEDED);
    expect(decodeStatusDetails(err!.metadata).errorInfo?.reason).toBe(reasonName(ErrorReason.CLIENT_STREAM_IDLE));
    expect(lastUploadLine()).toMatchObject({ page: '', reason: 'CLIENT_STREAM_IDLE', bytes: 0 });
  });

  it('a client silent in the middle of its file is ended CLIENT_STREAM_IDLE, with the bytes it sent', async () => {
    const { call, done } = upload([fileMeta(100), chunk(40)], false);
    const { err } = await done;
    call.end();
    expect(err?.code).toBe(status.DEADLINE_EXCEEDED);
    expect(err?.details).toBe(`the client sent nothing on this upload stream for ${IDLE_MS} ms (limits.streamIdleMs); the stream was ended`);
    expect(lastUploadLine()).toMatchObject({ msg: 'send failed', page: '1001', reason: 'CLIENT_STREAM_IDLE', bytes: 40 });
  });

  it('a success logs its Page, attachment id and bytes', async () => {
    const { res, err } = await upload([fileMeta(50), chunk(50)]).done;
    expect(err).toBeUndefined();
    expect(lastUploadLine()).toMatchObject({ msg: 'send', method: 'UploadAttachment', page: '1001', attachment_id: res!.attachmentId, bytes: 50, grpc_code: 'OK' });
  });
});
