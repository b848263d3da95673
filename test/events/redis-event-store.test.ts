import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReplicaWait } from '../../src/store/replica-wait';
import { connectRedis } from '../../src/store/redis-connection';
import { EventStoreFullError, type Consumer } from '../../src/events/event-store';
import { StoreUnavailableError } from '../../src/store/store-unavailable-error';
import { partitionOf, RedisEventStore } from '../../src/events/redis-event-store';
import { redisServerAvailable, startRedisServer, useRedisServer, type RedisServer } from '../support/redis-server';
import { timePasses } from '../support/time-passes';
import { waitFor } from '../support/wait-for';
import { Inbox, newEvent, uniqueName } from './event-fixtures';
import { eventStoreSuite, OPTIONS } from './event-store-suite';

const available = redisServerAvailable();

describe.skipIf(!available)('RedisEventStore', () => {
  const redisServer = useRedisServer();

  // Each store of the suite gets a key space of its own on the shared server.
  eventStoreSuite('redis', async (options) => RedisEventStore.open(await redisServer.connection(), { ...options, keyPrefix: `${uniqueName('suite')}:` }));

  describe('Redis specifics', () => {
    const stores: RedisEventStore[] = [];
    const consumers: Consumer[] = [];
    const open = async (prefix: string, opts: Partial<typeof OPTIONS> & { partitions?: number } = {}) => {
      const s = await RedisEventStore.open(await redisServer.connection(), { ...OPTIONS, keyPrefix: prefix, ...opts });
      stores.push(s);
      return s;
    };
    afterEach(async () => {
      await Promise.all(consumers.splice(0).map((c) => c.close().catch(() => undefined)));
      await Promise.all(stores.splice(0).map((s) => s.close()));
    });

    it('two stores on one prefix (two replicas) store a retried webhook once, however they race', async () => {
      const prefix = `${uniqueName('race')}:`;
      const [a, b] = [await open(prefix), await open(prefix)];
      const page = uniqueName('p');
      const events = Array.from({ length: 20 }, (_, i) => newEvent(page, `u${i}`));
      const results = await Promise.all([a.append(events), b.append(events.map((e) => ({ ...e }))), a.append(events.slice(5))]);
      expect(results.reduce((n, r) => n + r.stored, 0)).toBe(20);
      expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(20 + 15);
    });

    it('an event appended through one replica reaches a consumer of another', async () => {
      const prefix = `${uniqueName('cross')}:`;
      const [a, b] = [await open(prefix), await open(prefix)];
      const inbox = new Inbox();
      consumers.push(await b.consume({ group: 'g', pageIds: undefined, maxOutstanding: 10, start: { kind: 'latest' } }, inbox.push, () => {}));
      const e = newEvent(uniqueName('p'), 'u');
      await a.append([e]);
      expect((await inbox.next()).event.eventId).toBe(e.event.eventId);
    });

    it('a replica that leaves hands its partitions and unacked events to the other, attempts counted on', async () => {
      const prefix = `${uniqueName('handover')}:`;
      const [a, b] = [await open(prefix, { ackDeadlineMs: 30_000 }), await open(prefix, { ackDeadlineMs: 30_000 })];
      const group = uniqueName('g');
      const inA = new Inbox();
      const inB = new Inbox();
      const ca = await a.consume({ group, pageIds: undefined, maxOutstanding: 100, start: { kind: 'latest' } }, inA.push, () => {});
      consumers.push(await b.consume({ group, pageIds: undefined, maxOutstanding: 100, start: { kind: 'latest' } }, inB.push, () => {}));
      const page = uniqueName('p');
      const x = [newEvent(page, 'x'), newEvent(page, 'x'), newEvent(page, 'x')];
      await a.append(x);
      // One replica leases the conversation's partition; whichever it is, it leaves.
      const first = await Promise.race([inA.next(5_000).then((d) => ({ d, holder: 'a' as const })), inB.next(5_000).then((d) => ({ d, holder: 'b' as const }))]);
      expect(first.d.event.eventId).toBe(x[0].event.eventId);
      const [leaving, staying, stayInbox] = first.holder === 'a' ? [a, b, inB] : [b, a, inA];
      if (first.holder === 'a') await ca.close();
      else await consumers.pop()!.close();
      void staying;
      await leaving.close();
      const again = await stayInbox.next(8_000);
      expect(again.event.eventId).toBe(x[0].event.eventId);
      expect(again.attempt).toBe(2);
    });

    it('refuses a batch that would trim away events a group has not acked; trims acked ones', async () => {
      const s = await open(`${uniqueName('full')}:`, { maxEvents: 3, partitions: 1 });
      const inbox = new Inbox();
      const c = await s.consume({ group: 'g', pageIds: undefined, maxOutstanding: 10, start: { kind: 'latest' } }, inbox.push, () => {});
      consumers.push(c);
      await s.append([1, 2, 3].map((i) => newEvent('p', `u${i}`)));
      const batch = [newEvent('p', 'u4')];
      await expect(s.append(batch)).rejects.toBeInstanceOf(EventStoreFullError);
      const got = await inbox.take(3);
      await c.ack([got[0].event.eventId]);
      expect(await s.append(batch)).toEqual({ stored: 1, duplicates: 0 });
      await expect(s.append([newEvent('p', 'u5')])).rejects.toBeInstanceOf(EventStoreFullError);
      expect(await s.redis.xlen(s.stream(0))).toBe(3);
    });

    it('reports the events an idle group gave up (onDropped), per group', async () => {
      const dropped: Array<[string, number]> = [];
      const s = await RedisEventStore.open(await redisServer.connection(), { ...OPTIONS, keyPrefix: `${uniqueName('dropped')}:`, maxEvents: 3, groupIdleMs: 50 }, { onDropped: (g, n) => dropped.push([g, n]) });
      stores.push(s);
      const c = await s.consume({ group: 'idle', pageIds: undefined, maxOutstanding: 1, start: { kind: 'latest' } }, () => {}, () => {});
      await c.close();
      await s.append([1, 2, 3].map((i) => newEvent('p', `u${i}`)));
      await timePasses(100); // groupIdleMs running out is what is tested
      expect((await s.append([newEvent('p', 'u4'), newEvent('p', 'u5')])).stored).toBe(2);
      expect(dropped).toEqual([['idle', 2]]);
    });

    it('a batch over several partitions is refused whole when one part fails; the retry stores only what was not stored', async () => {
      const s = await open(`${uniqueName('partial')}:`);
      const page = uniqueName('p');
      const batch = Array.from({ length: 40 }, (_, i) => newEvent(page, `u${i}`));
      const parts = new Set(batch.map((e) => partitionOf(e.conversation, 16)));
      expect(parts.size).toBeGreaterThan(2);
      // One partition's stream made unusable (a key of another type): its part fails, the others are stored.
      const broken = partitionOf(batch[0].conversation, 16);
      await s.redis.set(s.stream(broken), 'not a stream');
      await expect(s.append(batch)).rejects.toBeInstanceOf(StoreUnavailableError);
      await s.redis.del(s.stream(broken));
      const inBroken = batch.filter((e) => partitionOf(e.conversation, 16) === broken).length;
      // Meta's retry of the same batch: the failed part is stored, the rest were already.
      expect(await s.append(batch)).toEqual({ stored: inBroken, duplicates: 40 - inBroken });
    });

    it('a partition nobody appends to is trimmed to the retention all the same (by the sweep)', async () => {
      const s = await open(`${uniqueName('trim')}:`, { retentionMs: 300, neverAckedGroupMs: 300, dedupWindowMs: 300 });
      const e = newEvent(uniqueName('p'), 'u');
      await s.append([e]);
      const p = partitionOf(e.conversation, 16);
      expect(await s.redis.xlen(s.stream(p))).toBe(1);
      await waitFor(async () => (await s.redis.xlen(s.stream(p))) === 0, { what: 'the expired event trimmed away', timeoutMs: 5_000, intervalMs: 50 });
    });

    it('hashes conversations onto partitions stably', () => {

      const seen = new Set<number>();
      for (let i = 0; i < 200; i++) seen.add(partitionOf(`page\u0000user${i}`, 16));
      expect(seen.size).toBe(16);
      expect(partitionOf('page\u0000user1', 16)).toBe(partitionOf('page\u0000user1', 16));
    });
  });
});

