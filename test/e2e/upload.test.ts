import { randomBytes } from 'node:crypto';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType } from '../../gen/messenger/v1/enums';
import { UploadAttachmentRequest, type UploadAttachmentResponse, type UploadMetadata } from '../../gen/messenger/v1/service';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { grpcError, startTestGateway, type TestGateway } from '../support/gateway-harness';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

function upload(parts: UploadAttachmentRequest['part'][]): Promise<UploadAttachmentResponse> {
  return new Promise((resolve, reject) => {
    const call = gw.client.uploadAttachment(new Metadata(), { deadline: Date.now() + 15_000 }, (err: ServiceError | null, res?: UploadAttachmentResponse) => (err ? reject(err) : resolve(res!)));
    for (const part of parts) call.write({ part });
    call.end();
  });
}

const meta = (source: UploadMetadata['source'], type = MediaType.MEDIA_TYPE_IMAGE) => ({ $case: 'metadata' as const, value: { pageId: '1001', type, source } });

describe('UploadAttachment', () => {
  it('streams a file in chunks as multipart filedata and returns the attachment_id', async () => {
    const file = randomBytes(300_000);
    const chunks = [file.subarray(0, 100_000), file.subarray(100_000, 200_000), file.subarray(200_000)];
    const res = await upload([
      meta({ $case: 'file', value: { filename: 'cat.png', contentType: 'image/png', size: String(file.length) } }),
      ...chunks.map((value) => ({ $case: 'chunk' as const, value })),
    ]);
    expect(res.attachmentId).toMatch(/^\d+$/);
    const req = gw.sandbox!.received.at(-1)!;
    expect(req.path).toBe('/v25.0/1001/message_attachments');
    expect(req.file).toEqual({ field: 'filedata', filename: 'cat.png', contentType: 'image/png', size: 300_000 });
    expect(req.body).toMatchObject({ message: { attachment: { type: 'image', payload: { is_reusable: true } } } });
  });

  it('works without a declared size (chunked transfer)', async () => {
    const res = await upload([
      meta({ $case: 'file', value: { filename: 'a.mp3', contentType: 'audio/mpeg' } }, MediaType.MEDIA_TYPE_AUDIO),
      { $case: 'chunk', value: randomBytes(5000) },
    ]);
    expect(res.attachmentId).toMatch(/^\d+$/);
    expect(gw.sandbox!.received.at(-1)!.file?.size).toBe(5000);
  });

  it('uploads from a URL as JSON', async () => {
    const res = await upload([meta({ $case: 'url', value: 'https://example.com/cat.png' })]);
    expect(res.attachmentId).toMatch(/^\d+$/);
    expect(gw.sandbox!.received.at(-1)!.body).toMatchObject({ message: { attachment: { type: 'image', payload: { url: 'https://example.com/cat.png', is_reusable: true } } } });
  });

  it('refuses a stream that does not start with metadata', async () => {
    const err = await grpcError(upload([{ $case: 'chunk', value: Buffer.from('x') }]));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(decodeStatusDetails(err.metadata).badRequest?.fieldViolations[0].field).toBe('metadata');
  });

  it('refuses a stream longer than its declared size', async () => {
    const err = await grpcError(upload([
      meta({ $case: 'file', value: { filename: 'cat.png', contentType: 'image/png', size: '10' } }),
      { $case: 'chunk', value: randomBytes(11) },
    ]));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(decodeStatusDetails(err.metadata).badRequest?.fieldViolations[0].field).toBe('metadata.file.size');
  });

  it('refuses an empty file', async () => {
    const err = await grpcError(upload([meta({ $case: 'file', value: { filename: 'cat.png', contentType: 'image/png' } })]));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
  });
});
