// A backfilled conversation's live events wait in the Redis event store (its hold list), not in a
// gateway's memory: a live message that reaches another replica during the backfill comes after
// the history, and one held when the gateway is killed (SIGKILL) is delivered once a gateway
// resumes the backfill. Real gateways, the sandbox's fake Graph, one real redis-server.

import { credentials, Metadata } from '@grpc/grpc-js';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventServiceClient, StartPosition, type Event, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { BackfillState } from '../../gen/messenger/v1/history';
import { killGateway, spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { redisServerAvailable } from '../support/redis-server';
import { waitFor } from '../support/wait-for';
import { pageOnRedis, useRedisAndSandbox } from './history-on-redis';
import { historyClient, midsOf } from './history-client';
import { Platform } from '../../gen/messenger/v1/events';
import { DEFAULT_CONFIG } from '../../src/config/gateway-config';
import { conversationKey } from '../../src/events/conversation-key';
import { MAX_HELD_PER_CONVERSATION } from '../../src/events/event-store';
import { RedisEventStore } from '../../src/events/redis-event-store';
import { closeRedis, connectRedis } from '../../src/store/redis-connection';
import { newEvent } from '../events/event-fixtures';

const PAGE = '1001';
const TOKEN = 'history-hold-token';
const SECRET = 'history-hold-webhook-secret';

/** Posts one customer message to a gateway's webhook as Meta would (signed); resolves the HTTP status. */
async function customerWrote(webhookUrl: string, psid: string, mid: string): Promise<number> {
  const raw = Buffer.from(JSON.stringify({ object: 'page', entry: [{ id: PAGE, time: Date.now(), messaging: [{ sender: { id: psid }, recipient: { id: PAGE }, timestamp: Date.now(), message: { mid, text: `live ${mid}` } }] }] }));
  const res = await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}` }, body: raw });
  await res.text();
  return res.status;
}

/** Every event of the Page from the start, acked as it comes. */
function consume(target: string, group: string): { got: Event[]; close(): void } {
  const client = new EventServiceClient(target, credentials.createInsecure());
  const got: Event[] = [];
  const stream = client.streamEvents(new Metadata());
  stream.on('data', (r: StreamEventsResponse) => {
    if (!r.event) return;
    got.push(r.event);
    stream.write({ ack: { eventIds: [r.event.eventId] } });
  });
  stream.on('error', () => undefined);
  stream.write({ subscribe: { consumerGroup: group, pageIds: [PAGE], maxOutstanding: 0, start: StartPosition.START_POSITION_EARLIEST } });
  return {
    got,
    close: () => {
      stream.end();
      client.close();
    },
  };
}

describe.skipIf(!redisServerAvailable())('a backfill holds live events in the Redis store', () => {
  const env = useRedisAndSandbox({ [PAGE]: TOKEN });

  it('a live message reaching replica B while replica A backfills its conversation is delivered after the history, each once', async () => {
    const psid = '8300001';
    env.sandbox.history.seed(PAGE, psid, 450);
    const seeded = env.sandbox.history.messagesOf(PAGE, psid).map((m) => m.mid);
    const webhook = { listen: '127.0.0.1:0', path: '/webhook', verifyToken: 'v', appSecret: SECRET, maxBodyBytes: 1024 * 1024 };
    const opts = { ...pageOnRedis(env, PAGE, TOKEN, 'hold2:'), extra: { webhook } };
    const a: TestGateway = await startTestGateway(opts);
    const b: TestGateway = await startTestGateway(opts);
    const consumer = consume(b.target, 'hold-replicas');
    const history = historyClient(a.target);
    try {
      const { backfillId } = await history.backfillConversation({ pageId: PAGE, personId: psid });
      // Through the other replica, as soon as the backfill is queued (its history takes ~3 s of Graph budget).
      expect(await customerWrote(b.gateway.webhookUrl!, psid, 'm_live_replica_b')).toBe(200);
      await waitFor(async () => ((await history.backfillStatus({ pageId: PAGE, backfillId })).state === BackfillState.BACKFILL_STATE_DONE ? true : undefined), { what: 'the backfill to finish', timeoutMs: 30_000 });
      await waitFor(() => (midsOf(consumer.got, psid).length >= 453 ? true : undefined), { what: 'the history and the live message', timeoutMs: 20_000 });
      // The markers frame the history: a consumer knows where it ends and the live messages begin.
      expect(midsOf(consumer.got, psid)).toEqual(['<started>', ...seeded, '<ended>', 'm_live_replica_b']);
      const mine = consumer.got.filter((e) => e.senderId === psid || e.recipientId === psid);
      expect(mine.slice(1, 451).every((e) => e.historical)).toBe(true);
      expect(mine[451]!.kind).toEqual({ $case: 'backfillEnded', value: { backfillId, messagesStored: 450, messagesDuplicate: 0, error: '' } });
      expect(mine[452]!.historical).toBe(false);
    } finally {
      consumer.close();
      history.close();
      await a.close();
      await b.close();
    }
  }, 90_000);

  it(`the webhook answers 503 for a held conversation whose hold list is full (${MAX_HELD_PER_CONVERSATION}), 200 for others, and 200 again once it is released`, async () => {
    const psid = '8300003';
    const webhook = { listen: '127.0.0.1:0', path: '/webhook', verifyToken: 'v', appSecret: SECRET, maxBodyBytes: 1024 * 1024 };
    const gw = await startTestGateway({ ...pageOnRedis(env, PAGE, TOKEN, 'holdfull:'), extra: { webhook } });
    // The gateway's own event store, as another replica sees it (its keys under `<keyPrefix>ev:`).
    const connection = await connectRedis(env.redis.url());
    const store = await RedisEventStore.open(connection, { ...DEFAULT_CONFIG.events, keyPrefix: 'holdfull:ev:' });
    try {
      const conversation = conversationKey(Platform.PLATFORM_MESSENGER, PAGE, psid);
      await store.hold(conversation, 'bf_test', 600_000);
      const many = Array.from({ length: MAX_HELD_PER_CONVERSATION }, (_, i) => newEvent(PAGE, psid, { id: `m_full_${i}` }));
      expect((await store.append(many)).stored).toBe(MAX_HELD_PER_CONVERSATION);
      expect(await customerWrote(gw.gateway.webhookUrl!, psid, 'm_over_the_bound')).toBe(503);
      expect(await customerWrote(gw.gateway.webhookUrl!, '8300004', 'm_other_conversation')).toBe(200);
      await store.release(conversation, 'bf_test');
      // Meta's retry of the refused body.
      expect(await customerWrote(gw.gateway.webhookUrl!, psid, 'm_over_the_bound')).toBe(200);
    } finally {
      await store.close();
      await closeRedis(connection);
      await gw.close();
    }
  }, 60_000);

  it('live events held when the gateway is killed (SIGKILL) mid-backfill are delivered after the history, once each, when a gateway resumes it', async () => {
    const psid = '8300002';
    // 20 Graph pages at 2 calls a second: the gateway is killed long before the history is in.
    env.sandbox.history.seed(PAGE, psid, 2000);
    const seeded = env.sandbox.history.messagesOf(PAGE, psid).map((m) => m.mid);
    const dir = mkdtempSync(join(tmpdir(), 'history-hold-'));
    const config = join(dir, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        graph: { baseUrl: env.sandbox.url },
        store: { redis: { url: env.redis.url(), keyPrefix: 'holdkill:' } },
        log: { level: 'info' },
        pages: [{ id: PAGE, accessToken: TOKEN }],
        webhook: { listen: '127.0.0.1:0', path: '/webhook', verifyToken: 'verify-token-hold', appSecret: SECRET },
      }),
    );
    let first: GatewayProcess | undefined = await spawnGateway(['--config', config]);
    let second: GatewayProcess | undefined;
    try {
      // The ready line says where the webhook listener is.
      const webhookUrl = (JSON.parse(first.stdout.find((l) => l.includes('"gateway ready"'))!) as { webhook: string }).webhook;
      const c1 = historyClient(first.target);
      const { backfillId } = await c1.backfillConversation({ pageId: PAGE, personId: psid });
      const live = ['m_live_kill_1', 'm_live_kill_2', 'm_live_kill_3'];
      for (const mid of live) expect(await customerWrote(webhookUrl, psid, mid)).toBe(200);
      // Answered 200 while the backfill is still reading Graph: held, then the gateway dies.
      expect((await c1.backfillStatus({ pageId: PAGE, backfillId })).state).toBe(BackfillState.BACKFILL_STATE_RUNNING);
      c1.close();
      first.child.kill('SIGKILL');
      await first.exited;
      first = undefined;

      second = await spawnGateway(['--config', config]);
      const c2 = historyClient(second.target);
      await waitFor(async () => ((await c2.backfillStatus({ pageId: PAGE, backfillId })).state === BackfillState.BACKFILL_STATE_DONE ? true : undefined), {
        what: 'the backfill to be resumed and finished',
        timeoutMs: 60_000,
        intervalMs: 200,
      });
      c2.close();
      const consumer = consume(second.target, 'hold-kill');
      try {
        await waitFor(() => (midsOf(consumer.got, psid).length >= 2005 ? true : undefined), { what: 'the history and the held live messages', timeoutMs: 30_000 });
        // The resumed run's start marker is a duplicate of the killed run's.
        expect(midsOf(consumer.got, psid)).toEqual(['<started>', ...seeded, '<ended>', ...live]);
      } finally {
        consumer.close();
      }
    } finally {
      await killGateway(first);
      await killGateway(second);
    }
  }, 150_000);
});
