import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { GraphOutcome } from '../graph/graph-client';
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
 * Starts the span of one Graph request under the active context and puts its W3C context
 * (traceparent, ...) in `headers`; undefined, at no cost, when telemetry is off. The path
 * holds the version and page id only: the token travels in a header that no span ever sees.
 */
export function startGraphSpan(endpoint: GraphEndpoint, path: string, headers: Record<string, string>): Span | undefined {
  if (!telemetryStarted()) return undefined;
  const span = tracer.startSpan('POST', {
    kind: SpanKind.CLIENT,
    attributes: {
      'http.request.method': 'POST',
      'server.address': endpoint.host,
      'server.port': endpoint.port,
      'url.full': endpoint.origin + path,
    },
  });
  propagation.inject(trace.setSpan(context.active(), span), headers);
  return span;
}

/** Ends a Graph request's span with what its answer (or its failure) was. */
export function endGraphSpan(span: Span | undefined, outcome: GraphOutcome): void {
  if (!span) return;
  switch (outcome.kind) {
    case 'ok':
    case 'graph-error':
    case 'http-error':
    case 'bad-response':
      if (outcome.status > 0) span.setAttribute('http.response.status_code', outcome.status);
      // HTTP client convention: 4xx and 5xx are errors of the client span.
      if (outcome.status >= 400) fail(span, String(outcome.status), `HTTP ${outcome.status}`);
      break;
    case 'unreachable':
      fail(span, /^([A-Z][A-Z0-9_]+):/.exec(outcome.detail)?.[1] ?? '_OTHER', outcome.detail);
      break;
    case 'timeout':
      fail(span, 'timeout', `no answer within ${outcome.timeoutMs} ms`);
      break;
    case 'cancelled':
      fail(span, 'cancelled', 'the gRPC call was cancelled');
      break;
  }
  span.end();
}

function fail(span: Span, type: string, message: string): void {
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}
