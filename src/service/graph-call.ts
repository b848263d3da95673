import { status } from '@grpc/grpc-js';
import type { Span } from '@opentelemetry/api';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import { Status } from '../../gen/google/rpc/status';
import { MAX_IDEMPOTENCY_KEY_LENGTH, requestFingerprint, scopedKey } from '../delivery/request-fingerprint';
import { pauseUntil, RETRY_DEADLINE_MARGIN_MS, retryDelayMs } from '../delivery/retry-policy';
import type { StoredOutcome } from '../delivery/delivery-types';
import { StoreUnavailableError } from '../store/store-unavailable-error';
import { ReplicasShortError } from '../store/replica-wait';
import { failureFromStatus } from '../errors/decode-status-details';
import { gatewayFailure, invalidRequest, type Failure } from '../errors/failure';
import { badResponseFailure, upstreamFailure } from '../errors/upstream-failure';
import type { Malformed } from '../graph/from-graph';
import type { CallBounds, CancelSignal } from '../call/bounds';
import type { GraphOutcome } from '../graph/graph-types';
import { annotateGraphCall, annotateIdempotencyKey, annotateRequest, annotateRetry } from '../telemetry/send-span';
import { traceFields } from '../telemetry/log-trace-fields';
import { redactStrings } from '../redaction/secret-redaction';
import { failed, type CallResult } from './call-result';
import type { GraphCallSpec, IdempotencySpec, SpecRequest } from './graph-call-spec';
import type { ServiceDeps } from './service-deps';
import { requestFailure } from './platform-check';
import { withAccountOfToken } from './token-failure';

/** Request metadata that aliases the `idempotency_key` field. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/**
 * The spans of one call: `span` gets its facts (the unary call's server span; none for an item
 * of a stream), `parent` is the parent of its Graph client spans (the call's server span).
 * Passed explicitly: no AsyncLocalStorage carries a span across the pipeline's awaits.
 */
export interface CallTrace {
  span: Span | undefined;
  parent: Span | undefined;
}

/**
 * The Graph-call core, run by every RPC that calls Graph: validate -> idempotency (when the spec
 * takes a key) -> the Graph request -> page rate limit -> Graph (with the retries the spec
 * allows) -> map the answer. Its facts (resends, replayed) come back in the result. Always a
 * promise: a rejection of the store becomes its answer (storeUnavailable).
 */
export async function runGraphCall<Req, Res>(
  deps: ServiceDeps,
  spec: GraphCallSpec<Req, Res>,
  req: Req,
  callerKey: string,
  bounds: CallBounds,
  trace: CallTrace,
): Promise<CallResult<Res>> {
  try {
    return await startGraphCall(deps, spec, req, callerKey, bounds, trace);
  } catch (err) {
    return storeUnavailable(deps, spec.method, err, trace.parent);
  }
}

/**
 * `runGraphCall` without its own promise, for the unary edge, which takes the rejection in the
 * same `then` as the result (two promises fewer per send) and passes it to `storeUnavailable`.
 */
export function startGraphCall<Req, Res>(
  deps: ServiceDeps,
  spec: GraphCallSpec<Req, Res>,
  req: Req,
  callerKey: string,
  bounds: CallBounds,
  trace: CallTrace,
): CallResult<Res> | Promise<CallResult<Res>> {
  if (trace.span) annotateRequest(trace.span, spec.attributes(req, deps.recordRecipient), undefined);
  const refused = requestFailure(deps, spec, req);
  if (spec.idempotency && callerKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    const keyViolation = { field: 'idempotency_key', description: `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters (got ${callerKey.length})` };
    return failed(refused?.violations ? { ...refused, violations: [...refused.violations, keyViolation] } : refused ?? invalidRequest(spec.requestName ?? `${spec.method} request`, [keyViolation]));
  }
  if (refused) return failed(refused);
  if (!callerKey || !spec.idempotency) return send(deps, spec, req, bounds, trace);
  return deliverOnce(deps, spec, spec.idempotency, req, callerKey, trace, bounds);
}

/** A delivery's rejection: the store-unavailable answer for a StoreUnavailableError, else rethrown. */
export function storeUnavailable(deps: ServiceDeps, method: string, err: unknown, span?: Span): CallResult<never> {
  if (!(err instanceof StoreUnavailableError)) throw err;
  deps.logger.error({ err: err.message, method, ...traceFields(span) }, 'delivery store unavailable');
  // A send that already went out was recorded by Graph; this answer only says the gateway
  // could not confirm or record it, which a retry with the same key will sort out.
  const why = err instanceof ReplicasShortError ? "the delivery store's replicas did not confirm the write in time (store.redis.minReplicas)" : 'the delivery store (Redis) is unreachable';
  return failed(gatewayFailure(status.UNAVAILABLE, ErrorReason.STORE_UNAVAILABLE, `${why}; retry with the same idempotency key`, { retryAfterMs: 1000, nothingSent: false }));
}

