import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT, ATTR_URL_FULL,
} from './attribute-names';
import { telemetryStarted } from './start-telemetry';

/**
 * The client span of each Graph request (one per attempt), with the stable HTTP client
 * attributes. The gateway makes it itself rather than through @opentelemetry/instrumentation-undici:
 * that instrumentation's diagnostics-channel hooks cost ~20% of a traced send's CPU in the
 * benchmark (same-run A/Bs), for a span this module builds from facts the client already has.
 */
const tracer = trace.getTracer('messenger-gateway.graph');

/** Where Graph requests go, parsed once per client. */
export interface GraphEndpoint {
  origin: string;
  host: string;
  port: number;
}

export function graphEndpoint(origin: string): GraphEndpoint {
  const url = new URL(origin);
  return { origin, host: url.hostname, port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80 };
}

/**
 * Starts the span of one Graph request as a child of `parent` (the call's server span; a root
 * without one) and puts its W3C `traceparent` in `headers`; undefined, at no cost,
 * when telemetry is off. The path holds the version, ids and the request's own parameters only:
 * the token travels in a header and the appsecret_proof of a GET or DELETE is left out of it.
 */
export function startGraphSpan(endpoint: GraphEndpoint, path: string, headers: Record<string, string>, parent: Span | undefined, method = 'POST'): Span | undefined {
  if (!telemetryStarted()) return undefined;
  const span = tracer.startSpan(method, {
    kind: SpanKind.CLIENT,
    attributes: {
      [ATTR_HTTP_REQUEST_METHOD]: method,
      [ATTR_SERVER_ADDRESS]: endpoint.host,
      [ATTR_SERVER_PORT]: endpoint.port,
      [ATTR_URL_FULL]: endpoint.origin + path,
    },
  }, parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT);
  // The span's own traceparent only: not the propagators' whole output, whose tracestate (and
  // baggage) is the caller's, for the caller's systems, not for Meta.
  const { traceId, spanId, traceFlags } = span.spanContext();
  headers.traceparent = `00-${traceId}-${spanId}-${traceFlags & 1 ? '01' : '00'}`;
  return span;
}

/**
 * Ends a Graph request's span with its answer's HTTP status (4xx and 5xx are errors of a
 * client span), or with why there was none (`error.type`: `ECONNREFUSED`-style codes,
 * `timeout`, `cancelled`).
 */
export function endGraphSpan(span: Span | undefined, ending: { status?: number; errorType?: string; message?: string }): void {
  if (!span) return;
  if (ending.status !== undefined) {
    if (ending.status > 0) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, ending.status);
    if (ending.status >= 400) fail(span, String(ending.status), `HTTP ${ending.status}`);
  } else {
    fail(span, ending.errorType ?? '_OTHER', ending.message ?? '');
  }
  span.end();
}

function fail(span: Span, type: string, message: string): void {
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
