import { status } from '@grpc/grpc-js';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AllowedSends, ThreadOwner } from '../../gen/messenger/v1/conversation';
import type { PageConfig } from '../../src/config/gateway-config';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { conversationClient, type ConversationClient } from '../support/conversation-client';
import { startCountingGraph, okBody, type CountingGraph } from '../support/counting-graph';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../support/redis-server';

// Two gateway replicas on one Redis: what one learns (a webhook it stored, a pass it made), the
// other knows, and both decide the same.
const SECRET = 'replica-webhook-secret';
const HOUR = 3_600_000;
const pages: PageConfig[] = [{ id: '1001', accessToken: 't', appsecretProof: 'classic', conversationPolicy: 'enforce' }];

describe.skipIf(!redisServerAvailable())('conversation records shared by two replicas', () => {
  let redis: RedisServer;
  let graph: CountingGraph;
  let a: TestGateway;
  let b: TestGateway;
  let ca: ConversationClient;
  let cb: ConversationClient;
  beforeAll(async () => {
    redis = await startRedisServer();
    graph = await startCountingGraph((i, body) => ('message' in body || 'sender_action' in body ? okBody(i) : { status: 200, body: { success: true } }));
    const store = { redis: { url: redis.url, keyPrefix: 'replicas:' } };
    const webhook = { listen: '127.0.0.1:0', path: '/webhook', verifyToken: 'v', appSecret: SECRET, maxBodyBytes: 1024 * 1024 };
    a = await startTestGateway({ sandbox: false, pages, graph: { baseUrl: graph.url }, store, extra: { webhook } });
    b = await startTestGateway({ sandbox: false, pages, graph: { baseUrl: graph.url }, store, extra: { webhook } });
    ca = conversationClient(a.target);
    cb = conversationClient(b.target);
  });
  afterAll(async () => {
    ca?.close();
    cb?.close();
    await a?.close();
    await b?.close();
    await graph?.close();
    await redis?.stop();
  });

  async function wrote(gw: TestGateway, psid: string, agoMs: number): Promise<void> {
    const raw = Buffer.from(JSON.stringify({ object: 'page', entry: [{ id: '1001', time: Date.now(), messaging: [{ sender: { id: psid }, recipient: { id: '1001' }, timestamp: Date.now() - agoMs, message: { mid: `m_rep_${psid}_${agoMs}`, text: 'hi' } }] }] }));
    const res = await fetch(gw.gateway.webhookUrl!, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}` }, body: raw });
    await res.text();
    expect(res.status).toBe(200);
  }

  it('a webhook stored by one replica closes or opens the window for the other', async () => {
    await wrote(a, '7001', 25 * HOUR);
    const fromB = await cb.conversation({ pageId: '1001', recipientId: '7001' });
    const fromA = await ca.conversation({ pageId: '1001', recipientId: '7001' });
    expect(fromB).toEqual(fromA);
    expect(fromB.allowed).toBe(AllowedSends.ALLOWED_SENDS_HUMAN_AGENT_ONLY);
    const before = graph.requests.length;
    for (const gw of [a, b]) {
      const err = await grpcError(gw.send(textTo('7001', 'late', '1001')));
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(decodeStatusDetails(err.metadata).errorInfo!.reason).toBe('OUTSIDE_MESSAGING_WINDOW');
    }
    expect(graph.requests.length).toBe(before);
    await wrote(b, '7001', 1_000);
    expect((await a.send(textTo('7001', 'now', '1001'))).messageId).toMatch(/^m_/);
    expect((await ca.conversation({ pageId: '1001', recipientId: '7001' })).lastSendTime).toBeDefined();
  });

  it("a pass made through one replica is the other's NOT_THREAD_OWNER; a take through it undoes it", async () => {
    await wrote(a, '7002', 60_000);
    await ca.pass({ pageId: '1001', recipientId: '7002', targetAppId: '263902037430900' });
    const err = await grpcError(b.send(textTo('7002', 'x', '1001')));
    expect(decodeStatusDetails(err.metadata).errorInfo!.reason).toBe('NOT_THREAD_OWNER');
    expect((await cb.conversation({ pageId: '1001', recipientId: '7002' })).owner).toBe(ThreadOwner.THREAD_OWNER_OTHER_APP);
    await cb.take({ pageId: '1001', recipientId: '7002' });
    expect((await a.send(textTo('7002', 'y', '1001'))).messageId).toMatch(/^m_/);
  });

  // Last: it kills Redis. A send then fails before Graph; a read says what failed, not "retry
  // with the same idempotency key" (GetConversation takes none, and nothing was sent).
  it('Redis gone: a send is STORE_UNAVAILABLE and nothing reaches Graph; GetConversation says the records are unreachable', async () => {
    await wrote(a, '7003', 25 * HOUR);
    await redis.kill();
    const before = graph.requests.length;
    const sendErr = await grpcError(b.send(textTo('7003', 'late', '1001')));
    expect(sendErr.code).toBe(status.UNAVAILABLE);
    expect(decodeStatusDetails(sendErr.metadata).errorInfo!.reason).toBe('STORE_UNAVAILABLE');
    expect(graph.requests.length).toBe(before);
    const readErr = await grpcError(cb.conversation({ pageId: '1001', recipientId: '7003' }));
    expect(readErr.code).toBe(status.UNAVAILABLE);
    expect(decodeStatusDetails(readErr.metadata).errorInfo!.reason).toBe('STORE_UNAVAILABLE');
    expect(readErr.details).toBe('the conversation records (Redis) are unreachable; nothing was changed: retry');
  });
});
