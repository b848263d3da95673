import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { Attributes, Span } from '@opentelemetry/api';
import { MAX_IDEMPOTENCY_KEY_LENGTH, requestFingerprint, scopedKey } from '../delivery/request-fingerprint';
import { pauseUntil, RETRY_DEADLINE_MARGIN_MS, retryDelayMs } from '../delivery/retry-policy';
import type { RateClass, StoredOutcome } from '../delivery/delivery-types';
import { StoreUnavailableError } from '../delivery/store-unavailable-error';
import { gatewayError } from '../errors/gateway-error';
import { invalidRequestError } from '../errors/invalid-request-error';
import { pushbackMs, RETRY_PUSHBACK_KEY, STATUS_DETAILS_KEY } from '../errors/rich-status';
import { decodeStatusDetails } from '../errors/decode-status-details';
import { upstreamError } from '../errors/upstream-error';
import type { Malformed } from '../graph/from-graph';
import type { CallBounds, CancelSignal, GraphOutcome } from '../graph/graph-client';
import type { FieldViolation } from '../validate/field-violation';
import type { SendRecord } from './send-log';
import type { ServiceDeps } from './service-deps';
import { annotateGraphCall } from './send-telemetry';

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
  attributes(req: Req, recordRecipient: boolean): Attributes;
  /** Which page bucket the send draws from. */
  rateClass(req: Req): RateClass;
  requestCodec: Codec<Req>;
  responseCodec: Codec<Res>;
}

/** The part of a spec that replays need. */
type ResponseSide<Res> = Pick<SendSpec<{ pageId: string; idempotencyKey: string }, Res>, 'responseCodec' | 'describe'>;

export type SendResult<Res> =
  | { ok: true; response: Res; replayed: boolean }
  | { ok: false; error: ServiceError; replayed: boolean };

/** One send: validate -> idempotency -> page rate limit -> Graph (with safe retries) -> map the answer. */
export async function deliver<Req extends { pageId: string; idempotencyKey: string }, Res>(
  deps: ServiceDeps,
  spec: SendSpec<Req, Res>,
  req: Req,
  callerKey: string,
  bounds: CallBounds,
  record: SendRecord,
  span: Span | undefined,
): Promise<SendResult<Res>> {
  const violations = spec.validate(req, deps.pages.has);
  if (callerKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    violations.push({ field: 'idempotency_key', description: `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters (got ${callerKey.length})` });
  }
  if (violations.length > 0) {
    record.reason = 'INVALID_REQUEST';
    record.violations = violations.length;
    return { ok: false, error: invalidRequestError(`${spec.method} request`, violations), replayed: false };
  }
  try {
    if (!callerKey) return await send(deps, spec, req, bounds, record, span);
    return await deliverOnce(deps, spec, req, callerKey, record, span, bounds);
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    deps.logger.error({ err: err.message, method: spec.method }, 'delivery store unavailable');
    record.reason = 'STORE_UNAVAILABLE';
    // A send that already went out was recorded by Graph; this answer only says the gateway
    // could not confirm or record it, which a retry with the same key will sort out.
    return { ok: false, replayed: false, error: gatewayError(status.UNAVAILABLE, 'STORE_UNAVAILABLE', 'the delivery store (Redis) is unreachable; retry with the same idempotency key', 1000) };
  }
}

/** The idempotent path: claim the key, then replay, wait, refuse, or send and record. */
async function deliverOnce<Req extends { pageId: string; idempotencyKey: string }, Res>(
  deps: ServiceDeps,
  spec: SendSpec<Req, Res>,
  req: Req,
  callerKey: string,
  record: SendRecord,
  span: Span | undefined,
  bounds: CallBounds,
): Promise<SendResult<Res>> {
  const key = scopedKey(req.pageId, callerKey);
  // The fingerprint ignores the key itself: "the same request" is everything else.
  const fingerprint = requestFingerprint(spec.method, spec.requestCodec.encode({ ...req, idempotencyKey: '' }).finish());
  span?.setAttribute('messenger.idempotency.key_present', true);
  const store = deps.idempotency;
  for (let round = 0; round < 3; round++) {
    const claim = await store.claim(key, fingerprint);
    if (claim.kind === 'done') return replay(spec, claim.outcome, record);
    if (claim.kind === 'mismatch') return keyReused(record);
    if (claim.kind === 'in-flight') {
      const waited = await store.wait(key, fingerprint, bounds.deadline ?? Date.now() + deps.graphTimeoutMs, bounds.signal);
      if (waited.kind === 'done') return replay(spec, waited.outcome, record);
      if (waited.kind === 'mismatch') return keyReused(record);
      if (waited.kind === 'timeout') {
        record.reason = 'IDEMPOTENT_SEND_IN_FLIGHT';
        return { ok: false, replayed: false, error: gatewayError(status.ABORTED, 'IDEMPOTENT_SEND_IN_FLIGHT', 'a send with this idempotency key is still in flight; retry with the same key to get its result', 1000) };
      }
      continue; // released: the first call sent nothing, so this one may
    }
    // Claimed. The send must finish whatever the caller does, so that its outcome can be
    // stored and replayed: the caller's deadline and cancellation no longer bound Graph.
    const result = await send(deps, spec, req, {}, record, span);
    if (record.nothingSent) await store.release(key, fingerprint);
    else await store.complete(key, fingerprint, stored(spec, result));
    return result;
  }
  record.reason = 'IDEMPOTENT_SEND_IN_FLIGHT';
  return { ok: false, replayed: false, error: gatewayError(status.ABORTED, 'IDEMPOTENT_SEND_IN_FLIGHT', 'the idempotency key kept changing hands; retry with the same key', 1000) };
}

