import { spanExporter, metricReader, metricExporter } from './setup-in-memory-tracing';
import { Metadata } from '@grpc/grpc-js';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { classicProof } from '../../src/graph/appsecret-proof';
import { conversationClient, type ConversationClient } from '../support/conversation-client';
import { grpcError, startTestGateway, type TestGateway } from '../support/gateway-harness';
import { waitFor } from '../support/wait-for';

// ConversationService's spans and metrics speak the sends' vocabulary: the server span named
// after the RPC with the Page and the recipient's kind, Graph's error on it, the Graph call a
// child client span (its URL without the proof a GET carries in its query), the sends counter.
const TOKEN = 'EAAB-conversation-tracing-token';
const SECRET = 'conversation-tracing-secret';
const TRACE_ID = '5bf92f3577b34da6a3ce929d0e0e4737';

let gw: TestGateway;
let conv: ConversationClient;
beforeAll(async () => {
  gw = await startTestGateway({ pages: [{ id: '1001', accessToken: TOKEN, appSecret: SECRET, appsecretProof: 'classic' }] });
  conv = conversationClient(gw.target);
});
afterAll(async () => {
  conv.close();
  await gw.close();
});
beforeEach(() => spanExporter.reset());

const traced = () => {
  const md = new Metadata();
  md.set('traceparent', `00-${TRACE_ID}-00f067aa0ba902b8-01`);
  return md;
};

async function serverSpan(method: string): Promise<{ server: ReadableSpan; client?: ReadableSpan }> {
  const server = await waitFor(() => spanExporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER && s.name === `grpc.messenger.v1.ConversationService/${method}`), { what: `the ${method} server span` });
  const client = spanExporter.getFinishedSpans().find((s) => s.kind === SpanKind.CLIENT && s.parentSpanContext?.spanId === server.spanContext().spanId);
  return { server, client };
}

describe('ConversationService telemetry', () => {
  it('GetUserProfile: server span with the Page and recipient kind; the Graph GET a child span without the proof in its URL', async () => {
    await conv.profile({ pageId: '1001', recipientId: '24681357' }, traced());
    const { server, client } = await serverSpan('GetUserProfile');
    expect(server.attributes).toMatchObject({ 'rpc.method': 'GetUserProfile', 'rpc.service': 'messenger.v1.ConversationService', 'messenger.page.id': '1001', 'messenger.recipient.kind': 'id', 'rpc.grpc.status_code': 0 });
    expect(server.attributes['messenger.recipient.id']).toBeUndefined();
    expect(client).toBeDefined();
    expect(client!.attributes['http.request.method']).toBe('GET');
    const spansText = JSON.stringify(spanExporter.getFinishedSpans().map((s) => s.attributes));
    expect(spansText).not.toContain(classicProof(TOKEN, SECRET).appsecret_proof);
    expect(spansText).not.toContain(TOKEN);
  });

  it("a Graph error is on the span as for sends (reason, code, subcode)", async () => {
    await grpcError(conv.profile({ pageId: '1001', recipientId: 'error-100-2018218' }, traced()));
    const { server } = await serverSpan('GetUserProfile');
    expect(server.attributes).toMatchObject({ 'messenger.error.reason': 'USER_PROFILE_NOT_FOUND', 'messenger.graph.error.code': 100, 'messenger.graph.error.subcode': 2018218 });
  });

  it('PassThreadControl: span and the sends counter by page, method and code', async () => {
    await conv.pass({ pageId: '1001', recipientId: '24681357', targetAppId: '263902037430900', idempotencyKey: 'trace-pass-1' }, traced());
    const { server } = await serverSpan('PassThreadControl');
    expect(server.attributes).toMatchObject({ 'rpc.method': 'PassThreadControl', 'messenger.page.id': '1001', 'messenger.idempotency.key_present': true });
    await metricReader.forceFlush();
    const sends = metricExporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics)).find((m) => m.descriptor.name === 'messenger.gateway.sends')!;
    for (const method of ['GetUserProfile', 'PassThreadControl']) {
      expect(sends.dataPoints.some((p) => p.attributes['messenger.page.id'] === '1001' && p.attributes['rpc.method'] === method), method).toBe(true);
    }
  });
});
