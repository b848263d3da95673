// Imported FIRST by in-process tracing tests: the SDK must patch @grpc/grpc-js before
// anything loads it, and vitest loads packages through ESM, which require-in-the-middle
// cannot see; requiring them here puts the patched modules in the CommonJS cache.
import { createRequire } from 'node:module';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { startTelemetry } from '../../src/telemetry/start-telemetry';

export const spanExporter = new InMemorySpanExporter();
export const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
export const metricReader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
startTelemetry({ env: { OTEL_SERVICE_NAME: 'gateway-under-test' }, spanExporter, metricReader });
const load = createRequire(__filename);
load('@grpc/grpc-js');
