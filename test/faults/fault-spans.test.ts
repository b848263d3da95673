import { spanExporter } from '../telemetry/setup-in-memory-tracing';
// The span of each injected Graph fault (see faults.test.ts for codes, timing and leaks): the
// server span carries the gRPC code and the reason, is an ERROR exactly for the codes that mean
// the server failed, and the Graph call is a child client span that has ended.
import { status, type ServiceError } from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { REGAIN_MINUTES, refusedUrl, startFaultGraph, type FaultGraph } from './fault-graph';
import { waitFor } from '../support/wait-for';

// One Page per case: a gateway may pause a Page after a rate limit (613), and that must not
// change the next case's answer.
const TOKEN = 'EAAB-fault-span-token';
const PAGES = Array.from({ length: 12 }, (_, i) => ({ id: String(1001 + i), accessToken: `${TOKEN}-${1001 + i}`, appsecretProof: 'classic' as const }));

let graph: FaultGraph;
let gw: TestGateway;
let refused: TestGateway;
beforeAll(async () => {
  graph = await startFaultGraph({ slowMs: 5_000, hugePauseMs: 3_000 });
  gw = await startTestGateway({ sandbox: false, pages: PAGES, graph: { baseUrl: graph.url, timeoutMs: 500 } });
  refused = await startTestGateway({ sandbox: false, pages: PAGES, graph: { baseUrl: await refusedUrl(), timeoutMs: 500 } });
});
afterAll(async () => {
  await gw?.close();
  await refused?.close();
  await graph?.close();
});
beforeEach(() => spanExporter.reset());

/** The server span of the one call made since the reset, and the Graph call under it. */
async function spans(): Promise<{ server: ReadableSpan; upstream: ReadableSpan[] }> {
  const isServer = (s: ReadableSpan) => s.kind === SpanKind.SERVER && s.name.includes('MessengerService');
  const first = await waitFor(() => spanExporter.getFinishedSpans().find(isServer), { what: 'the server span' });
  // The client span of an aborted Graph call may end a moment after the answer. The server span
  // says how many there are: one per attempt, the first and one per retry event.
  const attempts = 1 + first.events.filter((e) => e.name === 'messenger.graph.retry').length;
  const under = () => spanExporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === first.spanContext().spanId);
  // Past the deadline, what there is: the expects below say what is missing.
  await waitFor(() => under().length >= attempts, { what: `${attempts} Graph client span(s)` }).catch(() => undefined);
  const all = spanExporter.getFinishedSpans();
  const servers = all.filter(isServer);
  expect(servers).toHaveLength(1);
  const server = servers[0];
  const upstream = all.filter((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === server.spanContext().spanId);
  return { server, upstream };
}

/**
 * BUG (src/graph/graph-client.ts): a Graph call aborted before Graph's headers arrive (timeout
 * or cancellation) is aborted with a Symbol as the AbortSignal reason; undici hands that reason
 * to its diagnostics channel as the request's `error`, and @opentelemetry/instrumentation-undici
 * calls `span.recordException(symbol)`, which throws "Cannot convert a Symbol value to a string"
 * from the channel: an uncaught exception (a gateway started with OTEL_TRACES_EXPORTER set exits
 * with code 1), and the Graph client span never ends. Fix: abort with Error objects (e.g. an
 * Error subclass named 'AbortError' carrying timeout/cancelled) and compare with instanceof.
 * These cases stay skipped until then: flip this to false to run them.
 */
const KNOWN_BUG_SYMBOL_ABORT_REASON = false;

interface Case {
  name: string;
  /** Skipped while KNOWN_BUG_SYMBOL_ABORT_REASON holds: the run would end on an uncaught exception. */
  symbolAbort?: boolean;
  recipient: string;
  via?: 'refused';
  code: status;
  reason: string;
  retryS?: number;
  graphCode?: number;
}

