import { context, diag, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, getNumberFromEnv, globalErrorHandler, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { EncodedSpanBatch } from './otlp-trace-serializer';
import { redactSpan } from './redacting-span-exporter';

/** Where the processor's batches go: the OTLP http/protobuf exporter (otlp-proto-trace-exporter.ts). */
export interface EncodedBatchExporter {
  export(batch: EncodedSpanBatch, done: (result: ExportResult) => void): void;
  forceFlush?(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface EncodingBatchOptions {
  maxExportBatchSize?: number;
  maxQueueSize?: number;
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
}

/**
 * The batch span processor of the default exporter (OTLP http/protobuf): the SDK's
 * BatchSpanProcessor's behaviour (batches of `maxExportBatchSize` spans, a partial batch after
 * `scheduledDelayMillis`, one export at a time, at most `maxQueueSize` spans waiting, the
 * OTEL_BSP_* variables, everything exported on forceFlush and shutdown), but each span is
 * redacted and encoded when it ends instead of when its batch is sent. The SDK's processor keeps
 * up to 512 span objects (each with its attributes, events, times and context) alive until the
 * export, long enough for V8 to copy them out of the young generation; here a span is garbage as
 * soon as it has ended, and the batch holds only its bytes. The redaction is the redacting
 * exporter's (`redactSpan`), the bytes the serializer's: the same request as before, byte for byte.
 */
export class EncodingBatchSpanProcessor implements SpanProcessor {
  private readonly maxExportBatchSize: number;
  private readonly maxQueueSize: number;
  private readonly scheduledDelayMillis: number;
  private readonly exportTimeoutMillis: number;
  /** The batch spans are encoded into; full ones wait in `ready`. */
  private current = new EncodedSpanBatch();
  private readonly ready: EncodedSpanBatch[] = [];
  /** Spans encoded and not yet handed to the exporter (the SDK's queue length). */
  private queued = 0;
  private dropped = 0;
  private exporting = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Settles when the export in flight does (forceFlush waits for it). */
  private inFlight: Promise<void> = Promise.resolve();
  private shutdownDone: Promise<void> | undefined;

  constructor(private readonly exporter: EncodedBatchExporter, options: EncodingBatchOptions = {}) {
    this.maxExportBatchSize = options.maxExportBatchSize ?? getNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ?? 512;
    this.maxQueueSize = options.maxQueueSize ?? getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE') ?? 2048;
    this.scheduledDelayMillis = options.scheduledDelayMillis ?? getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY') ?? 5000;
    this.exportTimeoutMillis = options.exportTimeoutMillis ?? getNumberFromEnv('OTEL_BSP_EXPORT_TIMEOUT') ?? 30000;
    if (this.maxExportBatchSize > this.maxQueueSize) {
      diag.warn('BatchSpanProcessor: maxExportBatchSize must be smaller or equal to maxQueueSize, setting maxExportBatchSize to match maxQueueSize');
      this.maxExportBatchSize = this.maxQueueSize;
    }
  }

  onStart(_span: Span): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.queued >= this.maxQueueSize) {
      if (this.dropped++ === 0) diag.debug('maxQueueSize reached, dropping spans');
      return;
    }
    if (this.dropped > 0) {
      diag.warn(`Dropped ${this.dropped} spans because maxQueueSize reached`);
      this.dropped = 0;
    }
    this.current.add(redactSpan(span));
    this.queued++;
    if (this.current.length >= this.maxExportBatchSize) this.cut();
    this.maybeExport();
  }

  forceFlush(): Promise<void> {
    return this.flushAll().then(() => this.exporter.forceFlush?.());
  }

  shutdown(): Promise<void> {
    if (this.shutdownDone) return this.shutdownDone;
    this.stopped = true;
    return (this.shutdownDone = this.flushAll().then(() => this.exporter.shutdown()));
  }

  /** The current batch joins the full ones (when it holds anything). */
  private cut(): void {
    if (this.current.length === 0) return;
    this.ready.push(this.current);
    this.current = new EncodedSpanBatch();
  }

  /** Exports a full batch now, or the partial one after the scheduled delay; one export at a time. */
  private maybeExport(): void {
    if (this.exporting) return;
    if (this.ready.length > 0) {
      this.clearTimer();
      this.exportNext();
      return;
    }
    if (this.timer !== undefined || this.current.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.cut();
      this.maybeExport();
    }, this.scheduledDelayMillis);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Every span encoded so far, exported batch after batch (and the export in flight awaited). */
  private async flushAll(): Promise<void> {
    this.clearTimer();
    this.cut();
    while (this.exporting || this.ready.length > 0) {
      if (!this.exporting) this.exportNext();
      await this.inFlight;
    }
  }

  /**
   * Exports the first full batch. `inFlight` settles (never rejects) when the exporter answers or
   * the export times out; then the next full batch goes, if any.
   */
  private exportNext(): void {
    const batch = this.ready.shift();
    if (!batch) return;
    this.queued -= batch.length;
    this.exporting = true;
    let settle!: () => void;
    this.inFlight = new Promise<void>((resolve) => (settle = resolve));
    let done = false;
    const finish = (error: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timeout);
      this.exporting = false;
      if (error !== undefined) globalErrorHandler(error as Parameters<typeof globalErrorHandler>[0]);
      settle();
      if (!this.stopped) this.maybeExport();
    };
    const timeout = setTimeout(() => finish(new Error('Timeout')), this.exportTimeoutMillis);
    timeout.unref();
    const send = () =>
      context.with(suppressTracing(context.active()), () =>
        this.exporter.export(batch, (result) => finish(result.code === ExportResultCode.SUCCESS ? undefined : (result.error ?? new Error('BatchSpanProcessor: span export failed')))),
      );
    const pending = batch.pendingResources();
    if (pending.length === 0) send();
    else Promise.all(pending).then(send, finish);
  }
}
