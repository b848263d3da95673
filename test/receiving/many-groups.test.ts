import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventServiceClient, StartPosition, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { DEFAULT_CONFIG } from '../../src/config/gateway-config';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { signBody } from '../../src/webhook/verify-signature';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { waitFor } from '../support/wait-for';

// The listener against the group bound: a gateway with events.maxGroups groups subscribed (each
// taking every Page) still answers Meta's largest batches in time, and a further group is refused.
const APP_SECRET = 'test-app-secret-0123456789';
const VERIFY_TOKEN = 'test-verify-token-abcdef';
const MAX_GROUPS = DEFAULT_CONFIG.events.maxGroups;

let gw: TestGateway;
let events: EventServiceClient;
const calls: Array<{ cancel(): void }> = [];
beforeAll(async () => {
  gw = await startTestGateway({
    extra: { webhook: { listen: '127.0.0.1:0', path: '/webhook', verifyToken: VERIFY_TOKEN, appSecret: APP_SECRET, maxBodyBytes: 16 * 1024 * 1024 } },
  });
  events = new EventServiceClient(gw.target, credentials.createInsecure());
});
afterAll(async () => {
  for (const c of calls) c.cancel();
  events.close();
  await gw.close();
});

/** Subscribes to `group`; resolves once live (headers), or with the stream's error. */
function subscribe(group: string): Promise<{ live: boolean; err?: ServiceError; got: StreamEventsResponse[] }> {
  const got: StreamEventsResponse[] = [];
  const call = events.streamEvents(new Metadata());
  calls.push(call);
  return new Promise((resolve) => {
    call.on('data', (r: StreamEventsResponse) => got.push(r));
    call.on('metadata', () => resolve({ live: true, got }));
    call.on('error', (err: ServiceError) => resolve({ live: false, err, got }));
    call.write({ subscribe: { consumerGroup: group, pageIds: [], maxOutstanding: 1, start: StartPosition.START_POSITION_LATEST, startTime: undefined }, ack: undefined, nack: undefined });
  });
}

function batchBody(items: number): Buffer {
  const now = Date.now();
  const messaging = Array.from({ length: items }, (_, i) => ({
    sender: { id: `psid-${i % 500}` },
    recipient: { id: '1001' },
    timestamp: now,
    message: { mid: `m_many_${now}_${i}`, text: `message ${i}` },
  }));
  return Buffer.from(JSON.stringify({ object: 'page', entry: [{ id: '1001', time: now, messaging }] }));
}

describe('the webhook listener with events.maxGroups consumer groups', () => {
  it(`refuses group ${MAX_GROUPS + 1} (TOO_MANY_CONSUMER_GROUPS) and answers a signed 10,000-item POST with 200 within 4 s, the loop still serving`, async () => {
    const subs: Array<Awaited<ReturnType<typeof subscribe>>> = [];
    for (let i = 0; i < MAX_GROUPS; i++) subs.push(await subscribe(`many-${i}`));
    expect(subs.every((s) => s.live)).toBe(true);
    const over = await subscribe('one-too-many');
    expect(over.live).toBe(false);
    expect(over.err?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(decodeStatusDetails(over.err!.metadata).errorInfo?.reason).toBe('TOO_MANY_CONSUMER_GROUPS');

    const body = batchBody(10_000);
    const started = Date.now();
    const posted = request(gw.gateway.webhookUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, APP_SECRET) },
      body,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const res = await posted;
    const answeredMs = Date.now() - started;
    expect(res.statusCode).toBe(200);
    await res.body.text();
    // While every group takes the batch, the listener keeps answering.
    const probeStarted = Date.now();
    const verify = await request(`${gw.gateway.webhookUrl}?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=42`);
    const probeMs = Date.now() - probeStarted;
    expect(await verify.body.text()).toBe('42');
    console.log(`10,000-item POST with ${MAX_GROUPS} groups answered in ${answeredMs} ms; a GET right after in ${probeMs} ms`);
    expect(answeredMs).toBeLessThan(4_000);
    expect(probeMs).toBeLessThan(1_000);
    // Every group gets the batch (each holds one event at a time: max_outstanding 1).
    await waitFor(() => subs.every((s) => s.got.length > 0), { what: `the batch in all ${MAX_GROUPS} groups`, timeoutMs: 20_000, intervalMs: 50 }).catch(() => undefined); // the expect below counts the groups without it
    expect(subs.filter((s) => s.got.length > 0)).toHaveLength(MAX_GROUPS);
  }, 60_000);
});
