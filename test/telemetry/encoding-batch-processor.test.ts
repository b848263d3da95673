import { describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { AlwaysOffSampler, BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { EncodingBatchSpanProcessor, type EncodedBatchExporter } from '../../src/telemetry/encoding-batch-processor';
import { RedactingSpanExporter } from '../../src/telemetry/redacting-span-exporter';
import type { EncodedSpanBatch } from '../../src/telemetry/otlp-trace-serializer';
import { REDACTED, registerSecret } from '../../src/redaction/secret-redaction';
import { readTraceRequest } from '../support/otlp-proto-reader';
import { waitFor } from '../support/wait-for';

/** An exporter that keeps each request's bytes; `hold` keeps the callbacks until `release`. */
function recordingExporter(opts: { hold?: boolean; fail?: boolean } = {}) {
  const bodies: Buffer[] = [];
  const held: Array<() => void> = [];
  let shutDown = false;
  const exporter: EncodedBatchExporter = {
    export(batch: EncodedSpanBatch, done: (r: ExportResult) => void) {
      bodies.push(Buffer.from(batch.serialize()));
      const answer = () => done(opts.fail ? { code: ExportResultCode.FAILED, error: new Error('collector down') } : { code: ExportResultCode.SUCCESS });
      if (opts.hold) held.push(answer);
      else answer();
    },
    shutdown: async () => {
      shutDown = true;
    },
  };
  return {
    exporter,
    bodies,
    names: () => bodies.flatMap((b) => readTraceRequest(b).flatMap((r) => r.spans.map((s) => s.name))),
    release: () => held.splice(0).forEach((f) => f()),
    shutDown: () => shutDown,
  };
}

function tracerWith(processor: SpanProcessor, sampled = true) {
  return new BasicTracerProvider({ spanProcessors: [processor], ...(sampled ? {} : { sampler: new AlwaysOffSampler() }) }).getTracer('messenger-gateway.grpc');
}

describe('encoding batch span processor (the default exporter\'s)', () => {
  it('exports full batches at once, in order, and the partial one after the scheduled delay', async () => {
    const rx = recordingExporter();
    const tracer = tracerWith(new EncodingBatchSpanProcessor(rx.exporter, { maxExportBatchSize: 4, scheduledDelayMillis: 50 }));
    for (let i = 0; i < 10; i++) tracer.startSpan(`s${i}`).end();
    // Two full batches went as they filled; the last two spans wait for the delay.
    expect(rx.bodies.length).toBe(2);
    expect(rx.names()).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7']);
    await waitFor(() => rx.bodies.length === 3, { what: 'the partial batch after the scheduled delay' });
    expect(rx.names()).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9']);
  });

  it('sends the same request as the SDK\'s serializer would for the same spans', () => {
    const rx = recordingExporter();
    const finished: Parameters<SpanProcessor['onEnd']>[0][] = [];
    const keep: SpanProcessor = { onStart: () => {}, onEnd: (s) => void finished.push(s), forceFlush: async () => {}, shutdown: async () => {} };
    const provider = new BasicTracerProvider({ spanProcessors: [keep, new EncodingBatchSpanProcessor(rx.exporter, { maxExportBatchSize: 3 })] });
    const server = provider.getTracer('messenger-gateway.grpc').startSpan('grpc.messenger.v1.MessengerService/SendMessage', { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc' } });
    server.addEvent('messenger.graph.error', { 'messenger.graph.code': 613 });
    server.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    provider.getTracer('messenger-gateway.graph').startSpan('POST', { kind: SpanKind.CLIENT, attributes: { 'server.port': 443 } }).end();
    provider.getTracer('messenger-gateway.graph').startSpan('GET').end();
    server.end();
    expect(rx.bodies.length).toBe(1);
    expect(rx.bodies[0].equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(finished)!))).toBe(true);
  });

  it('redacts as the redacting exporter does: no registered secret in any name, attribute, event or status', () => {
    const secret = 'EAAB-encoding-processor-secret-4242';
    registerSecret(secret);
    const rx = recordingExporter();
    const tracer = tracerWith(new EncodingBatchSpanProcessor(rx.exporter, { maxExportBatchSize: 1 }));
    const span = tracer.startSpan(`send ${secret}`, { attributes: { [`key.${secret}`]: 1, 'url.full': `https://graph.facebook.com/v23.0/me?access_token=${secret}`, list: ['a', secret] } });
    span.addEvent(`event ${secret}`, { message: `token ${secret}` });
    span.setStatus({ code: SpanStatusCode.ERROR, message: `failed with ${secret}` });
    span.end();
    expect(rx.bodies.length).toBe(1);
    const text = rx.bodies[0].toString('latin1');
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.slice(4, 24));
    expect(text).toContain(REDACTED);
    // The same span through the redacting exporter: the same redaction.
    let viaExporter = '';
    const wrapped = new RedactingSpanExporter({ export: (spans, done) => { viaExporter = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!).toString('latin1'); done({ code: ExportResultCode.SUCCESS }); }, shutdown: async () => {} });
    const again = tracerWith({ onStart: () => {}, onEnd: (s) => wrapped.export([s], () => {}), forceFlush: async () => {}, shutdown: async () => {} }).startSpan(`send ${secret}`, { attributes: { [`key.${secret}`]: 1 } });
    again.end();
    expect(viaExporter).not.toContain(secret);
    expect(readTraceRequest(rx.bodies[0])[0].spans[0].name).toBe(readTraceRequest(Buffer.from(viaExporter, 'latin1'))[0].spans[0].name);
  });

  it('one export at a time: spans past maxQueueSize are dropped while it is in flight, the rest go once it answers', async () => {
    const rx = recordingExporter({ hold: true });
    const tracer = tracerWith(new EncodingBatchSpanProcessor(rx.exporter, { maxExportBatchSize: 2, maxQueueSize: 4, scheduledDelayMillis: 60_000 }));
    for (let i = 0; i < 10; i++) tracer.startSpan(`s${i}`).end();
    // s0, s1 in flight; s2..s5 queued (4); s6..s9 dropped.
    expect(rx.bodies.length).toBe(1);
    rx.release();
    expect(rx.bodies.length).toBe(2);
    rx.release();
    expect(rx.bodies.length).toBe(3);
    rx.release();
    expect(rx.names()).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
  });

  it('a failed export does not stop the next ones', () => {
    const rx = recordingExporter({ fail: true });
    const tracer = tracerWith(new EncodingBatchSpanProcessor(rx.exporter, { maxExportBatchSize: 1 }));
    tracer.startSpan('a').end();
    tracer.startSpan('b').end();
    expect(rx.names()).toEqual(['a', 'b']);
  });

  it('an export that never answers is given up after the export timeout, and the next batch goes', async () => {
    const rx = recordingExporter({ hold: true });
    const tracer = tracerWith(new EncodingBatchSpanProcessor(rx.exporter, { maxExportBatchSize: 1, exportTimeoutMillis: 50 }));
    tracer.startSpan('a').end();
    tracer.startSpan('b').end();
    expect(rx.bodies.length).toBe(1);
    await waitFor(() => rx.bodies.length === 2, { what: 'the second batch after the first export timed out' });
    expect(rx.names()).toEqual(['a', 'b']);
  });

  it('forceFlush and shutdown export every span encoded, then shut the exporter; spans ending after shutdown are not exported', async () => {
    const rx = recordingExporter();
    const processor = new EncodingBatchSpanProcessor(rx.exporter, { maxExportBatchSize: 3, scheduledDelayMillis: 60_000 });
    const tracer = tracerWith(processor);
    for (let i = 0; i < 4; i++) tracer.startSpan(`s${i}`).end();
    await processor.forceFlush();
    expect(rx.names()).toEqual(['s0', 's1', 's2', 's3']);
    tracer.startSpan('s4').end();
    await processor.shutdown();
    expect(rx.names()).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(rx.shutDown()).toBe(true);
    tracer.startSpan('late').end();
    await processor.shutdown();
    expect(rx.names()).not.toContain('late');
  });

  it('shutdown waits for the export in flight and exports what queued behind it', async () => {
    const rx = recordingExporter({ hold: true });
    const processor = new EncodingBatchSpanProcessor(rx.exporter, { maxExportBatchSize: 2, scheduledDelayMillis: 60_000 });
    const tracer = tracerWith(processor);
    for (let i = 0; i < 5; i++) tracer.startSpan(`s${i}`).end();
    let done = false;
    void processor.shutdown().then(() => (done = true));
    expect(rx.bodies.length).toBe(1);
    expect(rx.shutDown()).toBe(false);
    // The collector answers whatever is in flight each time it is looked at.
    await waitFor(() => {
      rx.release();
      return done;
    }, { what: 'shutdown after the queued batches' });
    expect(rx.names()).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(rx.shutDown()).toBe(true);
  });

  it('exports no span that was not sampled', async () => {
    const rx = recordingExporter();
    const processor = new EncodingBatchSpanProcessor(rx.exporter, { maxExportBatchSize: 1 });
    tracerWith(processor, false).startSpan('unsampled').end();
    await processor.forceFlush();
    expect(rx.bodies.length).toBe(0);
  });
});
