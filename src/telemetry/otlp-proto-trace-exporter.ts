import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer, TraceExporterMetricsHelper, type IExportTraceServiceResponse, type ISerializer } from '@opentelemetry/otlp-transformer';
import { serializeTraceRequest } from './otlp-trace-serializer';

const serializer: ISerializer<ReadableSpan[], IExportTraceServiceResponse> = {
  serializeRequest: serializeTraceRequest,
  deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
};

/**
 * The OTLP http/protobuf trace exporter (the default protocol): the SDK's own HTTP transport,
 * configuration (every OTEL_EXPORTER_OTLP_* variable), retries and self-metrics, with the
 * gateway's serializer in place of the SDK's (same bytes, a third of the CPU:
 * otlp-trace-serializer.ts). It is what @opentelemetry/exporter-trace-otlp-proto builds, with
 * that one part swapped.
 */
export class OtlpProtoTraceExporter extends OTLPExporterBase<ReadableSpan[]> {
  constructor() {
    super(createOtlpHttpExportDelegate(
      convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
      serializer,
      'otlp_http_span_exporter',
      TraceExporterMetricsHelper,
      undefined,
    ));
  }
}
