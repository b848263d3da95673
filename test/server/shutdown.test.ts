import { status, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { healthStatus } from '../support/gateway-process';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.gateway.shutdown(0);
  gw?.client.close();
  gw = undefined;
});

describe('shutdown', () => {
  it('with shutdownDelayMs, health says NOT_SERVING at once while calls are still served; then the listener closes', async () => {
    gw = await startTestGateway({ extra: { shutdownDelayMs: 600 } });
    expect(await healthStatus(gw.target)).toBe('SERVING');
    const stopping = gw.gateway.shutdown();
    expect(await healthStatus(gw.target)).toBe('NOT_SERVING');
    // A client that has not yet seen NOT_SERVING still gets its send through.
    const res = await gw.send(textTo('42'));
    expect(res.messageId).toMatch(/^m_/);
    await stopping;
    const late = await gw.send(textTo('43'), { deadlineMs: 2_000 }).then(() => undefined, (e: ServiceError) => e);
    expect(late?.code).toBe(status.UNAVAILABLE);
    expect(gw.logs.some((l) => l.includes('still accepting calls until load balancers have seen it'))).toBe(true);
  });

  it('by default (no delay) the listener closes at once', async () => {
    gw = await startTestGateway();
    await gw.gateway.shutdown();
    const late = await gw.send(textTo('42'), { deadlineMs: 2_000 }).then(() => undefined, (e: ServiceError) => e);
    expect(late?.code).toBe(status.UNAVAILABLE);
  });
});
