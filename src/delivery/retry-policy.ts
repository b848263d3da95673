import { isRateLimitCode, isTransientError, pausesPage } from '../errors/graph-catalogue';
import type { GraphOutcome } from '../graph/graph-types';
import type { RetryOptions } from './delivery-types';

/** A retry is not scheduled unless it starts at least this long before the caller's deadline. */
export const RETRY_DEADLINE_MARGIN_MS = 50;
/** Pause of a page after a rate-limit error or a usage header past the threshold, when Graph gives no estimate. */
export const DEFAULT_PAUSE_MS = 1_000;


/** Why an outcome may be retried; undefined when Graph may have delivered (or a retry cannot help). */
export type RetryReason = 'not-sent' | 'rate-limited' | 'transient' | 'repeatable';

/**
 * Classifies an outcome for retrying. A request that acts (a POST that sends) qualifies only when
 * Graph certainly did not act on it; one that is safe to repeat (a GET, a DELETE) also after a
 * timeout, a lost connection or a bare 5xx, which may have been served but change nothing twice.
 */
export function retryReason(outcome: GraphOutcome, safeToRepeat = false): RetryReason | undefined {
  if (safeToRepeat && (outcome.kind === 'timeout' || outcome.kind === 'unreachable' || (outcome.kind === 'http-error' && outcome.status >= 500))) {
    return 'repeatable';
  }
  switch (outcome.kind) {
    case 'unreachable':
      // A reset after the request was written may have been delivered: only a refused connection is safe.
      return outcome.maybeDelivered ? undefined : 'not-sent';
    case 'graph-error': {
      const { code, isTransient } = outcome.error;
      if (isRateLimitCode(code)) return 'rate-limited';
      if (isTransientError(code, isTransient)) return 'transient';
      return undefined;
    }
    // timeout: the request may have been processed; http-error: a bare 5xx may have been too;
    // bad-response: Graph answered something, perhaps after sending; cancelled: the caller gave up.
    default:
      return undefined;
  }
}

/**
 * The delay before the next attempt in ms, or undefined for "do not retry". `attempt` counts the
 * attempts made so far (1 = the first just failed); `remainingMs` is the time left to the deadline;
 * `safeToRepeat`: the request changes nothing when Graph serves it twice (GET, DELETE).
 */
export function retryDelayMs(
  outcome: GraphOutcome,
  attempt: number,
  options: RetryOptions,
  remainingMs: number,
  random: () => number = Math.random,
  safeToRepeat = false,
): number | undefined {
  if (attempt >= options.maxAttempts) return undefined;
  const reason = retryReason(outcome, safeToRepeat);
  if (reason === undefined) return undefined;
  let delay: number | undefined;
  if (reason === 'rate-limited' && outcome.kind === 'graph-error') {
    const regain = outcome.usage?.regainAccessSeconds;
    // Graph's own estimate beats a guess: retrying sooner would only meet the same limit.
    if (regain !== undefined) delay = regain * 1000;
  }
  delay ??= backoffMs(attempt, options, random);
  if (delay >= remainingMs - RETRY_DEADLINE_MARGIN_MS) return undefined;
  return delay;
}

/**
 * Exponential backoff with equal jitter: half of `base * 2^(attempt-1)` (capped) is fixed and half is
 * random, so retries of many callers spread out but none comes back at once (full jitter may give 0 ms).
 */
export function backoffMs(attempt: number, options: RetryOptions, random: () => number = Math.random): number {
  const exp = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const half = exp / 2;
  return Math.round(half + random() * half);
}

/**
 * Epoch ms until which the page should stop sending, or undefined for no pause: after a rate-limit
 * error (except code 9, a per-user limit), or an answer whose usage headers reach `thresholdPercent`.
 * Graph's `estimated_time_to_regain_access` when present, else `defaultPauseMs` (1 s: long enough for
 * the per-second window behind 613 to drain, short enough that a page probes again soon).
 */
export function pauseUntil(
  outcome: GraphOutcome,
  now: number,
  thresholdPercent: number,
  defaultPauseMs: number = DEFAULT_PAUSE_MS,
): number | undefined {
  if (outcome.kind !== 'ok' && outcome.kind !== 'graph-error') return undefined;
  // Code 9 limits one user's actions, not the page: it never pauses the whole page.
  const rateLimited = outcome.kind === 'graph-error' && pausesPage(outcome.error.code);
  // The hot path: most answers carry no usage header (the client parsed none).
  if (!rateLimited && outcome.usage === undefined) return undefined;
  const usage = outcome.usage ?? {};
  const over = Math.max(usage.appPercent ?? 0, usage.pagePercent ?? 0, usage.businessPercent ?? 0) >= thresholdPercent;
  if (!rateLimited && !over) return undefined;
  const regain = usage.regainAccessSeconds;
  return now + (regain !== undefined ? regain * 1000 : defaultPauseMs);
}
