import { afterEach, describe, expect, it } from 'vitest';
import type { AcquireResult, PageRateLimiter, RateLimitOptions } from '../../src/delivery/delivery-types';
import { timePasses } from '../support/time-passes';

/** Makes a limiter for one test; the suite closes it. */
export type LimiterFactory = (options: RateLimitOptions) => Promise<PageRateLimiter>;

export const LIMITS: RateLimitOptions = { defaultPerSecond: 50, mediaPerSecond: 5, maxWaitMs: 5_000, maxQueue: 200 };

let pages = 0;
/** A page id no other test (or earlier run against the same Redis) uses. */
export const freshPage = () => `${Date.now()}${process.pid}${pages++}`;

/** Grants `n` tokens at once (the burst), failing if any has to wait. */
export async function drainBurst(limiter: PageRateLimiter, page: string, n: number, cls: 'default' | 'media' = 'default'): Promise<void> {
  const results = await Promise.all(Array.from({ length: n }, () => limiter.acquire(page, cls, undefined)));
  expect(results.every((r) => r.ok)).toBe(true);
}

/** Acquires `n` tokens concurrently and returns when each was granted (ms since `start`). */
export async function grantTimes(limiter: PageRateLimiter, page: string, n: number, start: number): Promise<number[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const r = await limiter.acquire(page, 'default', undefined);
      expect(r).toEqual({ ok: true });
      return Date.now() - start;
    }),
  );
}

/** Tokens per second granted after the burst: the limiter's steady rate. */
export function steadyRate(times: number[], burst: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  const first = sorted[burst - 1]!;
  const last = sorted[sorted.length - 1]!;
  return ((sorted.length - burst) * 1000) / (last - first);
}

