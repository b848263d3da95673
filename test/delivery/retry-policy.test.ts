import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { GraphError } from '../../gen/messenger/v1/errors';
import type { RetryOptions } from '../../src/delivery/delivery-types';
import { backoffMs, DEFAULT_PAUSE_MS, pauseUntil, RETRY_DEADLINE_MARGIN_MS, retryDelayMs, retryReason } from '../../src/delivery/retry-policy';
import type { GraphOutcome } from '../../src/graph/graph-types';
import { usageOf } from '../../src/graph/usage-headers';

const options: RetryOptions = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };
const FAR = 60_000;
const midJitter = () => 0.5;

function graphError(code: number, isTransient?: boolean, headers: IncomingHttpHeaders = {}): GraphOutcome {
  const error: GraphError = {
    code, errorSubcode: 0, type: 'OAuthException', message: '', fbtraceId: '', isTransient,
    errorUserTitle: '', errorUserMsg: '', errorData: undefined, httpStatus: 400,
  };
  return { kind: 'graph-error', status: 400, error, usage: usageOf(headers) };
}

const buc = (regainMinutes: number, callCount = 100): IncomingHttpHeaders => ({
  'x-business-use-case-usage': JSON.stringify({ '1': [{ type: 'messenger', call_count: callCount, total_cputime: 1, total_time: 1, estimated_time_to_regain_access: regainMinutes }] }),
});

const ok = { kind: 'ok', status: 200, body: { message_id: 'm' } } as const satisfies GraphOutcome;

describe('retryReason / retryDelayMs: which outcomes are retried', () => {
  const table: Array<[string, GraphOutcome, ReturnType<typeof retryReason>]> = [
    ['ok', ok, undefined],
    ['unreachable, request never left', { kind: 'unreachable', detail: 'ECONNREFUSED', maybeDelivered: false }, 'not-sent'],
    ['unreachable, maybe delivered (reset after write)', { kind: 'unreachable', detail: 'ECONNRESET', maybeDelivered: true }, undefined],
    ['timeout of a sent request', { kind: 'timeout', timeoutMs: 5000, maybeDelivered: true }, undefined],
    ['timeout before sending', { kind: 'timeout', timeoutMs: 0, maybeDelivered: false }, undefined],
    ['cancelled', { kind: 'cancelled' }, undefined],
    ['bad-response', { kind: 'bad-response', status: 200, detail: 'answer is not JSON' }, undefined],
    ['http-error 502 (may have been processed)', { kind: 'http-error', status: 502, usage: usageOf({}) }, undefined],
    ['http-error 503', { kind: 'http-error', status: 503, usage: usageOf({}) }, undefined],
    ...[4, 9, 17, 32, 341, 613, 80001, 80002, 80006].map((code): [string, GraphOutcome, 'rate-limited'] => [`graph-error ${code}`, graphError(code), 'rate-limited']),
    ...[1, 2, 1200].map((code): [string, GraphOutcome, 'transient'] => [`graph-error ${code}`, graphError(code), 'transient']),
    ['graph-error 100 with is_transient', graphError(100, true), 'transient'],
    ['graph-error 100', graphError(100), undefined],
    ['graph-error 100 is_transient false', graphError(100, false), undefined],
    ['graph-error 551', graphError(551), undefined],
    ['graph-error 190', graphError(190), undefined],
    ['graph-error 10', graphError(10), undefined],
    ['graph-error 368', graphError(368), undefined],
  ];

  it.each(table)('%s', (_name, outcome, reason) => {
    expect(retryReason(outcome)).toBe(reason);
    const delay = retryDelayMs(outcome, 1, options, FAR, midJitter);
    if (reason === undefined) expect(delay).toBeUndefined();
    else expect(delay).toBe(75); // equal jitter of 100 ms at the middle
  });
});

describe('retryReason with safeToRepeat (GET, DELETE): answers that may have been served are retried too', () => {
  const table: Array<[string, GraphOutcome, ReturnType<typeof retryReason>]> = [
    ['ok', ok, undefined],
    ['unreachable, maybe served (reset after write)', { kind: 'unreachable', detail: 'ECONNRESET', maybeDelivered: true }, 'repeatable'],
    ['unreachable, request never left', { kind: 'unreachable', detail: 'ECONNREFUSED', maybeDelivered: false }, 'repeatable'],
    ['timeout of a sent request', { kind: 'timeout', timeoutMs: 5000, maybeDelivered: true }, 'repeatable'],
    ['http-error 503', { kind: 'http-error', status: 503, usage: usageOf({}) }, 'repeatable'],
    ['http-error 404 (an answer: repeating it changes nothing)', { kind: 'http-error', status: 404, usage: usageOf({}) }, undefined],
    ['cancelled (the caller gave up)', { kind: 'cancelled' }, undefined],
    ['bad-response', { kind: 'bad-response', status: 200, detail: 'answer is not JSON' }, undefined],
    ['graph-error 613', graphError(613), 'rate-limited'],
    ['graph-error 2', graphError(2), 'transient'],
    ['graph-error 100', graphError(100), undefined],
  ];

  it.each(table)('%s', (_name, outcome, reason) => {
    expect(retryReason(outcome, true)).toBe(reason);
    const delay = retryDelayMs(outcome, 1, options, FAR, midJitter, true);
    if (reason === undefined) expect(delay).toBeUndefined();
    else expect(delay).toBe(75);
  });
});

