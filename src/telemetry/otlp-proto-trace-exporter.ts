import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer, TraceExporterMetricsHelper, type IExportTraceServiceResponse, type ISerializer } from '@opentelemetry/otlp-transformer';
import { EncodedSpanBatch, serializeTraceRequest } from './otlp-trace-serializer';

/** What the exporter sends: spans, or spans the encoding batch processor already encoded as they ended. */
export type TraceBatch = ReadableSpan[] | EncodedSpanBatch;

const serializer: ISerializer<TraceBatch, IExportTraceServiceResponse> = {
  serializeRequest: (batch) => (batch instanceof EncodedSpanBatch ? batch.serialize() : serializeTraceRequest(batch)),
  deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
};

/** The exporter's self-metrics count spans: an encoded batch has a `length` as an array does. */
const metricsHelper = { name: TraceExporterMetricsHelper.name, countItems: (batch: TraceBatch) => batch.length };

/**
 * The OTLP http/protobuf trace exporter (the default protocol): the SDK's own HTTP transport,
 * configuration (every OTEL_EXPORTER_OTLP_* variable), retries and self-metrics, with the
 * gateway's serializer in place of the SDK's (same bytes, a third of the CPU:
 * otlp-trace-serializer.ts). It is what @opentelemetry/exporter-trace-otlp-proto builds, with
 * that one part swapped.
 */
export class OtlpProtoTraceExporter extends OTLPExporterBase<TraceBatch> {
  constructor() {
    super(createOtlpHttpExportDelegate(
      convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' }),
      serializer,
      'otlp_http_span_exporter',
      metricsHelper,
      undefined,
    ));
  }
}