describe.skipIf(!available)('RedisEventStore when Redis goes away', () => {
  it('append fails fast with StoreUnavailableError and consumers get onError', async () => {
    const server = await startRedisServer();
    const redis = await connectRedis(server.url);
    const s = await RedisEventStore.open(redis, { ...OPTIONS, keyPrefix: 'down:' });
    const errors: Error[] = [];
    await s.consume({ group: 'g', pageIds: undefined, maxOutstanding: 1, start: { kind: 'latest' } }, () => {}, (e) => errors.push(e));
    await server.stop();
    const started = Date.now();
    await expect(s.append([newEvent('p', 'u')])).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(3_000);
    await waitFor(() => errors.length > 0, { what: 'the consumer told the store is unavailable', timeoutMs: 6_000, intervalMs: 100 });
    expect(errors[0]).toBeInstanceOf(StoreUnavailableError);
    await s.close();
    redis.disconnect();
  });
});

describe.skipIf(!available)('RedisEventStore with store.redis.minReplicas 1 (a primary and a replica)', () => {
  let primary: RedisServer | undefined;
  let replica: RedisServer | undefined;
  const waits: ReplicaWait[] = [];
  const connections: Redis[] = [];
  const connection = async () => {
    const c = await connectRedis(primary!.url);
    connections.push(c);
    return c;
  };
  beforeAll(async () => {
    primary = await startRedisServer();
    replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
    const r = await connection();
    await waitFor(async () => /slave0:.*state=online/.test(await r.info('replication')), { what: 'the replica online', timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await Promise.all(waits.map((w) => w.close()));
    for (const c of connections) c.disconnect();
    await replica?.stop();
    await primary?.stop();
  });

  // Every append of the contract goes through WAIT 1 (the parts of a batch sharing one).
  eventStoreSuite('redis, WAIT 1', async (options) => {
    const redis = await connection();
    const wait = ReplicaWait.over(redis, 1);
    waits.push(wait);
    return RedisEventStore.open(redis, { ...options, keyPrefix: `${uniqueName('wait')}:`, replicaWait: wait });
  });
});