describe('retryDelayMs: backoff, bounds and Graph estimates', () => {
  const refused: GraphOutcome = { kind: 'unreachable', detail: 'ECONNREFUSED', maybeDelivered: false };

  it('grows exponentially and is capped at maxDelayMs', () => {
    const low = () => 0;
    const high = () => 1;
    expect([1, 2, 3].map((a) => retryDelayMs(refused, a, options, FAR, high))).toEqual([100, 200, 400]);
    expect([1, 2, 3].map((a) => retryDelayMs(refused, a, options, FAR, low))).toEqual([50, 100, 200]);
    const many = { ...options, maxAttempts: 100 };
    expect(retryDelayMs(refused, 20, many, FAR, high)).toBe(1_000);
    expect(retryDelayMs(refused, 20, many, FAR, low)).toBe(500);
  });

  it('keeps every jittered delay within [exp/2, exp]', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      for (let i = 0; i < 50; i++) {
        const d = backoffMs(attempt, options);
        const exp = Math.min(1_000, 100 * 2 ** (attempt - 1));
        expect(d).toBeGreaterThanOrEqual(exp / 2);
        expect(d).toBeLessThanOrEqual(exp);
      }
    }
  });

  it('stops at maxAttempts (the first attempt counts)', () => {
    expect(retryDelayMs(refused, 3, options, FAR, midJitter)).toBeDefined();
    expect(retryDelayMs(refused, 4, options, FAR, midJitter)).toBeUndefined();
    expect(retryDelayMs(refused, 1, { ...options, maxAttempts: 1 }, FAR, midJitter)).toBeUndefined();
  });

  it('never retries when the delay does not fit before the deadline (with a margin)', () => {
    // delay 75 ms: needs more than 75 + margin remaining.
    expect(retryDelayMs(refused, 1, options, 75 + RETRY_DEADLINE_MARGIN_MS + 1, midJitter)).toBe(75);
    expect(retryDelayMs(refused, 1, options, 75 + RETRY_DEADLINE_MARGIN_MS, midJitter)).toBeUndefined();
    expect(retryDelayMs(refused, 1, options, 0, midJitter)).toBeUndefined();
    expect(retryDelayMs(refused, 1, options, -10, midJitter)).toBeUndefined();
  });

  it("waits Graph's estimated_time_to_regain_access on a rate limit, when it fits", () => {
    const limited = graphError(80006, undefined, buc(1));
    expect(retryDelayMs(limited, 1, options, 120_000, midJitter)).toBe(60_000);
    expect(retryDelayMs(limited, 1, options, 30_000, midJitter)).toBeUndefined();
  });

  it('uses the backoff for a rate limit without an estimate', () => {
    expect(retryDelayMs(graphError(613, undefined, buc(0)), 2, options, FAR, midJitter)).toBe(150);
  });

  it('ignores the estimate of a transient error (it is not a rate limit)', () => {
    expect(retryDelayMs(graphError(1200, undefined, buc(5)), 1, options, FAR, midJitter)).toBe(75);
  });
});

describe('pauseUntil', () => {
  const now = 1_000_000;

  it('pauses for the regain estimate after a rate-limit error', () => {
    expect(pauseUntil(graphError(613, undefined, buc(2)), now, 90)).toBe(now + 120_000);
  });

  it('pauses for the default without an estimate', () => {
    for (const code of [4, 17, 32, 613, 80001, 80006]) expect(pauseUntil(graphError(code), now, 90)).toBe(now + DEFAULT_PAUSE_MS);
    expect(pauseUntil(graphError(613), now, 90, 5_000)).toBe(now + 5_000);
  });

  it('does not pause the page for a per-user limit (code 9)', () => {
    expect(pauseUntil(graphError(9), now, 90)).toBeUndefined();
  });

  it('pauses when a usage header reaches the threshold, even on success', () => {
    expect(pauseUntil({ ...ok, usage: usageOf({ 'x-app-usage': '{"call_count":95}' }) }, now, 90)).toBe(now + DEFAULT_PAUSE_MS);
    expect(pauseUntil({ ...ok, usage: usageOf({ 'x-page-usage': '{"total_time":90}' }) }, now, 90)).toBe(now + DEFAULT_PAUSE_MS);
    expect(pauseUntil({ ...ok, usage: usageOf(buc(3, 99)) }, now, 90)).toBe(now + 180_000);
    expect(pauseUntil(graphError(100, undefined, buc(0, 99)), now, 90)).toBe(now + DEFAULT_PAUSE_MS);
  });

  it('does not pause below the threshold or without headers', () => {
    expect(pauseUntil(ok, now, 90)).toBeUndefined();
    expect(pauseUntil({ ...ok, usage: usageOf({ 'x-app-usage': '{"call_count":89}' }) }, now, 90)).toBeUndefined();
    expect(pauseUntil({ ...ok, usage: usageOf({ 'x-app-usage': 'garbage' }) }, now, 90)).toBeUndefined();
    expect(pauseUntil(graphError(100), now, 90)).toBeUndefined();
  });

  it('does not pause on outcomes without an answer', () => {
    expect(pauseUntil({ kind: 'timeout', timeoutMs: 1, maybeDelivered: true }, now, 90)).toBeUndefined();
    expect(pauseUntil({ kind: 'unreachable', detail: '', maybeDelivered: false }, now, 90)).toBeUndefined();
    expect(pauseUntil({ kind: 'http-error', status: 429, usage: usageOf(buc(1)) }, now, 90)).toBeUndefined();
    expect(pauseUntil({ kind: 'cancelled' }, now, 90)).toBeUndefined();
  });
});
