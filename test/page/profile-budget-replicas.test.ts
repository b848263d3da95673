// The Messenger Profile budget (10 calls per 10 minutes per Page) shared by two gateways on one
// Redis: together they make 10 Graph calls, the 11th is refused by whichever replica gets it.

import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { MemoryCallBudget } from '../../src/delivery/memory-call-budget';
import { startTestGateway, type TestGateway } from '../support/gateway-harness';
import { pageClient, type PageCaller } from '../support/page-client';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../support/redis-server';
import { startScriptedGraph, type ScriptedGraph } from '../support/scripted-graph';

const PAGE = { id: '1001', accessToken: 'replica-token', appsecretProof: 'classic' as const };

describe('MemoryCallBudget (a sliding window)', () => {
  it('holds at most `calls` per window, says when the next is free, takes n or none', async () => {
    let now = 1_000_000;
    const budget = new MemoryCallBudget({ name: 't', calls: 3, windowMs: 1000 }, () => now);
    expect(await budget.take('p')).toEqual({ ok: true, remaining: 2 });
    now += 400;
    expect(await budget.take('p', 2)).toEqual({ ok: true, remaining: 0 });
    expect(await budget.take('p')).toEqual({ ok: false, retryAfterMs: 600, remaining: 0 });
    expect(await budget.take('q')).toEqual({ ok: true, remaining: 2 });
    now += 600;
    expect(await budget.remaining('p')).toBe(1);
    expect((await budget.take('p', 2)).ok).toBe(false);
    expect(await budget.take('p')).toEqual({ ok: true, remaining: 0 });
  });
});

describe.skipIf(!redisServerAvailable())('the profile budget across two replicas on one Redis', () => {
  let redis: RedisServer;
  let graph: ScriptedGraph;
  let a: TestGateway;
  let b: TestGateway;
  let ca: PageCaller;
  let cb: PageCaller;
  beforeAll(async () => {
    redis = await startRedisServer();
    graph = await startScriptedGraph();
    graph.answers = [{ status: 200, body: { data: [] } }];
    const opts = { sandbox: false, pages: [PAGE], graph: { baseUrl: graph.url }, store: { redis: { url: redis.url, keyPrefix: 'mgw:' } } };
    a = await startTestGateway(opts);
    b = await startTestGateway(opts);
    ca = pageClient(a.target);
    cb = pageClient(b.target);
  });
  afterAll(async () => {
    ca?.close();
    cb?.close();
    await a?.close();
    await b?.close();
    await graph?.close();
    await redis?.stop();
  });

  it('10 Graph calls between them; the 11th is RESOURCE_EXHAUSTED with RetryInfo on either replica', async () => {
    const req = { pageId: PAGE.id, fields: ['greeting'] };
    await Promise.all([...Array.from({ length: 5 }, () => ca.call('getMessengerProfile', req)), ...Array.from({ length: 5 }, () => cb.call('getMessengerProfile', req))]);
    expect(graph.requests.filter((r) => r.path.endsWith('/messenger_profile'))).toHaveLength(10);
    for (const c of [ca, cb]) {
      const err = await c.call('getMessengerProfile', req).then(() => undefined, (e: ServiceError) => e);
      expect(err?.code).toBe(status.RESOURCE_EXHAUSTED);
      const details = decodeStatusDetails(err!.metadata);
      expect(details.errorInfo?.reason).toBe('PROFILE_BUDGET_EXHAUSTED');
      expect(details.errorInfo?.metadata).toMatchObject({ budget: '10', window_ms: '600000' });
      expect(Number(details.retryInfo?.retryDelay?.seconds)).toBeGreaterThan(590);
    }
    expect(graph.requests.filter((r) => r.path.endsWith('/messenger_profile'))).toHaveLength(10);
  });
});
