import { spanExporter, metricReader, metricExporter } from './setup-in-memory-tracing';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { context, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SendMessageRequest, SendMessageResponse, UploadAttachmentRequest } from '../../gen/messenger/v1/service';
import { MediaType } from '../../gen/messenger/v1/enums';
import { EventServiceClient, StartPosition } from '../../gen/messenger/v1/events';
import { startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { generateApiKey, hashApiKey } from '../../src/server/caller-auth';
import { recordSend } from '../../src/telemetry/gateway-metrics';
import { healthStatus } from '../support/gateway-process';
import { waitFor } from '../support/wait-for';

const TOKEN = 'EAAB-tracing-secret-token-42';
const SECRET = 'tracing-app-secret';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';

/** Waits until a finished span matches `match`. */
const spanOut = (match: (s: ReadableSpan) => boolean, what: string) => waitFor(() => spanExporter.getFinishedSpans().some(match), { what });
const isServer = (s: ReadableSpan) => s.kind === SpanKind.SERVER;

let gw: TestGateway;
let raw: Client;
beforeAll(async () => {
  gw = await startTestGateway({ pages: [{ id: '1001', accessToken: TOKEN, appSecret: SECRET, appsecretProof: 'classic' }] });
  raw = new Client(gw.target, credentials.createInsecure());
});
afterAll(async () => {
  raw.close();
  await gw.close();
});
beforeEach(() => spanExporter.reset());

function send(req: Parameters<typeof SendMessageRequest.fromPartial>[0], traceparent = `00-${TRACE_ID}-${PARENT_SPAN_ID}-01`): Promise<ServiceError | SendMessageResponse> {
  const md = new Metadata();
  md.set('traceparent', traceparent);
  md.set('baggage', 'tenant=acme');
  md.set('tracestate', 'vendor=caller-internal');
  // Tracing suppressed on the calling side: the call is made like an uninstrumented
  // caller in another process, so the server sees exactly this traceparent.
  return new Promise((resolve) => context.with(suppressTracing(context.active()), () => {
    raw.makeUnaryRequest(
      '/messenger.v1.MessengerService/SendMessage',
      (r: SendMessageRequest) => Buffer.from(SendMessageRequest.encode(r).finish()),
      (b: Buffer) => SendMessageResponse.decode(b),
      SendMessageRequest.fromPartial(req),
      md,
      { deadline: Date.now() + 10_000 },
      (err, res) => resolve(err ?? res!),
    );
  }));
}

async function spans(): Promise<{ server: ReadableSpan; client?: ReadableSpan; all: ReadableSpan[] }> {
  // Spans end right after the callback.
  await spanOut(isServer, 'a server span');
  const all = spanExporter.getFinishedSpans();
  const server = all.find((s) => s.kind === SpanKind.SERVER && s.name.includes('MessengerService'));
  if (!server) throw new Error(`no server span among ${all.map((s) => s.name).join(', ')}`);
  const client = all.find((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === server.spanContext().spanId);
  return { server, client, all };
}

describe('tracing a send', () => {
  it("the server span is the child of the caller's traceparent, the Graph call a child client span", async () => {
    const res = await send(textTo('24681357'));
    expect(res).toMatchObject({ messageId: expect.stringMatching(/^m_/) });
    const { server, client } = await spans();
    expect(server.spanContext().traceId).toBe(TRACE_ID);
    expect(server.parentSpanContext?.spanId).toBe(PARENT_SPAN_ID);
    expect(server.name).toBe('grpc.messenger.v1.MessengerService/SendMessage');
    expect(server.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'messenger.v1.MessengerService',
      'rpc.method': 'SendMessage',
      'rpc.grpc.status_code': 0,
      'messenger.page.id': '1001',
      'messenger.messaging_type': 'RESPONSE',
      'messenger.recipient.kind': 'id',
      'messenger.message.id': (res as SendMessageResponse).messageId,
    });
    expect(server.attributes['messenger.recipient.id']).toBeUndefined();
    expect(client).toBeDefined();
    expect(client!.spanContext().traceId).toBe(TRACE_ID);
    expect(client!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
    });
    expect(String(client!.attributes['url.full'])).toMatch(/\/v25\.0\/1001\/messages$/);
    // Graph sees the client span's context, and not the caller's baggage or tracestate (internal to the caller's system).
    const toGraph = gw.sandbox!.received.filter((r) => r.path.endsWith('/messages')).at(-1)!;
    expect(toGraph.headers.traceparent).toBe(`00-${TRACE_ID}-${client!.spanContext().spanId}-01`);
    expect(toGraph.headers.baggage).toBeUndefined();
    expect(toGraph.headers.tracestate).toBeUndefined();
  });

  it('a Graph error is an event with code, subcode and fbtrace_id; FAILED_PRECONDITION is not a server error', async () => {
    const err = (await send(textTo('error-551-1545041'))) as ServiceError;
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    const { server } = await spans();
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(server.attributes).toMatchObject({
      'rpc.grpc.status_code': status.FAILED_PRECONDITION,
      'messenger.error.reason': 'RECIPIENT_UNAVAILABLE',
      'messenger.graph.error.code': 551,
      'messenger.graph.error.subcode': 1545041,
    });
    const event = server.events.find((e) => e.name === 'messenger.graph.error');
    expect(event?.attributes).toMatchObject({ 'messenger.graph.error.code': 551, 'messenger.graph.error.subcode': 1545041 });
    expect(String(event?.attributes?.['messenger.graph.error.fbtrace_id'])).toMatch(/\S+/);
  });

  it('UNAVAILABLE is a server error with the retry hint', async () => {
    const err = (await send(textTo('error-1200'))) as ServiceError;
    expect(err.code).toBe(status.UNAVAILABLE);
    const { server } = await spans();
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
    expect(server.attributes['messenger.retry.delay_s']).toBe(1);
  });

  it('a validation failure is the caller\'s, with its violation count', async () => {
    const err = (await send({ pageId: '1001' })) as ServiceError;
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    const { server, all } = await spans();
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(server.attributes['messenger.validation.violations']).toBeGreaterThanOrEqual(2);
    expect(all.filter((s) => s.kind === SpanKind.CLIENT)).toHaveLength(0);
  });

  it('a streamed upload is one server span with its byte count', async () => {
    await new Promise<void>((resolve, reject) => {
      const call = gw.client.uploadAttachment((err) => (err ? reject(err) : resolve()));
      call.write(UploadAttachmentRequest.fromPartial({ part: { $case: 'metadata', value: { pageId: '1001', type: MediaType.MEDIA_TYPE_FILE, source: { $case: 'file', value: { filename: 'a.pdf', contentType: 'application/pdf' } } } } }));
      call.write({ part: { $case: 'chunk', value: Buffer.alloc(70_000, 1) } });
      call.write({ part: { $case: 'chunk', value: Buffer.alloc(30_000, 2) } });
      call.end();
    });
    await spanOut(isServer, 'a server span');
    const uploads = spanExporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER && s.name.endsWith('/UploadAttachment'));
    expect(uploads).toHaveLength(1);
    expect(uploads[0].attributes).toMatchObject({ 'messenger.upload.bytes': 100_000, 'messenger.attachment.id': expect.stringMatching(/^\d+$/) });
    const graphCall = spanExporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === uploads[0].spanContext().spanId);
    expect(graphCall).toHaveLength(1);
    // Its log line leads to its trace, as a unary send's does.
    const line = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).reverse().find((l) => l.method === 'UploadAttachment');
    expect(line).toMatchObject({ msg: 'send', trace_id: uploads[0].spanContext().traceId, span_id: uploads[0].spanContext().spanId });
  });

  it('a SendMessages stream is one server span, OK when it finishes, with a Graph span per message under it', async () => {
    const answers = await new Promise<number>((resolve, reject) => {
      let n = 0;
      const call = gw.client.sendMessages(new Metadata(), { deadline: Date.now() + 10_000 });
      call.on('data', () => n++);
      call.on('error', reject);
      call.on('end', () => resolve(n));
      for (const id of ['a', 'b', 'c']) call.write({ requestId: id, message: SendMessageRequest.fromPartial(textTo(`7${id.charCodeAt(0)}`)) });
      call.end();
    });
    expect(answers).toBe(3);
    await spanOut(isServer, 'a server span');
    const streams = spanExporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER && s.name === 'grpc.messenger.v1.MessengerService/SendMessages');
    expect(streams).toHaveLength(1);
    expect(streams[0].attributes['rpc.grpc.status_code']).toBe(status.OK);
    const graphCalls = spanExporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === streams[0].spanContext().spanId);
    expect(graphCalls).toHaveLength(3);
  });

  it("an event stream's subscribed and ended lines carry its span's ids", async () => {
    const events = new EventServiceClient(gw.target, credentials.createInsecure());
    const call = events.streamEvents();
    call.on('error', () => undefined);
    call.write({ subscribe: { consumerGroup: 'traced-lines', pageIds: [], maxOutstanding: 0, start: StartPosition.START_POSITION_LATEST, startTime: undefined }, ack: undefined, nack: undefined });
    const lines = () => gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.method === 'StreamEvents' && l.group === 'traced-lines');
    await waitFor(() => lines().length > 0, { what: 'the subscribed line' });
    // A second subscribe ends the stream (INVALID_ARGUMENT), with its line.
    call.write({ subscribe: { consumerGroup: 'traced-lines', pageIds: [], maxOutstanding: 0, start: StartPosition.START_POSITION_LATEST, startTime: undefined }, ack: undefined, nack: undefined });
    await waitFor(() => lines().length >= 2, { what: 'the ended line' });
    await spanOut((s) => s.name.endsWith('/StreamEvents'), 'the StreamEvents span');
    events.close();
    const span = spanExporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER && s.name.endsWith('/StreamEvents'));
    expect(span).toBeDefined();
    expect(lines().map((l) => [l.msg, l.trace_id, l.span_id])).toEqual([
      ['event stream subscribed', span!.spanContext().traceId, span!.spanContext().spanId],
      ['event stream ended', span!.spanContext().traceId, span!.spanContext().spanId],
    ]);
  });

  it('a stream the caller cancels still ends its span, CANCELLED and not a server error', async () => {
    const call = gw.client.sendMessages(new Metadata(), { deadline: Date.now() + 10_000 });
    call.on('error', () => undefined);
    const graphBefore = gw.sandbox!.received.length;
    call.write({ requestId: 'slow', message: SendMessageRequest.fromPartial(textTo('delay-300')) });
    await waitFor(() => gw.sandbox!.received.length > graphBefore, { what: 'the slow send at the sandbox' });
    call.cancel();
    const ended = () => spanExporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER && s.name.endsWith('/SendMessages'));
    await waitFor(() => ended().length > 0, { what: 'the SendMessages span' });
    expect(ended()).toHaveLength(1);
    expect(ended()[0].attributes['rpc.grpc.status_code']).toBe(status.CANCELLED);
    expect(ended()[0].status.code).toBe(SpanStatusCode.UNSET);
  });

  it('health checks make no span', async () => {
    expect(await healthStatus(gw.target)).toBe('SERVING');
    // A traced call after it: once its span is out, a span of the health check would be too.
    await send(textTo('1'));
    const isMark = (s: ReadableSpan) => isServer(s) && s.name.endsWith('/SendMessage');
    await spanOut(isMark, 'the span of the call made after the health check');
    expect(spanExporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER && !isMark(s))).toHaveLength(0);
  });

  it('metrics count sends by page, method and code, and time the Graph calls', async () => {
    await send(textTo('1'));
    await metricReader.forceFlush();
    const names = metricExporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.descriptor.name)));
    expect(names).toEqual(expect.arrayContaining(['messenger.gateway.sends', 'messenger.graph.request.duration', 'messenger.graph.usage']));
    const sends = metricExporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics)).find((m) => m.descriptor.name === 'messenger.gateway.sends')!;
    expect(sends.dataPoints.some((p) => p.attributes['messenger.page.id'] === '1001' && p.attributes['rpc.method'] === 'SendMessage' && p.attributes['rpc.grpc.status_code'] === 'OK')).toBe(true);
  });

  it('the sends counter keeps at most 1,000 series: past that, new pages count under _other', async () => {
    for (let i = 0; i < 1_100; i++) recordSend(`cap-${i}`, 'SendMessage', 'NOT_FOUND');
    await metricReader.forceFlush();
    const all = metricExporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
    const points = all.filter((m) => m.descriptor.name === 'messenger.gateway.sends').at(-1)!.dataPoints;
    // 1,000 series, plus at most one `_other` series per method and code.
    expect(points.length).toBeLessThanOrEqual(1_000 + 4 * 17);
    expect(points.some((p) => p.attributes['messenger.page.id'] === 'cap-1099')).toBe(false);
    const other = points.find((p) => p.attributes['messenger.page.id'] === '_other' && p.attributes['rpc.grpc.status_code'] === 'NOT_FOUND');
    expect(other?.value).toBeGreaterThanOrEqual(100);
  });

  it("the server span names the authenticated caller", async () => {
    const key = generateApiKey();
    const authed = await startTestGateway({ extra: { callers: [{ name: 'orders', apiKeyHash: hashApiKey(key), pages: ['*'], ratePerSecond: 0 }] } });
    try {
      const md = new Metadata();
      md.set('authorization', `Bearer ${key}`);
      spanExporter.reset();
      await authed.send(textTo('1'), { metadata: md });
      const { server } = await spans();
      expect(server.attributes['messenger.caller']).toBe('orders');
      expect(JSON.stringify(server.attributes)).not.toContain(key);
    } finally {
      await authed.close();
    }
  });

  it('log lines carry trace_id and span_id', async () => {
    await send(textTo('2'));
    const line = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).reverse().find((l) => l.msg === 'send');
    expect(line?.trace_id).toBe(TRACE_ID);
    expect(line?.span_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('no span, attribute, event or log line ever carries the token, the app secret or the proof', async () => {
    spanExporter.reset();
    for (const r of ['1', 'error-190', 'error-613', 'error-100-2018001', 'error-http-500', 'error-malformed']) await send(textTo(r));
    await send({ pageId: '1001', recipient: { identifier: { $case: 'id', value: TOKEN } }, message: { content: { $case: 'text', value: `my token is ${TOKEN}` } } });
    await spans();
    const exported = JSON.stringify(spanExporter.getFinishedSpans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status, links: s.links })));
    expect(spanExporter.getFinishedSpans().length).toBeGreaterThan(7);
    const proof = (await import('node:crypto')).createHmac('sha256', SECRET).update(TOKEN).digest('hex');
    for (const secret of [TOKEN, SECRET, proof]) {
      expect(exported).not.toContain(secret);
      expect(gw.logs.join('\n')).not.toContain(secret);
    }
  });
});
