import { randomBytes } from 'node:crypto';
import { Metadata, status, type ClientDuplexStream, type ClientWritableStream, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaType } from '../../gen/messenger/v1/enums';
import { SendMessageRequest, type SendMessagesRequest, type SendMessagesResponse, type UploadAttachmentRequest, type UploadAttachmentResponse } from '../../gen/messenger/v1/service';
import { DEFAULT_CONFIG } from '../../src/config/gateway-config';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { generateApiKey, hashApiKey } from '../../src/server/caller-auth';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../support/redis-server';
import { timePasses } from '../support/time-passes';
import { waitFor } from '../support/wait-for';

const A_KEY = generateApiKey();
const B_KEY = generateApiKey();
const callers = (rate = 0) => [
  { name: 'bulk-a', apiKeyHash: hashApiKey(A_KEY), pages: ['*'], ratePerSecond: rate },
  { name: 'other-b', apiKeyHash: hashApiKey(B_KEY), pages: ['*'], ratePerSecond: 0 },
];
const bearer = (key: string) => {
  const md = new Metadata();
  md.set('authorization', `Bearer ${key}`);
  return md;
};
const reasonOf = (err: ServiceError) => decodeStatusDetails(err.metadata).errorInfo?.reason;

const gateways: TestGateway[] = [];
let redis: RedisServer | undefined;
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.close();
  await redis?.stop();
  redis = undefined;
});
async function gateway(extra: Record<string, unknown>, opts: Parameters<typeof startTestGateway>[0] = {}): Promise<TestGateway> {
  const gw = await startTestGateway({ ...opts, extra });
  gateways.push(gw);
  return gw;
}

function bulk(gw: TestGateway, key: string, n: number): Promise<SendMessagesResponse[]> {
  return new Promise((resolve, reject) => {
    const results: SendMessagesResponse[] = [];
    const call: ClientDuplexStream<SendMessagesRequest, SendMessagesResponse> = gw.client.sendMessages(bearer(key), { deadline: Date.now() + 30_000 });
    call.on('data', (r: SendMessagesResponse) => results.push(r));
    call.on('error', reject);
    call.on('end', () => resolve(results));
    for (let i = 0; i < n; i++) call.write({ requestId: `r${i}`, message: SendMessageRequest.fromPartial(textTo(String(i % 7), `m ${i}`)) });
    call.end();
  });
}

/** An upload whose stream is left open after the given parts (the caller decides when, or whether, to end it). */
function openUpload(gw: TestGateway, key: string, parts: UploadAttachmentRequest['part'][]): { call: ClientWritableStream<UploadAttachmentRequest>; done: Promise<{ err?: ServiceError; res?: UploadAttachmentResponse }> } {
  let call!: ClientWritableStream<UploadAttachmentRequest>;
  const done = new Promise<{ err?: ServiceError; res?: UploadAttachmentResponse }>((resolve) => {
    call = gw.client.uploadAttachment(bearer(key), { deadline: Date.now() + 30_000 }, (err: ServiceError | null, res?: UploadAttachmentResponse) => resolve(err ? { err } : { res }));
  });
  for (const part of parts) call.write({ part });
  return { call, done };
}
const urlMeta = { $case: 'metadata' as const, value: { pageId: '1001', type: MediaType.MEDIA_TYPE_IMAGE, source: { $case: 'url' as const, value: 'https://example.com/cat.png' } } };

