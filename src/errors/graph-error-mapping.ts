import { status } from '@grpc/grpc-js';
import { ErrorReason } from '../../gen/messenger/v1/errors';
import { GRAPH_CATALOGUE, GRAPH_SUBCODES, isRateLimitCode, isTransientError } from './graph-catalogue';

/** How one Graph error is presented to gRPC callers. */
export interface GraphErrorClass {
  grpcCode: status;
  reason: ErrorReason;
  /** Whether a `google.rpc.RetryInfo` is attached (a retry can help). */
  retryable: boolean;
}

const RATE_LIMITED: GraphErrorClass = { grpcCode: status.RESOURCE_EXHAUSTED, reason: ErrorReason.RATE_LIMITED, retryable: true };
const TEMPORARY: GraphErrorClass = { grpcCode: status.UNAVAILABLE, reason: ErrorReason.TEMPORARY_SEND_FAILURE, retryable: true };
const OTHER: GraphErrorClass = { grpcCode: status.UNKNOWN, reason: ErrorReason.GRAPH_ERROR, retryable: false };

/** Every reason classifyGraphError can give, derived from the catalogue (so a new entry's reason is in it). */
export const GRAPH_ERROR_REASONS: ReadonlySet<ErrorReason> = new Set([
  RATE_LIMITED.reason,
  TEMPORARY.reason,
  OTHER.reason,
  ...[...GRAPH_CATALOGUE.values()].map((entry) => entry.reason),
  ...[...GRAPH_SUBCODES.values()].flatMap((entry) => (entry.override ? [entry.override.reason] : [])),
]);

/**
 * The gRPC code and reason of a Graph error (the table in docs/errors.md, from the catalogue):
 * branch on code and subcode, never on HTTP status. The rate-limit family wins, then any
 * transient error, then a subcode that changes its code's mapping, then the code itself.
 */
export function classifyGraphError(code: number, subcode: number, isTransient: boolean | undefined): GraphErrorClass {
  if (isRateLimitCode(code)) return RATE_LIMITED;
  if (isTransientError(code, isTransient)) return TEMPORARY;
  const override = GRAPH_SUBCODES.get(subcode)?.override;
  if (override && override.code === code) return { grpcCode: override.grpcCode, reason: override.reason, retryable: false };
  const entry = GRAPH_CATALOGUE.get(code);
  return entry ? { grpcCode: entry.grpcCode, reason: entry.reason, retryable: false } : OTHER;
}
