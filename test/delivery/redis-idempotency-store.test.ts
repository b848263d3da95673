import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/store/redis-connection';
import { ReplicaWait, ReplicasShortError } from '../../src/store/replica-wait';
import { RedisIdempotencyStore } from '../../src/delivery/redis-idempotency-store';
import { StoreUnavailableError } from '../../src/store/store-unavailable-error';
import { redisServerAvailable, startRedisServer, useRedisServer, type RedisServer } from '../support/redis-server';
import { waitFor } from '../support/wait-for';
import { idempotencySuite, OPTIONS, RESPONSE } from './idempotency-suite';

const available = redisServerAvailable();

describe.skipIf(!available)('RedisIdempotencyStore', () => {
  const redisServer = useRedisServer();
  const connection = redisServer.connection;

  idempotencySuite('redis', async (options) => new RedisIdempotencyStore(await redisServer.connection(), options));

  it('20 concurrent claims from two connections (two replicas): exactly one claimed', async () => {
    const a = new RedisIdempotencyStore(await connection(), OPTIONS);
    const b = new RedisIdempotencyStore(await connection(), OPTIONS);
    for (let round = 0; round < 5; round++) {
      const key = `race-${Date.now()}-${round}`;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim(key, 'fp')));
      expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
      expect(results.filter((r) => r.kind === 'in-flight')).toHaveLength(19);
    }
  });

  it('a waiter on one replica sees the completion made on another', async () => {
    const a = new RedisIdempotencyStore(await connection(), OPTIONS);
    const b = new RedisIdempotencyStore(await connection(), OPTIONS);
    const key = `cross-${Date.now()}`;
    await a.claim(key, 'fp');
    const waiting = b.wait(key, 'fp', Date.now() + 5_000);
    setTimeout(() => void a.complete(key, 'fp', RESPONSE), 50);
    expect(await waiting).toEqual({ kind: 'done', outcome: RESPONSE });
  });

  it('replays survive a restart of the gateway (a new store and connection)', async () => {
    const key = `restart-${Date.now()}`;
    const first = new RedisIdempotencyStore(await connection(), OPTIONS);
    await first.claim(key, 'fp');
    await first.complete(key, 'fp', RESPONSE);
    await first.close();
    const second = new RedisIdempotencyStore(await connection(), OPTIONS);
    expect(await second.claim(key, 'fp')).toEqual({ kind: 'done', outcome: RESPONSE });
  });

  it('prefixes keys and sets their TTL in Redis', async () => {
    const redis = await connection();
    const store = new RedisIdempotencyStore(redis, { ...OPTIONS, keyPrefix: 'test:p:' });
    const key = `ttl-${Date.now()}`;
    await store.claim(key, 'fp');
    const claimTtl = await redis.pttl(`test:p:${key}`);
    expect(claimTtl).toBeGreaterThan(OPTIONS.claimTtlMs - 1_000);
    expect(claimTtl).toBeLessThanOrEqual(OPTIONS.claimTtlMs);
    await store.complete(key, 'fp', RESPONSE);
    expect(await redis.pttl(`test:p:${key}`)).toBeGreaterThan(OPTIONS.claimTtlMs);
  });

  it('reloads its scripts after Redis forgets them (SCRIPT FLUSH, a restarted server)', async () => {
    const redis = await connection();
    const store = new RedisIdempotencyStore(redis, OPTIONS);
    await redis.script('FLUSH');
    expect(await store.claim(`flush-${Date.now()}`, 'fp')).toEqual({ kind: 'claimed' });
  });

  it('closing the store stops a poll in progress', async () => {
    const store = new RedisIdempotencyStore(await connection(), OPTIONS);
    const key = `close-${Date.now()}`;
    await store.claim(key, 'fp');
    const started = Date.now();
    const waiting = store.wait(key, 'fp', Date.now() + 10_000);
    setTimeout(() => void store.close(), 50);
    expect(await waiting).toEqual({ kind: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('fails fast with StoreUnavailableError when Redis is gone', async () => {
    const lonely = await startRedisServer();
    const redis = await connectRedis(lonely.url);
    const store = new RedisIdempotencyStore(redis, OPTIONS);
    await lonely.stop();
    const started = Date.now();
    await expect(store.claim('k', 'fp')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(3_000);
    redis.disconnect();
  });

  it('connectRedis rejects within its timeout when nothing listens', async () => {
    const started = Date.now();
    await expect(connectRedis('redis://127.0.0.1:1', { connectTimeoutMs: 500 })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe.skipIf(!available)('RedisIdempotencyStore with store.redis.minReplicas 1 (a primary and a replica)', () => {
  let primary: RedisServer | undefined;
  let replica: RedisServer | undefined;
  const waits: ReplicaWait[] = [];
  const connections: Redis[] = [];
  const connection = async () => {
    const c = await connectRedis(primary!.url);
    connections.push(c);
    return c;
  };
  /** A store whose claims and outcomes count once the replica confirms them. */
  const confirmed = async (options = OPTIONS) => {
    const redis = await connection();
    const wait = ReplicaWait.over(redis, 1);
    waits.push(wait);
    return new RedisIdempotencyStore(redis, { ...options, replicaWait: wait });
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

  idempotencySuite('redis, WAIT 1', (options) => confirmed(options));

  it('20 concurrent claims (their WAITs shared): exactly one claimed, and the replica has it', async () => {
    const a = await confirmed();
    const b = await confirmed();
    const key = `race-wait-${Date.now()}`;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim(key, 'fp')));
    expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
    const onReplica = await connectRedis(replica!.url);
    try {
      expect(await onReplica.hget(`mgw:idem:${key}`, 's')).toBe('p');
    } finally {
      onReplica.disconnect();
    }
  });

  it('a server that forgot its scripts (SCRIPT FLUSH): the claim is sent again and still confirmed', async () => {
    const store = await confirmed();
    await (await connection()).script('FLUSH');
    expect(await store.claim(`flushed-${Date.now()}`, 'fp')).toEqual({ kind: 'claimed' });
  });

  it('a frozen replica: the claim fails (ReplicasShortError, a StoreUnavailableError) and is let go; a claim after the thaw succeeds', async () => {
    const store = await confirmed();
    const key = `frozen-${Date.now()}`;
    replica!.signal('SIGSTOP');
    let refused: unknown;
    try {
      refused = await store.claim(key, 'fp').catch((err: unknown) => err);
    } finally {
      replica!.signal('SIGCONT');
    }
    expect(refused).toBeInstanceOf(ReplicasShortError);
    expect(refused).toBeInstanceOf(StoreUnavailableError);
    expect(await (await connection()).exists(`mgw:idem:${key}`)).toBe(0);
    expect(await store.claim(key, 'fp')).toEqual({ kind: 'claimed' });
  });
});
