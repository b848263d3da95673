import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { connect, type Socket } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventServiceClient, StartPosition, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { customerWebhookBody, escapeNonAscii } from '../../src/sandbox/customer-webhook';
import { signBody } from '../../src/webhook/verify-signature';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { waitFor } from '../support/wait-for';

// Real HTTP requests to the gateway's webhook listener, signed for real, and a real gRPC
// consumer on StreamEvents: the receiving loop from Meta's POST to the consumer's ack.
const APP_SECRET = 'test-app-secret-0123456789';
const VERIFY_TOKEN = 'test-verify-token-abcdef';

let gw: TestGateway;
let events: EventServiceClient;
beforeAll(async () => {
  gw = await startTestGateway({
    // 64 bodies from one address, as the bound test below sends them (the default per-source
    // bound is 8; test/receiving/webhook-listener-bounds.test.ts tests that one).
    extra: { webhook: { listen: '127.0.0.1:0', path: '/webhook', verifyToken: VERIFY_TOKEN, appSecret: APP_SECRET, maxBodyBytes: 1024 * 1024, maxBodiesPerSource: 64 } },
  });
  events = new EventServiceClient(gw.target, credentials.createInsecure());
});
afterAll(async () => {
  events.close();
  await gw.close();
});

async function post(body: Buffer, headers: Record<string, string> = { 'x-hub-signature-256': signBody(body, APP_SECRET) }) {
  const res = await request(gw.gateway.webhookUrl!, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.statusCode, text: await res.body.text() };
}

/** A consumer of `group` that collects what it is given (and acks it unless told not to). */
function consume(group: string, opts: { ack?: boolean; start?: StartPosition } = {}) {
  const got: StreamEventsResponse[] = [];
  const call = events.streamEvents(new Metadata());
  call.on('data', (r: StreamEventsResponse) => {
    got.push(r);
    if (opts.ack !== false) call.write({ subscribe: undefined, ack: { eventIds: [r.event!.eventId] }, nack: undefined });
  });
  const ended = new Promise<ServiceError | undefined>((resolve) => {
    call.on('error', (e: ServiceError) => resolve(e));
    call.on('end', () => resolve(undefined));
  });
  // The gateway answers the stream's headers once the subscription is live.
  const live = new Promise<void>((resolve) => call.on('metadata', () => resolve()));
  call.write({ subscribe: { consumerGroup: group, pageIds: [], maxOutstanding: 0, start: opts.start ?? StartPosition.START_POSITION_EARLIEST, startTime: undefined }, ack: undefined, nack: undefined });
  const until = async (n: number, ms = 5_000) => {
    await waitFor(() => got.length >= n, { what: `${n} events in group ${group}`, timeoutMs: ms });
    return got;
  };
  return { got, call, ended, live, until };
}

const textOf = (r: StreamEventsResponse) => (r.event?.kind?.$case === 'message' ? r.event.kind.value.text : '');
const isMark = (r: StreamEventsResponse) => textOf(r).startsWith('mark ');

/**
 * "Nothing more arrives": posts a mark from `psid` (last in that conversation, so behind
 * anything stored for it before) and waits until the consumer had it.
 */
async function markReached(c: { got: StreamEventsResponse[] }, psid: string): Promise<void> {
  const text = `mark ${Math.random()}`;
  expect((await post(customerWebhookBody({ pageId: '1001', psid, text }))).status).toBe(200);
  await waitFor(() => c.got.some((r) => r.event?.senderId === psid && textOf(r) === text), { what: `the mark from ${psid}` });
}

describe('webhook verification (GET)', () => {
  it('answers the challenge for the right verify token, 403 otherwise', async () => {
    const url = (mode: string, token: string, challenge = '1158201444') =>
      `${gw.gateway.webhookUrl}?hub.mode=${mode}&hub.verify_token=${encodeURIComponent(token)}&hub.challenge=${challenge}`;
    const ok = await request(url('subscribe', VERIFY_TOKEN));
    expect(ok.statusCode).toBe(200);
    expect(await ok.body.text()).toBe('1158201444');
    for (const [mode, token] of [['subscribe', 'wrong-token'], ['unsubscribe', VERIFY_TOKEN], ['subscribe', '']]) {
      const res = await request(url(mode, token));
      expect(res.statusCode).toBe(403);
      expect(await res.body.text()).not.toContain('1158201444');
    }
  });
});

