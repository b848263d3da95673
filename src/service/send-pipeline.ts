import { status } from '@grpc/grpc-js';
import type { Span } from '@opentelemetry/api';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import { Status } from '../../gen/google/rpc/status';
import { MAX_IDEMPOTENCY_KEY_LENGTH, requestFingerprint, scopedKey } from '../delivery/request-fingerprint';
import { pauseUntil, RETRY_DEADLINE_MARGIN_MS, retryDelayMs } from '../delivery/retry-policy';
import type { RateClass, StoredOutcome } from '../delivery/delivery-types';
import { StoreUnavailableError } from '../store/store-unavailable-error';
import { failureFromStatus } from '../errors/decode-status-details';
import { gatewayFailure, invalidRequest, type Failure } from '../errors/failure';
import { badResponseFailure, upstreamFailure } from '../errors/upstream-failure';
import type { Malformed } from '../graph/from-graph';
import type { CallBounds, CancelSignal } from '../call/bounds';
import type { GraphOutcome } from '../graph/graph-types';
import { annotateGraphCall, annotateIdempotencyKey, annotateRetry } from '../telemetry/send-span';
import { traceFields } from '../telemetry/log-trace-fields';
import type { FieldViolation } from '../validate/field-violation';
import { redactStrings } from '../redaction/secret-redaction';
import type { SendRecord } from './send-log';
import type { ServiceDeps } from './service-deps';

/** Metadata marking an answer replayed from the idempotency store. */
export const REPLAY_METADATA_KEY = 'messenger-idempotent-replay';
/** Request metadata that aliases the `idempotency_key` field. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
}

/** How one kind of send is validated, translated, limited and mapped back. */
export interface SendSpec<Req extends { pageId: string; idempotencyKey: string }, Res> {
  method: string;
  validate(req: Req, isPageConfigured: (pageId: string) => boolean): FieldViolation[];
  toGraph(req: Req): object;
  fromGraph(body: Record<string, unknown>): Res | Malformed;
  /** Facts of a success worth a log field and span attribute (message id, ...). */
  describe?(res: Res): Pick<SendRecord, 'messageId' | 'attachmentId'>;
  /** Span attributes of the request (messaging type, recipient kind, ...); never a credential. */
  attributes(req: Req, recordRecipient: boolean): Record<string, string | number | boolean | undefined>;
  /** Which page bucket the send draws from. */
  rateClass(req: Req): RateClass;
  requestCodec: Codec<Req>;
  responseCodec: Codec<Res>;
}

/** The part of a spec that replays need. */
type ResponseSide<Res> = Pick<SendSpec<{ pageId: string; idempotencyKey: string }, Res>, 'responseCodec' | 'describe'>;

/**
 * The spans of one send: `span` gets its facts (the unary call's server span; none for an item
 * of a stream), `parent` is the parent of its Graph client spans (the call's server span).
 * Passed explicitly: no AsyncLocalStorage carries a span across the pipeline's awaits.
 */
export interface SendTrace {
  span: Span | undefined;
  parent: Span | undefined;
}

export type SendResult<Res> =
  | { ok: true; response: Res; replayed: boolean }
  | { ok: false; failure: Failure; replayed: boolean };

const fail = (failure: Failure, replayed = false): SendResult<never> => ({ ok: false, failure, replayed });

/** One send: validate -> idempotency -> page rate limit -> Graph (with safe retries) -> map the answer. */
export async function deliver<Req extends { pageId: string; idempotencyKey: string }, Res>(
  deps: ServiceDeps,
  spec: SendSpec<Req, Res>,
  req: Req,
  callerKey: string,
  bounds: CallBounds,
  record: SendRecord,
  trace: SendTrace,
): Promise<SendResult<Res>> {
  try {
    return await startDelivery(deps, spec, req, callerKey, bounds, record, trace);
  } catch (err) {
    return storeUnavailable(deps, spec.method, err, trace.parent);
  }
}

