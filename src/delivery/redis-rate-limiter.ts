import type { CancelSignal } from '../call/bounds';
import type { RedisConnection } from '../store/redis-connection';
import type { AcquireResult, PageRateLimiter, RateClass, RateLimitOptions } from './delivery-types';
import { bucketShape, RATE_CLASSES } from './rate-classes';
import { RedisScript } from '../store/redis-script';
import { StoreUnavailableError } from '../store/store-unavailable-error';

/** Where buckets live; the connection itself is the caller's. */
export interface RedisRateLimiterOptions extends RateLimitOptions {
  /** Prefix of every key (default `mgw:rate:`). */
  keyPrefix?: string;
}

// One token from the page's shared bucket, or how long until there is one. The clock is the Redis
// server's TIME, so replicas with skewed clocks still share one consistent bucket. Replies:
// {1, 0} granted; {0, ms} next token in ms; {-1, ms} the page is paused for ms more.
// KEYS: bucket hash, pause key. ARGV: rate per second, capacity, bucket TTL ms.
const TAKE = new RedisScript(`
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return {-1, paused} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local cur = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(cur[1])
local ts = tonumber(cur[2])
if not tokens or not ts then tokens = capacity; ts = now end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate / 1000)
  ts = now
end
local granted = 0
if tokens >= 1 then tokens = tokens - 1; granted = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(ts))
-- Once full again the bucket equals a fresh one: let Redis drop it.
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if granted == 1 then return {1, 0} end
return {0, math.ceil((1 - tokens) * 1000 / rate)}
`);

// Extends a page's pause, never shortens it. KEYS: pause key. ARGV: pause ms.
const PAUSE = new RedisScript(`
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1
`);

interface Waiter {
  resolve: (result: AcquireResult) => void;
  reject: (err: Error) => void;
  bound: number;
}

/** This replica's waiters for one bucket; only the head asks Redis, so local order is FIFO. */
interface LocalQueue {
  pageId: string;
  cls: RateClass;
  rate: number;
  waiters: Waiter[];
  pumping: boolean;
  /** Ends the pump's current sleep early (abort of the last waiter, pause, close). */
  wake?: () => void;
}

const GAVE_UP: AcquireResult = { ok: false, retryAfterMs: 0, reason: 'WAIT_EXCEEDED' };

/**
 * Per-page token buckets shared by every replica through Redis (a Lua token bucket on the server's
 * clock) and pauses stored as keys with PX. Each replica queues its own callers (bounded by maxQueue,
 * FIFO) and lets only the head of a queue poll Redis, sleeping exactly until the next token is due.
 * Across replicas the order is first-come at Redis, not strict FIFO. Redis failures reject waiting
 * calls with StoreUnavailableError.
 */
