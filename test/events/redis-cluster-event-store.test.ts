/**
 * The stores on a Redis Cluster (3 masters, 3 replicas, started here): the event store's
 * contract suite, idempotency and rate limits, and batches whose events span partitions, hence
 * slots. On a store whose scripts take keys of several partitions, the cross-slot test fails
 * with Redis's CROSSSLOT error.
 */
import { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisEventStore, partitionOf } from '../../src/events/redis-event-store';
import { RedisIdempotencyStore } from '../../src/delivery/redis-idempotency-store';
import { RedisRateLimiter } from '../../src/delivery/redis-rate-limiter';
import { closeRedis, connectRedis, RedisAuthError, type RedisConnection } from '../../src/store/redis-connection';
import { redisClusterAvailable, useRedisCluster } from '../support/redis-cluster';
import { idempotencySuite, OPTIONS as IDEMPOTENCY } from '../delivery/idempotency-suite';
import { rateLimiterSuite } from '../delivery/rate-limiter-suite';
import { Inbox, newEvent, uniqueName } from './event-fixtures';
import { eventStoreSuite, OPTIONS } from './event-store-suite';

describe.skipIf(!redisClusterAvailable())('stores on a Redis Cluster (3 masters, 3 replicas)', () => {
  const c = useRedisCluster({ appendOnly: false });
  const connections: RedisConnection[] = [];
  const connection = async (): Promise<RedisConnection> => {
    const redis = await connectRedis({ kind: 'cluster', nodes: c.cluster().urls });
    connections.push(redis);
    return redis;
  };
  afterAll(async () => {
    await Promise.all(connections.map((r) => closeRedis(r)));
  });

  eventStoreSuite('redis cluster', async (options) => RedisEventStore.open(await connection(), { ...options, keyPrefix: `${uniqueName('cl')}:` }));
  idempotencySuite('redis cluster', async (options) => new RedisIdempotencyStore(await connection(), options));
  rateLimiterSuite('redis cluster', async (options) => new RedisRateLimiter(await connection(), options));

  it('idempotency claims from two connections (two replicas) on the cluster: exactly one claimed per key', async () => {
    const a = new RedisIdempotencyStore(await connection(), IDEMPOTENCY);
    const b = new RedisIdempotencyStore(await connection(), IDEMPOTENCY);
    for (let round = 0; round < 20; round++) {
      const key = `cl-race-${Date.now()}-${round}`;
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claim(key, 'fp')));
      expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
    }
  });

  it('a batch over many partitions (many slots, all three masters) is stored whole, delivered in order per conversation', async () => {
    // Built with ioredis' own Cluster client, so that this test runs on any version of the store.
    const cluster = new Cluster(c.cluster().urls.map((u) => ({ host: '127.0.0.1', port: Number(new URL(u).port) })));
    connections.push(cluster);
    const s = await RedisEventStore.open(cluster, { ...OPTIONS, keyPrefix: `${uniqueName('xslot')}:` });
    try {
      const inbox = new Inbox();
      const consumer = await s.consume({ group: 'g', pageIds: undefined, maxOutstanding: 1000, start: { kind: 'latest' } }, inbox.push, () => {});
      const page = uniqueName('p');
      const batch = Array.from({ length: 200 }, (_, i) => newEvent(page, `u${i % 100}`));
      expect(new Set(batch.map((e) => partitionOf(e.conversation, 16))).size).toBe(16);
      expect(await s.append(batch)).toEqual({ stored: 200, duplicates: 0 });
      // Meta's retry of the same batch: nothing stored twice.
      expect(await s.append(batch)).toEqual({ stored: 0, duplicates: 200 });
      const got: string[] = [];
      while (got.length < 200) {
        const d = await inbox.next(10_000);
        got.push(d.event.eventId);
        await consumer.ack([d.event.eventId]);
      }
      expect(new Set(got).size).toBe(200);
      const position = new Map(got.map((id, i) => [id, i]));
      for (let u = 0; u < 100; u++) {
        const mine = batch.filter((e) => e.event.senderId === `u${u}`).map((e) => position.get(e.event.eventId)!);
        expect(mine).toEqual([...mine].sort((x, y) => x - y));
      }
      await consumer.close();
    } finally {
      await s.close();
    }
  });
});

describe.skipIf(!redisClusterAvailable())('a Redis Cluster that wants a password', () => {
  const c = useRedisCluster({ appendOnly: false });

  it('a wrong password is told as a refusal (RedisAuthError), the password in no message; the right one connects', async () => {
    const ports = c.cluster().nodes.map((n) => n.port);
    for (const port of ports) {
      const admin = await connectRedis(`redis://127.0.0.1:${port}`);
      await admin.config('SET', 'masterauth', 'right-password-1');
      await admin.config('SET', 'requirepass', 'right-password-1');
      admin.disconnect();
    }
    const nodes = (pw: string) => ports.slice(0, 2).map((p) => `redis://default:${pw}@127.0.0.1:${p}`);
    const err = await connectRedis({ kind: 'cluster', nodes: nodes('wrong-password-2') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisAuthError);
    expect(String((err as Error).message)).not.toContain('wrong-password-2');
    const ok = await connectRedis({ kind: 'cluster', nodes: nodes('right-password-1') });
    expect(await ok.set('{t}k', 'v')).toBe('OK');
    await closeRedis(ok);
  });
});
