import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { DEFAULT_CONFIG } from '../../src/config/gateway-config';
import { afterEach, describe, expect, it } from 'vitest';
import { SendMessageRequest, type SendMessagesRequest, type SendMessagesResponse } from '../../gen/messenger/v1/service';
import { InsecureListenError } from '../../src/server/server-credentials';
import { generateApiKey, hashApiKey } from '../../src/server/caller-auth';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { healthStatus } from '../support/gateway-process';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { waitFor } from '../support/wait-for';

const ORDERS_KEY = generateApiKey();
const SUPPORT_KEY = generateApiKey();
const callers = [
  { name: 'orders', apiKeyHash: hashApiKey(ORDERS_KEY), pages: ['1001'], ratePerSecond: 0 },
  { name: 'support', apiKeyHash: hashApiKey(SUPPORT_KEY), pages: ['*'], ratePerSecond: 3 },
];
const bearer = (key: string) => {
  const md = new Metadata();
  md.set('authorization', `Bearer ${key}`);
  return md;
};

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

describe('caller authentication', () => {
  it('no credentials or a wrong key: UNAUTHENTICATED; the right key: the send goes through', async () => {
    gw = await startTestGateway({ extra: { callers } });
    const none = await grpcError(gw.send(textTo('1')));
    expect(none.code).toBe(status.UNAUTHENTICATED);
    expect(decodeStatusDetails(none.metadata).errorInfo).toMatchObject({ reason: 'CALLER_UNAUTHENTICATED', domain: 'messenger-gateway' });
    const wrong = await grpcError(gw.send(textTo('1'), { metadata: bearer(generateApiKey()) }));
    expect(wrong.code).toBe(status.UNAUTHENTICATED);
    const malformed = await grpcError(gw.send(textTo('1'), { metadata: (() => { const m = new Metadata(); m.set('authorization', ORDERS_KEY); return m; })() }));
    expect(malformed.code).toBe(status.UNAUTHENTICATED);
    expect((await gw.send(textTo('1'), { metadata: bearer(ORDERS_KEY) })).messageId).toMatch(/^m_/);
  });

  it('a page not granted to the caller: PERMISSION_DENIED, and Graph is never called', async () => {
    gw = await startTestGateway({ extra: { callers } });
    const before = gw.sandbox!.received.length;
    const err = await grpcError(gw.send(textTo('1', 'hi', '2002'), { metadata: bearer(ORDERS_KEY) }));
    expect(err.code).toBe(status.PERMISSION_DENIED);
    expect(decodeStatusDetails(err.metadata).errorInfo?.reason).toBe('PAGE_NOT_GRANTED');
    expect(gw.sandbox!.received.length).toBe(before);
    // "*" grants every page.
    expect((await gw.send(textTo('1', 'hi', '2002'), { metadata: bearer(SUPPORT_KEY) })).messageId).toMatch(/^m_/);
  });

  it('checks the page of every message of a bulk stream', async () => {
    gw = await startTestGateway({ extra: { callers } });
    const err = await new Promise<ServiceError>((resolve) => {
      const call = gw!.client.sendMessages(bearer(ORDERS_KEY));
      call.on('data', (_: SendMessagesResponse) => undefined);
      call.on('error', resolve);
      const item = (id: string, page: string): SendMessagesRequest => ({ requestId: id, message: SendMessageRequest.fromPartial(textTo('1', 'hi', page)) });
      call.write(item('a', '1001'));
      call.write(item('b', '3003'));
      call.end();
    });
    expect(err.code).toBe(status.PERMISSION_DENIED);
  });

  it('per-caller rate limit: RESOURCE_EXHAUSTED CALLER_RATE_LIMITED with RetryInfo', async () => {
    gw = await startTestGateway({ extra: { callers } });
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => gw!.send(textTo('1'), { metadata: bearer(SUPPORT_KEY) })));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as ServiceError);
    expect(refused.length).toBeGreaterThanOrEqual(4);
    for (const e of refused) {
      expect(e.code).toBe(status.RESOURCE_EXHAUSTED);
      const d = decodeStatusDetails(e.metadata);
      expect(d.errorInfo?.reason).toBe('CALLER_RATE_LIMITED');
      expect(d.retryInfo).toBeDefined();
    }
  });

  it('health stays reachable without credentials', async () => {
    gw = await startTestGateway({ extra: { callers } });
    expect(await healthStatus(gw.target)).toBe('SERVING');
  });

  it("every send's log line names its caller", async () => {
    gw = await startTestGateway({ extra: { callers } });
    await gw.send(textTo('1'), { metadata: bearer(ORDERS_KEY) });
    const line = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'send');
    expect(line).toMatchObject({ caller: 'orders', method: 'SendMessage', grpc_code: 'OK' });
  });

  it('a client cannot claim a caller name through metadata', async () => {
    gw = await startTestGateway();
    const md = new Metadata();
    md.set('messenger-caller', 'orders');
    await gw.send(textTo('1'), { metadata: md });
    const line = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'send');
    expect(line?.caller).toBeUndefined();
  });

  it('refused calls are logged with the reason, never with the key', async () => {
    gw = await startTestGateway({ extra: { callers } });
    await grpcError(gw.send(textTo('1', 'hi', '2002'), { metadata: bearer(ORDERS_KEY) }));
    const line = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'call refused');
    expect(line).toMatchObject({ caller: 'orders', reason: 'PAGE_NOT_GRANTED', grpc_code: 'PERMISSION_DENIED' });
    expect(gw.logs.join('\n')).not.toContain(ORDERS_KEY);
  });
});

