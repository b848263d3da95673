import { describe, expect, it } from 'vitest';
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

  it('refuses non-positive rates', () => {
    expect(() => new MemoryRateLimiter({ ...LIMITS, mediaPerSecond: 0 })).toThrow(RangeError);
  });
});
