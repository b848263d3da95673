import { describe, expect, it } from 'vitest';
import { MemoryIdempotencyStore } from '../../src/delivery/memory-idempotency-store';
import { OutboxIdempotencyStore } from '../../src/delivery/outcome-outbox';
import { StoreUnavailableError } from '../../src/store/store-unavailable-error';
import type { StoredOutcome } from '../../src/delivery/delivery-types';
import { waitFor } from '../support/wait-for';

/** A memory store whose writes fail while `down` is set, as Redis's do. */
function flakyStore() {
  const inner = new MemoryIdempotencyStore({ windowMs: 60_000, claimTtlMs: 60_000, maxKeys: 1000 });
  const state = { down: false };
  const guard = <T>(f: () => Promise<T>) => (state.down ? Promise.reject(StoreUnavailableError.during('delivery store', 'test', new Error('down'))) : f());
  const store = {
    claim: (k: string, fp: string) => guard(() => inner.claim(k, fp)),
    complete: (k: string, fp: string, o: StoredOutcome) => guard(() => inner.complete(k, fp, o)),
    release: (k: string, fp: string) => guard(() => inner.release(k, fp)),
    extend: (k: string, fp: string, ttl: number) => guard(() => inner.extend(k, fp, ttl)),
    wait: (k: string, fp: string, d: number) => guard(() => inner.wait(k, fp, d)),
    close: () => inner.close(),
  };
  return { store, state, inner };
}

const outcome: StoredOutcome = { kind: 'response', bytes: 'AAEC' };

describe('the outcome outbox', () => {
  it('keeps an outcome the store could not take, replays it locally, and hands it over once the store is back', async () => {
    const { store, state, inner } = flakyStore();
    const outbox = new OutboxIdempotencyStore(store, { retryMs: 20 });
    expect((await outbox.claim('k', 'fp')).kind).toBe('claimed');
    state.down = true;
    await outbox.complete('k', 'fp', outcome);
    expect(outbox.size).toBe(1);
    expect(await outbox.claim('k', 'fp')).toEqual({ kind: 'done', outcome });
    expect(await outbox.claim('k', 'other')).toEqual({ kind: 'mismatch' });
    expect(await outbox.wait('k', 'fp', Date.now() + 100)).toEqual({ kind: 'done', outcome });
    state.down = false;
    await waitFor(() => outbox.size === 0, { what: 'the outbox handing its outcome over' });
    expect(outbox.size).toBe(0);
    expect(await inner.claim('k', 'fp')).toEqual({ kind: 'done', outcome });
    await outbox.close();
  });

  it('is bounded: past maxEntries the store failure is the caller’s again', async () => {
    const { store, state } = flakyStore();
    const outbox = new OutboxIdempotencyStore(store, { maxEntries: 2, retryMs: 1_000 });
    state.down = true;
    await outbox.complete('a', 'fp', outcome);
    await outbox.complete('b', 'fp', outcome);
    await expect(outbox.complete('c', 'fp', outcome)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(outbox.size).toBe(2);
    state.down = false;
    await outbox.close();
    expect(outbox.size).toBe(0);
  });
});
