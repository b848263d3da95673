import { describe, expect, it, vi } from 'vitest';
import { MemoryRateLimiter } from '../../src/delivery/memory-rate-limiter';
import { LIMITS, rateLimiterSuite } from './rate-limiter-suite';

rateLimiterSuite('memory', async (options) => new MemoryRateLimiter(options));

describe('MemoryRateLimiter specifics', () => {
  it('refills continuously on an injected clock', async () => {
    let t = 1_000_000;
    const l = new MemoryRateLimiter({ ...LIMITS, defaultPerSecond: 10, maxWaitMs: 0 }, () => t);
    for (let i = 0; i < 10; i++) expect(await l.acquire('p', 'default', undefined)).toEqual({ ok: true });
    expect(await l.acquire('p', 'default', undefined)).toMatchObject({ ok: false, reason: 'WAIT_EXCEEDED', retryAfterMs: 100 });
    t += 100;
    expect(await l.acquire('p', 'default', undefined)).toEqual({ ok: true });
    t += 50;
    expect(await l.acquire('p', 'default', undefined)).toMatchObject({ ok: false, retryAfterMs: 50 });
    t += 10_000; // never more than one second's burst
    for (let i = 0; i < 10; i++) expect(await l.acquire('p', 'default', undefined)).toEqual({ ok: true });
    expect((await l.acquire('p', 'default', undefined)).ok).toBe(false);
    await l.close();
  });

  it('drops idle, refilled buckets and ended pauses', async () => {
    let t = 1_000_000;
    const l = new MemoryRateLimiter(LIMITS, () => t);
    for (let i = 0; i < 100; i++) await l.acquire(`page${i}`, 'default', undefined);
    expect(l.bucketCount).toBe(100);
    t += 2_000;
    await l.acquire('another', 'default', undefined);
    expect(l.bucketCount).toBe(1);
    await l.close();
  });

  it('rates below one per second still grant', async () => {
    const l = new MemoryRateLimiter({ ...LIMITS, mediaPerSecond: 0.5 });
    expect(await l.acquire('p', 'media', undefined)).toEqual({ ok: true });
    expect((await l.acquire('p', 'media', Date.now() + 100)).ok).toBe(false);
    await l.close();
  });

  it('arms one timer per bucket however many wait, and none once the queue is empty', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const l = new MemoryRateLimiter({ ...LIMITS, defaultPerSecond: 10 });
      for (let i = 0; i < 10; i++) await l.acquire('p', 'default', undefined);
      const waiting = Array.from({ length: 20 }, () => l.acquire('p', 'default', undefined));
      expect(vi.getTimerCount()).toBe(1);
      for (let i = 0; i < 10; i++) await l.acquire('q', 'default', undefined);
      const controller = new AbortController();
      const aborted = l.acquire('q', 'default', undefined, controller.signal);
      expect(vi.getTimerCount()).toBe(2);
      controller.abort();
      expect((await aborted).ok).toBe(false);
      expect(vi.getTimerCount()).toBe(1); // q's queue emptied: its timer is gone
      await vi.advanceTimersByTimeAsync(2_100);
      expect(await Promise.all(waiting)).toEqual(Array.from({ length: 20 }, () => ({ ok: true })));
      expect(vi.getTimerCount()).toBe(0);
      await l.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses non-positive rates', () => {
    expect(() => new MemoryRateLimiter({ ...LIMITS, mediaPerSecond: 0 })).toThrow(RangeError);
  });
});
