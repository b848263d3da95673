import { memoryTokenStore, redisTokenStore, type TokenStore } from './token-store';
import type { IdempotencyOptions, IdempotencyStore, PageRateLimiter, RateLimitOptions } from './delivery-types';
import { MemoryIdempotencyStore } from './memory-idempotency-store';
import { MemoryRateLimiter } from './memory-rate-limiter';
import { closeRedis, connectRedis, type RedisConnection, type RedisConnectionOptions, type RedisTopology } from '../store/redis-connection';
import { ReplicaWait } from '../store/replica-wait';
import { OutboxIdempotencyStore, type OutboxOptions } from './outcome-outbox';
import { RedisIdempotencyStore } from './redis-idempotency-store';
import { RedisRateLimiter } from './redis-rate-limiter';
import type { BudgetLimit, CallBudget } from './call-budget';
import { MemoryCallBudget } from './memory-call-budget';
import { RedisCallBudget } from './redis-call-budget';
import { MemoryLock, RedisLock, type ExclusiveLock } from './exclusive-lock';
import { MemoryProfileCache, RedisProfileCache, type ProfileCache, type ProfileCacheOptions } from './profile-cache';

/** What the delivery factory needs: without Redis everything lives in this process. */
export interface DeliveryStoresConfig {
  /** One Redis (shorthand of a `single` topology). */
  redisUrl?: string;
  /** Where Redis is (one Redis, a Cluster, or a primary found through Sentinel); wins over `redisUrl`. */
  redisTopology?: RedisTopology;
  /** Replicas that must confirm an idempotency claim and an outcome (WAIT); default 0. */
  minReplicas?: number;
  idempotency: IdempotencyOptions;
  rateLimit: RateLimitOptions;
  /** Base prefix of Redis keys (default `mgw:`): idempotency under `<prefix>idem:`, rate limits under `<prefix>rate:`. */
  keyPrefix?: string;
  /** The outbox of outcomes Redis could not take (Redis only). */
  outbox?: OutboxOptions;
  /** Redis connection tuning and background error reporting. */
  redis?: RedisConnectionOptions;
  /** The user profile cache (default: off). */
  profileCache?: ProfileCacheOptions;
}

/** The idempotency store and page rate limiter of one gateway, closed together. */
export interface DeliveryStores {
  idempotency: IdempotencyStore;
  rateLimiter: PageRateLimiter;
  /**
   * With Redis: a caller's rate shared by every replica (a token bucket per caller name on Redis's
   * clock); resolves the wait in ms when over the rate, undefined when a token was taken; rejects
   * (StoreUnavailableError) when Redis fails. Undefined without Redis.
   */
  callerRate?: (name: string, ratePerSecond: number) => Promise<number | undefined>;
  /** A budget of calls per window (Meta's Messenger Profile quota): in memory, or shared through Redis under `<prefix>budget:`. */
  budget(limit: BudgetLimit): CallBudget;
  /** A lock held by one holder at a time: in memory, or across replicas through Redis under `<prefix>lock:`. */
  lock: ExclusiveLock;
  /** User profiles per Page and person: in memory, or in Redis (under `<prefix>profile:`) shared by every replica. */
  profileCache: ProfileCache;
  /** Where an Instagram Login account's refreshed token is kept with `token.store: {redis: true}`: Redis under `<prefix>token:`, or (without Redis) this process only. */
  redisTokenStore(account: string): TokenStore;
  /** Which backend was chosen, for logs and health. */
  backend: 'memory' | 'redis';
  /** The Redis connection these stores share (undefined in memory), for other stores kept beside them (backfill progress). */
  redis?: RedisConnection;
  /** `<prefix>` of every key. */
  keyPrefix: string;
  close(): Promise<void>;
}

/** Builds memory stores, or Redis-backed ones sharing one connection when Redis is configured (rejects if Redis is unreachable). */
export async function createDeliveryStores(config: DeliveryStoresConfig): Promise<DeliveryStores> {
  const topology = config.redisTopology ?? (config.redisUrl ? { kind: 'single' as const, url: config.redisUrl } : undefined);
  if (!topology) {
    const idempotency = new MemoryIdempotencyStore(config.idempotency);
    const rateLimiter = new MemoryRateLimiter(config.rateLimit);
    return {
      idempotency,
      rateLimiter,
      budget: (limit) => new MemoryCallBudget(limit),
      lock: new MemoryLock(),
      profileCache: new MemoryProfileCache(config.profileCache ?? NO_PROFILE_CACHE),
      redisTokenStore: () => memoryTokenStore(),
      backend: 'memory',
      keyPrefix: '',
      close: async () => {
        await Promise.all([idempotency.close(), rateLimiter.close()]);
      },
    };
  }
  const redis = await connectRedis(topology, config.redis);
  const prefix = config.keyPrefix ?? 'mgw:';
  const minReplicas = config.minReplicas ?? 0;
  const replicaWait = minReplicas > 0 ? ReplicaWait.over(redis, minReplicas) : undefined;
  // An outcome Redis could not take (or its replicas did not confirm) waits in a bounded local
  // outbox, written again until Redis takes it.
  const idempotency = new OutboxIdempotencyStore(new RedisIdempotencyStore(redis, { ...config.idempotency, keyPrefix: `${prefix}idem:`, replicaWait }), config.outbox);
  const rateLimiter = new RedisRateLimiter(redis, { ...config.rateLimit, keyPrefix: `${prefix}rate:` });
  // One limiter per distinct caller rate (callers are configured, so this is bounded); never waits.
  const callerLimiters = new Map<number, RedisRateLimiter>();
  const callerRate = async (name: string, ratePerSecond: number): Promise<number | undefined> => {
    let limiter = callerLimiters.get(ratePerSecond);
    if (!limiter) {
      limiter = new RedisRateLimiter(redis, { defaultPerSecond: ratePerSecond, mediaPerSecond: ratePerSecond, maxWaitMs: 0, maxQueue: 0, keyPrefix: `${prefix}caller:` });
      callerLimiters.set(ratePerSecond, limiter);
    }
    const token = await limiter.acquire(name, 'default', undefined);
    return token.ok ? undefined : Math.max(1, token.retryAfterMs);
  };
  return {
    idempotency,
    rateLimiter,
    callerRate,
    budget: (limit) => new RedisCallBudget(redis, limit, `${prefix}budget:`),
    lock: new RedisLock(redis, `${prefix}lock:`),
    profileCache: new RedisProfileCache(redis, { ...(config.profileCache ?? NO_PROFILE_CACHE), keyPrefix: `${prefix}profile:` }),
    redisTokenStore: (account) => redisTokenStore(redis, prefix, account),
    backend: 'redis',
    redis,
    keyPrefix: prefix,
    close: async () => {
      await Promise.all([idempotency.close(), rateLimiter.close(), ...[...callerLimiters.values()].map((l) => l.close())]);
      await replicaWait?.close();
      await closeRedis(redis);
    },
  };
}

const NO_PROFILE_CACHE: ProfileCacheOptions = { ttlMs: 0, maxEntries: 1 };