describe('webhook POST signatures', () => {
  const body = customerWebhookBody({ pageId: '1001', psid: 'sig-1', text: 'héllo' });
  it.each([
    ['missing', {}],
    ['wrong', { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }],
    ['SHA1 only', { 'x-hub-signature': 'sha1=0123456789abcdef0123456789abcdef01234567' }],
    ['of another secret', { 'x-hub-signature-256': signBody(body, 'another-secret-xyz') }],
  ])('%s: 403, nothing stored', async (_name, headers) => {
    const c = consume(`sig-${Math.random()}`);
    expect((await post(body, headers as Record<string, string>)).status).toBe(403);
    await markReached(c, 'sig-1');
    expect(c.got.filter((r) => r.event?.senderId === 'sig-1' && !isMark(r))).toHaveLength(0);
    c.call.cancel();
  });

  it('a body altered after signing: 403', async () => {
    const signature = signBody(body, APP_SECRET);
    const altered = Buffer.from(body.toString('utf8').replace('sig-1', 'sig-2'));
    expect((await post(altered, { 'x-hub-signature-256': signature })).status).toBe(403);
  });

  it("escaped unicode as Meta sends it: the signature is over the bytes, raw_json keeps the escapes", async () => {
    const c = consume(`uni-${Math.random()}`);
    const text = 'Grüße 😀';
    const signed = customerWebhookBody({ pageId: '1001', psid: 'uni-1', text });
    expect(signed.toString('utf8')).toContain('\\u00fc');
    expect((await post(signed)).status).toBe(200);
    const [r] = (await c.until(1)).filter((x) => x.event?.senderId === 'uni-1');
    expect(r.event?.kind).toMatchObject({ $case: 'message', value: { text } });
    expect(r.event?.rawJson).toContain('\\u00fc');
    expect(escapeNonAscii(JSON.stringify(JSON.parse(r.event!.rawJson)))).toBe(r.event!.rawJson);
    c.call.cancel();
  });
});

describe('from the webhook to a consumer', () => {
  it('is answered 200 in well under 5 s with no consumer connected, and the event waits for the group', async () => {
    const group = `late-${Math.random()}`;
    const started = performance.now();
    expect((await post(customerWebhookBody({ pageId: '1001', psid: 'late-1', text: 'first' }))).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1_000);
    const c = consume(group);
    const got = (await c.until(1)).filter((r) => r.event?.senderId === 'late-1');
    expect(got).toHaveLength(1);
    expect(got[0].deliveryAttempt).toBe(1);
    expect(got[0].event?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    // The POST's log line leads to the same trace as the event (tracing off here, so from its traceparent).
    const [, traceId, spanId] = got[0].event!.traceparent.split('-');
    const line = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'webhook' && l.trace_id === traceId);
    expect(line).toMatchObject({ webhook: 'stored', span_id: spanId });
    c.call.cancel();
  });

  it("Meta's retry of the same POST is stored once", async () => {
    const c = consume(`dup-${Math.random()}`, { start: StartPosition.START_POSITION_LATEST });
    await c.live;
    const body = customerWebhookBody({ pageId: '1001', psid: 'dup-1', text: 'once' });
    for (let i = 0; i < 3; i++) expect((await post(body)).status).toBe(200);
    await markReached(c, 'dup-1');
    expect(c.got.filter((r) => r.event?.senderId === 'dup-1' && !isMark(r))).toHaveLength(1);
    c.call.cancel();
  });

  it('a batch of several entries and items gives every event, in order per conversation', async () => {
    const c = consume(`batch-${Math.random()}`, { start: StartPosition.START_POSITION_LATEST });
    await c.live;
    const item = (psid: string, n: number) => ({ sender: { id: psid }, recipient: { id: '1001' }, timestamp: 1_700_000_000_000 + n, message: { mid: `m_batch_${psid}_${n}`, text: `#${n}` } });
    const body = Buffer.from(JSON.stringify({
      object: 'page',
      entry: [
        { id: '1001', time: 1, messaging: [item('b-1', 1), item('b-2', 1), item('b-1', 2)] },
        { id: '1001', time: 2, messaging: [item('b-1', 3)], standby: [item('b-3', 1)] },
      ],
    }));
    expect((await post(body)).status).toBe(200);
    const got = (await c.until(5)).filter((r) => r.event?.senderId.startsWith('b-'));
    expect(got).toHaveLength(5);
    const texts = got.filter((r) => r.event?.senderId === 'b-1').map((r) => (r.event!.kind as { value: { text: string } }).value.text);
    expect(texts).toEqual(['#1', '#2', '#3']);
    expect(got.find((r) => r.event?.senderId === 'b-3')?.event?.standby).toBe(true);
    c.call.cancel();
  });
});