export class RedisRateLimiter implements PageRateLimiter {
  private readonly prefix: string;
  private readonly queues = new Map<string, LocalQueue>();
  private closed = false;

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: RedisRateLimiterOptions,
  ) {
    if (!(options.defaultPerSecond > 0) || !(options.mediaPerSecond > 0)) throw new RangeError('rates must be positive');
    this.prefix = options.keyPrefix ?? 'mgw:rate:';
  }

  async acquire(pageId: string, cls: RateClass, deadline: number | undefined, signal?: CancelSignal): Promise<AcquireResult> {
    if (this.closed || signal?.aborted) return GAVE_UP;
    const bound = Math.min(Date.now() + this.options.maxWaitMs, deadline ?? Infinity);
    if (!this.queues.get(queueKey(pageId, cls))?.waiters.length) {
      // Nobody here waits: ask Redis straight away (concurrently with other such callers), and queue
      // only when no token is left. The queue then holds just the callers that really wait.
      const [code, ms] = await this.take(pageId, cls);
      if (code === 1) return { ok: true };
      if (code === -1) return { ok: false, retryAfterMs: ms, reason: 'PAGE_PAUSED' };
      if (Date.now() + ms > bound) return { ok: false, retryAfterMs: ms, reason: 'WAIT_EXCEEDED' };
      if (this.closed || signal?.aborted) return GAVE_UP;
    }
    // Created only for callers that wait (and dropped when the queue empties): no growth per page seen.
    const queue = this.queue(pageId, cls);
    // This replica's callers ahead of us alone need this long; other replicas only add to it.
    const aheadMs = Math.ceil(((queue.waiters.length + 1) * 1000) / queue.rate);
    if (queue.waiters.length >= this.options.maxQueue) return { ok: false, retryAfterMs: aheadMs, reason: 'QUEUE_FULL' };
    if (queue.waiters.length > 0 && Date.now() + aheadMs > bound) return { ok: false, retryAfterMs: aheadMs, reason: 'WAIT_EXCEEDED' };
    return this.enqueue(queue, bound, signal);
  }

  private enqueue(queue: LocalQueue, bound: number, signal?: CancelSignal): Promise<AcquireResult> {
    return new Promise<AcquireResult>((resolve, reject) => {
      const onAbort = () => {
        const i = queue.waiters.indexOf(waiter);
        if (i >= 0) queue.waiters.splice(i, 1);
        if (queue.waiters.length === 0) queue.wake?.();
        resolve(GAVE_UP);
      };
      const done = () => signal?.removeEventListener('abort', onAbort);
      const waiter: Waiter = {
        bound,
        resolve: (result) => (done(), resolve(result)),
        reject: (err) => (done(), reject(err)),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.waiters.push(waiter);
      if (!queue.pumping) void this.pump(queue);
    });
  }

  /** One TAKE against the page's shared bucket: [1, 0] granted, [0, ms] next token, [-1, ms] paused. */
  private async take(pageId: string, cls: RateClass): Promise<[number, number]> {
    const { rate, capacity } = bucketShape(cls, this.options);
    // Once full again a bucket equals a fresh one; a second of slack keeps it from expiring mid-use.
    const ttlMs = Math.ceil((capacity * 1000) / rate) + 1_000;
    const keys = [this.bucketKey(pageId, cls), this.pauseKey(pageId)];
    try {
      return (await TAKE.run(this.redis, keys, [rate, capacity, ttlMs])) as [number, number];
    } catch (err) {
      throw StoreUnavailableError.during('delivery store', 'rate limit', err);
    }
  }

  async pause(pageId: string, untilEpochMs: number): Promise<void> {
    const ms = Math.ceil(untilEpochMs - Date.now());
    if (ms <= 0 || this.closed) return;
    for (const cls of RATE_CLASSES) {
      const queue = this.queues.get(queueKey(pageId, cls));
      if (queue) this.flush(queue, { ok: false, retryAfterMs: ms, reason: 'PAGE_PAUSED' });
    }
    try {
      await PAUSE.run(this.redis, [this.pauseKey(pageId)], [ms]);
    } catch (err) {
      throw StoreUnavailableError.during('delivery store', 'pause', err);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const queue of this.queues.values()) this.flush(queue, GAVE_UP);
    this.queues.clear();
  }

  private queue(pageId: string, cls: RateClass): LocalQueue {
    const key = queueKey(pageId, cls);
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { pageId, cls, rate: this.rate(cls), waiters: [], pumping: false };
      this.queues.set(key, queue);
    }
    return queue;
  }

  private rate(cls: RateClass): number {
    return bucketShape(cls, this.options).rate;
  }

  /** Serves the queue head by head until it is empty; one pump (and at most one timer) per queue. */
  private async pump(queue: LocalQueue): Promise<void> {
    queue.pumping = true;
    try {
      while (queue.waiters.length > 0 && !this.closed) {
        if (Date.now() > queue.waiters[0]!.bound) {
          queue.waiters.shift()!.resolve({ ok: false, retryAfterMs: 0, reason: 'WAIT_EXCEEDED' });
          continue;
        }
        let reply: [number, number];
        try {
          reply = await this.take(queue.pageId, queue.cls);
        } catch (err) {
          for (const waiter of queue.waiters.splice(0)) waiter.reject(err as Error);
          break;
        }
        const [code, ms] = reply;
        // The head may have aborted during the call: the token then goes to whoever is first now.
        const head = queue.waiters[0];
        if (!head) break;
        if (code === 1) {
          queue.waiters.shift()!.resolve({ ok: true });
        } else if (code === -1) {
          this.flush(queue, { ok: false, retryAfterMs: ms, reason: 'PAGE_PAUSED' });
        } else if (Date.now() + ms > head.bound) {
          queue.waiters.shift()!.resolve({ ok: false, retryAfterMs: ms, reason: 'WAIT_EXCEEDED' });
        } else {
          await this.sleep(queue, ms);
        }
      }
    } finally {
      queue.pumping = false;
      if (queue.waiters.length === 0 && this.queues.get(queueKey(queue.pageId, queue.cls)) === queue) {
        this.queues.delete(queueKey(queue.pageId, queue.cls));
      }
    }
  }

  private sleep(queue: LocalQueue, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(wake, Math.max(1, ms));
      function wake(): void {
        clearTimeout(timer);
        queue.wake = undefined;
        resolve();
      }
      queue.wake = wake;
    });
  }

  private flush(queue: LocalQueue, result: AcquireResult): void {
    for (const waiter of queue.waiters.splice(0)) waiter.resolve(result);
    queue.wake?.();
  }

  // The page id in braces is a hash tag: bucket and pause share a Cluster slot, as one script needs.
  private bucketKey(pageId: string, cls: RateClass): string {
    return `${this.prefix}{${encodeURIComponent(pageId)}}:${cls}`;
  }

  private pauseKey(pageId: string): string {
    return `${this.prefix}{${encodeURIComponent(pageId)}}:pause`;
  }
}

function queueKey(pageId: string, cls: RateClass): string {
  return `${cls}\n${pageId}`;
}
