import { status } from '@grpc/grpc-js';
import { ErrorReason, errorReasonToJSON, type GraphError } from '../../gen/messenger/v1/errors';
import type { FieldViolation } from '../validate/field-violation';
import { GRAPH_ERROR_REASONS } from './graph-error-mapping';

/** `google.rpc.ErrorInfo.domain` of errors the gateway raises itself. */
export const GATEWAY_DOMAIN = 'messenger-gateway';
/** `google.rpc.ErrorInfo.domain` of every failure reported by or about Graph. */
export const GRAPH_DOMAIN = 'graph.facebook.com';

/**
 * Why a call failed, as data. Validation, delivery, the Graph mapping and the access checks
 * produce it; it travels unencoded through the pipeline (the retry loop, the idempotency
 * store, logs and spans read its fields), and only the RPC edge (src/service/rpc-edge.ts)
 * turns it into a gRPC status, bounded and redacted by src/errors/status-encoder.ts.
 */
export interface Failure {
  readonly code: status;
  readonly reason: ErrorReason;
  /** For people; never parsed by callers. */
  readonly message: string;
  /** When a retry can help: the `google.rpc.RetryInfo` delay. */
  readonly retryAfterMs?: number;
  /** `google.rpc.BadRequest` (INVALID_REQUEST only). */
  readonly violations?: readonly FieldViolation[];
  /** Graph's own error, when Graph sent one. */
  readonly graph?: GraphError;
  /** `google.rpc.ErrorInfo.metadata` beyond what the edge derives (maybe_delivered, http_status, ...). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Graph certainly never received the request: an idempotency claim may be released. */
  readonly nothingSent: boolean;
  /**
   * The ErrorInfo domain when it is not the reason's own: the gateway's refusal with a reason
   * Graph also gives (OUTSIDE_MESSAGING_WINDOW, decided before Graph by the conversation policy).
   */
  readonly domain?: string;
}

/**
 * Graph's reasons: every reason a Graph error maps to (from the catalogue), and the three a Graph
 * call ends with when Graph sent no error (src/errors/upstream-failure.ts: no answer, no answer in
 * time, an answer that is not Graph's).
 */
const GRAPH_REASONS: ReadonlySet<ErrorReason> = new Set([
  ...GRAPH_ERROR_REASONS,
  ErrorReason.GRAPH_UNAVAILABLE,
  ErrorReason.GRAPH_TIMEOUT,
  ErrorReason.GRAPH_BAD_RESPONSE,
]);

/** The ErrorInfo domain of a reason: Graph's reasons are `graph.facebook.com`, the rest the gateway's. */
export function domainOf(reason: ErrorReason): string {
  return GRAPH_REASONS.has(reason) ? GRAPH_DOMAIN : GATEWAY_DOMAIN;
}

/** The wire name of a reason (`google.rpc.ErrorInfo.reason`, log `reason`, span `messenger.error.reason`). */
export function reasonName(reason: ErrorReason): string {
  return errorReasonToJSON(reason);
}

/** A failure the gateway decides itself: Graph never saw the request unless `nothingSent: false` is given. */
export function gatewayFailure(
  code: status,
  reason: ErrorReason,
  message: string,
  extra: Partial<Omit<Failure, 'code' | 'reason' | 'message'>> = {},
): Failure {
  return { code, reason, message, nothingSent: true, ...extra };
}

/** INVALID_ARGUMENT listing every violation; nothing reached Graph. */
export function invalidRequest(what: string, violations: readonly FieldViolation[]): Failure {
  const first = violations.slice(0, 3).map((v) => `${v.field}: ${v.description}`).join('; ');
  const more = violations.length > 3 ? `; and ${violations.length - 3} more` : '';
  const message = `invalid ${what} (${violations.length} violation${violations.length === 1 ? '' : 's'}): ${first}${more}`;
  return { code: status.INVALID_ARGUMENT, reason: ErrorReason.INVALID_REQUEST, message, violations, nothingSent: true, metadata: { violations: String(violations.length) } };
}

/**
 * INVALID_ARGUMENT NOT_SUPPORTED_ON_INSTAGRAM: the request uses what Instagram does not support;
 * `violations` lists every violation (the request's others too), `instagram` of them Instagram's.
 */
export function notSupportedOnInstagram(what: string, violations: readonly FieldViolation[], instagram: number): Failure {
  const base = invalidRequest(what, violations);
  const message = `${what} not supported on Instagram${base.message.slice(`invalid ${what}`.length)}`;
  return { ...base, reason: ErrorReason.NOT_SUPPORTED_ON_INSTAGRAM, message, metadata: { violations: String(violations.length), instagram_violations: String(instagram), platform: 'instagram' } };
}

/** A fault of the gateway itself (logged where it is caught); the caller learns nothing more. */
export const INTERNAL_FAILURE: Failure = gatewayFailure(status.INTERNAL, ErrorReason.INTERNAL, 'internal error in the gateway', { nothingSent: false });
