import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { freePort } from '../support/gateway-process';
import { graphErrorBody, okBody, type Behaviour } from '../support/counting-graph';
import { TEST_PAGE, useCountingGateway } from '../support/counting-gateway';
import { grpcError, textTo, type TestGateway } from '../support/gateway-harness';

const FAST_RETRIES = { retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200 } };
const fixture = useCountingGateway();
const setup = (behaviour: Behaviour, timeoutMs = 5_000) => fixture.start(behaviour, { graph: { timeoutMs }, delivery: FAST_RETRIES });

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
    const gw = await fixture.gateway({ sandbox: false, pages: [TEST_PAGE], graph: { baseUrl: `http://127.0.0.1:${port}` }, delivery: FAST_RETRIES });
    const err = await grpcError(gw.send(textTo('42')));
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(sendsLogged(gw).at(-1)).toMatchObject({ reason: 'GRAPH_UNAVAILABLE', resends: 2 });
  });

  it('retries stay within the caller deadline', async () => {
    const { gw } = await setup(() => ({ status: 400, body: graphErrorBody(613) }));
    const started = Date.now();
    const err = await grpcError(gw.send(textTo('42'), { deadlineMs: 400 }));
    expect([status.RESOURCE_EXHAUSTED, status.DEADLINE_EXCEEDED]).toContain(err.code);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