/** The contract of PageRateLimiter, run against every implementation. */
export function rateLimiterSuite(name: string, makeLimiter: LimiterFactory): void {
  describe(`${name}: rate limiter contract`, () => {
    const open: PageRateLimiter[] = [];
    const limiter = async (options: Partial<RateLimitOptions> = {}) => {
      const l = await makeLimiter({ ...LIMITS, ...options });
      open.push(l);
      return l;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((l) => l.close()));
    });

    it('grants a burst of one second at once', async () => {
      const l = await limiter();
      const started = Date.now();
      await drainBurst(l, freshPage(), 50);
      // Far less than the second the 50 tokens would take at 50/s (generous for loaded CI machines).
      expect(Date.now() - started).toBeLessThan(500);
    });

    it('150 acquires at 50/s are granted at about 50/s', async () => {
      const l = await limiter();
      const start = Date.now();
      const times = await grantTimes(l, freshPage(), 150, start);
      const rate = steadyRate(times, 50);
      expect(rate).toBeGreaterThan(35);
      expect(rate).toBeLessThan(65);
    });

    it('serves waiters in FIFO order', async () => {
      const l = await limiter();
      const page = freshPage();
      await drainBurst(l, page, 50);
      const order: number[] = [];
      await Promise.all(Array.from({ length: 10 }, (_, i) => Promise.resolve(l.acquire(page, 'default', undefined)).then((r) => {
        expect(r.ok).toBe(true);
        order.push(i);
      })));
      expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('answers QUEUE_FULL at once beyond maxQueue', async () => {
      const l = await limiter({ defaultPerSecond: 10, maxQueue: 3 });
      const page = freshPage();
      await drainBurst(l, page, 10);
      const queued = Array.from({ length: 3 }, () => l.acquire(page, 'default', undefined));
      const started = Date.now();
      const full = await l.acquire(page, 'default', undefined);
      expect(Date.now() - started).toBeLessThan(90); // before the first queued caller's token is due
      expect(full).toMatchObject({ ok: false, reason: 'QUEUE_FULL' });
      expect((full as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
      expect(await Promise.all(queued)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    });

    it('answers WAIT_EXCEEDED when no token comes within the deadline', async () => {
      const l = await limiter({ defaultPerSecond: 10 });
      const page = freshPage();
      await drainBurst(l, page, 10);
      const started = Date.now();
      const r = await l.acquire(page, 'default', Date.now() + 30);
      expect(r).toMatchObject({ ok: false, reason: 'WAIT_EXCEEDED' });
      expect((r as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(30);
      expect(Date.now() - started).toBeLessThan(90); // told at once, not after waiting for the next token
      // A deadline that leaves room gets its token.
      expect(await l.acquire(page, 'default', Date.now() + 1_000)).toEqual({ ok: true });
    });

    it('answers WAIT_EXCEEDED beyond maxWaitMs', async () => {
      const l = await limiter({ defaultPerSecond: 10, maxWaitMs: 30 });
      const page = freshPage();
      await drainBurst(l, page, 10);
      expect(await l.acquire(page, 'default', undefined)).toMatchObject({ ok: false, reason: 'WAIT_EXCEEDED' });
    });

    it('a paused page answers PAGE_PAUSED with the remaining pause, then resumes', async () => {
      const l = await limiter();
      const page = freshPage();
      const other = freshPage();
      await l.pause(page, Date.now() + 200);
      const r = await l.acquire(page, 'default', undefined);
      expect(r).toMatchObject({ ok: false, reason: 'PAGE_PAUSED' });
      const retryAfterMs = (r as { retryAfterMs: number }).retryAfterMs;
      expect(retryAfterMs).toBeGreaterThan(100);
      expect(retryAfterMs).toBeLessThanOrEqual(200);
      expect(await l.acquire(page, 'media', undefined)).toMatchObject({ ok: false, reason: 'PAGE_PAUSED' });
      expect(await l.acquire(other, 'default', undefined)).toEqual({ ok: true });
      await timePasses(250); // the pause running out is what is tested
      expect(await l.acquire(page, 'default', undefined)).toEqual({ ok: true });
    });

    it('a pause never shortens an earlier, longer one', async () => {
      const l = await limiter();
      const page = freshPage();
      await l.pause(page, Date.now() + 1_000);
      await l.pause(page, Date.now() + 10);
      await timePasses(50); // the shorter pause running out is what is tested
      expect(await l.acquire(page, 'default', undefined)).toMatchObject({ ok: false, reason: 'PAGE_PAUSED' });
    });

    it('a pause ends the waits already queued for the page', async () => {
      const l = await limiter({ defaultPerSecond: 10 });
      const page = freshPage();
      await drainBurst(l, page, 10);
      const waiting = [l.acquire(page, 'default', undefined), l.acquire(page, 'default', undefined)];
      await l.pause(page, Date.now() + 500);
      const results = await Promise.all(waiting);
      for (const r of results) expect(r).toMatchObject({ ok: false, reason: 'PAGE_PAUSED' });
    });

    it('keeps media (audio, video) at its own lower rate', async () => {
      const l = await limiter();
      const page = freshPage();
      await drainBurst(l, page, 5, 'media');
      expect(await l.acquire(page, 'media', Date.now() + 50)).toMatchObject({ ok: false, reason: 'WAIT_EXCEEDED' });
      expect(await l.acquire(page, 'default', Date.now() + 50)).toEqual({ ok: true });
    });

    it('keeps pages apart', async () => {
      const l = await limiter({ defaultPerSecond: 10 });
      const a = freshPage();
      await drainBurst(l, a, 10);
      await drainBurst(l, freshPage(), 10);
    });

    it('an aborted waiter leaves the queue; the next is still served', async () => {
      const l = await limiter({ defaultPerSecond: 10 });
      const page = freshPage();
      await drainBurst(l, page, 10);
      const controller = new AbortController();
      const first = l.acquire(page, 'default', undefined, controller.signal);
      const second = l.acquire(page, 'default', undefined);
      controller.abort();
      const r: AcquireResult = await first;
      expect(r.ok).toBe(false);
      const started = Date.now();
      expect(await second).toEqual({ ok: true });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(await l.acquire(page, 'default', undefined, controller.signal)).toMatchObject({ ok: false });
    });

    it('close ends every wait', async () => {
      const l = await makeLimiter({ ...LIMITS, defaultPerSecond: 1 });
      const page = freshPage();
      await drainBurst(l, page, 1);
      const waiting = l.acquire(page, 'default', undefined);
      await l.close();
      expect(await waiting).toMatchObject({ ok: false });
    });
  });
}
