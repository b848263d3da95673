import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { graphErrorBody, okBody, type Behaviour } from '../support/counting-graph';
import { TEST_PAGE, useCountingGateway } from '../support/counting-gateway';
import { grpcError, textTo } from '../support/gateway-harness';

const fixture = useCountingGateway();
const setup = (behaviour?: Behaviour) => fixture.start(behaviour, { graph: { timeoutMs: 5_000 } });
const keyed = (key: string, text = 'hello') => ({ ...textTo('42', text), idempotencyKey: key });

describe('idempotency keys (memory store)', () => {
  it('the same key twice: one Graph call, the second answer is a replay of the first', async () => {
    const { gw, graph } = await setup();
    const first = await gw.sendWithTrailer(keyed('order-1'));
    const second = await gw.sendWithTrailer(keyed('order-1'));
    expect(graph.requests).toHaveLength(1);
    expect(second.res).toEqual(first.res);
    expect(first.trailer?.get('messenger-idempotent-replay')).toEqual([]);
    expect(second.trailer?.get('messenger-idempotent-replay')).toEqual(['true']);
  });

  it('the key is never sent to Graph', async () => {
    const { gw, graph } = await setup();
    await gw.send(keyed('order-2'));
    expect(JSON.stringify(graph.requests[0].body)).not.toContain('order-2');
  });

  it('concurrent duplicates: one Graph call, every caller gets its result', async () => {
    const { gw, graph } = await setup((i) => ({ ...okBody(i), delayMs: 300 }));
    const results = await Promise.all(Array.from({ length: 10 }, () => gw.send(keyed('order-3'))));
    expect(graph.requests).toHaveLength(1);
    expect(new Set(results.map((r) => r.messageId))).toEqual(new Set(['m_0']));
  });

  it('the same key with a different request is refused: FAILED_PRECONDITION IDEMPOTENCY_KEY_REUSED', async () => {
    const { gw, graph } = await setup();
    await gw.send(keyed('order-4', 'first text'));
    const err = await grpcError(gw.send(keyed('order-4', 'another text')));
    expect(err.code).toBe(status.FAILED_PRECONDITION);
    expect(decodeStatusDetails(err.metadata).errorInfo).toMatchObject({ reason: 'IDEMPOTENCY_KEY_REUSED', domain: 'messenger-gateway' });
    expect(graph.requests).toHaveLength(1);
  });

  it('keys are scoped per page', async () => {
    const { gw, graph } = await fixture.start(undefined, { pages: [TEST_PAGE, { ...TEST_PAGE, id: '1002' }] });
    await gw.send(keyed('shared'));
    await gw.send({ ...keyed('shared'), pageId: '1002' });
    expect(graph.requests).toHaveLength(2);
  });

  it('a stored Graph error is replayed, not retried', async () => {
    const { gw, graph } = await setup(() => ({ status: 400, body: graphErrorBody(551, "(#551) This person isn't available right now.") }));
    const a = await grpcError(gw.send(keyed('order-5')));
    const b = await grpcError(gw.send(keyed('order-5')));
    expect(graph.requests).toHaveLength(1);
    expect(b.code).toBe(status.FAILED_PRECONDITION);
    expect(b.details).toBe(a.details);
    expect(decodeStatusDetails(b.metadata).graphError?.code).toBe(551);
    expect(b.metadata.get('messenger-idempotent-replay')).toEqual(['true']);
  });

  it('a replayed retryable error carries the same grpc-retry-pushback-ms as the original', async () => {
    const { gw, graph } = await setup(() => ({ status: 500, body: graphErrorBody(1200, 'Temporary send message failure. Please try again later.') }));
    const a = await grpcError(gw.send(keyed('order-5b'), { deadlineMs: 8_000 }));
    const sent = graph.requests.length;
    const b = await grpcError(gw.send(keyed('order-5b')));
    expect(graph.requests).toHaveLength(sent);
    expect(b.code).toBe(status.UNAVAILABLE);
    expect(b.metadata.get('messenger-idempotent-replay')).toEqual(['true']);
    expect(a.metadata.get('grpc-retry-pushback-ms')).toEqual(['1000']);
    expect(b.metadata.get('grpc-retry-pushback-ms')).toEqual(a.metadata.get('grpc-retry-pushback-ms'));
  });

  it('the idempotency-key metadata is an alias of the field', async () => {
    const { gw, graph } = await setup();
    const md = () => {
      const m = new Metadata();
      m.set('idempotency-key', 'order-6');
      return m;
    };
    await gw.send(textTo('42'), { metadata: md() });
    await gw.send(textTo('42'), { metadata: md() });
    expect(graph.requests).toHaveLength(1);
  });

  it('a caller that timed out retries with its key and gets the outcome of the first send, sent once', async () => {
    const { gw, graph } = await setup((i) => ({ ...okBody(i), delayMs: 600 }));
    const err = await grpcError(gw.send(keyed('order-7'), { deadlineMs: 150 }));
    // The gateway's own answer, a margin before the deadline: the send is in flight, retry with the key.
    expect(err.code).toBe(status.ABORTED);
    expect(decodeStatusDetails(err.metadata).errorInfo?.reason).toBe('IDEMPOTENT_SEND_IN_FLIGHT');
    // The first send goes on without the caller; the retry waits for it.
    const res = await gw.send(keyed('order-7'), { deadlineMs: 5_000 });
    expect(res.messageId).toBe('m_0');
    expect(graph.requests).toHaveLength(1);
  });

  it('refuses keys longer than 256 characters', async () => {
    const { gw } = await setup();
    const err = await grpcError(gw.send(keyed('k'.repeat(257))));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(decodeStatusDetails(err.metadata).badRequest?.fieldViolations.map((v) => v.field)).toEqual(['idempotency_key']);
  });

  it('without a key, the same request twice is sent twice', async () => {
    const { gw, graph } = await setup();
    await gw.send(textTo('42'));
    await gw.send(textTo('42'));
    expect(graph.requests).toHaveLength(2);
  });
});