const CASES: Case[] = [
  { name: 'hang', recipient: 'hang', code: status.DEADLINE_EXCEEDED, reason: 'GRAPH_TIMEOUT', symbolAbort: true },
  { name: 'slow headers', recipient: 'slow-headers', code: status.DEADLINE_EXCEEDED, reason: 'GRAPH_TIMEOUT', symbolAbort: true },
  { name: 'slow body', recipient: 'slow-body', code: status.DEADLINE_EXCEEDED, reason: 'GRAPH_TIMEOUT' },
  { name: 'reset mid-body', recipient: 'reset-mid-body', code: status.UNAVAILABLE, reason: 'GRAPH_UNAVAILABLE', retryS: 1 },
  { name: '5xx HTML', recipient: 'html-502', code: status.UNAVAILABLE, reason: 'GRAPH_UNAVAILABLE', retryS: 1 },
  { name: 'invalid JSON', recipient: 'invalid-json', code: status.UNKNOWN, reason: 'GRAPH_BAD_RESPONSE' },
  { name: '10 MB body', recipient: 'huge-body', code: status.UNKNOWN, reason: 'GRAPH_BAD_RESPONSE' },
  { name: '613 with usage headers', recipient: 'error-613', code: status.RESOURCE_EXHAUSTED, reason: 'RATE_LIMITED', retryS: REGAIN_MINUTES * 60, graphCode: 613 },
  { name: '1200', recipient: 'error-1200', code: status.UNAVAILABLE, reason: 'TEMPORARY_SEND_FAILURE', retryS: 1, graphCode: 1200 },
  { name: 'connection refused', recipient: '42', via: 'refused', code: status.UNAVAILABLE, reason: 'GRAPH_UNAVAILABLE', retryS: 1 },
];

/** OpenTelemetry's gRPC server rule, as src/telemetry/span-conventions-processor.ts applies it. */
const SERVER_FAULT = new Set([status.UNKNOWN, status.DEADLINE_EXCEEDED, status.UNIMPLEMENTED, status.INTERNAL, status.UNAVAILABLE, status.DATA_LOSS]);

describe('the span of each Graph fault', () => {
  const check = async (c: Case): Promise<void> => {
    const target = c.via === 'refused' ? refused : gw;
    const page = String(1001 + CASES.indexOf(c));
    const err = await target.send(textTo(c.recipient, 'hello', page), { deadlineMs: 5_000 }).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(err?.code).toBe(c.code);
    const { server, upstream } = await spans();
    expect(server.name).toBe('grpc.messenger.v1.MessengerService/SendMessage');
    expect(server.attributes).toMatchObject({
      'rpc.grpc.status_code': c.code,
      'messenger.error.reason': c.reason,
      'messenger.page.id': page,
    });
    expect(server.status.code).toBe(SERVER_FAULT.has(c.code) ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
    expect(server.attributes['messenger.retry.delay_s']).toBe(c.retryS);
    if (c.graphCode === undefined) {
      expect(server.attributes['messenger.graph.error.code']).toBeUndefined();
      expect(server.events.find((e) => e.name === 'messenger.graph.error')).toBeUndefined();
    } else {
      expect(server.attributes['messenger.graph.error.code']).toBe(c.graphCode);
      expect(server.events.find((e) => e.name === 'messenger.graph.error')?.attributes).toMatchObject({
        'messenger.graph.error.code': c.graphCode,
        'messenger.graph.error.fbtrace_id': 'AfaultTrace',
      });
    }
    // The Graph call: client spans under the server span (one per attempt, should the gateway
    // retry), all ended (they were exported), never carrying the token.
    expect(upstream.length).toBeGreaterThanOrEqual(1);
    const call = upstream[upstream.length - 1];
    for (const u of upstream) expect(u.attributes['http.request.method']).toBe('POST');
    expect(JSON.stringify(upstream.map((u) => u.attributes))).not.toContain(TOKEN);
    if (c.graphCode !== undefined) expect(call.attributes['http.response.status_code']).toBe(c.graphCode === 613 ? 400 : 500);
    if (c.recipient === 'html-502') expect(call.attributes['http.response.status_code']).toBe(502);
  };
  const title = '$name: server span with code, reason and status; the Graph call is an ended child span';
  const blocked = (c: Case) => KNOWN_BUG_SYMBOL_ABORT_REASON && c.symbolAbort === true;
  it.each(CASES.filter((c) => !blocked(c)))(title, check);
  it.skip.each(CASES.filter(blocked))(`${title} [skipped: KNOWN_BUG_SYMBOL_ABORT_REASON]`, check);

  it('the gateway still answers OK afterwards, with an OK span', async () => {
    const res = await gw.send(textTo('42', 'hello', '1012'), { deadlineMs: 5_000 });
    expect(res.messageId).toMatch(/^m_/);
    const { server, upstream } = await spans();
    expect(server.attributes['rpc.grpc.status_code']).toBe(status.OK);
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(upstream.length).toBeGreaterThanOrEqual(1);
  });
});
