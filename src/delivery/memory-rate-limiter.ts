import type { CancelSignal } from '../call/bounds';
import type { AcquireResult, PageRateLimiter, RateClass, RateLimitOptions } from './delivery-types';
import { bucketShape, RATE_CLASSES } from './rate-classes';

interface Waiter {
  resolve: (result: AcquireResult) => void;
  /** Epoch ms after which a token is useless to this caller (wait bound or deadline). */
  bound: number;
}

interface Bucket {
  pageId: string;
  /** Tokens per second. */
  rate: number;
  /** A burst of one second's tokens (at least one, so rates below 1/s still grant). */
  capacity: number;
  tokens: number;
  refilledAt: number;
  queue: Waiter[];
  timer?: NodeJS.Timeout;
}

// Idle buckets and ended pauses are dropped by a sweep run from `acquire` at most this often.
const SWEEP_EVERY_MS = 1_000;

/** Result of a waiter that gave up (its signal aborted, or the limiter closed): nothing to retry after. */
const GAVE_UP: AcquireResult = { ok: false, retryAfterMs: 0, reason: 'WAIT_EXCEEDED' };

/**
 * Per-account token buckets for one process: continuous refill at the class's rate, its burst
 * (rate-classes.ts), and a FIFO wait queue per bucket served by at most one timer per bucket.
 *
 * A caller whose turn cannot come within min(maxWaitMs, deadline) is told WAIT_EXCEEDED at once
 * (tokens arrive at a known rate, so its turn is known on arrival) instead of waiting to fail.
 * A paused page answers PAGE_PAUSED at once with the remaining pause, and a new pause ends the
 * waits already queued for that page: the caller's RetryInfo carries the pause, and no caller
 * sits in a queue that nothing will serve until Graph allows it again.
 */
export class MemoryRateLimiter implements PageRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly pauses = new Map<string, number>();
  private lastSweep: number;
  private closed = false;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    if (!(options.defaultPerSecond > 0) || !(options.mediaPerSecond > 0)) throw new RangeError('rates must be positive');
    this.lastSweep = now();
  }

  /** Buckets currently held (idle full ones are dropped by the sweep); for tests and metrics. */
  get bucketCount(): number {
    return this.buckets.size;
  }

  acquire(pageId: string, cls: RateClass, deadline: number | undefined, signal?: CancelSignal): AcquireResult | Promise<AcquireResult> {
    if (this.closed || signal?.aborted) return GAVE_UP;
    const now = this.now();
    if (now - this.lastSweep >= SWEEP_EVERY_MS) this.sweep(now);
    const paused = this.pausedFor(pageId, now);
    if (paused > 0) return { ok: false, retryAfterMs: paused, reason: 'PAGE_PAUSED' };

    const bucket = this.bucket(pageId, cls, now);
    refill(bucket, now);
    if (bucket.queue.length === 0 && bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    // This caller's token is the (queue + 1)th from now.
    const turnInMs = Math.ceil(((bucket.queue.length + 1 - bucket.tokens) * 1000) / bucket.rate);
    if (bucket.queue.length >= this.options.maxQueue) return { ok: false, retryAfterMs: turnInMs, reason: 'QUEUE_FULL' };
    const bound = Math.min(now + this.options.maxWaitMs, deadline ?? Infinity);
    if (now + turnInMs > bound) return { ok: false, retryAfterMs: turnInMs, reason: 'WAIT_EXCEEDED' };

    return new Promise<AcquireResult>((resolve) => {
      const onAbort = () => {
        const i = bucket.queue.indexOf(waiter);
        if (i >= 0) bucket.queue.splice(i, 1);
        if (bucket.queue.length === 0) this.stopTimer(bucket);
        waiter.resolve(GAVE_UP);
      };
      const waiter: Waiter = {
        bound,
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      bucket.queue.push(waiter);
      this.schedule(bucket);
    });
  }

  async pause(pageId: string, untilEpochMs: number): Promise<void> {
    const now = this.now();
    if (untilEpochMs <= now || this.closed) return;
    this.pauses.set(pageId, Math.max(this.pauses.get(pageId) ?? 0, untilEpochMs));
    const retryAfterMs = this.pausedFor(pageId, now);
    for (const cls of RATE_CLASSES) {
      const bucket = this.buckets.get(bucketKey(pageId, cls));
      if (bucket) this.flush(bucket, { ok: false, retryAfterMs, reason: 'PAGE_PAUSED' });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const bucket of this.buckets.values()) this.flush(bucket, GAVE_UP);
    this.buckets.clear();
    this.pauses.clear();
  }

  private bucket(pageId: string, cls: RateClass, now: number): Bucket {
    const key = bucketKey(pageId, cls);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const { rate, capacity } = bucketShape(cls, this.options);
      bucket = { pageId, rate, capacity, tokens: capacity, refilledAt: now, queue: [] };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private pausedFor(pageId: string, now: number): number {
    const until = this.pauses.get(pageId);
    return until === undefined ? 0 : Math.max(0, until - now);
  }

  /** Arms the bucket's single timer for the moment its next token is due, if anyone waits. */
  private schedule(bucket: Bucket): void {
    if (bucket.timer || bucket.queue.length === 0) return;
    const delay = Math.max(1, Math.ceil(((1 - bucket.tokens) * 1000) / bucket.rate));
    bucket.timer = setTimeout(() => {
      bucket.timer = undefined;
      this.serve(bucket);
    }, delay);
  }

  /** Hands the tokens that have arrived to the head of the queue, in order. */
  private serve(bucket: Bucket): void {
    const now = this.now();
    const paused = this.pausedFor(bucket.pageId, now);
    if (paused > 0) return this.flush(bucket, { ok: false, retryAfterMs: paused, reason: 'PAGE_PAUSED' });
    refill(bucket, now);
    while (bucket.queue.length > 0 && bucket.tokens >= 1) {
      const waiter = bucket.queue.shift()!;
      // Turns are computed on arrival, so this only happens when timers ran late: a token now is useless.
      if (now > waiter.bound) {
        waiter.resolve({ ok: false, retryAfterMs: 0, reason: 'WAIT_EXCEEDED' });
        continue;
      }
      bucket.tokens -= 1;
      waiter.resolve({ ok: true });
    }
    this.schedule(bucket);
  }

  private flush(bucket: Bucket, result: AcquireResult): void {
    this.stopTimer(bucket);
    for (const waiter of bucket.queue.splice(0)) waiter.resolve(result);
  }

  private stopTimer(bucket: Bucket): void {
    clearTimeout(bucket.timer);
    bucket.timer = undefined;
  }

  /** Drops buckets nobody waits on that have refilled (a new one starts full: same state) and ended pauses. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (bucket.queue.length > 0) continue;
      refill(bucket, now);
      if (bucket.tokens >= bucket.capacity) this.buckets.delete(key);
    }
    for (const [pageId, until] of this.pauses) if (until <= now) this.pauses.delete(pageId);
  }
}

function bucketKey(pageId: string, cls: RateClass): string {
  return `${cls}\n${pageId}`;
}

function refill(bucket: Bucket, now: number): void {
  const elapsed = now - bucket.refilledAt;
  if (elapsed > 0) bucket.tokens = Math.min(bucket.capacity, bucket.tokens + (elapsed * bucket.rate) / 1000);
  bucket.refilledAt = now;
}
