import type { ServiceError } from '@grpc/grpc-js';
import type { Span } from '@opentelemetry/api';
import { RETRY_PUSHBACK_KEY } from '../errors/rich-status';
import type { GraphOutcome } from '../graph/graph-client';
import { parseUsageHeaders } from '../graph/usage-headers';
import { recordGraphCall, recordUsage } from '../telemetry/gateway-metrics';
import { telemetryStarted } from '../telemetry/start-telemetry';
import { ATTR } from '../telemetry/send-attributes';
import type { SendRecord } from './send-log';

/** Success facts on the server span. */
export function annotateSuccess(span: Span | undefined, r: SendRecord): void {
  if (!span) return;
  if (r.messageId) span.setAttribute(ATTR.MESSAGE_ID, r.messageId);
  if (r.attachmentId) span.setAttribute(ATTR.ATTACHMENT_ID, r.attachmentId);
  if (r.bytes !== undefined) span.setAttribute(ATTR.UPLOAD_BYTES, r.bytes);
}

/** Failure facts on the server span, and an event carrying the Graph error. */
export function annotateFailure(span: Span | undefined, r: SendRecord, err: ServiceError): void {
  if (!span) return;
  if (r.bytes !== undefined) span.setAttribute(ATTR.UPLOAD_BYTES, r.bytes);
  if (r.reason) span.setAttribute(ATTR.ERROR_REASON, r.reason);
  if (r.violations !== undefined) span.setAttribute(ATTR.VIOLATIONS, r.violations);
  // The retry delay as richError put it in the trailer (also there on a replayed error): no
  // need to decode the google.rpc.Status that was just encoded.
  const pushbackMs = err.metadata?.get(RETRY_PUSHBACK_KEY)[0];
  if (typeof pushbackMs === 'string') span.setAttribute(ATTR.RETRY_DELAY_S, Number(pushbackMs) / 1000);
  const g = r.graph;
  if (!g) return;
  const attrs = {
    [ATTR.GRAPH_CODE]: g.code,
    [ATTR.GRAPH_SUBCODE]: g.errorSubcode,
    [ATTR.GRAPH_FBTRACE_ID]: g.fbtraceId,
    ...(g.isTransient !== undefined ? { [ATTR.GRAPH_TRANSIENT]: g.isTransient } : {}),
  };
  span.setAttributes(attrs);
  span.addEvent('messenger.graph.error', { ...attrs, 'messenger.graph.error.type': g.type, 'messenger.graph.error.message': g.message });
}

/** Graph call latency and the usage headers, for metrics (no work at all when telemetry is off). */
export function annotateGraphCall(page: string, startedAt: number, outcome: GraphOutcome): void {
  if (!telemetryStarted()) return;
  const status = outcome.kind === 'ok' || outcome.kind === 'graph-error' || outcome.kind === 'http-error' ? outcome.status : undefined;
  recordGraphCall(page, (performance.now() - startedAt) / 1000, outcome.kind, status);
  if (outcome.kind === 'ok' || outcome.kind === 'graph-error' || outcome.kind === 'http-error') {
    if (outcome.headers['x-app-usage'] || outcome.headers['x-page-usage'] || outcome.headers['x-business-use-case-usage']) {
      recordUsage(page, parseUsageHeaders(outcome.headers));
    }
  }
}