/**
 * `deliver` without its own promise, for the unary handler, which takes the rejection in the
 * same `then` as the result (two promises fewer per send). A rejection goes through
 * `storeUnavailable`.
 */
export function startDelivery<Req extends { pageId: string; idempotencyKey: string }, Res>(
  deps: ServiceDeps,
  spec: SendSpec<Req, Res>,
  req: Req,
  callerKey: string,
  bounds: CallBounds,
  record: SendRecord,
  trace: SendTrace,
): SendResult<Res> | Promise<SendResult<Res>> {
  const violations = spec.validate(req, deps.pages.has);
  if (callerKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    violations.push({ field: 'idempotency_key', description: `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters (got ${callerKey.length})` });
  }
  if (violations.length > 0) return fail(invalidRequest(`${spec.method} request`, violations));
  if (!callerKey) return send(deps, spec, req, bounds, record, trace);
  return deliverOnce(deps, spec, req, callerKey, record, trace, bounds);
}

/** A delivery's rejection: the store-unavailable answer for a StoreUnavailableError, else rethrown. */
export function storeUnavailable(deps: ServiceDeps, method: string, err: unknown, span?: Span): SendResult<never> {
  if (!(err instanceof StoreUnavailableError)) throw err;
  deps.logger.error({ err: err.message, method, ...traceFields(span) }, 'delivery store unavailable');
  // A send that already went out was recorded by Graph; this answer only says the gateway
  // could not confirm or record it, which a retry with the same key will sort out.
  return fail(gatewayFailure(status.UNAVAILABLE, ErrorReason.STORE_UNAVAILABLE, 'the delivery store (Redis) is unreachable; retry with the same idempotency key', { retryAfterMs: 1000, nothingSent: false }));
}

/** The idempotent path: claim the key, then replay, wait, refuse, or send and record. */
async function deliverOnce<Req extends { pageId: string; idempotencyKey: string }, Res>(
  deps: ServiceDeps,
  spec: SendSpec<Req, Res>,
  req: Req,
  callerKey: string,
  record: SendRecord,
  trace: SendTrace,
  bounds: CallBounds,
): Promise<SendResult<Res>> {
  const key = scopedKey(req.pageId, callerKey);
  // The fingerprint ignores the key itself: "the same request" is everything else.
  const fingerprint = requestFingerprint(spec.method, spec.requestCodec.encode({ ...req, idempotencyKey: '' }).finish());
  annotateIdempotencyKey(trace.span);
  const store = deps.idempotency;
  for (let round = 0; round < 3; round++) {
    const claim = await store.claim(key, fingerprint);
    if (claim.kind === 'done') return replay(spec, claim.outcome, record);
    if (claim.kind === 'mismatch') return keyReused();
    if (claim.kind === 'in-flight') {
      const waited = await store.wait(key, fingerprint, bounds.deadline ?? Date.now() + deps.graphTimeoutMs, bounds.signal);
      if (waited.kind === 'done') return replay(spec, waited.outcome, record);
      if (waited.kind === 'mismatch') return keyReused();
      if (waited.kind === 'timeout') {
        return fail(gatewayFailure(status.ABORTED, ErrorReason.IDEMPOTENT_SEND_IN_FLIGHT, 'a send with this idempotency key is still in flight; retry with the same key to get its result', { retryAfterMs: 1000 }));
      }
      continue; // released: the first call sent nothing, so this one may
    }
    // Claimed. The send must finish whatever the caller does, so that its outcome can be
    // stored and replayed: the caller's deadline and cancellation no longer bound Graph.
    const finished = sendAndRecord(deps, spec, req, key, fingerprint, record, trace);
    if (bounds.deadline === undefined) return await finished;
    // The caller's deadline (less the margin) comes first: answer with the gateway's own status
    // while the send goes on and records its outcome for the retry.
    return await beforeDeadline(finished, bounds.deadline);
  }
  return fail(gatewayFailure(status.ABORTED, ErrorReason.IDEMPOTENT_SEND_IN_FLIGHT, 'the idempotency key kept changing hands; retry with the same key', { retryAfterMs: 1000 }));
}

