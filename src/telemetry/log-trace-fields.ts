import type { Span } from '@opentelemetry/api';

/** A log line's link to its trace. */
export interface TraceFields {
  trace_id?: string;
  span_id?: string;
}

/** `trace_id` and `span_id` of a span, so that a log line leads to its trace (nothing without one). */
export function traceFields(span: Span | undefined): TraceFields {
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/** The same from a W3C `traceparent` (an untraced webhook POST has one too: its events carry it). */
export function traceparentFields(traceparent: string): TraceFields {
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(traceparent);
  return m ? { trace_id: m[1], span_id: m[2] } : {};
}
