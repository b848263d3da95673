/**
 * A budget of calls per sliding window, per key (a Page): Meta's quotas that are not rates,
 * such as the Messenger Profile API's 10 calls per 10 minutes per Page, enforced before Graph
 * would. One budget instance per quota; in memory (one replica) or in Redis (every replica).
 */
export interface CallBudget {
  /**
   * Takes `n` calls of `key`'s budget at once, or none: the answer says how many are left,
   * or how long until `n` are free. Rejects with StoreUnavailableError when Redis fails.
   */
  take(key: string, n?: number): Promise<BudgetAnswer>;
  /** How many calls `key` could take now, without taking them. */
  remaining(key: string): Promise<number>;
}

export type BudgetAnswer = { ok: true; remaining: number } | { ok: false; retryAfterMs: number; remaining: number };

/** A quota: `calls` per `windowMs`. */
export interface BudgetLimit {
  /** Names the quota in Redis keys and messages (`profile`). */
  name: string;
  calls: number;
  windowMs: number;
}
