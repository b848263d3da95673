import type { IdempotencyOptions, IdempotencyStore, PageRateLimiter, RateLimitOptions } from './delivery-types';
import { MemoryIdempotencyStore } from './memory-idempotency-store';
import { MemoryRateLimiter } from './memory-rate-limiter';
import { closeRedis, connectRedis, type RedisConnectionOptions } from './redis-connection';
import { OutboxIdempotencyStore, type OutboxOptions } from './outcome-outbox';
import { RedisIdempotencyStore } from './redis-idempotency-store';
import { RedisRateLimiter } from './redis-rate-limiter';

/** What the delivery factory needs: without `redisUrl` everything lives in this process. */
export interface DeliveryStoresConfig {
  redisUrl?: string;
  idempotency: IdempotencyOptions;
  rateLimit: RateLimitOptions;
  /** Base prefix of Redis keys (default `mgw:`): idempotency under `<prefix>idem:`, rate limits under `<prefix>rate:`. */
  keyPrefix?: string;
  /** The outbox of outcomes Redis could not take (Redis only). */
  outbox?: OutboxOptions;
  /** Redis connection tuning and background error reporting. */
  redis?: RedisConnectionOptions;
}

/** The idempotency store and page rate limiter of one gateway, closed together. */
export interface DeliveryStores {
  idempotency: IdempotencyStore;
  rateLimiter: PageRateLimiter;
  /** Which backend was chosen, for logs and health. */
  backend: 'memory' | 'redis';
  close(): Promise<void>;
}

/** Builds memory stores, or Redis-backed ones sharing one connection when `redisUrl` is set (rejects if Redis is unreachable). */
export async function createDeliveryStores(config: DeliveryStoresConfig): Promise<DeliveryStores> {
  if (!config.redisUrl) {
    const idempotency = new MemoryIdempotencyStore(config.idempotency);
    const rateLimiter = new MemoryRateLimiter(config.rateLimit);
    return {
      idempotency,
      rateLimiter,
      backend: 'memory',
      close: async () => {
        await Promise.all([idempotency.close(), rateLimiter.close()]);
      },
    };
  }
  const redis = await connectRedis(config.redisUrl, config.redis);
  const prefix = config.keyPrefix ?? 'mgw:';
  // An outcome Redis could not take waits in a bounded local outbox, retried until Redis is back.
  const idempotency = new OutboxIdempotencyStore(new RedisIdempotencyStore(redis, { ...config.idempotency, keyPrefix: `${prefix}idem:` }), config.outbox);
  const rateLimiter = new RedisRateLimiter(redis, { ...config.rateLimit, keyPrefix: `${prefix}rate:` });
  return {
    idempotency,
    rateLimiter,
    backend: 'redis',
    close: async () => {
      await Promise.all([idempotency.close(), rateLimiter.close()]);
      await closeRedis(redis);
    },
  };
}
