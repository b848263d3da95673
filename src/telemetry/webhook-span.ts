import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { ATTR, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_URL_PATH } from './attribute-names';
import { randomTraceparent } from './random-traceparent';
import { telemetryStarted } from './start-telemetry';

const tracer = trace.getTracer('messenger-gateway.webhook');

/** The webhook POST's server span, and the W3C context every event of it keeps. */
export interface WebhookTrace {
  span: Span | undefined;
  traceparent: string;
  tracestate: string;
}

/**
 * Starts the server span of one webhook POST, the root of a trace: a public endpoint does not
 * trust trace context from the internet (anyone could set it; Meta sends none). Its context is
 * what each stored event carries, so that a consumer
 * passing it on with its reply puts the webhook, the consumer and the reply in one trace.
 * With tracing off there is no span, but each POST still gets a fresh trace context: a
 * consumer's own tracing can still tie its work and the reply together.
 */
export function startWebhookSpan(path: string): WebhookTrace {
  if (!telemetryStarted()) {
    return { span: undefined, traceparent: randomTraceparent(), tracestate: '' };
  }
  const span = tracer.startSpan(`POST ${path}`, {
    kind: SpanKind.SERVER,
    attributes: { [ATTR_HTTP_REQUEST_METHOD]: 'POST', [ATTR_URL_PATH]: path },
  }, ROOT_CONTEXT);
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
  return { span, traceparent: carrier.traceparent ?? '', tracestate: carrier.tracestate ?? '' };
}

/** Ends the webhook span with its HTTP status and outcome (5xx: an error of the gateway). */
export function endWebhookSpan(span: Span | undefined, status: number, outcome: string): void {
  if (!span) return;
  span.setAttributes({ [ATTR_HTTP_RESPONSE_STATUS_CODE]: status, [ATTR.WEBHOOK_OUTCOME]: outcome });
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
  span.end();
}
