import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Metadata, status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { SendMessageRequest } from '../../gen/messenger/v1/service';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { waitFor } from '../support/wait-for';

/** A Graph stand-in that never answers, and tells when the gateway gave up on a request. */
async function hangingGraph(): Promise<{ url: string; seen: IncomingMessage[]; closed: Promise<void>[]; server: Server }> {
  const seen: IncomingMessage[] = [];
  const closed: Promise<void>[] = [];
  const server = createServer((req) => {
    seen.push(req);
    closed.push(new Promise((resolve) => req.socket.once('close', () => resolve())));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, closed, server };
}

const page = { id: '1001', accessToken: 'EAAB-transport-token', appsecretProof: 'classic' as const };
let gw: TestGateway | undefined;
let graph: Awaited<ReturnType<typeof hangingGraph>> | undefined;
afterEach(async () => {
  await gw?.close();
  graph?.server.closeAllConnections();
  graph?.server.close();
  gw = undefined;
  graph = undefined;
});

describe('deadlines, cancellation and unreachable Graph', () => {
  it("the caller's deadline bounds the Graph call: DEADLINE_EXCEEDED, and the upstream request is aborted", async () => {
    graph = await hangingGraph();
    gw = await startTestGateway({ sandbox: false, pages: [page], graph: { baseUrl: graph.url, timeoutMs: 60_000 } });
    const started = Date.now();
    const err = await grpcError(gw.send(textTo('42'), { deadlineMs: 400 }));
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(graph.seen).toHaveLength(1);
    await graph.closed[0];
  });

  it('the configured timeout bounds the Graph call when it is shorter: GRAPH_TIMEOUT says the send may have happened', async () => {
    graph = await hangingGraph();
    gw = await startTestGateway({ sandbox: false, pages: [page], graph: { baseUrl: graph.url, timeoutMs: 300 } });
    const err = await grpcError(gw.send(textTo('42'), { deadlineMs: 30_000 }));
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(err.details).toMatch(/may have been sent/);
    const d = decodeStatusDetails(err.metadata);
    expect(d.errorInfo).toMatchObject({ reason: 'GRAPH_TIMEOUT', metadata: { timeout_ms: '300', maybe_delivered: 'true' } });
    await graph.closed[0];
  });

  it('a cancelled gRPC call aborts the Graph request', async () => {
    graph = await hangingGraph();
    gw = await startTestGateway({ sandbox: false, pages: [page], graph: { baseUrl: graph.url, timeoutMs: 60_000 } });
    const call = gw.client.sendMessage(SendMessageRequest.fromPartial(textTo('42')), new Metadata(), () => undefined);
    await waitFor(() => graph!.seen.length > 0, { what: 'the request at Graph' });
    call.cancel();
    await graph.closed[0];
    await waitFor(() => gw!.logs.some((l) => l.includes('"grpc_code":"CANCELLED"')), { what: 'the CANCELLED line' });
    expect(gw.logs.some((l) => l.includes('"grpc_code":"CANCELLED"'))).toBe(true);
  });

  it('connection refused -> UNAVAILABLE GRAPH_UNAVAILABLE, not delivered', async () => {
    graph = await hangingGraph();
    const url = graph.url;
    graph.server.close();
    graph = undefined;
    gw = await startTestGateway({ sandbox: false, pages: [page], graph: { baseUrl: url } });
    const err = await grpcError(gw.send(textTo('42')));
    expect(err.code).toBe(status.UNAVAILABLE);
    const d = decodeStatusDetails(err.metadata);
    expect(d.errorInfo).toMatchObject({ reason: 'GRAPH_UNAVAILABLE', metadata: { maybe_delivered: 'false' } });
    expect(d.retryInfo).toBeDefined();
    expect(err.details).not.toContain(page.accessToken);
  });
});
