// Imported FIRST by in-process tracing tests: the SDK must run before a gateway is built,
// whose handlers are traced only when it does.
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { startTelemetry } from '../../src/telemetry/start-telemetry';

export const spanExporter = new InMemorySpanExporter();
export const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
export const metricReader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
startTelemetry({ env: { OTEL_SERVICE_NAME: 'gateway-under-test' }, spanExporter, metricReader });