describe('bad bodies', () => {
  it.each([
    ['not JSON', Buffer.from('{"object": "page", "entry": [')],
    ['an unknown object', Buffer.from(JSON.stringify({ object: 'user', entry: [] }))],
  ])('%s: a clear 400, nothing stored, the listener keeps serving', async (_name, body) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.text.length).toBeGreaterThan(3);
    expect((await post(customerWebhookBody({ pageId: '1001', psid: 'after-bad', text: 'ok' }))).status).toBe(200);
  });

  it('a body over the bound (20 MB): 413, and the listener keeps serving', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024, 0x20);
    const res = await post(big, { 'x-hub-signature-256': signBody(big, APP_SECRET) });
    expect(res.status).toBe(413);
    expect((await post(customerWebhookBody({ pageId: '1001', psid: 'after-big', text: 'ok' }))).status).toBe(200);
  });
});

describe('the public listener holds nothing for unsigned senders without bound', () => {
  it('past 64 bodies being received at once, the next POST gets 503 at once; aborted bodies free their place', async () => {
    const { port } = new URL(gw.gateway.webhookUrl!);
    const sockets: Socket[] = [];
    for (let i = 0; i < 64; i++) {
      const sock = connect(Number(port), '127.0.0.1');
      await new Promise((r) => sock.once('connect', r));
      sock.write(`POST /webhook HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n${'x'.repeat(1000)}`);
      sockets.push(sock);
    }
    // The listener says nothing when it starts on a body: a probe answered 200 came before it
    // held all 64 (and stores an event nobody looks at); the first 503 is the one measured.
    const busy = await waitFor(
      async () => {
        const started = performance.now();
        const res = await post(customerWebhookBody({ pageId: '1001', psid: 'busy-1', text: 'x' }));
        return res.status === 200 ? undefined : { status: res.status, ms: performance.now() - started };
      },
      { what: 'the listener holding 64 bodies' },
    );
    expect(busy.status).toBe(503);
    expect(busy.ms).toBeLessThan(1_000);
    for (const sock of sockets) sock.destroy();
    // Aborts are logged once a minute with a count (a line each would let any client flood the
    // log), so their letting go is seen as the listener taking a POST again.
    let n = 0;
    await waitFor(async () => (await post(customerWebhookBody({ pageId: '1001', psid: `busy-wait-${++n}`, text: 'x' }))).status === 200, { what: 'the 64 aborted bodies let go' });
    expect((await post(customerWebhookBody({ pageId: '1001', psid: 'busy-2', text: 'x' }))).status).toBe(200);
    expect(gw.logs.some((l) => l.includes('"webhook":"aborted"'))).toBe(true);
  });

  it('a traceparent sent with the webhook is not trusted: each POST starts its own trace', async () => {
    const c = consume(`tp-${Math.random()}`, { start: StartPosition.START_POSITION_LATEST });
    await c.live;
    const body = customerWebhookBody({ pageId: '1001', psid: 'tp-1', text: 'x' });
    const forged = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect((await post(body, { 'x-hub-signature-256': signBody(body, APP_SECRET), traceparent: forged, tracestate: 'x=y' })).status).toBe(200);
    const [r] = (await c.until(1)).filter((x) => x.event?.senderId === 'tp-1');
    expect(r.event?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(r.event?.traceparent).not.toContain('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(r.event?.tracestate).toBe('');
    c.call.cancel();
  });
});

describe('StreamEvents contract from a client', () => {
  it('a first request without subscribe is INVALID_ARGUMENT', async () => {
    const call = events.streamEvents(new Metadata());
    const err = new Promise<ServiceError>((resolve) => call.on('error', resolve));
    call.on('data', () => undefined);
    call.write({ subscribe: undefined, ack: { eventIds: ['x'] }, nack: undefined });
    expect((await err).code).toBe(status.INVALID_ARGUMENT);
  });
});