/** The idempotent path: claim the key, then replay, wait, refuse, or send and record. */
async function deliverOnce<Req, Res>(
  deps: ServiceDeps,
  spec: GraphCallSpec<Req, Res>,
  idem: IdempotencySpec<Req, Res>,
  req: Req,
  callerKey: string,
  trace: CallTrace,
  bounds: CallBounds,
): Promise<CallResult<Res>> {
  const key = scopedKey(spec.pageOf(req), callerKey);
  // The fingerprint ignores the key itself: "the same request" is everything else.
  const fingerprint = requestFingerprint(spec.method, idem.fingerprint(req));
  annotateIdempotencyKey(trace.span);
  const store = deps.idempotency;
  for (let round = 0; round < 3; round++) {
    const claim = await store.claim(key, fingerprint);
    if (claim.kind === 'done') return replay(idem, claim.outcome);
    if (claim.kind === 'mismatch') return keyReused();
    if (claim.kind === 'in-flight') {
      const waited = await store.wait(key, fingerprint, bounds.deadline ?? Date.now() + deps.graphTimeoutMs, bounds.signal);
      if (waited.kind === 'done') return replay(idem, waited.outcome);
      if (waited.kind === 'mismatch') return keyReused();
      if (waited.kind === 'timeout') {
        return failed(gatewayFailure(status.ABORTED, ErrorReason.IDEMPOTENT_SEND_IN_FLIGHT, 'a send with this idempotency key is still in flight; retry with the same key to get its result', { retryAfterMs: 1000 }));
      }
      continue; // released: the first call sent nothing, so this one may
    }
    // Claimed. The send must finish whatever the caller does, so that its outcome can be
    // stored and replayed: the caller's deadline and cancellation no longer bound Graph.
    const finished = sendAndRecord(deps, spec, idem, req, key, fingerprint, trace);
    if (bounds.deadline === undefined) return await finished;
    // The caller's deadline (less the margin) comes first: answer with the gateway's own status
    // while the send goes on and records its outcome for the retry.
    return await beforeDeadline(finished, bounds.deadline);
  }
  return failed(gatewayFailure(status.ABORTED, ErrorReason.IDEMPOTENT_SEND_IN_FLIGHT, 'the idempotency key kept changing hands; retry with the same key', { retryAfterMs: 1000 }));
}

/** The owner's send: its claim kept alive while it runs, its outcome recorded (or the key released when nothing left). */
async function sendAndRecord<Req, Res>(
  deps: ServiceDeps,
  spec: GraphCallSpec<Req, Res>,
  idem: IdempotencySpec<Req, Res>,
  req: Req,
  key: string,
  fingerprint: string,
  trace: CallTrace,
): Promise<CallResult<Res>> {
  const store = deps.idempotency;
  const ttl = deps.delivery.idempotency.claimTtlMs;
  // A send is bounded by graph.timeoutMs (retries and the page limiter's wait included); only a
  // claim shorter than that (plus slack) needs re-extending while the send runs.
  let keepAlive: NodeJS.Timeout | undefined;
  if (ttl < deps.graphTimeoutMs + CLAIM_SLACK_MS) {
    keepAlive = setInterval(() => void store.extend(key, fingerprint, ttl).catch(() => undefined), Math.max(100, ttl / 3));
    keepAlive.unref();
  }
  let result: CallResult<Res>;
  try {
    result = await send(deps, spec, req, {}, trace);
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
    await store.complete(key, fingerprint, stored(idem, result));
  }
  return result;
}

const CLAIM_SLACK_MS = 5_000;