describe('secure defaults', () => {
  it('refuses to listen beyond loopback without caller authentication', async () => {
    await expect(startTestGateway({ extra: { listen: '0.0.0.0:0' } })).rejects.toBeInstanceOf(InsecureListenError);
  });

  it('starts there with --insecure, and says so', async () => {
    gw = await startTestGateway({ extra: { listen: '0.0.0.0:0', insecure: true } });
    expect(gw.logs.some((l) => l.includes('INSECURE'))).toBe(true);
  });

  it('starts there with callers configured', async () => {
    gw = await startTestGateway({ extra: { listen: '0.0.0.0:0', callers } });
    expect((await gw.send(textTo('1'), { metadata: bearer(ORDERS_KEY) })).messageId).toMatch(/^m_/);
  });
});

describe('limits', () => {
  it('a request over maxRequestBytes is refused with RESOURCE_EXHAUSTED', async () => {
    gw = await startTestGateway({ extra: { limits: { ...DEFAULT_CONFIG.limits, maxRequestBytes: 2048, maxUploadBytes: 25 * 1024 * 1024, maxConcurrentStreams: 100, maxInFlightCalls: 100 } } });
    const err = await grpcError(gw.send(textTo('1', 'x'.repeat(1900) + 'é'.repeat(200))));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('beyond maxInFlightCalls: RESOURCE_EXHAUSTED TOO_MANY_CALLS at once, and the bound frees up', async () => {
    gw = await startTestGateway({ extra: { limits: { ...DEFAULT_CONFIG.limits, maxRequestBytes: 4 << 20, maxUploadBytes: 25 << 20, maxConcurrentStreams: 100, maxInFlightCalls: 3 } } });
    const slow = Array.from({ length: 3 }, (_, i) => gw!.send(textTo(`delay-600-${i}`)));
    await waitFor(() => gw!.sandbox!.received.length >= 3, { what: 'the 3 slow sends at the sandbox' });
    const err = await grpcError(gw.send(textTo('1')));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(decodeStatusDetails(err.metadata).errorInfo?.reason).toBe('TOO_MANY_CALLS');
    await Promise.all(slow);
    expect((await gw.send(textTo('1'))).messageId).toMatch(/^m_/);
  });

  it('the in-flight bound is released by cancelled calls too', async () => {
    gw = await startTestGateway({ extra: { limits: { ...DEFAULT_CONFIG.limits, maxRequestBytes: 4 << 20, maxUploadBytes: 25 << 20, maxConcurrentStreams: 100, maxInFlightCalls: 2 } } });
    const cancelledLines = () => gw!.logs.filter((l) => l.includes('"grpc_code":"CANCELLED"')).length;
    for (let round = 0; round < 3; round++) {
      const calls = Array.from({ length: 2 }, (_, i) => gw!.client.sendMessage(SendMessageRequest.fromPartial(textTo(`delay-2000-${round}-${i}`)), () => undefined));
      await waitFor(() => gw!.sandbox!.received.length >= 2 * (round + 1), { what: `round ${round}'s 2 sends at the sandbox` });
      for (const c of calls) c.cancel();
      // Each call's line is written as it ends, which frees its place in the bound.
      await waitFor(() => cancelledLines() >= 2 * (round + 1), { what: `round ${round}'s 2 calls ended CANCELLED` });
    }
    expect((await gw.send(textTo('1'))).messageId).toMatch(/^m_/);
  });
});
