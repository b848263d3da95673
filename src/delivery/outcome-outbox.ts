import type { CancelSignal } from '../call/bounds';
import type { ClaimResult, IdempotencyStore, StoredOutcome, WaitResult } from './delivery-types';
import { StoreUnavailableError } from '../store/store-unavailable-error';

/** Bounds of the outbox. */
export interface OutboxOptions {
  /** Most outcomes held (default 10,000); past it `complete` fails as before (STORE_UNAVAILABLE). */
  maxEntries?: number;
  /** How often the background flush retries the shared store (default 250 ms). */
  retryMs?: number;
  /** Reports a flush that failed, at most once per outage. */
  onUnflushed?: (held: number) => void;
}

interface Held {
  fingerprint: string;
  outcome: StoredOutcome;
}

/**
 * An idempotency store in front of a shared one (Redis) that never loses an outcome it was told.
 *
 * When recording a finished send fails (Redis down), the outcome goes into a bounded local outbox,
 * retried in the background until the shared store takes it. Meanwhile a repeat on this replica is
 * answered from the outbox (a replay, never a second send), and a repeat on another replica finds
 * the claim still pending in Redis (ABORTED IDEMPOTENT_SEND_IN_FLIGHT). The write that flushes an
 * outcome records it whatever became of the claim (see COMPLETE), so a claim that expired during the
 * outage is re-asserted as done, unless a different request took the key.
 */
export class OutboxIdempotencyStore implements IdempotencyStore {
  private readonly held = new Map<string, Held>();
  private readonly maxEntries: number;
  private readonly retryMs: number;
  private timer: NodeJS.Timeout | undefined;
  private flushing = false;
  private reported = false;

  constructor(
    private readonly inner: IdempotencyStore,
    private readonly options: OutboxOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.retryMs = options.retryMs ?? 250;
  }

  /** Outcomes waiting for the shared store; for tests and logs. */
  get size(): number {
    return this.held.size;
  }

  claim(key: string, fingerprint: string): Promise<ClaimResult> {
    // One size check on the hot path; the map is only read while something is held.
    if (this.held.size > 0) {
      const h = this.held.get(key);
      if (h) return Promise.resolve(h.fingerprint === fingerprint ? { kind: 'done', outcome: h.outcome } : { kind: 'mismatch' });
    }
    return this.inner.claim(key, fingerprint);
  }

  async complete(key: string, fingerprint: string, outcome: StoredOutcome): Promise<void> {
    try {
      await this.inner.complete(key, fingerprint, outcome);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError) || this.held.size >= this.maxEntries) throw err;
      this.held.set(key, { fingerprint, outcome });
      this.schedule();
    }
  }

  release(key: string, fingerprint: string): Promise<void> {
    return this.inner.release(key, fingerprint);
  }

  extend(key: string, fingerprint: string, ttlMs: number): Promise<void> {
    return this.inner.extend(key, fingerprint, ttlMs);
  }

  async wait(key: string, fingerprint: string, deadline: number, signal?: CancelSignal): Promise<WaitResult> {
    const before = this.fromOutbox(key, fingerprint);
    if (before) return before;
    try {
      return await this.inner.wait(key, fingerprint, deadline, signal);
    } catch (err) {
      // The owner on this replica may have moved the outcome here while Redis was failing.
      const after = this.fromOutbox(key, fingerprint);
      if (after) return after;
      throw err;
    }
  }

  /** Tries once more to hand every held outcome over, then stops the background retries. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inner.close();
  }

  private fromOutbox(key: string, fingerprint: string): WaitResult | undefined {
    if (this.held.size === 0) return undefined;
    const h = this.held.get(key);
    if (!h) return undefined;
    return h.fingerprint === fingerprint ? { kind: 'done', outcome: h.outcome } : { kind: 'mismatch' };
  }

  private schedule(): void {
    if (this.timer || this.held.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().then(() => this.schedule());
    }, this.retryMs);
    this.timer.unref();
  }

  /** Writes held outcomes in insertion order; stops at the first failure (Redis is still down). */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      for (const [key, h] of [...this.held]) {
        try {
          await this.inner.complete(key, h.fingerprint, h.outcome);
        } catch {
          if (!this.reported) this.options.onUnflushed?.(this.held.size);
          this.reported = true;
          return;
        }
        if (this.held.get(key) === h) this.held.delete(key);
      }
      this.reported = false;
    } finally {
      this.flushing = false;
    }
  }
}
