import type { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import { RedactingSpanExporter } from './redacting-span-exporter';
import { SpanConventionsProcessor } from './span-conventions-processor';
import { SyncContextManager } from './sync-context-manager';

type Env = Record<string, string | undefined>;

/** Whether the standard OTEL_* variables ask for traces to be exported. */
export function tracingRequested(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  const exporters = env.OTEL_TRACES_EXPORTER;
  if (exporters !== undefined) return exporters.split(',').some((e) => e.trim() !== 'none' && e.trim() !== '');
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** The OTLP trace exporter `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL` names; each reads its endpoint from the environment. */
function otlpExporter(env: Env): SpanExporter {
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  // Loaded lazily: each exporter pulls in its transport, and only one is used.
  switch (protocol) {
    case 'grpc':
      return new (require('@opentelemetry/exporter-trace-otlp-grpc') as typeof import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
    case 'http/json':
      return new (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
    case 'http/protobuf':
      return new (require('./otlp-proto-trace-exporter') as typeof import('./otlp-proto-trace-exporter')).OtlpProtoTraceExporter();
    default:
      throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported (grpc, http/protobuf, http/json)`);
  }
}

function exportersFromEnv(env: Env): SpanExporter[] {
  const names = (env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',').map((s) => s.trim()).filter((s) => s && s !== 'none');
  return names.map((name) => {
    if (name === 'otlp') return otlpExporter(env);
    if (name === 'console') return new (traceSdk().ConsoleSpanExporter)();
    throw new Error(`OTEL_TRACES_EXPORTER=${name} is not supported (otlp, console, none)`);
  });
}

/**
 * The SDK's packages, loaded when tracing starts: they took about a second to load on a busy
 * machine, which a gateway without tracing (the default) should not pay at every start.
 */
function traceSdk(): typeof import('@opentelemetry/sdk-trace-base') {
  return require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
}

export interface TelemetryOptions {
  env?: Env;
  /** Tests: export here, synchronously, instead of what the environment names. */
  spanExporter?: SpanExporter;
  /** Tests: read metrics here instead of OTEL_METRICS_EXPORTER. */
  metricReader?: IMetricReader;
}

let sdk: NodeSDK | undefined;

/**
 * Starts the OpenTelemetry SDK: span processors, exporters, metrics, propagators and the
 * context manager (synchronous only: sync-context-manager.ts). No instrumentation is loaded: the gateway makes its own server spans
 * (src/telemetry/server-span.ts) and Graph client spans (src/telemetry/graph-span.ts), which
 * cost far less per send. Must run before the gateway is built (startGateway), which only
 * wraps its handlers when the SDK runs.
 */
export function startTelemetry(options: TelemetryOptions = {}): NodeSDK {
  if (sdk) return sdk;
  const env = options.env ?? process.env;
  // Every exporter is wrapped: no exported byte may carry a credential, whatever the attribute.
  const { BatchSpanProcessor, SimpleSpanProcessor } = traceSdk();
  const processors: SpanProcessor[] = [new SpanConventionsProcessor()];
  if (options.spanExporter) processors.push(new SimpleSpanProcessor(new RedactingSpanExporter(options.spanExporter)));
  else for (const e of exportersFromEnv(env)) processors.push(new BatchSpanProcessor(new RedactingSpanExporter(e)));
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? 'messenger-gateway',
    spanProcessors: processors,
    contextManager: new SyncContextManager(),
    ...(options.metricReader ? { metricReaders: [options.metricReader] } : {}),
  });
  sdk.start();
  return sdk;
}

/** Whether the SDK runs (so that per-send work for metrics can be skipped when it does not). */
export function telemetryStarted(): boolean {
  return sdk !== undefined;
}

/** How `stopTelemetry` ended: flushed, or why not (a collector that is down must not fail a shutdown). */
export type TelemetryStop = { ok: true } | { ok: false; why: string };

/**
 * Flushes and stops the SDK, if it was started (on shutdown), within `withinMs`: an unreachable
 * or slow collector ends the flush at that bound (the spans still queued are dropped). Never
 * rejects: the outcome says whether the flush went through.
 */
export async function stopTelemetry(withinMs = 2_000): Promise<TelemetryStop> {
  const s = sdk;
  sdk = undefined;
  if (!s) return { ok: true };
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<TelemetryStop>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, why: `the final flush did not finish within ${withinMs} ms` }), withinMs);
    timer.unref();
  });
  try {
    return await Promise.race([
      s.shutdown().then((): TelemetryStop => ({ ok: true }), (err: unknown): TelemetryStop => ({ ok: false, why: err instanceof Error ? err.message : String(err) })),
      bound,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
