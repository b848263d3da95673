import type { Span } from '@opentelemetry/api';
import type { GraphError } from '../../gen/messenger/v1/errors';
import { ATTR, ATTR_HTTP_REQUEST_RESEND_COUNT, EVENT } from './attribute-names';
import { recordGraphCall, recordUsage, type UsagePercents } from './gateway-metrics';
import { telemetryStarted } from './start-telemetry';

/**
 * Where each Messenger fact of a send lands on its server span. The service layer calls these
 * with plain facts (no span attribute name appears outside src/telemetry); every function is a
 * no-op without a recording span.
 */

/** The ids a finished send succeeded with. */
export interface SuccessFacts {
  messageId?: string;
  attachmentId?: string;
}

/** What a failed send failed with (the failure's reason by name, its Graph error, its retry delay). */
export interface FailureFacts {
  reason: string;
  bytes?: number;
  violations?: number;
  retryAfterMs?: number;
  graph?: GraphError;
}

/** Success facts on the server span: the ids Graph gave, the bytes of an upload. */
export function annotateSuccess(span: Span | undefined, f: SuccessFacts | undefined, bytes: number | undefined): void {
  if (!span) return;
  if (f?.messageId) span.setAttribute(ATTR.MESSAGE_ID, f.messageId);
  if (f?.attachmentId) span.setAttribute(ATTR.ATTACHMENT_ID, f.attachmentId);
  if (bytes !== undefined) span.setAttribute(ATTR.UPLOAD_BYTES, bytes);
}

/** Failure facts on the server span, and an event carrying the Graph error. */
export function annotateFailure(span: Span | undefined, f: FailureFacts): void {
  if (!span) return;
  if (f.bytes !== undefined) span.setAttribute(ATTR.UPLOAD_BYTES, f.bytes);
  span.setAttribute(ATTR.ERROR_REASON, f.reason);
  if (f.violations !== undefined) span.setAttribute(ATTR.VIOLATIONS, f.violations);
  if (f.retryAfterMs !== undefined) span.setAttribute(ATTR.RETRY_DELAY_S, Math.max(f.retryAfterMs, 1) / 1000);
  const g = f.graph;
  if (!g) return;
  const attrs = {
    [ATTR.GRAPH_CODE]: g.code,
    [ATTR.GRAPH_SUBCODE]: g.errorSubcode,
    [ATTR.GRAPH_FBTRACE_ID]: g.fbtraceId,
    ...(g.isTransient !== undefined ? { [ATTR.GRAPH_TRANSIENT]: g.isTransient } : {}),
  };
  span.setAttributes(attrs);
  span.addEvent(EVENT.GRAPH_ERROR, { ...attrs, [ATTR.GRAPH_ERROR_TYPE]: g.type, [ATTR.GRAPH_ERROR_MESSAGE]: g.message });
}

/** The authenticated caller, and the request's own facts (page, messaging type, ...). */
export function annotateRequest(span: Span | undefined, attributes: Record<string, string | number | boolean | undefined>, caller: string | undefined): void {
  if (!span) return;
  span.setAttributes(attributes);
  if (caller) span.setAttribute(ATTR.CALLER, caller);
}

/** The authenticated caller (the request's own facts come with the Graph call). */
export function annotateCaller(span: Span | undefined, caller: string | undefined): void {
  if (span && caller) span.setAttribute(ATTR.CALLER, caller);
}

export function annotateIdempotencyKey(span: Span | undefined): void {
  span?.setAttribute(ATTR.IDEMPOTENCY_KEY_PRESENT, true);
}

export function annotateReplay(span: Span | undefined): void {
  span?.setAttribute(ATTR.IDEMPOTENCY_REPLAYED, true);
}

/** A retry of the Graph call: the resend count (HTTP semconv) and an event with the wait. */
export function annotateRetry(span: Span | undefined, attempt: number, delayMs: number, outcomeKind: string): void {
  if (!span) return;
  span.setAttribute(ATTR_HTTP_REQUEST_RESEND_COUNT, attempt);
  span.addEvent(EVENT.GRAPH_RETRY, { [ATTR.RETRY_ATTEMPT]: attempt, [ATTR.RETRY_DELAY_MS]: delayMs, [ATTR.GRAPH_OUTCOME]: outcomeKind });
}

/** Graph call latency and the usage the client parsed, for metrics (no work at all when telemetry is off). */
export function annotateGraphCall(page: string, startedAt: number, outcomeKind: string, httpStatus: number | undefined, usage: UsagePercents | undefined): void {
  if (!telemetryStarted()) return;
  recordGraphCall(page, (performance.now() - startedAt) / 1000, outcomeKind, httpStatus);
  if (usage) recordUsage(page, usage);
}

/** The conversation policy's decision on a send's server span. */
export function annotateConversation(span: Span | undefined, policy: string, decision: string, allowed: string): void {
  if (!span) return;
  span.setAttribute(ATTR.CONVERSATION_POLICY, policy);
  span.setAttribute(ATTR.CONVERSATION_DECISION, decision);
  span.setAttribute(ATTR.CONVERSATION_ALLOWED, allowed);
}
