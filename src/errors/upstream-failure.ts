import { status } from '@grpc/grpc-js';
import { ErrorReason, type GraphError } from '../../gen/messenger/v1/errors';
import type { GraphFailureOutcome } from '../graph/graph-types';
import { graphCodeEntry } from './graph-catalogue';
import { classifyGraphError } from './graph-error-mapping';
import type { Failure } from './failure';

// Suggested waits when Graph gives no estimate (ms).
const RATE_LIMIT_DEFAULT_DELAY_MS = 30_000;
const TRANSIENT_DELAY_MS = 1_000;

/** What a failed Graph call becomes for the caller: every non-ok outcome maps to one well-defined failure. */
export function upstreamFailure(outcome: GraphFailureOutcome): Failure {
  switch (outcome.kind) {
    case 'graph-error':
      return fromGraphError(outcome.error, outcome.usage?.regainAccessSeconds);
    case 'http-error': {
      if (outcome.status >= 500) {
        // Graph (or a proxy before it) took the request and failed: it may have been delivered.
        return {
          code: status.UNAVAILABLE, reason: ErrorReason.GRAPH_UNAVAILABLE, nothingSent: false, retryAfterMs: TRANSIENT_DELAY_MS,
          message: `Graph answered HTTP ${outcome.status} without a Graph error; the message may have been sent`,
          metadata: { http_status: String(outcome.status), maybe_delivered: 'true' },
        };
      }
      return {
        code: status.UNKNOWN, reason: ErrorReason.GRAPH_BAD_RESPONSE, nothingSent: false,
        message: `Graph answered HTTP ${outcome.status} without a Graph error`,
        metadata: { http_status: String(outcome.status) },
      };
    }
    case 'bad-response':
      return {
        code: status.UNKNOWN, reason: ErrorReason.GRAPH_BAD_RESPONSE, nothingSent: false,
        message: `Graph sent a malformed answer (HTTP ${outcome.status}: ${outcome.detail}); the message may have been sent`,
        metadata: { http_status: String(outcome.status) },
      };
    case 'unreachable':
      return {
        code: status.UNAVAILABLE, reason: ErrorReason.GRAPH_UNAVAILABLE, nothingSent: !outcome.maybeDelivered, retryAfterMs: TRANSIENT_DELAY_MS,
        message: `Graph API unreachable: ${outcome.detail}${outcome.maybeDelivered ? ' (the connection failed after the request was sent: the message may have been delivered)' : ''}`,
        metadata: { maybe_delivered: String(outcome.maybeDelivered) },
      };
    case 'timeout':
      return {
        code: status.DEADLINE_EXCEEDED, reason: ErrorReason.GRAPH_TIMEOUT, nothingSent: !outcome.maybeDelivered,
        message: outcome.maybeDelivered
          ? `Graph did not answer within ${outcome.timeoutMs} ms; the message may have been sent`
          : 'the deadline expired before the Graph request was sent; nothing was sent',
        metadata: { timeout_ms: String(outcome.timeoutMs), maybe_delivered: String(outcome.maybeDelivered) },
      };
    case 'cancelled':
      // Cancelled before an answer: the request may have left already.
      return { code: status.CANCELLED, reason: ErrorReason.CANCELLED, nothingSent: false, message: 'the call was cancelled; the Graph request was aborted' };
  }
}

/** A malformed success body (no message_id, ...): Graph answered, so the message may have gone out. */
export function badResponseFailure(httpStatus: number, detail: string): Failure {
  return upstreamFailure({ kind: 'bad-response', status: httpStatus, detail });
}

function fromGraphError(graph: GraphError, regainAccessSeconds: number | undefined): Failure {
  const cls = classifyGraphError(graph.code, graph.errorSubcode, graph.isTransient);
  let retryAfterMs: number | undefined;
  if (cls.retryable) {
    retryAfterMs = cls.reason === ErrorReason.RATE_LIMITED
      ? (regainAccessSeconds !== undefined ? regainAccessSeconds * 1000 : RATE_LIMIT_DEFAULT_DELAY_MS)
      : TRANSIENT_DELAY_MS;
  }
  const text = graph.message.replace(/^\(#\d+\)\s*/, '') || graphCodeEntry(graph.code)?.text || 'no message';
  const sub = graph.errorSubcode ? `/${graph.errorSubcode}` : '';
  const metadata: Record<string, string> = { code: String(graph.code), error_subcode: String(graph.errorSubcode), fbtrace_id: graph.fbtraceId };
  if (graph.isTransient !== undefined) metadata.is_transient = String(graph.isTransient);
  return {
    code: cls.grpcCode, reason: cls.reason, message: `Graph error ${graph.code}${sub}: ${text}`, graph, metadata,
    // Graph answered with an error: it did not deliver, but it did receive the request.
    nothingSent: false,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}
