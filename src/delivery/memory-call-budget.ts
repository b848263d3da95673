import type { BudgetAnswer, BudgetLimit, CallBudget } from './call-budget';

/**
 * A sliding-window budget in this process: the times of the calls taken in the last window,
 * per key. Exact (a log, not a counter): a quota of 10 holds 10 times per Page at most.
 */
export class MemoryCallBudget implements CallBudget {
  private readonly taken = new Map<string, number[]>();

  constructor(
    private readonly limit: BudgetLimit,
    private readonly now: () => number = Date.now,
  ) {
    if (!(limit.calls > 0) || !(limit.windowMs > 0)) throw new RangeError('a budget needs calls > 0 and windowMs > 0');
  }

  take(key: string, n = 1): Promise<BudgetAnswer> {
    const now = this.now();
    const times = this.live(key, now);
    if (times.length + n > this.limit.calls) {
      // The call that frees the n-th slot is the (len + n - calls)-th oldest.
      const freeing = times[Math.min(times.length - 1, times.length + n - this.limit.calls - 1)];
      const retryAfterMs = n > this.limit.calls || freeing === undefined ? this.limit.windowMs : Math.max(1, freeing + this.limit.windowMs - now);
      return Promise.resolve({ ok: false, retryAfterMs, remaining: this.limit.calls - times.length });
    }
    for (let i = 0; i < n; i++) times.push(now);
    this.taken.set(key, times);
    return Promise.resolve({ ok: true, remaining: this.limit.calls - times.length });
  }

  remaining(key: string): Promise<number> {
    return Promise.resolve(this.limit.calls - this.live(key, this.now()).length);
  }

  /** The key's calls still inside the window; a key with none is forgotten. */
  private live(key: string, now: number): number[] {
    const times = this.taken.get(key);
    if (!times) return [];
    const from = now - this.limit.windowMs;
    let i = 0;
    while (i < times.length && times[i]! <= from) i++;
    if (i > 0) times.splice(0, i);
    if (times.length === 0) this.taken.delete(key);
    return times;
  }
}
