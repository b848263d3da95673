import { trace } from '@opentelemetry/api';
import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config/gateway-config';

export type { Logger };

// Belt and braces: the gateway never logs credentials, and these paths catch an accident.
const REDACT = [
  'accessToken', '*.accessToken', 'appSecret', '*.appSecret', 'access_token', '*.access_token',
  'appsecret_proof', '*.appsecret_proof', 'authorization', '*.authorization', 'headers.authorization',
];

/** JSON logs to stdout (or the given stream, for tests). */
export function createLogger(level: LogLevel, destination?: NodeJS.WritableStream): Logger {
  const options = { level, base: { service: 'messenger-gateway' }, redact: { paths: REDACT, censor: '[redacted]' }, mixin: traceIds };
  return destination ? pino(options, destination) : pino(options);
}

/** `trace_id`/`span_id` of the active span, so a log line leads to its trace (nothing when tracing is off). */
function traceIds(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