/** The owner's send: its claim kept alive while it runs, its outcome recorded (or the key released when nothing left). */
async function sendAndRecord<Req extends { pageId: string; idempotencyKey: string }, Res>(
  deps: ServiceDeps,
  spec: SendSpec<Req, Res>,
  req: Req,
  key: string,
  fingerprint: string,
  record: SendRecord,
  trace: SendTrace,
): Promise<SendResult<Res>> {
  const store = deps.idempotency;
  const ttl = deps.delivery.idempotency.claimTtlMs;
  // A send is bounded by graph.timeoutMs (retries and the page limiter's wait included); only a
  // claim shorter than that (plus slack) needs re-extending while the send runs.
  let keepAlive: NodeJS.Timeout | undefined;
  if (ttl < deps.graphTimeoutMs + CLAIM_SLACK_MS) {
    keepAlive = setInterval(() => void store.extend(key, fingerprint, ttl).catch(() => undefined), Math.max(100, ttl / 3));
    keepAlive.unref();
  }
  let result: SendResult<Res>;
  try {
    result = await send(deps, spec, req, {}, record, trace);
  } finally {
    if (keepAlive) clearInterval(keepAlive);
  }
  if (!result.ok && result.failure.nothingSent) {
    // Not released (Redis down): the claim lapses after claimTtlMs, and nothing was sent anyway.
    await store.release(key, fingerprint).catch((err: unknown) => {
      if (!(err instanceof StoreUnavailableError)) throw err;
    });
  } else {
    // A StoreUnavailableError here means even the local outbox could not hold the outcome.
    await store.complete(key, fingerprint, stored(spec, result));
  }
  return result;
}

const CLAIM_SLACK_MS = 5_000;

