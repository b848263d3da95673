import type { IncomingHttpHeaders } from 'node:http';
import { RATE_LIMIT_CODES, TRANSIENT_CODES } from '../errors/graph-error-mapping';
import type { GraphOutcome } from '../graph/graph-client';
import { parseUsageHeaders } from '../graph/usage-headers';
import type { RetryOptions } from './delivery-types';

/** A retry is not scheduled unless it starts at least this long before the caller's deadline. */
export const RETRY_DEADLINE_MARGIN_MS = 50;
/** Pause of a page after a rate-limit error or a usage header past the threshold, when Graph gives no estimate. */
export const DEFAULT_PAUSE_MS = 1_000;

/** Graph's code 9 limits one user's actions, not the page: it never pauses the whole page. */
const PER_USER_RATE_LIMIT_CODE = 9;
const USAGE_HEADERS = ['x-app-usage', 'x-page-usage', 'x-business-use-case-usage'] as const;

/** Why an outcome may be retried; undefined when Graph may have delivered (or a retry cannot help). */
export type RetryReason = 'not-sent' | 'rate-limited' | 'transient';

/** Classifies an outcome for retrying: only outcomes where Graph certainly did not deliver qualify. */
export function retryReason(outcome: GraphOutcome): RetryReason | undefined {
  switch (outcome.kind) {
    case 'unreachable':
      // A reset after the request was written may have been delivered: only a refused connection is safe.
      return outcome.maybeDelivered ? undefined : 'not-sent';
    case 'graph-error': {
      const { code, isTransient } = outcome.error;
      if (RATE_LIMIT_CODES.has(code)) return 'rate-limited';
      if (TRANSIENT_CODES.has(code) || isTransient === true) return 'transient';
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
 * attempts made so far (1 = the first just failed); `remainingMs` is the time left to the deadline.
 */
export function retryDelayMs(
  outcome: GraphOutcome,
  attempt: number,
  options: RetryOptions,
  remainingMs: number,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= options.maxAttempts) return undefined;
  const reason = retryReason(outcome);
  if (reason === undefined) return undefined;
  let delay: number | undefined;
  if (reason === 'rate-limited' && outcome.kind === 'graph-error') {
    const regain = regainSeconds(outcome.headers);
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
  const rateLimited =
    outcome.kind === 'graph-error' && RATE_LIMIT_CODES.has(outcome.error.code) && outcome.error.code !== PER_USER_RATE_LIMIT_CODE;
  // The hot path: most answers carry no usage header, and then nothing is parsed.
  if (!rateLimited && !hasUsageHeaders(outcome.headers)) return undefined;
  const usage = hasUsageHeaders(outcome.headers) ? parseUsageHeaders(outcome.headers) : {};
  const over = Math.max(usage.appPercent ?? 0, usage.pagePercent ?? 0, usage.businessPercent ?? 0) >= thresholdPercent;
  if (!rateLimited && !over) return undefined;
  const regain = usage.regainAccessSeconds;
  return now + (regain !== undefined ? regain * 1000 : defaultPauseMs);
}

function regainSeconds(headers: IncomingHttpHeaders): number | undefined {
  return hasUsageHeaders(headers) ? parseUsageHeaders(headers).regainAccessSeconds : undefined;
}

function hasUsageHeaders(headers: IncomingHttpHeaders): boolean {
  return USAGE_HEADERS.some((name) => headers[name] !== undefined);
}