describe('per-caller limits', () => {
  it('the caller rate counts messages: a SendMessages stream of 60 items at 20/s takes about 2 s', async () => {
    const gw = await gateway({ callers: callers(20) });
    const started = Date.now();
    const results = await bulk(gw, A_KEY, 60);
    const took = Date.now() - started;
    console.log(`60 bulk items at 20 messages/s: ${took} ms`);
    expect(results).toHaveLength(60);
    expect(results.every((r) => r.result?.$case === 'response')).toBe(true);
    // A full bucket (20) at once, then 40 more at 20/s.
    expect(took).toBeGreaterThan(1_800);
  });

  it('one caller holding idle uploads cannot take the whole in-flight bound; its uploads end CLIENT_STREAM_IDLE', async () => {
    const gw = await gateway({ callers: callers(), limits: { ...DEFAULT_CONFIG.limits, maxInFlightCalls: 4, maxInFlightPerCaller: 2, streamIdleMs: 800 } });
    const started = Date.now();
    const held = Array.from({ length: 4 }, () => openUpload(gw, A_KEY, [urlMeta]));
    // The caller is at its bound once the gateway has refused the two uploads past it.
    let refused = 0;
    for (const h of held) void h.done.then((o) => (refused += o.err?.code === status.RESOURCE_EXHAUSTED ? 1 : 0));
    await waitFor(() => refused >= 2, { what: "the two uploads past the caller's bound refused" });
    // The other caller keeps sending meanwhile.
    for (let i = 0; i < 5; i++) expect((await gw.send(textTo('42', `b ${i}`), { metadata: bearer(B_KEY) })).messageId).toMatch(/^m_/);
    const outcomes = await Promise.all(held.map((h) => h.done));
    const took = Date.now() - started;
    const codes = outcomes.map((o) => `${status[o.err?.code ?? 0]}/${o.err ? reasonOf(o.err) : '-'}`).sort();
    console.log(`idle uploads ended after ${took} ms: ${codes.join(', ')}`);
    expect(codes).toEqual(['DEADLINE_EXCEEDED/CLIENT_STREAM_IDLE', 'DEADLINE_EXCEEDED/CLIENT_STREAM_IDLE', 'RESOURCE_EXHAUSTED/TOO_MANY_CALLS', 'RESOURCE_EXHAUSTED/TOO_MANY_CALLS']);
    expect(took).toBeLessThan(3_000);
  });

  // A call refused before it sends anything (its page not granted) is no message: it takes no token.
  for (const withRedis of [false, true]) {
    it.skipIf(withRedis && !redisServerAvailable())(`a burst of 10 unary calls at 5/s lets the full bucket (5) through, after refused calls${withRedis ? ' (Redis)' : ''}`, async () => {
      const store = withRedis ? { redis: { url: (redis = await startRedisServer()).url, keyPrefix: `burst-${Date.now()}:` } } : undefined;
      const gw = await gateway({ callers: [{ name: 'one-page', apiKeyHash: hashApiKey(A_KEY), pages: ['1001'], ratePerSecond: 5 }] }, store ? { store } : {});
      for (let i = 0; i < 3; i++) expect(reasonOf(await grpcError(gw.send(textTo('1', 'hi', '2002'), { metadata: bearer(A_KEY) })))).toBe('PAGE_NOT_GRANTED');
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => gw.send(textTo('1', `b ${i}`), { metadata: bearer(A_KEY) })));
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      for (const r of results) if (r.status === 'rejected') expect(reasonOf(r.reason as ServiceError)).toBe('CALLER_RATE_LIMITED');
      expect(ok).toBeGreaterThanOrEqual(5);
      expect(ok).toBeLessThanOrEqual(7);
    });
  }

  it.skipIf(!redisServerAvailable())('with Redis, the caller rate is shared by the replicas', async () => {
    redis = await startRedisServer();
    const store = { redis: { url: redis.url, keyPrefix: `shared-${Date.now()}:` } };
    const a = await gateway({ callers: callers(5) }, { store });
    const b = await gateway({ callers: callers(5) }, { store });
    let ok = 0;
    let limited = 0;
    for (let i = 0; i < 12; i++) {
      try {
        await (i % 2 ? a : b).send(textTo('42', `s ${i}`), { metadata: bearer(A_KEY) });
        ok++;
      } catch (err) {
        expect(reasonOf(err as ServiceError)).toBe('CALLER_RATE_LIMITED');
        limited++;
      }
    }
    console.log(`two replicas, 5/s shared: ${ok} ok, ${limited} limited`);
    expect(ok).toBeLessThanOrEqual(6);
    expect(limited).toBeGreaterThanOrEqual(6);
  });
});

describe('uploads: who was slow', () => {
  it('a file trickling in slower than graph.timeoutMs, but within streamIdleMs, is uploaded (Graph is timed from the end of the body)', async () => {
    const gw = await gateway({ limits: { ...DEFAULT_CONFIG.limits, streamIdleMs: 2_000 } }, { graph: { timeoutMs: 1_000 } });
    const { call, done } = openUpload(gw, '', [{ $case: 'metadata', value: { pageId: '1001', type: MediaType.MEDIA_TYPE_IMAGE, source: { $case: 'file', value: { filename: 'slow.png', contentType: 'image/png' } } } }]);
    for (let i = 0; i < 4; i++) {
      await timePasses(500); // a client this slow is what is tested
      call.write({ part: { $case: 'chunk', value: randomBytes(10) } });
    }
    call.end();
    const { err, res } = await done;
    expect(err?.details).toBeUndefined();
    expect(res?.attachmentId).toMatch(/^\d+$/);
  });

  it('a client idle mid-file: DEADLINE_EXCEEDED CLIENT_STREAM_IDLE, not GRAPH_TIMEOUT', async () => {
    const gw = await gateway({ limits: { ...DEFAULT_CONFIG.limits, streamIdleMs: 600 } }, { graph: { timeoutMs: 5_000 } });
    const { call, done } = openUpload(gw, '', [{ $case: 'metadata', value: { pageId: '1001', type: MediaType.MEDIA_TYPE_IMAGE, source: { $case: 'file', value: { filename: 'stall.png', contentType: 'image/png' } } } }, { $case: 'chunk', value: randomBytes(10) }]);
    const { err } = await done;
    call.end();
    expect(err?.code).toBe(status.DEADLINE_EXCEEDED);
    expect(reasonOf(err!)).toBe('CLIENT_STREAM_IDLE');
    expect(err?.details).toContain('client');
  });

  it('a URL upload that never half-closes is ended by the idle timeout', async () => {
    const gw = await gateway({ limits: { ...DEFAULT_CONFIG.limits, streamIdleMs: 500 } });
    const started = Date.now();
    const { call, done } = openUpload(gw, '', [urlMeta]);
    const { err } = await done;
    call.end();
    expect(reasonOf(err!)).toBe('CLIENT_STREAM_IDLE');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a SendMessages stream left open with nothing in flight is ended CLIENT_STREAM_IDLE', async () => {
    const gw = await gateway({ limits: { ...DEFAULT_CONFIG.limits, streamIdleMs: 500 } });
    const err = await grpcError(new Promise((resolve, reject) => {
      const call = gw.client.sendMessages(new Metadata(), { deadline: Date.now() + 10_000 });
      call.on('data', () => undefined);
      call.on('error', reject);
      call.on('end', resolve);
      call.write({ requestId: 'one', message: SendMessageRequest.fromPartial(textTo('1')) });
    }));
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(reasonOf(err)).toBe('CLIENT_STREAM_IDLE');
  });
});