/** Rate limit, Graph call and safe retries; `record.nothingSent` says whether Graph can have received it. */
async function send<Req extends { pageId: string; idempotencyKey: string }, Res>(
  deps: ServiceDeps,
  spec: SendSpec<Req, Res>,
  req: Req,
  bounds: CallBounds,
  record: SendRecord,
  span: Span | undefined,
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
      if (attempt === 1) {
        record.nothingSent = true;
        record.reason = 'PAGE_RATE_LIMITED';
        return {
          ok: false,
          replayed: false,
          error: gatewayError(status.RESOURCE_EXHAUSTED, 'PAGE_RATE_LIMITED', `page ${req.pageId} is over its send rate (${token.reason}); nothing was sent`, token.retryAfterMs, { cause: token.reason }),
        };
      }
      break; // a retry found no token: report the last Graph answer
    }
    const started = performance.now();
    outcome = await deps.graph.sendMessage(creds, body, bounds);
    annotateGraphCall(req.pageId, started, outcome);
    const now = Date.now();
    const pause = pauseUntil(outcome, now, deps.delivery.rateLimit.pauseAtPercent);
    if (pause !== undefined) await deps.rateLimiter.pause(req.pageId, pause);
    let delay = retryDelayMs(outcome, attempt, deps.delivery.retry, budgetEnd - now);
    if (delay === undefined) break;
    // A retry waits out the page's pause too, or it would only meet the paused limiter.
    if (pause !== undefined) delay = Math.max(delay, pause - now);
    if (now + delay >= budgetEnd - RETRY_DEADLINE_MARGIN_MS) break;
    record.resends = attempt;
    span?.setAttribute('http.request.resend_count', attempt);
    span?.addEvent('messenger.graph.retry', { 'messenger.retry.attempt': attempt, 'messenger.retry.delay_ms': delay, 'messenger.graph.outcome': outcome.kind });
    if (!(await sleep(delay, bounds.signal))) {
      outcome = { kind: 'cancelled' };
      break;
    }
  }
  outcome = outcome!;
  // Only a request that never left (refused connection, deadline gone before sending) proves
  // Graph never saw it; anything else may have been delivered.
  record.nothingSent = (outcome.kind === 'unreachable' || outcome.kind === 'timeout') && !outcome.maybeDelivered;
  if (outcome.kind !== 'ok') {
    const up = upstreamError(outcome);
    record.reason = up.reason;
    record.graph = up.graph;
    return { ok: false, error: up.error, replayed: false };
  }
  const res = spec.fromGraph(outcome.body);
  if (typeof res === 'object' && res !== null && 'malformed' in res) {
    const up = upstreamError({ kind: 'bad-response', status: outcome.status, detail: (res as Malformed).malformed });
    record.reason = up.reason;
    return { ok: false, error: up.error, replayed: false };
  }
  Object.assign(record, spec.describe?.(res as Res));
  return { ok: true, response: res as Res, replayed: false };
}

function stored<Res>(spec: ResponseSide<Res>, result: SendResult<Res>): StoredOutcome {
  if (result.ok) return { kind: 'response', bytes: Buffer.from(spec.responseCodec.encode(result.response).finish()).toString('base64') };
  const details = result.error.metadata?.get(STATUS_DETAILS_KEY)[0];
  return {
    kind: 'error',
    code: result.error.code,
    message: result.error.details,
    details: details instanceof Buffer ? details.toString('base64') : '',
  };
}

function replay<Res>(spec: ResponseSide<Res>, outcome: StoredOutcome, record: SendRecord): SendResult<Res> {
  record.reason = record.reason ?? 'REPLAYED';
  record.replayed = true;
  if (outcome.kind === 'response') {
    const response = spec.responseCodec.decode(Buffer.from(outcome.bytes, 'base64'));
    Object.assign(record, spec.describe?.(response));
    return { ok: true, response, replayed: true };
  }
  const metadata = new Metadata();
  if (outcome.details) {
    metadata.set(STATUS_DETAILS_KEY, Buffer.from(outcome.details, 'base64'));
    // The pushback trailer is derived from RetryInfo (as richError does), so a replayed error
    // tells gRPC's own retry policies the same delay as the original.
    const retry = decodeStatusDetails(metadata).retryInfo?.retryDelay;
    if (retry) metadata.set(RETRY_PUSHBACK_KEY, pushbackMs(retry));
  }
  const error = Object.assign(new Error(outcome.message), { code: outcome.code, details: outcome.message, metadata }) as ServiceError;
  return { ok: false, error, replayed: true };
}

function keyReused(record: SendRecord): SendResult<never> {
  record.reason = 'IDEMPOTENCY_KEY_REUSED';
  return {
    ok: false,
    replayed: false,
    error: gatewayError(status.FAILED_PRECONDITION, 'IDEMPOTENCY_KEY_REUSED', 'this idempotency key was already used for a different request; use a new key for a new message'),
  };
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
