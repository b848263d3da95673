import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { freePort } from '../support/gateway-process';
import { startCountingGraph, graphErrorBody, okBody, type CountingGraph } from '../support/counting-graph';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';

const page = { id: '1001', accessToken: 'EAAB-retry-token', appsecretProof: 'classic' as const };
let gw: TestGateway | undefined;
let graph: CountingGraph | undefined;
afterEach(async () => {
  await gw?.close();
  await graph?.close();
  gw = graph = undefined;
});

async function setup(behaviour: Parameters<typeof startCountingGraph>[0], timeoutMs = 5_000) {
  graph = await startCountingGraph(behaviour);
  gw = await startTestGateway({ sandbox: false, pages: [page], graph: { baseUrl: graph.url, timeoutMs }, delivery: { retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200 } } });
  return { gw, graph };
}

const sendsLogged = (gw: TestGateway) => gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.method === 'SendMessage');

describe('retries inside the gateway, only where Graph certainly did not deliver', () => {
  it('613 then success: retried, the caller sees success', async () => {
    const { gw, graph } = await setup((i) => (i === 0 ? { status: 400, body: graphErrorBody(613) } : okBody(i)));
    const res = await gw.send(textTo('42'));
    expect(res.messageId).toBe('m_1');
    expect(graph.requests).toHaveLength(2);
    expect(sendsLogged(gw).at(-1)).toMatchObject({ grpc_code: 'OK', resends: 1 });
  });

  it('1200 twice then success', async () => {
    const { gw, graph } = await setup((i) => (i < 2 ? { status: 500, body: graphErrorBody(1200) } : okBody(i)));
    expect((await gw.send(textTo('42'))).messageId).toBe('m_2');
    expect(graph.requests).toHaveLength(3);
  });

  it('is_transient on any code is retried', async () => {
    const { gw, graph } = await setup((i) => (i === 0 ? { status: 500, body: { error: { ...graphErrorBody(99).error, is_transient: true } } } : okBody(i)));
    expect((await gw.send(textTo('42'))).messageId).toBe('m_1');
    expect(graph.requests).toHaveLength(2);
  });

  it('attempts are capped: three 1200s give UNAVAILABLE', async () => {
    const { gw, graph } = await setup(() => ({ status: 500, body: graphErrorBody(1200) }));
    const err = await grpcError(gw.send(textTo('42')));
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(graph.requests).toHaveLength(3);
  });

  it('never retries a definitive error (551)', async () => {
    const { gw, graph } = await setup(() => ({ status: 400, body: graphErrorBody(551) }));
    await grpcError(gw.send(textTo('42')));
    expect(graph.requests).toHaveLength(1);
  });

  it('never retries after a timeout of a request that was sent: DEADLINE_EXCEEDED, one request', async () => {
    const { gw, graph } = await setup(() => 'hang', 300);
    const err = await grpcError(gw.send(textTo('42'), { deadlineMs: 5_000 }));
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(decodeStatusDetails(err.metadata).errorInfo?.reason).toBe('GRAPH_TIMEOUT');
    expect(graph.requests).toHaveLength(1);
  });

  it('never retries a bare 5xx (it may have been processed)', async () => {
    const { gw, graph } = await setup(() => ({ status: 502, body: '<html>bad gateway</html>' }));
    await grpcError(gw.send(textTo('42')));
    expect(graph.requests).toHaveLength(1);
  });

  it('a refused connection is retried (nothing was sent), then UNAVAILABLE', async () => {
    const port = await freePort();
    gw = await startTestGateway({ sandbox: false, pages: [page], graph: { baseUrl: `http://127.0.0.1:${port}` }, delivery: { retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200 } } });
    const err = await grpcError(gw.send(textTo('42')));
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(sendsLogged(gw).at(-1)).toMatchObject({ reason: 'GRAPH_UNAVAILABLE', resends: 2 });
  });

  it('retries stay within the caller deadline', async () => {
    const { gw } = await setup((i) => ({ status: 400, body: graphErrorBody(613), delayMs: i === 0 ? 0 : 0 }));
    const started = Date.now();
    const err = await grpcError(gw.send(textTo('42'), { deadlineMs: 400 }));
    expect([status.RESOURCE_EXHAUSTED, status.DEADLINE_EXCEEDED]).toContain(err.code);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