/** The send's result if it comes before `deadline`, else ABORTED IDEMPOTENT_SEND_IN_FLIGHT (the send goes on). */
function beforeDeadline<Res>(finished: Promise<SendResult<Res>>, deadline: number): Promise<SendResult<Res>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      resolve(fail(gatewayFailure(status.ABORTED, ErrorReason.IDEMPOTENT_SEND_IN_FLIGHT,
        'the send is still in flight at your deadline; it goes on and its outcome is recorded: retry with the same idempotency key to get it',
        { retryAfterMs: 1000, nothingSent: false, metadata: { maybe_delivered: 'true' } })));
    }, Math.max(0, deadline - Date.now()));
    finished.then(
      (r) => {
        clearTimeout(timer);
        resolve(r);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Rate limit, Graph call and safe retries; a failure's `nothingSent` says whether Graph can have received it. */
async function send<Req extends { pageId: string; idempotencyKey: string }, Res>(
  deps: ServiceDeps,
  spec: SendSpec<Req, Res>,
  req: Req,
  bounds: CallBounds,
  record: SendRecord,
  trace: SendTrace,
): Promise<SendResult<Res>> {
  const creds = deps.pages.get(req.pageId)!;
  const body = spec.toGraph(req);
  const cls = spec.rateClass(req);
  // Without a caller deadline, retries are bounded by the configured Graph timeout.
  const budgetEnd = bounds.deadline ?? Date.now() + deps.graphTimeoutMs;
  let outcome: GraphOutcome;
  for (let attempt = 1; ; attempt++) {
    const pending = deps.rateLimiter.acquire(req.pageId, cls, budgetEnd, bounds.signal);
    const token = pending instanceof Promise ? await pending : pending;
    if (!token.ok) {
      if (attempt === 1) return fail(pageRateLimited(req.pageId, token, deps.sandbox));
      break; // a retry found no token: report the last Graph answer
    }
    const started = performance.now();
    outcome = await deps.graph.sendMessage(creds, body, bounds, trace.parent);
    annotateGraphCall(req.pageId, started, outcome.kind, 'status' in outcome ? outcome.status : undefined, 'usage' in outcome ? outcome.usage : undefined);
    const now = Date.now();
    const pause = pauseUntil(outcome, now, deps.delivery.rateLimit.pauseAtPercent);
    if (pause !== undefined) await deps.rateLimiter.pause(req.pageId, pause);
    let delay = retryDelayMs(outcome, attempt, deps.delivery.retry, budgetEnd - now);
    if (delay === undefined) break;
    // A retry waits out the page's pause too, or it would only meet the paused limiter.
    if (pause !== undefined) delay = Math.max(delay, pause - now);
    if (now + delay >= budgetEnd - RETRY_DEADLINE_MARGIN_MS) break;
    record.resends = attempt;
    annotateRetry(trace.span, attempt, delay, outcome.kind);
    if (!(await sleep(delay, bounds.signal))) {
      outcome = { kind: 'cancelled' };
      break;
    }
  }
  outcome = outcome!;
  // Only a request that never left (refused connection, deadline gone before sending) proves
  // Graph never saw it (the failure's nothingSent); anything else may have been delivered.
  if (outcome.kind !== 'ok') return fail(upstreamFailure(outcome));
  const res = spec.fromGraph(outcome.body);
  if (typeof res === 'object' && res !== null && 'malformed' in res) return fail(badResponseFailure(outcome.status, (res as Malformed).malformed));
  Object.assign(record, spec.describe?.(res as Res));
  return { ok: true, response: res as Res, replayed: false };
}

/** RESOURCE_EXHAUSTED PAGE_RATE_LIMITED: the page limiter gave no token; nothing was sent. */
export function pageRateLimited(pageId: string, token: { retryAfterMs: number; reason: string }, sandbox = false): Failure {
  // A pause is Graph's doing, not the caller's rate: say so, and when it ends.
  const message = token.reason === 'PAGE_PAUSED'
    ? `page ${pageId} is paused for ${Math.ceil(token.retryAfterMs / 1000)} s more (until ${new Date(Date.now() + token.retryAfterMs).toISOString()}) after a Graph rate-limit answer; nothing was sent` +
      (sandbox ? " (simulated: the sandbox's error-613 pauses a page for 15 s; rate-limit demos use page 1002)" : '')
    : `page ${pageId} is over its send rate (${token.reason}); nothing was sent`;
  return gatewayFailure(status.RESOURCE_EXHAUSTED, ErrorReason.PAGE_RATE_LIMITED, message, {
    retryAfterMs: token.retryAfterMs,
    metadata: { cause: token.reason },
  });
}

/** What the store keeps of a send: redacted, since Redis is outside the process (and a replay is encoded at the edge again). */
function stored<Res>(spec: ResponseSide<Res>, result: SendResult<Res>): StoredOutcome {
  if (result.ok) return { kind: 'response', bytes: Buffer.from(spec.responseCodec.encode(redactStrings(result.response)).finish()).toString('base64') };
  return { kind: 'failure', failure: redactStrings(result.failure) };
}

function replay<Res>(spec: ResponseSide<Res>, outcome: StoredOutcome, record: SendRecord): SendResult<Res> {
  record.replayed = true;
  if (outcome.kind === 'response') {
    const response = spec.responseCodec.decode(Buffer.from(outcome.bytes, 'base64'));
    Object.assign(record, spec.describe?.(response));
    return { ok: true, response, replayed: true };
  }
  if (outcome.kind === 'failure') return fail(outcome.failure, true);
  // An outcome stored by an older gateway: its status, read back into a failure.
  const st = outcome.details ? Status.decode(Buffer.from(outcome.details, 'base64')) : { code: outcome.code, message: outcome.message, details: [] };
  return fail(failureFromStatus({ ...st, code: outcome.code, message: outcome.message }), true);
}

function keyReused(): SendResult<never> {
  return fail(gatewayFailure(status.FAILED_PRECONDITION, ErrorReason.IDEMPOTENCY_KEY_REUSED, 'this idempotency key was already used for a different request; use a new key for a new message'));
}

/** Resolves true after `ms`, or false at once when the signal aborts. */
function sleep(ms: number, signal?: CancelSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
