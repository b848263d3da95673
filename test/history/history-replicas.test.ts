// The Conversations API budget and backfills with Redis: two replicas reading at once stay within
// Meta's 2 calls per second, measured at the fake Graph; a Page backfill whose gateway is killed
// (SIGKILL) mid-way is finished by the next gateway, every message once.

import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
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
import { historyClient, maxInWindow, midsOf } from './history-client';

const PAGE = '1001';
const TOKEN = 'history-replica-token';
// The resume test's own Page: a Page backfill walks every conversation of its Page.
const PAGE2 = '1002';
const TOKEN2 = 'history-resume-token';

describe.skipIf(!redisServerAvailable())('history with Redis', () => {
  const env = useRedisAndSandbox({ [PAGE]: TOKEN, [PAGE2]: TOKEN2 });

  it('two replicas paging at once make at most 2 calls per second to the fake Graph; a read the budget refuses says when to retry', async () => {
    env.sandbox.history.seed(PAGE, '8000001', 500);
    env.sandbox.history.seed(PAGE, '8000002', 500);
    const opts = { ...pageOnRedis(env, PAGE, TOKEN, 'mgw:') };
    const gws: TestGateway[] = [await startTestGateway(opts), await startTestGateway(opts)];
    try {
      const readAll = async (target: string, psid: string): Promise<number> => {
        const c = historyClient(target);
        let n = 0;
        let pageToken = '';
        try {
          do {
            let page;
            try {
              page = await c.listMessages({ pageId: PAGE, personId: psid, pageSize: 100, pageToken });
            } catch (err) {
              // Two readers of one Page share 2 calls a second: one may wait past the read's 2 s.
              const e = err as ServiceError;
              expect(e.code).toBe(status.RESOURCE_EXHAUSTED);
              expect(decodeStatusDetails(e.metadata).retryInfo?.retryDelay).toBeDefined();
              refused++;
              continue;
            }
            n += page.messages.length;
            pageToken = page.nextPageToken;
          } while (pageToken);
        } finally {
          c.close();
        }
        return n;
      };
      let refused = 0;
      const counts = await Promise.all([readAll(gws[0]!.target, '8000001'), readAll(gws[1]!.target, '8000002')]);
      expect(counts).toEqual([500, 500]);
      const calls = env.sandbox.history.calls.get(PAGE) ?? [];
      // 2 x (the conversation's id + 5 pages); a refused read made no call.
      expect(calls.length).toBe(12);
      expect(refused).toBeLessThan(12);
      expect(maxInWindow(calls, 1000)).toBeLessThanOrEqual(2);
    } finally {
      for (const g of gws) await g.close();
    }
  }, 60_000);

  it('a Page backfill killed mid-way (SIGKILL) is finished by the next gateway: every message once, oldest first per conversation', async () => {
    const people = ['8100001', '8100002', '8100003'];
    for (const p of people) env.sandbox.history.seed(PAGE2, p, 250);
    const dir = mkdtempSync(join(tmpdir(), 'history-resume-'));
    const config = join(dir, 'gateway.json');
    writeFileSync(config, JSON.stringify({ graph: { baseUrl: env.sandbox.url }, store: { redis: { url: env.redis.url(), keyPrefix: 'resume:' } }, log: { level: 'info' }, pages: [{ id: PAGE2, accessToken: TOKEN2 }] }));
    let first: GatewayProcess | undefined = await spawnGateway(['--config', config]);
    let second: GatewayProcess | undefined;
    try {
      const c1 = historyClient(first.target);
      const { backfillId } = await c1.backfillPage({ pageId: PAGE2 });
      await waitFor(async () => ((await c1.backfillStatus({ pageId: PAGE2, backfillId })).conversationsDone >= 1 ? true : undefined), { what: 'one conversation backfilled', timeoutMs: 30_000 });
      c1.close();
      first.child.kill('SIGKILL');
      await first.exited;
      first = undefined;

      second = await spawnGateway(['--config', config]);
      const c2 = historyClient(second.target);
      const done = await waitFor(async () => {
        const s = await c2.backfillStatus({ pageId: PAGE2, backfillId });
        return s.state === BackfillState.BACKFILL_STATE_DONE ? s : undefined;
      }, { what: 'the backfill to be resumed and finished', timeoutMs: 45_000, intervalMs: 200 });
      c2.close();
      expect(done.messagesStored).toBe(750);

      const events = new EventServiceClient(second.target, credentials.createInsecure());
      const got: Event[] = [];
      const stream = events.streamEvents(new Metadata());
      stream.on('data', (r: StreamEventsResponse) => {
        if (!r.event) return;
        got.push(r.event);
        stream.write({ ack: { eventIds: [r.event.eventId] } });
      });
      stream.on('error', () => undefined);
      stream.write({ subscribe: { consumerGroup: 'resume-check', pageIds: [PAGE2], maxOutstanding: 0, start: StartPosition.START_POSITION_EARLIEST } });
      // 750 messages, each conversation's history between its backfill's start and end markers.
      await waitFor(() => (got.length >= 756 ? true : undefined), { what: 'every historical event', timeoutMs: 20_000 });
      stream.end();
      events.close();
      for (const p of people) {
        expect(midsOf(got, p)).toEqual(['<started>', ...env.sandbox.history.messagesOf(PAGE2, p).map((m) => m.mid), '<ended>']);
      }
      expect(got.filter((e) => e.kind?.$case === 'message').every((e) => e.historical)).toBe(true);
      expect(maxInWindow(env.sandbox.history.calls.get(PAGE2) ?? [], 1000)).toBeLessThanOrEqual(2);
    } finally {
      await killGateway(first);
      await killGateway(second);
    }
  }, 120_000);
});