/** The send's result if it comes before `deadline`, else ABORTED IDEMPOTENT_SEND_IN_FLIGHT (the send goes on). */
function beforeDeadline<Res>(finished: Promise<CallResult<Res>>, deadline: number): Promise<CallResult<Res>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      resolve(failed(gatewayFailure(status.ABORTED, ErrorReason.IDEMPOTENT_SEND_IN_FLIGHT,
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

/**
 * The Graph request, rate limit, Graph call and the retries the spec allows; a failure's
 * `nothingSent` says whether Graph can have received it.
 */
async function send<Req, Res>(
  deps: ServiceDeps,
  spec: GraphCallSpec<Req, Res>,
  req: Req,
  bounds: CallBounds,
  trace: CallTrace,
): Promise<CallResult<Res>> {
  const pageId = spec.pageOf(req);
  const creds = deps.pages.get(pageId)!;
  const built = spec.request(req, creds);
  const request = built instanceof Promise ? await built : built;
  if (!isRequest(request)) return failed(request);
  // A body streamed from the client is gone once sent: it is never sent twice.
  const maxAttempts = request.multipart ? 1 : Infinity;
  const cls = spec.rateClass(req);
  // The policy's read goes out beside the limiter's (with Redis both are in flight at once):
  // one round trip's wait, not two. A refused send has spent its token, as a Graph refusal would.
  const conversation = deps.conversations && spec.conversation?.(req);
  let checking = conversation && deps.conversations!.check(pageId, conversation, trace.span);
  let warning: Failure | undefined;
  // Without a caller deadline, retries are bounded by the configured Graph timeout.
  const budgetEnd = bounds.deadline ?? Date.now() + deps.graphTimeoutMs;
  let outcome: GraphOutcome;
  let resends = 0;
  for (let attempt = 1; ; attempt++) {
    const pending = deps.rateLimiter.acquire(pageId, cls, budgetEnd, bounds.signal);
    const token = pending instanceof Promise ? await pending : pending;
    if (checking !== undefined) {
      const verdict = checking instanceof Promise ? await checking : checking;
      checking = undefined;
      if (verdict !== undefined) {
        if ('refused' in verdict) {
          deps.conversations!.refused(pageId, request.json, verdict.refused);
          return failed(verdict.refused);
        }
        warning = verdict.warned;
      }
    }
    if (!token.ok) {
      if (attempt === 1) return failed(pageRateLimited(pageId, token, deps.sandbox));
      break; // a retry found no token: report the last Graph answer
    }
    const started = performance.now();
    outcome = await deps.graph.call(creds, request, bounds, trace.parent);
    annotateGraphCall(pageId, started, outcome.kind, 'status' in outcome ? outcome.status : undefined, 'usage' in outcome ? outcome.usage : undefined);
    const now = Date.now();
    const pause = pauseUntil(outcome, now, deps.delivery.rateLimit.pauseAtPercent);
    if (pause !== undefined) await deps.rateLimiter.pause(pageId, pause);
    if (attempt >= maxAttempts) break;
    let delay = retryDelayMs(outcome, attempt, deps.delivery.retry, budgetEnd - now, Math.random, spec.safeToRetry);
    if (delay === undefined) break;
    // A retry waits out the page's pause too, or it would only meet the paused limiter.
    if (pause !== undefined) delay = Math.max(delay, pause - now);
    if (now + delay >= budgetEnd - RETRY_DEADLINE_MARGIN_MS) break;
    resends = attempt;
    annotateRetry(trace.span, attempt, delay, outcome.kind);
    if (!(await sleep(delay, bounds.signal))) {
      outcome = { kind: 'cancelled' };
      break;
    }
  }
  outcome = outcome!;
  // What the client's streamed body did wrong is the caller's failure, whatever Graph answered.
  const bodyFailure = request.bodyFailure?.();
  if (bodyFailure) return { ok: false, failure: bodyFailure, replayed: false, resends };
  // Only a request that never left (refused connection, deadline gone before sending) proves
  // Graph never saw it (the failure's nothingSent); anything else may have been delivered.
  if (outcome.kind !== 'ok') {
    const failure = withAccountOfToken(upstreamFailure(outcome), creds);
    if (conversation) deps.conversations!.learnFromSend(pageId, conversation.person, failure);
    return { ok: false, failure, replayed: false, resends };
  }
  const res = spec.fromGraph(outcome.body);
  if (typeof res === 'object' && res !== null && 'malformed' in res) return { ok: false, failure: badResponseFailure(outcome.status, (res as Malformed).malformed), replayed: false, resends };
  if (conversation) deps.conversations!.learnFromSend(pageId, conversation.person, undefined);
  if (spec.teaches && deps.conversations) {
    const fact = spec.teaches(req, res as Res, Date.now());
    const learnt = fact && deps.conversations.learn([fact]);
    if (learnt) await learnt;
  }
  return { ok: true, response: warning && spec.markWarning ? spec.markWarning(res as Res, warning) : (res as Res), replayed: false, resends };
}

function isRequest(built: SpecRequest | Failure): built is SpecRequest {
  return 'path' in built;
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
function stored<Res>(idem: IdempotencySpec<never, Res>, result: CallResult<Res>): StoredOutcome {
  if (result.ok) return { kind: 'response', bytes: Buffer.from(idem.responseCodec.encode(redactStrings(result.response)).finish()).toString('base64') };
  return { kind: 'failure', failure: redactStrings(result.failure) };
}

function replay<Res>(idem: IdempotencySpec<never, Res>, outcome: StoredOutcome): CallResult<Res> {
  if (outcome.kind === 'response') return { ok: true, response: idem.responseCodec.decode(Buffer.from(outcome.bytes, 'base64')), replayed: true };
  if (outcome.kind === 'failure') return failed(outcome.failure, true);
  // An outcome stored by an older gateway: its status, read back into a failure.
  const st = outcome.details ? Status.decode(Buffer.from(outcome.details, 'base64')) : { code: outcome.code, message: outcome.message, details: [] };
  return failed(failureFromStatus({ ...st, code: outcome.code, message: outcome.message }), true);
}

function keyReused(): CallResult<never> {
  return failed(gatewayFailure(status.FAILED_PRECONDITION, ErrorReason.IDEMPOTENCY_KEY_REUSED, 'this idempotency key was already used for a different request; use a new key for a new message'));
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
