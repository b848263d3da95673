import { SpanStatusCode, SpanKind } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { REDACTED, redactUrlQuery } from '../redaction/secret-redaction';
import { ATTR_RPC_GRPC_STATUS_CODE, ATTR_URL_FULL, ATTR_URL_QUERY } from './attribute-names';

/**
 * gRPC codes that mean the server failed (OpenTelemetry's gRPC server-span rule); every
 * other non-OK code is the caller's and leaves the server span's status UNSET.
 */
export const SERVER_ERROR_CODES: ReadonlySet<number> = new Set([2 /* UNKNOWN */, 4 /* DEADLINE_EXCEEDED */, 12 /* UNIMPLEMENTED */, 13 /* INTERNAL */, 14 /* UNAVAILABLE */, 15 /* DATA_LOSS */]);

/**
 * Holds every span to the gateway's conventions while it is still writable (`onEnding`):
 * client-caused gRPC failures are not server errors, and `url.full` never carries a query.
 * The gateway's own spans already follow them; this covers spans from anything else
 * (an instrumentation a deployment adds) and stays as a safety net.
 */
export class SpanConventionsProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}

  onEnding(span: Span): void {
    const code = span.attributes[ATTR_RPC_GRPC_STATUS_CODE];
    if (span.kind === SpanKind.SERVER && typeof code === 'number' && code !== 0 && !SERVER_ERROR_CODES.has(code)) {
      // setStatus() ignores UNSET by design; the SDK span's status field is public.
      (span as unknown as { status: { code: SpanStatusCode } }).status = { code: SpanStatusCode.UNSET };
    }
    const url = span.attributes[ATTR_URL_FULL];
    if (typeof url === 'string' && url.includes('?')) span.setAttribute(ATTR_URL_FULL, redactUrlQuery(url));
    if (span.attributes[ATTR_URL_QUERY] !== undefined) span.setAttribute(ATTR_URL_QUERY, REDACTED);
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
