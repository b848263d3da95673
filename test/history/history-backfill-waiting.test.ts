// Many backfills queued at once wait for the Page's 2 calls/s: one that waits longer than
// STALE_BACKFILL_MS for the budget is alive, not dead. Two replicas on one Redis: the one that
// queued them runs them; the other must not "resume" a backfill that is only waiting, which would
// run it twice (each conversation read twice, out of the same 2/s).

import { describe, expect, it } from 'vitest';
import { BackfillState } from '../../gen/messenger/v1/history';
import { STALE_BACKFILL_MS } from '../../src/service/backfill-runner';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { redisServerAvailable } from '../support/redis-server';
import { waitFor } from '../support/wait-for';
import { pageOnRedis, useRedisAndSandbox } from './history-on-redis';
import { historyClient } from './history-client';

const PAGE = '1003';
const TOKEN = 'history-waiting-token';
// The shared-backfill test's own Page: the first test's gateways spent Page 1003's second at the fake Graph.
const PAGE2 = '1004';
const TOKEN2 = 'history-shared-token';

describe.skipIf(!redisServerAvailable())('backfills waiting for the budget, two replicas', () => {
  const env = useRedisAndSandbox({ [PAGE]: TOKEN, [PAGE2]: TOKEN2 });

  it('a backfill waiting past STALE_BACKFILL_MS for the budget is not run again by the other replica: two Graph calls per conversation', async () => {
    // 2 calls each (the conversation's id, one page of messages) at 2 calls/s: the last ones wait
    // well past STALE_BACKFILL_MS, while the other replica looks for stale backfills.
    const people = Array.from({ length: Math.ceil((STALE_BACKFILL_MS / 1000) * 2.5) }, (_, i) => String(8300001 + i));
    for (const p of people) env.sandbox.history.seed(PAGE, p, 3);
    const opts = { ...pageOnRedis(env, PAGE, TOKEN, 'waiting:') };
    const gws: TestGateway[] = [await startTestGateway(opts), await startTestGateway(opts)];
    const c = historyClient(gws[0]!.target);
    try {
      const ids = await Promise.all(people.map(async (personId) => (await c.backfillConversation({ pageId: PAGE, personId })).backfillId));
      const ended = await waitFor(async () => {
        const all = await Promise.all(ids.map(async (backfillId) => c.backfillStatus({ pageId: PAGE, backfillId })));
        return all.every((s) => s.state !== BackfillState.BACKFILL_STATE_RUNNING) ? all : undefined;
      }, { what: 'every backfill ended', timeoutMs: 90_000, intervalMs: 500 });
      expect(ended.filter((s) => s.state !== BackfillState.BACKFILL_STATE_DONE).map((s) => s.error)).toEqual([]);
      expect(env.sandbox.history.calls.get(PAGE)?.length).toBe(people.length * 2);
    } finally {
      c.close();
      for (const g of gws) await g.close();
    }
  }, 120_000);

  it('200 identical BackfillConversation calls at once share the running backfill (its id, its reads); an earlier since is a backfill of its own', async () => {
    const person = '8400001';
    // 6 calls (the conversation's id, 5 pages of 100): at 2 a second the first backfill runs for
    // seconds, while the 200 calls are answered in well under one; one finished before a call
    // is queued lets that call start another, which is right, hence "a few" below.
    env.sandbox.history.seed(PAGE2, person, 500);
    const before = env.sandbox.history.calls.get(PAGE2)?.length ?? 0;
    const gw = await startTestGateway({ ...pageOnRedis(env, PAGE2, TOKEN2, 'flood:') });
    const c = historyClient(gw.target);
    try {
      const since = new Date(Date.now() - 30 * 86_400_000); // before the 500 seeded messages (a minute apart)
      const ids = await Promise.all(Array.from({ length: 200 }, async () => (await c.backfillConversation({ pageId: PAGE2, personId: person, since })).backfillId));
      const distinct = new Set(ids);
      expect(distinct.size).toBeLessThanOrEqual(3);
      const ended = async (backfillId: string): Promise<void> => {
        const end = await waitFor(async () => {
          const st = await c.backfillStatus({ pageId: PAGE2, backfillId });
          return st.state !== BackfillState.BACKFILL_STATE_RUNNING ? st : undefined;
        }, { what: 'the backfill ended', timeoutMs: 60_000, intervalMs: 200 });
        expect(end.error).toBe('');
        expect(end.state).toBe(BackfillState.BACKFILL_STATE_DONE);
      };
      const older = (await c.backfillConversation({ pageId: PAGE2, personId: person, since: new Date(since.getTime() - 1000) })).backfillId;
      expect(distinct.has(older)).toBe(false);
      for (const backfillId of [...distinct, older]) await ended(backfillId);
      expect((env.sandbox.history.calls.get(PAGE2)?.length ?? 0) - before).toBe(6 * (distinct.size + 1));
    } finally {
      c.close();
      await gw.close();
    }
  }, 120_000);
});
