// A backfill does not store again what the gateway received live longer ago than the event
// store's dedup window (whose key for the message has expired): a sandbox-mode gateway on Redis,
// the conversation records aged (the Page received since 30 h ago), a live message dated 25 h
// ago (the sandbox's `ago`), and its dedup key expired as Redis expires it after the window.

import { credentials, Metadata } from '@grpc/grpc-js';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventServiceClient, StartPosition, type Event, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { BackfillState } from '../../gen/messenger/v1/history';
import { connectRedis } from '../../src/store/redis-connection';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../support/redis-server';
import { waitFor } from '../support/wait-for';
import { historyClient, midsOf } from './history-client';

const PAGE = '1001';
const PSID = '7300001';
const PREFIX = 'live:';
const HOUR = 3_600_000;

describe.skipIf(!redisServerAvailable())('a backfill and messages received live long ago', () => {
  let redis: RedisServer;
  let gw: TestGateway;
  beforeAll(async () => {
    redis = await startRedisServer();
    gw = await startTestGateway({
      pages: [{ id: PAGE, accessToken: 'page-token-live-1001', appsecretProof: 'classic' as const }],
      store: { redis: { url: redis.url, keyPrefix: PREFIX } },
      extra: { webhook: { listen: '127.0.0.1:0', path: '/webhook', verifyToken: 'v', appSecret: 'webhook-secret-live', maxBodyBytes: 1024 * 1024 } },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await redis?.stop();
  });

  it('skips a message received live 25 h ago (counted as a duplicate), stores one from before the Page was received and one inside the window', async () => {
    const r = await connectRedis(redis.url);
    const history = historyClient(gw.target);
    const events = new EventServiceClient(gw.target, credentials.createInsecure());
    const got: Event[] = [];
    const stream = events.streamEvents(new Metadata());
    stream.on('data', (res: StreamEventsResponse) => {
      if (!res.event) return;
      got.push(res.event);
      stream.write({ ack: { eventIds: [res.event.eventId] } });
    });
    stream.on('error', () => undefined);
    stream.write({ subscribe: { consumerGroup: 'received-live', pageIds: [PAGE], maxOutstanding: 0, start: StartPosition.START_POSITION_EARLIEST } });
    try {
      // The customer wrote 25 h ago and the gateway received it then (the webhook carries Meta's old time).
      const res = await request(`${gw.sandbox!.url}/_sandbox/customer/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId: PAGE, psid: PSID, text: 'hello, 25 h ago', ago: '25h' }) });
      const live = ((await res.body.json()) as { sent: { entry: Array<{ messaging: Array<{ message: { mid: string } }> }> } }).sent.entry[0]!.messaging[0]!.message.mid;
      await waitFor(() => got.find((e) => e.kind?.$case === 'message' && e.kind.value.mid === live), { what: 'the live message' });
      // Aged as a day later: the gateway has received the Page for 30 h, and the live copy's dedup key expired.
      const since = await waitFor(async () => await r.hget(`${PREFIX}{cv}:p:${PAGE}`, 'since'), { what: 'receiving_since of the Page' });
      expect(Number(since)).toBeGreaterThan(Date.now() - HOUR);
      await r.hset(`${PREFIX}{cv}:p:${PAGE}`, 'since', Date.now() - 30 * HOUR);
      const keys = await r.keys(`${PREFIX}*d:message:${live}`);
      expect(keys).toHaveLength(1);
      await r.del(keys[0]!);
      // Meta's history also has a message from before the gateway received the Page, and one from an hour ago it never delivered.
      const before = { mid: 'm_before_receiving_0001', fromPage: false, text: 'before the gateway', createdMs: Date.now() - 40 * HOUR };
      const recent = { mid: 'm_recent_not_delivered_0001', fromPage: true, text: 'an hour ago', createdMs: Date.now() - HOUR };
      gw.sandbox!.history.add(PAGE, PSID, before);
      gw.sandbox!.history.add(PAGE, PSID, recent);

      const { backfillId } = await history.backfillConversation({ pageId: PAGE, personId: PSID });
      const status = await waitFor(async () => {
        const s = await history.backfillStatus({ pageId: PAGE, backfillId });
        return s.state === BackfillState.BACKFILL_STATE_DONE ? s : undefined;
      }, { what: 'the backfill to finish', timeoutMs: 30_000 });
      expect(status).toMatchObject({ messagesStored: 2, messagesDuplicate: 1 });
      await waitFor(() => (got.length >= 5 ? true : undefined), { what: 'the two historical events and the markers' });
      expect(midsOf(got, PSID)).toEqual([live, '<started>', before.mid, recent.mid, '<ended>']);
      expect(got.map((e) => e.historical)).toEqual([false, false, true, true, false]);
    } finally {
      stream.end();
      events.close();
      history.close();
      r.disconnect();
    }
  }, 60_000);
});
