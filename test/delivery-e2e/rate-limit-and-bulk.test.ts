import { Metadata, status, type ClientDuplexStream } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { SendMessageRequest, type SendMessagesRequest, type SendMessagesResponse } from '../../gen/messenger/v1/service';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { graphErrorBody, okBody } from '../support/counting-graph';
import { useCountingGateway } from '../support/counting-gateway';
import { grpcError, textTo, type TestGateway } from '../support/gateway-harness';

const fixture = useCountingGateway();

/** Streams every request, collects every result. */
function bulk(gw: TestGateway, items: SendMessagesRequest[], metadata = new Metadata()): Promise<SendMessagesResponse[]> {
  return new Promise((resolve, reject) => {
    const results: SendMessagesResponse[] = [];
    const call: ClientDuplexStream<SendMessagesRequest, SendMessagesResponse> = gw.client.sendMessages(metadata, { deadline: Date.now() + 60_000 });
    call.on('data', (r: SendMessagesResponse) => results.push(r));
    call.on('error', reject);
    call.on('end', () => resolve(results));
    for (const item of items) call.write(item);
    call.end();
  });
}

const item = (requestId: string, recipient: string, text: string): SendMessagesRequest => ({
  requestId,
  message: SendMessageRequest.fromPartial(textTo(recipient, text)),
});

describe('page rate limits', () => {
  it('holds the configured rate, measured over the window', async () => {
    const { gw, graph } = await fixture.start(undefined, { delivery: { rateLimit: { defaultPerSecond: 20, mediaPerSecond: 5, maxWaitMs: 10_000, maxQueue: 1_000, pauseAtPercent: 95 } } });
    await Promise.all(Array.from({ length: 70 }, (_, i) => gw.send(textTo('42', `n${i}`), { deadlineMs: 20_000 })));
    // The first second's burst (the bucket's capacity) aside, sends arrive at the bucket's rate.
    const times = graph.requests.map((r) => r.at).sort((a, b) => a - b);
    const steady = times.slice(20);
    const rate = (steady.length - 1) / ((steady.at(-1)! - steady[0]) / 1000);
    expect(rate).toBeGreaterThan(12);
    expect(rate).toBeLessThan(30);
  });

  it('beyond the wait queue: RESOURCE_EXHAUSTED PAGE_RATE_LIMITED with RetryInfo, nothing sent', async () => {
    const { gw, graph } = await fixture.start(undefined, { delivery: { rateLimit: { defaultPerSecond: 2, mediaPerSecond: 1, maxWaitMs: 100, maxQueue: 1, pauseAtPercent: 95 } } });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => gw.send(textTo('42'))));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as Parameters<typeof decodeStatusDetails>[0] & { code: number; metadata: Metadata });
    expect(refused.length).toBeGreaterThan(0);
    for (const err of refused) {
      expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
      const d = decodeStatusDetails(err.metadata);
      expect(d.errorInfo).toMatchObject({ reason: 'PAGE_RATE_LIMITED', domain: 'messenger-gateway' });
      expect(d.retryInfo).toBeDefined();
    }
    expect(graph.requests.length).toBe(8 - refused.length);
  });
});

describe('SendMessages bulk stream', () => {
  it('1,000 sends to 10 recipients: 1,000 results, each recipient in the order sent', async () => {
    const { gw, graph } = await fixture.start((i) => ({ ...okBody(i), delayMs: i % 7 }), { delivery: { bulkConcurrency: 50 } });
    const items = Array.from({ length: 1000 }, (_, i) => item(`r${i}`, String(100 + (i % 10)), `seq ${i}`));
    const results = await bulk(gw, items);
    expect(results).toHaveLength(1000);
    expect(new Set(results.map((r) => r.requestId)).size).toBe(1000);
    expect(results.every((r) => r.result?.$case === 'response')).toBe(true);
    for (let r = 0; r < 10; r++) {
      const seen = graph.requests.filter((q) => (q.body.recipient as { id: string }).id === String(100 + r)).map((q) => Number(String((q.body.message as { text: string }).text).slice(4)));
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen).toHaveLength(100);
    }
  });

  it('a failed message does not end the stream; its result carries the google.rpc.Status', async () => {
    const gw = await fixture.gateway();
    const results = await bulk(gw, [item('a', '1', 'hi'), item('b', 'error-551', 'hi'), { requestId: 'c', message: SendMessageRequest.fromPartial({ pageId: '1001' }) }, item('', '2', 'no id')]);
    const byId = new Map(results.map((r) => [r.requestId, r]));
    expect(byId.get('a')?.result?.$case).toBe('response');
    const b = byId.get('b')?.result;
    expect(b?.$case === 'error' && b.value.code).toBe(status.FAILED_PRECONDITION);
    const c = byId.get('c')?.result;
    expect(c?.$case === 'error' && c.value.code).toBe(status.INVALID_ARGUMENT);
    const noId = byId.get('')?.result;
    expect(noId?.$case === 'error' && noId.value.code).toBe(status.INVALID_ARGUMENT);
    expect(results).toHaveLength(4);
  });

  it('a 613 mid-stream pauses the page and resumes: every message is delivered', async () => {
    const { gw, graph } = await fixture.start((i) => (i === 30 ? { status: 400, body: graphErrorBody(613) } : okBody(i)), { delivery: { retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200 } } });
    const results = await bulk(gw, Array.from({ length: 100 }, (_, i) => item(`r${i}`, String(i % 5), `m ${i}`)));
    expect(results).toHaveLength(100);
    expect(results.filter((r) => r.result?.$case === 'response')).toHaveLength(100);
    expect(graph.requests).toHaveLength(101);
  });

  it('idempotency keys work inside a stream too', async () => {
    const { gw, graph } = await fixture.start();
    const keyed = (id: string) => ({ requestId: id, message: SendMessageRequest.fromPartial({ ...textTo('42'), idempotencyKey: 'bulk-key' }) });
    const first = await bulk(gw, [keyed('x')]);
    const second = await bulk(gw, [keyed('y')]);
    expect(graph.requests).toHaveLength(1);
    expect(second[0].replayed).toBe(true);
    expect(second[0].result).toEqual(first[0].result);
  });

  it('idempotency-key metadata on a stream is refused: INVALID_ARGUMENT naming the per-item field, nothing sent', async () => {
    const { gw, graph } = await fixture.start();
    const md = new Metadata();
    md.set('idempotency-key', 'one-key-for-all');
    const err = await grpcError(bulk(gw, [item('a', '1', 'one'), item('b', '2', 'two'), item('c', '3', 'three')], md));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toContain('SendMessageRequest.idempotency_key');
    expect(decodeStatusDetails(err.metadata).errorInfo?.reason).toBe('INVALID_REQUEST');
    expect(graph.requests).toHaveLength(0);
  });

  it('unary sends keep working next to streams', async () => {
    const gw = await fixture.gateway();
    expect((await gw.send(textTo('1'))).messageId).toMatch(/^m_/);
    await grpcError(gw.send(textTo('error-551')));
  });
});
