/**
 * Loaded first (before the gateway is built, whose handlers are traced only when the SDK
 * runs): the first import of src/cli/main.ts, or
 * `node -r ./dist/src/telemetry/preload.js`. Starts tracing only when the standard
 * OTEL_* variables ask for it, so a gateway without an exporter runs no SDK at all.
 */
import { startTelemetry, tracingRequested } from './start-telemetry';

if (tracingRequested(process.env)) {
  // Metrics and logs follow the same variables; logs are not sent through OTel (pino writes them).
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  startTelemetry();
}
