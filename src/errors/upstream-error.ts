import { status, type ServiceError } from '@grpc/grpc-js';
import type { GraphError } from '../../gen/messenger/v1/errors';
import type { GraphOutcome } from '../graph/graph-client';
import { parseUsageHeaders, type UsageHeaderValues } from '../graph/usage-headers';
import { classifyGraphError, GRAPH_CODE_DESCRIPTIONS, type GraphErrorClass } from './graph-error-mapping';
import { retryAfter, richError, type Detail } from './rich-status';

/** `google.rpc.ErrorInfo.domain` of every failure reported by or about Graph. */
export const GRAPH_DOMAIN = 'graph.facebook.com';

// Suggested waits when Graph gives no estimate (seconds).
const RATE_LIMIT_DEFAULT_DELAY = 30;
const TRANSIENT_DELAY = 1;

export type GraphFailure = Exclude<GraphOutcome, { kind: 'ok' }>;

/** What a failed Graph call becomes for the caller, with its classification for logs and spans. */
export interface UpstreamError {
  error: ServiceError;
  reason: string;
  graph?: GraphError;
}

/** Maps every non-ok Graph outcome to one well-defined gRPC status with details. */
export function upstreamError(outcome: GraphFailure): UpstreamError {
  switch (outcome.kind) {
    case 'graph-error':
      return fromGraphError(outcome.error, classifyGraphError(outcome.error.code, outcome.error.errorSubcode, outcome.error.isTransient), outcome.headers);
    case 'http-error': {
      const unavailable = outcome.status >= 500;
      const reason = unavailable ? 'GRAPH_UNAVAILABLE' : 'GRAPH_BAD_RESPONSE';
      const details: Detail[] = [info(reason, { http_status: String(outcome.status) })];
      if (unavailable) details.push(retryAfter(TRANSIENT_DELAY));
      const message = `Graph answered HTTP ${outcome.status} without a Graph error`;
      return { reason, error: richError(unavailable ? status.UNAVAILABLE : status.UNKNOWN, message, details) };
    }
    case 'bad-response':
      return {
        reason: 'GRAPH_BAD_RESPONSE',
        error: richError(status.UNKNOWN, `Graph sent a malformed answer (HTTP ${outcome.status}: ${outcome.detail}); the message may have been sent`, [
          info('GRAPH_BAD_RESPONSE', { http_status: String(outcome.status) }),
        ]),
      };
    case 'unreachable':
      return {
        reason: 'GRAPH_UNAVAILABLE',
        error: richError(
          status.UNAVAILABLE,
          `Graph API unreachable: ${outcome.detail}${outcome.maybeDelivered ? ' (the connection failed after the request was sent: the message may have been delivered)' : ''}`,
          [info('GRAPH_UNAVAILABLE', { maybe_delivered: String(outcome.maybeDelivered) }), retryAfter(TRANSIENT_DELAY)],
        ),
      };
    case 'timeout':
      return {
        reason: 'GRAPH_TIMEOUT',
        error: richError(
          status.DEADLINE_EXCEEDED,
          outcome.maybeDelivered
            ? `Graph did not answer within ${outcome.timeoutMs} ms; the message may have been sent`
            : 'the deadline expired before the Graph request was sent; nothing was sent',
          [info('GRAPH_TIMEOUT', { timeout_ms: String(outcome.timeoutMs), maybe_delivered: String(outcome.maybeDelivered) })],
        ),
      };
    case 'cancelled':
      return { reason: 'CANCELLED', error: richError(status.CANCELLED, 'the call was cancelled; the Graph request was aborted', []) };
  }
}

function fromGraphError(graph: GraphError, cls: GraphErrorClass, headers: UsageHeaderValues): UpstreamError {
  const details: Detail[] = [
    info(cls.reason, {
      code: String(graph.code),
      error_subcode: String(graph.errorSubcode),
      fbtrace_id: graph.fbtraceId,
      ...(graph.isTransient !== undefined ? { is_transient: String(graph.isTransient) } : {}),
    }),
    { type: 'GraphError', value: graph },
  ];
  if (cls.retryable) {
    const regain = cls.reason === 'RATE_LIMITED' ? parseUsageHeaders(headers).regainAccessSeconds : undefined;
    details.push(retryAfter(regain ?? (cls.reason === 'RATE_LIMITED' ? RATE_LIMIT_DEFAULT_DELAY : TRANSIENT_DELAY)));
  }
  const text = graph.message.replace(/^\(#\d+\)\s*/, '') || GRAPH_CODE_DESCRIPTIONS.get(graph.code) || 'no message';
  const sub = graph.errorSubcode ? `/${graph.errorSubcode}` : '';
  return { reason: cls.reason, graph, error: richError(cls.grpcCode, `Graph error ${graph.code}${sub}: ${text}`, details) };
}

function info(reason: string, metadata: Record<string, string>): Detail {
  return { type: 'ErrorInfo', value: { reason, domain: GRAPH_DOMAIN, metadata } };
}
