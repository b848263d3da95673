import { describe, expect, it } from 'vitest';
import { createDeliveryStores } from '../../src/delivery/create-delivery';
import { connectRedis } from '../../src/store/redis-connection';
import { RedisRateLimiter } from '../../src/delivery/redis-rate-limiter';
import { StoreUnavailableError } from '../../src/store/store-unavailable-error';
import { redisServerAvailable, startRedisServer, useRedisServer } from '../support/redis-server';
import { OPTIONS } from './idempotency-suite';
import { drainBurst, freshPage, grantTimes, LIMITS, rateLimiterSuite, steadyRate } from './rate-limiter-suite';

const available = redisServerAvailable();

describe.skipIf(!available)('RedisRateLimiter', () => {
  const redisServer = useRedisServer();
  const connection = redisServer.connection;

  rateLimiterSuite('redis', async (options) => new RedisRateLimiter(await redisServer.connection(), options));

  it('two limiters (two replicas) on one Redis share the page rate', async () => {
    const a = new RedisRateLimiter(await connection(), LIMITS);
    const b = new RedisRateLimiter(await connection(), LIMITS);
    const page = freshPage();
    const start = Date.now();
    const [ta, tb] = await Promise.all([grantTimes(a, page, 75, start), grantTimes(b, page, 75, start)]);
    const rate = steadyRate([...ta, ...tb], 50);
    expect(rate).toBeGreaterThan(35);
    expect(rate).toBeLessThan(65);
    await Promise.all([a.close(), b.close()]);
  });

  it('a pause set by one replica stops the others', async () => {
    const a = new RedisRateLimiter(await connection(), LIMITS);
    const b = new RedisRateLimiter(await connection(), LIMITS);
    const page = freshPage();
    await a.pause(page, Date.now() + 500);
    expect(await b.acquire(page, 'default', undefined)).toMatchObject({ ok: false, reason: 'PAGE_PAUSED' });
    await Promise.all([a.close(), b.close()]);
  });

  it('idle buckets expire in Redis', async () => {
    const redis = await connection();
    const l = new RedisRateLimiter(redis, { ...LIMITS, keyPrefix: 'test:rl:' });
    const page = freshPage();
    await drainBurst(l, page, 1);
    const ttl = await redis.pttl(`test:rl:{${page}}:default`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2_000);
    await l.close();
  });

  it('rejects with StoreUnavailableError when Redis is gone', async () => {
    const lonely = await startRedisServer();
    const redis = await connectRedis(lonely.url);
    const l = new RedisRateLimiter(redis, LIMITS);
    await lonely.stop();
    await expect(l.acquire(freshPage(), 'default', undefined)).rejects.toBeInstanceOf(StoreUnavailableError);
    await l.close();
    redis.disconnect();
  });

  it('createDeliveryStores picks Redis with a URL and memory without', async () => {
    const shared = await createDeliveryStores({ redisUrl: redisServer.url(), idempotency: OPTIONS, rateLimit: LIMITS, keyPrefix: 'test:f:' });
    expect(shared.backend).toBe('redis');
    const key = `factory-${Date.now()}`;
    expect(await shared.idempotency.claim(key, 'fp')).toEqual({ kind: 'claimed' });
    expect(await shared.rateLimiter.acquire(freshPage(), 'default', undefined)).toEqual({ ok: true });
    const redis = await connection();
    expect(await redis.exists(`test:f:idem:${key}`)).toBe(1);
    await shared.close();

    const local = await createDeliveryStores({ idempotency: OPTIONS, rateLimit: LIMITS });
    expect(local.backend).toBe('memory');
    expect(await local.idempotency.claim(key, 'fp')).toEqual({ kind: 'claimed' });
    await local.close();
  });

  it('createDeliveryStores rejects when Redis is unreachable', async () => {
    await expect(createDeliveryStores({ redisUrl: 'redis://127.0.0.1:1', idempotency: OPTIONS, rateLimit: LIMITS, redis: { connectTimeoutMs: 500 } })).rejects.toThrow();
  });
});
