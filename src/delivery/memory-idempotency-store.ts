import type { CancelSignal } from '../call/bounds';
import type { ClaimResult, IdempotencyOptions, IdempotencyStore, StoredOutcome, WaitResult } from './delivery-types';

type Entry =
  | { state: 'pending'; fingerprint: string; expiresAt: number }
  | { state: 'done'; fingerprint: string; expiresAt: number; outcome: StoredOutcome };

type Waiter = (result: WaitResult) => void;

/**
 * The embedded idempotency store: one process, a Map kept in least-recently-used order.
 *
 * Bound: at most `maxKeys` entries, evicting the least recently used *finished* (or expired) entry.
 * An in-flight claim is never evicted — dropping it would let a repeat claim the key and send a
 * second time — so when every entry is in flight the map grows past `maxKeys` by the number of sends
 * in flight, which the server's own concurrency limits (and `claimTtlMs`) bound. Refusing the claim
 * instead would fail fresh requests for a memory bound, which is worse than a short overshoot.
 *
 * Expiry is lazy (checked on access, and expired entries are the first evicted): no sweeping timer.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private closed = false;

  constructor(
    private readonly options: IdempotencyOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Number of entries held (expired ones included until touched or evicted); for tests and metrics. */
  get size(): number {
    return this.entries.size;
  }

  async claim(key: string, fingerprint: string): Promise<ClaimResult> {
    const entry = this.live(key);
    if (!entry) {
      this.set(key, { state: 'pending', fingerprint, expiresAt: this.now() + this.options.claimTtlMs });
      this.evict();
      return { kind: 'claimed' };
    }
    this.set(key, entry);
    if (entry.fingerprint !== fingerprint) return { kind: 'mismatch' };
    return entry.state === 'done' ? { kind: 'done', outcome: entry.outcome } : { kind: 'in-flight' };
  }

  async complete(key: string, fingerprint: string, outcome: StoredOutcome): Promise<void> {
    const entry = this.live(key);
    // A different request took the key after our claim expired: its record wins, ours is dropped.
    if (entry && entry.fingerprint !== fingerprint) return;
    // Recorded even when our claim expired meanwhile: the send happened, so a repeat must replay it.
    this.set(key, { state: 'done', fingerprint, expiresAt: this.now() + this.options.windowMs, outcome });
    this.evict();
    this.notify(key, { kind: 'done', outcome });
  }

  async release(key: string, fingerprint: string): Promise<void> {
    const entry = this.live(key);
    if (!entry || entry.state !== 'pending' || entry.fingerprint !== fingerprint) return;
    this.entries.delete(key);
    this.notify(key, { kind: 'released' });
  }

  async extend(key: string, fingerprint: string, ttlMs: number): Promise<void> {
    const entry = this.live(key);
    if (entry?.state === 'pending' && entry.fingerprint === fingerprint) entry.expiresAt = Math.max(entry.expiresAt, this.now() + ttlMs);
  }

  wait(key: string, fingerprint: string, deadline: number, signal?: CancelSignal): Promise<WaitResult> {
    const entry = this.live(key);
    if (!entry) return Promise.resolve({ kind: 'released' });
    if (entry.fingerprint !== fingerprint) return Promise.resolve({ kind: 'mismatch' });
    if (entry.state === 'done') return Promise.resolve({ kind: 'done', outcome: entry.outcome });
    if (this.closed || signal?.aborted) return Promise.resolve({ kind: 'timeout' });

    return new Promise<WaitResult>((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const waiters = set;
      // Whichever comes first ends the wait; the claim's own expiry means its owner is gone.
      const claimEnds = entry.expiresAt <= deadline;
      const timer = setTimeout(
        () => finish(claimEnds ? this.afterClaimExpiry(key, fingerprint) : { kind: 'timeout' }),
        Math.max(0, Math.min(deadline, entry.expiresAt) - this.now()),
      );
      const onAbort = () => finish({ kind: 'timeout' });
      const finish: Waiter = (result) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        waiters.delete(finish);
        if (waiters.size === 0 && this.waiters.get(key) === waiters) this.waiters.delete(key);
        resolve(result);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.add(finish);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const finish of [...set]) finish({ kind: 'timeout' });
    this.waiters.clear();
    this.entries.clear();
  }

  /** What a waiter sees when the claim it waited on reaches its TTL (another call may have finished it). */
  private afterClaimExpiry(key: string, fingerprint: string): WaitResult {
    const entry = this.live(key);
    if (!entry) return { kind: 'released' };
    if (entry.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (entry.state === 'done') return { kind: 'done', outcome: entry.outcome };
    // A fresh claim by someone else (possible with an injected clock): treat as released so the waiter re-claims
    // and, finding it in flight, waits again with its own deadline.
    return { kind: 'released' };
  }

  /** The entry of a key unless it has expired (an expired one is deleted on the way). */
  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Stores an entry at the most-recently-used end (Map iteration follows insertion order). */
  private set(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  private evict(): void {
    let excess = this.entries.size - this.options.maxKeys;
    if (excess <= 0) return;
    const now = this.now();
    // One pass from the least recently used end. In-flight claims met on the way move to the
    // recent end, so a run of them at the old end is not rescanned by every later claim.
    let budget = this.entries.size;
    for (const [key, entry] of this.entries) {
      if (excess <= 0 || budget-- <= 0) break;
      if (entry.state === 'done' || entry.expiresAt <= now) {
        this.entries.delete(key);
        excess--;
      } else {
        this.set(key, entry);
      }
    }
  }

  private notify(key: string, result: WaitResult): void {
    const set = this.waiters.get(key);
    if (!set) return;
    for (const finish of [...set]) finish(result);
  }
}
