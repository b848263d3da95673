import { Metadata, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConversationServiceService } from '../../gen/messenger/v1/conversation';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { generateApiKey, hashApiKey } from '../../src/server/caller-auth';
import { METHOD_ACCESS } from '../../src/server/method-access';
import { conversationClient, type ConversationClient } from '../support/conversation-client';
import { grpcError, startTestGateway, type TestGateway } from '../support/gateway-harness';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../support/redis-server';

describe('ConversationService access', () => {
  const ORDERS = generateApiKey();
  const SUPPORT = generateApiKey();
  let gw: TestGateway;
  let conv: ConversationClient;
  beforeAll(async () => {
    gw = await startTestGateway({
      extra: {
        callers: [
          { name: 'orders', apiKeyHash: hashApiKey(ORDERS), pages: ['1001'], ratePerSecond: 0 },
          { name: 'support', apiKeyHash: hashApiKey(SUPPORT), pages: ['1002'], ratePerSecond: 0 },
        ],
      },
    });
    conv = conversationClient(gw.target);
  });
  afterAll(async () => {
    conv.close();
    await gw.close();
  });
  const as = (key: string) => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${key}`);
    return md;
  };

  it('declares every method (a Page per request)', () => {
    for (const m of Object.values(ConversationServiceService)) expect(METHOD_ACCESS.get(m.path)?.kind, m.path).toBe('page');
  });

  it("a caller reaches its own Page's conversations and profiles", async () => {
    expect(await conv.owner({ pageId: '1001', recipientId: '7001' }, as(ORDERS))).toEqual({ appId: expect.stringMatching(/^\d+$/) });
    expect((await conv.profile({ pageId: '1002', recipientId: '7001' }, as(SUPPORT))).profile?.firstName).toEqual(expect.any(String));
  });

  it("a caller of another Page gets PERMISSION_DENIED PAGE_NOT_GRANTED for every RPC, and Graph is not called", async () => {
    const before = gw.sandbox!.received.length;
    const calls = [
      () => conv.pass({ pageId: '1002', recipientId: '7001', targetAppId: '263902037430900' }, as(ORDERS)),
      () => conv.take({ pageId: '1002', recipientId: '7001' }, as(ORDERS)),
      () => conv.request({ pageId: '1002', recipientId: '7001' }, as(ORDERS)),
      () => conv.owner({ pageId: '1002', recipientId: '7001' }, as(ORDERS)),
      () => conv.profile({ pageId: '1002', recipientId: '7001' }, as(ORDERS)),
      () => conv.profile({ pageId: '1001', recipientId: '7001' }, as(SUPPORT)),
      // The gateway's record of another Page's conversation is not shown either.
      () => conv.conversation({ pageId: '1002', recipientId: '7001' }, as(ORDERS)),
    ];
    for (const call of calls) {
      const err = await grpcError(call());
      expect(err.code).toBe(status.PERMISSION_DENIED);
      expect(decodeStatusDetails(err.metadata).errorInfo?.reason).toBe('PAGE_NOT_GRANTED');
    }
    expect(gw.sandbox!.received.length).toBe(before);
  });

  it('a profile cached for one Page is not served to a caller of another', async () => {
    await conv.profile({ pageId: '1001', recipientId: '7002' }, as(ORDERS));
    const other = await conv.profile({ pageId: '1002', recipientId: '7002' }, as(SUPPORT));
    expect(other.fromCache).toBe(false);
  });

  it('without credentials: UNAUTHENTICATED', async () => {
    const err = await grpcError(conv.owner({ pageId: '1001', recipientId: '7001' }));
    expect(err.code).toBe(status.UNAUTHENTICATED);
    expect((await grpcError(conv.conversation({ pageId: '1001', recipientId: '7001' }))).code).toBe(status.UNAUTHENTICATED);
  });
});

const available = redisServerAvailable();

describe.skipIf(!available)('the profile cache shared by two replicas on one Redis', () => {
  let redis: RedisServer;
  let a: TestGateway;
  let b: TestGateway;
  let ca: ConversationClient;
  let cb: ConversationClient;
  beforeAll(async () => {
    redis = await startRedisServer();
    const store = { redis: { url: redis.url, keyPrefix: 'conv-test:' } };
    a = await startTestGateway({ store });
    b = await startTestGateway({ store, extra: { conversations: { profileCacheTtlMs: 60_000, profileCacheMaxEntries: 10, maxRecords: 1_000 } } });
    ca = conversationClient(a.target);
    cb = conversationClient(b.target);
  });
  afterAll(async () => {
    ca.close();
    cb.close();
    await a.close();
    await b.close();
    await redis.stop();
  });

  it('one replica looks up, the other answers from the cache without calling Graph', async () => {
    const first = await ca.profile({ pageId: '1001', recipientId: '8001', fields: ['first_name', 'locale'] });
    expect(first.fromCache).toBe(false);
    const before = b.sandbox!.received.length;
    // The same fields in another order are the same entry.
    const second = await cb.profile({ pageId: '1001', recipientId: '8001', fields: ['locale', 'first_name'] });
    expect(second).toEqual({ profile: first.profile, fromCache: true });
    expect(b.sandbox!.received.length).toBe(before);
    // Other fields, another Page: separate entries.
    expect((await cb.profile({ pageId: '1001', recipientId: '8001' })).fromCache).toBe(false);
    expect((await cb.profile({ pageId: '1002', recipientId: '8001', fields: ['first_name', 'locale'] })).fromCache).toBe(false);
  });

  it('a pass keyed once is not repeated by the other replica (idempotency shared through Redis)', async () => {
    const key = `pass-${Date.now()}`;
    const req = { pageId: '1001', recipientId: '8002', targetAppId: '263902037430900', idempotencyKey: key };
    expect(await ca.pass(req)).toEqual({ success: true });
    const before = b.sandbox!.received.length;
    expect(await cb.pass(req)).toEqual({ success: true });
    expect(b.sandbox!.received.length).toBe(before);
    const reused = await grpcError(cb.pass({ ...req, metadata: 'different' }));
    expect(reused.code).toBe(status.FAILED_PRECONDITION);
    expect(decodeStatusDetails(reused.metadata).errorInfo?.reason).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});
