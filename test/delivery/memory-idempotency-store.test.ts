import { describe, expect, it, vi } from 'vitest';
import { MemoryIdempotencyStore } from '../../src/delivery/memory-idempotency-store';
import { idempotencySuite, OPTIONS, RESPONSE } from './idempotency-suite';

idempotencySuite('memory', async (options) => new MemoryIdempotencyStore(options));

describe('MemoryIdempotencyStore specifics', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('expires entries on an injected clock (no real waiting)', async () => {
    const c = clock();
    const s = new MemoryIdempotencyStore({ ...OPTIONS, windowMs: 24 * 3600_000, claimTtlMs: 30_000 }, c.now);
    await s.claim('k', 'fp');
    c.advance(29_999);
    expect(await s.claim('k', 'fp')).toEqual({ kind: 'in-flight' });
    c.advance(1);
    expect(await s.claim('k', 'fp')).toEqual({ kind: 'claimed' });
    await s.complete('k', 'fp', RESPONSE);
    c.advance(24 * 3600_000 - 1);
    expect(await s.claim('k', 'fp')).toEqual({ kind: 'done', outcome: RESPONSE });
    c.advance(1);
    expect(await s.claim('k', 'fp')).toEqual({ kind: 'claimed' });
  });

  it('evicts the least recently used finished keys beyond maxKeys', async () => {
    const s = new MemoryIdempotencyStore({ ...OPTIONS, maxKeys: 3 });
    for (const k of ['a', 'b', 'c']) {
      await s.claim(k, 'fp');
      await s.complete(k, 'fp', RESPONSE);
    }
    await s.claim('a', 'fp'); // a is now the most recently used: b is the oldest
    await s.claim('d', 'fp');
    expect(s.size).toBe(3);
    expect(await s.claim('b', 'fp')).toEqual({ kind: 'claimed' }); // b was evicted (and claims now, evicting c)
    expect(await s.claim('a', 'fp')).toEqual({ kind: 'done', outcome: RESPONSE });
    expect(s.size).toBe(3);
  });

  it('never evicts an in-flight claim: it grows past maxKeys instead', async () => {
    const s = new MemoryIdempotencyStore({ ...OPTIONS, maxKeys: 2 });
    for (const k of ['a', 'b', 'c', 'd']) expect(await s.claim(k, 'fp')).toEqual({ kind: 'claimed' });
    expect(s.size).toBe(4);
    for (const k of ['a', 'b', 'c', 'd']) expect(await s.claim(k, 'fp')).toEqual({ kind: 'in-flight' });
    // As claims finish, the bound is restored by evicting finished keys.
    for (const k of ['a', 'b', 'c']) await s.complete(k, 'fp', RESPONSE);
    await s.claim('e', 'fp');
    expect(s.size).toBe(2);
    expect(await s.claim('d', 'fp')).toEqual({ kind: 'in-flight' });
    expect(await s.claim('e', 'fp')).toEqual({ kind: 'in-flight' });
  });

  it('stays bounded under many keys', async () => {
    const s = new MemoryIdempotencyStore({ ...OPTIONS, maxKeys: 100 });
    for (let i = 0; i < 5_000; i++) {
      await s.claim(`k${i}`, 'fp');
      await s.complete(`k${i}`, 'fp', RESPONSE);
    }
    expect(s.size).toBe(100);
    expect(await s.claim('k4999', 'fp')).toEqual({ kind: 'done', outcome: RESPONSE });
    expect(await s.claim('k0', 'fp')).toEqual({ kind: 'claimed' });
  });

  it('clears the timer of every finished wait', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const s = new MemoryIdempotencyStore(OPTIONS);
      await s.claim('k', 'fp');
      const controller = new AbortController();
      const waits = [s.wait('k', 'fp', Date.now() + 60_000), s.wait('k', 'fp', Date.now() + 60_000, controller.signal)];
      expect(vi.getTimerCount()).toBe(2);
      controller.abort();
      expect(await waits[1]).toEqual({ kind: 'timeout' });
      expect(vi.getTimerCount()).toBe(1);
      await s.complete('k', 'fp', RESPONSE);
      expect(await waits[0]).toEqual({ kind: 'done', outcome: RESPONSE });
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('close ends pending waits and leaves no timers behind', async () => {
    const s = new MemoryIdempotencyStore(OPTIONS);
    await s.claim('k', 'fp');
    const waiting = s.wait('k', 'fp', Date.now() + 60_000);
    await s.close();
    expect(await waiting).toEqual({ kind: 'timeout' });
  });
});
