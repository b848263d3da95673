import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/gateway-config';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { okBody } from '../support/counting-graph';
import { useCountingGateway } from '../support/counting-gateway';
import { grpcError, textTo } from '../support/gateway-harness';
import { waitFor } from '../support/wait-for';

const fixture = useCountingGateway();

// Each call has a 1 s deadline from a real grpc-js client: the answer must be the gateway's own,
// with its ErrorInfo, not the client library's bare DEADLINE_EXCEEDED.
describe('the gateway answers a margin before the caller deadline', () => {
  it('Graph slower than the deadline: DEADLINE_EXCEEDED GRAPH_TIMEOUT with maybe_delivered', async () => {
    const { gw } = await fixture.start((i) => ({ ...okBody(i), delayMs: 3_000 }), { graph: { timeoutMs: 10_000 } });
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const err = await grpcError(gw.send(textTo('42', `slow ${i}`), { deadlineMs: 1_000 }));
      expect(err.code).toBe(status.DEADLINE_EXCEEDED);
      const info = decodeStatusDetails(err.metadata).errorInfo;
      expect(info?.reason).toBe('GRAPH_TIMEOUT');
      expect(info?.metadata.maybe_delivered).toBe('true');
      expect(Date.now() - started).toBeLessThan(1_000);
    }
  });

  it('GRAPH_TIMEOUT cut short by the deadline names whole milliseconds, in its message and timeout_ms', async () => {
    const { gw } = await fixture.start((i) => ({ ...okBody(i), delayMs: 3_000 }), { graph: { timeoutMs: 10_000 } });
    for (let i = 0; i < 3; i++) {
      const err = await grpcError(gw.send(textTo('42', `slow ${i}`), { deadlineMs: 1_000 }));
      expect(decodeStatusDetails(err.metadata).errorInfo?.metadata.timeout_ms).toMatch(/^\d+$/);
      expect(err.details).toMatch(/within \d+ ms;/);
    }
  });

  it('a repeat while the first keyed send is in flight: ABORTED IDEMPOTENT_SEND_IN_FLIGHT with RetryInfo', async () => {
    const { gw, graph } = await fixture.start((i) => ({ ...okBody(i), delayMs: 4_000 }), { graph: { timeoutMs: 10_000 } });
    const first = gw.send({ ...textTo('42'), idempotencyKey: 'k-1' }, { deadlineMs: 10_000 });
    await waitFor(() => graph.requests.length === 1, { what: 'the first keyed send at Graph' });
    for (let i = 0; i < 3; i++) {
      const err = await grpcError(gw.send({ ...textTo('42'), idempotencyKey: 'k-1' }, { deadlineMs: 1_000 }));
      expect(err.code).toBe(status.ABORTED);
      const details = decodeStatusDetails(err.metadata);
      expect(details.errorInfo?.reason).toBe('IDEMPOTENT_SEND_IN_FLIGHT');
      expect(details.retryInfo).toBeDefined();
    }
    expect((await first).messageId).toBe('m_0');
  }, 30_000);

  it('the page limiter wait: RESOURCE_EXHAUSTED PAGE_RATE_LIMITED before the deadline', async () => {
    const { gw } = await fixture.start(undefined, { delivery: { ...DEFAULT_CONFIG.delivery, rateLimit: { defaultPerSecond: 1, mediaPerSecond: 1, maxWaitMs: 5_000, maxQueue: 10, pauseAtPercent: 95 } } });
    await gw.send(textTo('42', 'takes the token'));
    const err = await grpcError(gw.send(textTo('42', 'waits'), { deadlineMs: 1_000 }));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(decodeStatusDetails(err.metadata).errorInfo?.reason).toBe('PAGE_RATE_LIMITED');
  });
});
