// An idle consumer group in a full event store gives up its oldest event on every append: the
// warning about it comes once per group per minute with a count, not once per append.
import { credentials, Metadata } from '@grpc/grpc-js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventServiceClient, StartPosition } from '../../gen/messenger/v1/events';
import { DEFAULT_CONFIG } from '../../src/config/gateway-config';
import { customerWebhookBody } from '../../src/sandbox/customer-webhook';
import { DroppedEventsLog } from '../../src/server/dropped-events-log';
import { signBody } from '../../src/webhook/verify-signature';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { waitFor } from '../support/wait-for';

const APP_SECRET = 'drops-app-secret-0123456789';
const MESSAGE = 'an idle consumer group gave up its oldest events';
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({
    extra: {
      webhook: { listen: '127.0.0.1:0', path: '/webhook', verifyToken: 'drops-verify-token', appSecret: APP_SECRET, maxBodyBytes: 1024 * 1024 },
      events: { ...DEFAULT_CONFIG.events, maxEvents: 10, groupIdleMs: 100 },
    },
  });
});
afterAll(() => gw?.close());

async function post(psid: string): Promise<number> {
  const body = customerWebhookBody({ pageId: '1001', psid, text: 'x' });
  const res = await request(gw.gateway.webhookUrl!, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(body, APP_SECRET) }, body });
  await res.body.text();
  return res.statusCode;
}

const dropLines = () => gw.logs.filter((l) => l.includes(MESSAGE)).map((l) => JSON.parse(l) as { group: string; dropped: number });

describe('idle-group drops in the log', () => {
  it('100 appends that each make an idle group drop an event give one warning with its count, then the rest summed', async () => {
    // A group that exists, then has no consumer.
    const client = new EventServiceClient(gw.target, credentials.createInsecure());
    const call = client.streamEvents(new Metadata());
    call.on('error', () => undefined);
    call.write({ subscribe: { consumerGroup: 'idle-drops', pageIds: [], maxOutstanding: 0, start: StartPosition.START_POSITION_LATEST, startTime: undefined }, ack: undefined, nack: undefined });
    await waitFor(() => gw.logs.some((l) => l.includes('event stream subscribed') && l.includes('idle-drops')), { what: 'the subscription', timeoutMs: 5_000 });
    call.cancel();
    client.close();

    // Fill the store until the idle group gives up its first event (refused appends are retried by Meta).
    let n = 0;
    await waitFor(async () => {
      await post(`fill-${n++}`);
      return dropLines().length > 0;
    }, { what: 'the first drop', timeoutMs: 10_000 });
    const first = dropLines();
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ group: 'idle-drops' });

    for (let i = 0; i < 100; i++) expect(await post(`drop-${i}`)).toBe(200);
    // Before the minute is up: still the one line.
    expect(dropLines()).toHaveLength(1);
    await gw.close();
    const lines = dropLines();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ group: 'idle-drops', dropped: 100 });
  });
});

describe('DroppedEventsLog', () => {
  it('logs a group at once, then at most once per period with the sum; a quiet period makes the next drop news again', async () => {
    const lines: Array<[string, number]> = [];
    const log = new DroppedEventsLog((group, n) => lines.push([group, n]), 200);
    log.add('a', 1);
    log.add('a', 2);
    log.add('b', 5);
    log.add('a', 3);
    expect(lines).toEqual([['a', 1], ['b', 5]]);
    await waitFor(() => lines.length === 3, { what: 'the end of the period', timeoutMs: 5_000 });
    expect(lines[2]).toEqual(['a', 5]);
    // b had nothing more, and a has nothing in its second period: both are forgotten.
    await waitFor(() => log.size === 0, { what: 'both groups forgotten after a quiet period', timeoutMs: 5_000 });
    log.add('a', 7);
    expect(lines.at(-1)).toEqual(['a', 7]);
    log.close();
  });
});
