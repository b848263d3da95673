import { spanExporter } from './setup-in-memory-tracing';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GraphClient, type GraphOutcome } from '../../src/graph/graph-client';
import { pageCredentials } from '../../src/graph/page-credentials';
import { waitFor } from '../support/wait-for';

const TOKEN = 'EAAgraphspantesttoken0123456789';
const creds = pageCredentials({ id: '1001', accessToken: TOKEN, appSecret: 'graph-span-secret' } as Parameters<typeof pageCredentials>[0]);

/** A Graph stand-in that records each request's headers and answers by the page id in the path. */
let server: Server;
let origin: string;
const seen: IncomingHttpHeaders[] = [];
const seenUrls: string[] = [];
function answer(req: IncomingMessage, res: ServerResponse): void {
  seen.push(req.headers);
  seenUrls.push(req.url ?? '');
  req.resume();
  req.on('end', () => {
    if (req.url?.includes('/503/')) res.writeHead(503, { 'content-type': 'text/html' }).end('<html>down</html>');
    else if (req.url?.includes('/hang/')) return;
    else res.writeHead(200, { 'content-type': 'application/json' }).end('{"recipient_id":"1","message_id":"m_1"}');
  });
}
beforeAll(async () => {
  server = createServer(answer);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  spanExporter.reset();
  seen.length = 0;
  seenUrls.length = 0;
});

/** One Graph call under a parent span; returns the outcome, the client span and the parent. */
async function call(pageId: string, baseUrl = origin, timeoutMs = 5_000): Promise<{ outcome: GraphOutcome; span: ReadableSpan; parentId: string }> {
  const client = new GraphClient({ baseUrl, version: 'v25.0', timeoutMs, connections: 2 });
  const parent = trace.getTracer('test').startSpan('parent');
  try {
    const outcome = await client.call({ ...creds, pageId }, { method: 'POST', path: `/${pageId}/messages`, json: { recipient: { id: '1' }, message: { text: 'hi' } } }, {}, parent);
    // The first export may wait for the resource's async attributes.
    const clientSpans = () => spanExporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    await waitFor(() => clientSpans().length > 0, { what: 'the Graph client span' });
    const spans = clientSpans();
    expect(spans).toHaveLength(1);
    return { outcome, span: spans[0], parentId: parent.spanContext().spanId };
  } finally {
    parent.end();
    await client.close();
  }
}

describe('the Graph client span', () => {
  it('is a child of the span it is given, with the HTTP client attributes, and its traceparent reaches Graph', async () => {
    const { outcome, span, parentId } = await call('1001');
    expect(outcome.kind).toBe('ok');
    expect(span.name).toBe('POST');
    expect(span.parentSpanContext?.spanId).toBe(parentId);
    expect(span.attributes).toEqual({
      'http.request.method': 'POST',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(origin).port),
      'url.full': `${origin}/v25.0/1001/messages`,
      'http.response.status_code': 200,
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(seen[0].traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    // The token is in the Authorization header only, never in the span.
    expect(seen[0].authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.stringify(span.attributes)).not.toContain(TOKEN);
  });

  it('a 5xx answer is an error of the span, typed by its status code', async () => {
    const { outcome, span } = await call('503');
    expect(outcome.kind).toBe('http-error');
    expect(span.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': '503' });
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('a refused connection and a timeout are errors typed by what happened', async () => {
    const refusedAt = createServer();
    await new Promise<void>((r) => refusedAt.listen(0, '127.0.0.1', r));
    const closedOrigin = `http://127.0.0.1:${(refusedAt.address() as AddressInfo).port}`;
    await new Promise((r) => refusedAt.close(r));
    const refused = await call('1001', closedOrigin);
    expect(refused.outcome.kind).toBe('unreachable');
    expect(refused.span.attributes['error.type']).toBe('ECONNREFUSED');
    expect(refused.span.status.code).toBe(SpanStatusCode.ERROR);
    expect(refused.span.attributes['http.response.status_code']).toBeUndefined();

    spanExporter.reset();
    const timedOut = await call('hang', origin, 200);
    expect(timedOut.outcome.kind).toBe('timeout');
    expect(timedOut.span.attributes['error.type']).toBe('timeout');
    expect(timedOut.span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no answer within 200 ms' });
  });

  it('a GET is named by its method, and the appsecret_proof sent in its query never reaches the span', async () => {
    const client = new GraphClient({ baseUrl: origin, version: 'v25.0', timeoutMs: 5_000, connections: 2 });
    try {
      const outcome = await client.call(creds, { method: 'GET', path: '/42', query: { fields: 'first_name' } }, {});
      expect(outcome.kind).toBe('ok');
    } finally {
      await client.close();
    }
    const clientSpans = () => spanExporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);
    await waitFor(() => clientSpans().length > 0, { what: 'the GET client span' });
    const [span] = clientSpans();
    expect(span.name).toBe('GET');
    expect(span.attributes['http.request.method']).toBe('GET');
    expect(String(span.attributes['url.full']).startsWith(`${origin}/v25.0/42?`)).toBe(true);
    // Graph got the proof (a GET has no body to carry it); the span did not.
    const proof = /^\/v25\.0\/42\?fields=first_name&appsecret_proof=([0-9a-f]{64})$/.exec(seenUrls[0])?.[1];
    expect(proof).toBeDefined();
    expect(JSON.stringify(span.attributes)).not.toContain('appsecret_proof');
    expect(JSON.stringify(span.attributes)).not.toContain(proof);
  });
});
