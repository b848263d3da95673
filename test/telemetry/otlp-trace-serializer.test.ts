import { describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type AttributeValue, type HrTime } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { nextBatchCapacity, serializeTraceRequest } from '../../src/telemetry/otlp-trace-serializer';

/** The oracle: the SDK's own serializer, which the default exporter used before. */
const sdkBytes = (spans: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
const ownBytes = (spans: ReadableSpan[]) => Buffer.from(serializeTraceRequest(spans));

describe('OTLP/protobuf trace serializer', () => {
  it('writes the same bytes as the SDK for spans the SDK made (the gateway\'s shapes: server, client, events, errors)', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'messenger-gateway', 'telemetry.sdk.language': 'nodejs', 'host.arch': 'amd64' }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const grpc = provider.getTracer('messenger-gateway.grpc');
    const graph = provider.getTracer('messenger-gateway.graph', '1.2.3');
    for (let i = 0; i < 50; i++) {
      const server = grpc.startSpan('grpc.messenger.v1.MessengerService/SendMessage', {
        kind: SpanKind.SERVER,
        attributes: { 'rpc.system': 'grpc', 'rpc.service': 'messenger.v1.MessengerService', 'rpc.method': 'SendMessage', 'messenger.page.id': '1001' },
      });
      server.setAttribute('messenger.message.id', `m_${'x'.repeat(i * 7)}`);
      server.setAttribute('messenger.retry.delay_s', 1.5);
      server.setAttribute('messenger.graph.code', i % 2 ? 613 : -1);
      server.setAttribute('messenger.idempotency_key.present', i % 3 === 0);
      server.setAttribute('messenger.tags', ['a', 'b', 'é😀']);
      if (i % 4 === 0) server.addEvent('messenger.graph.error', { 'messenger.graph.message': 'Ünïcødé error \u{1F600} '.repeat(i) });
      if (i % 5 === 0) server.setStatus({ code: SpanStatusCode.ERROR, message: 'x'.repeat(200 * i) });
      const client = graph.startSpan('POST', { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'POST', 'server.port': 443 } });
      client.end();
      server.end();
    }
    const spans = exporter.getFinishedSpans();
    expect(spans.length).toBe(100);
    expect(ownBytes(spans).equals(sdkBytes(spans))).toBe(true);
    // A second batch reuses the cached key, resource and scope encodings.
    expect(ownBytes(spans.slice(3, 40)).equals(sdkBytes(spans.slice(3, 40)))).toBe(true);
  });

  it('writes the same bytes as the SDK for any span (property)', () => {
    const hex = (n: number) => fc.array(fc.constantFrom(...'0123456789abcdef'), { minLength: n, maxLength: n }).map((a) => a.join(''));
    const scalar: fc.Arbitrary<AttributeValue> = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 300 }), // lone surrogates included
      fc.boolean(),
      fc.integer(),
      fc.double({ noNaN: false }),
      fc.maxSafeInteger(),
      fc.constantFrom(2 ** 62, -(2 ** 63), 2 ** 63, 0xffffffff, 0x100000000, -1),
    );
    const value: fc.Arbitrary<AttributeValue> = fc.oneof(scalar, fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 5 }) as fc.Arbitrary<AttributeValue>);
    const attrs = fc.dictionary(fc.string({ maxLength: 140 }), value, { maxKeys: 12 }) as fc.Arbitrary<Attributes>;
    const time = fc.tuple(fc.integer({ min: 0, max: 18_000_000_000 }), fc.integer({ min: 0, max: 999_999_999 })) as fc.Arbitrary<HrTime>;
    const resources = [resourceFromAttributes({ 'service.name': 'a' }), resourceFromAttributes({ 'service.name': 'b', n: 2 })];
    const scopes = [{ name: 'one' }, { name: 'two', version: '0.1', schemaUrl: 'https://opentelemetry.io/schemas/1.21.0' }];
    const span = fc.record({
      traceId: hex(32), spanId: hex(16), parent: fc.option(fc.record({ spanId: hex(16), remote: fc.boolean() }), { nil: undefined }),
      name: fc.string({ maxLength: 400 }), kind: fc.constantFrom(0, 1, 2, 3, 4), start: time, end: time,
      attributes: attrs, events: fc.array(fc.record({ name: fc.string(), time, attributes: fc.option(attrs, { nil: undefined }), dropped: fc.nat(3) }), { maxLength: 3 }),
      links: fc.array(fc.record({ traceId: hex(32), spanId: hex(16), attributes: fc.option(attrs, { nil: undefined }), state: fc.boolean() }), { maxLength: 2 }),
      status: fc.record({ code: fc.constantFrom(0, 1, 2), message: fc.option(fc.string({ maxLength: 2_000 }), { nil: undefined }) }),
      sampled: fc.boolean(), resource: fc.nat(1), scope: fc.nat(1), dropped: fc.tuple(fc.nat(300), fc.nat(2), fc.nat(2)),
    }).map((s): ReadableSpan => ({
      name: s.name,
      kind: s.kind,
      spanContext: () => ({ traceId: s.traceId, spanId: s.spanId, traceFlags: s.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, traceState: s.links.length ? new TraceState('k=v,vendor=x') : undefined }),
      parentSpanContext: s.parent && { traceId: s.traceId, spanId: s.parent.spanId, traceFlags: 1, isRemote: s.parent.remote },
      startTime: s.start,
      endTime: s.end,
      status: s.status as ReadableSpan['status'],
      attributes: s.attributes,
      links: s.links.map((l) => ({ context: { traceId: l.traceId, spanId: l.spanId, traceFlags: 1, isRemote: true, traceState: l.state ? new TraceState('a=b') : undefined }, attributes: l.attributes })),
      events: s.events.map((e) => ({ name: e.name, time: e.time, attributes: e.attributes, droppedAttributesCount: e.dropped })),
      duration: [0, 0],
      ended: true,
      resource: resources[s.resource],
      instrumentationScope: scopes[s.scope],
      droppedAttributesCount: s.dropped[0],
      droppedEventsCount: s.dropped[1],
      droppedLinksCount: s.dropped[2],
    }));
    fc.assert(fc.property(fc.array(span, { maxLength: 8 }), (spans) => {
      expect(ownBytes(spans).toString('hex')).toBe(sdkBytes(spans).toString('hex'));
    }), { numRuns: 400 });
  });

  it('attribute keys past the cache bound cost no allocation each (thousands of distinct keys, as spans with keys made from data have)', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    // The SDK keeps at most 128 attributes per span: 80 spans give 10,240 distinct keys.
    for (let i = 0; i < 80; i++) {
      const span = provider.getTracer('keys').startSpan(`s${i}`);
      for (let k = 0; k < 128; k++) span.setAttribute(`k.${i}.${k}`, k);
      span.end();
    }
    const spans = exporter.getFinishedSpans();
    serializeTraceRequest(spans); // fills the key cache up to its bound
    const allocUnsafe = vi.spyOn(Buffer, 'allocUnsafe');
    const from = vi.spyOn(Buffer, 'from');
    try {
      const bytes = serializeTraceRequest(spans);
      expect(Buffer.from(bytes).equals(sdkBytes(spans))).toBe(true);
      // 10,240 distinct keys, 4,096 cached: the others are written in place, not each through a buffer of its own.
      expect(allocUnsafe.mock.calls.length).toBeLessThan(10);
      expect(from.mock.calls.length).toBeLessThan(10);
    } finally {
      allocUnsafe.mockRestore();
      from.mockRestore();
    }
  });

  it('ids that are not hex read as the SDK reads them, byte for byte', () => {
    const odd = (id: string): ReadableSpan => ({
      name: 'odd', kind: 0, spanContext: () => ({ traceId: id, spanId: 'é'.repeat(16), traceFlags: 1 }),
      startTime: [1, 2], endTime: [3, 4], status: { code: 0 }, attributes: {}, links: [], events: [], duration: [0, 0], ended: true,
      resource: resourceFromAttributes({}), instrumentationScope: { name: 'x' }, droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
    });
    for (const id of ['ZZ'.repeat(16), '\u00ff\u0100'.repeat(16), '0A'.repeat(16), '!~'.repeat(16)]) {
      expect(ownBytes([odd(id)]).toString('hex')).toBe(sdkBytes([odd(id)]).toString('hex'));
    }
  });

  it('a huge batch does not make every later batch allocate as much', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const big = provider.getTracer('t').startSpan('big');
    big.setAttribute('blob', 'x'.repeat(8 * 1024 * 1024));
    big.end();
    provider.getTracer('t').startSpan('small').end();
    const [huge, small] = exporter.getFinishedSpans();
    expect(serializeTraceRequest([huge]).length).toBeGreaterThan(8 * 1024 * 1024);
    expect(nextBatchCapacity()).toBeGreaterThan(8 * 1024 * 1024);
    const bytes = serializeTraceRequest([small]);
    expect(Buffer.from(bytes).equals(sdkBytes([small]))).toBe(true);
    expect(nextBatchCapacity()).toBe(64 * 1024);
  });

  it('hands out a batch of its own: the next batch does not overwrite one still being sent', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.getTracer('t').startSpan('first').end();
    provider.getTracer('t').startSpan('second, a longer name').end();
    const [a, b] = exporter.getFinishedSpans();
    const first = Buffer.from(serializeTraceRequest([a]));
    const held = serializeTraceRequest([a]);
    serializeTraceRequest([b]);
    expect(Buffer.from(held).equals(first)).toBe(true);
  });
});
