import { Metadata, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { appsecretProof, randomAlnum, startEchoGraph, type EchoGraph } from '../support/echo-graph';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { redisServerAvailable, useRedisServer } from '../support/redis-server';

// A keyed send that fails with Graph echoing the Page token, replayed from Redis: the replay is
// the first answer (not STORE_UNAVAILABLE), and what Redis holds is redacted like the answer.
const token = `EAAB${randomAlnum(40)}`;
const appSecret = randomAlnum(32);
const eaa = `EAAG${randomAlnum(40)}`;
const secrets = [token, appSecret, appsecretProof(token, appSecret), eaa];

function leaked(text: string): string | undefined {
  for (const s of secrets) for (let i = 0; i + 16 <= s.length; i++) if (text.includes(s.slice(i, i + 16))) return s.slice(0, 8);
  return undefined;
}

describe.skipIf(!redisServerAvailable())('idempotent outcomes in Redis', () => {
  const redis = useRedisServer();
  let graph: EchoGraph;
  let gw: TestGateway;
  beforeAll(async () => {
    graph = await startEchoGraph({ token, appSecret, eaa }, { kind: 'graph-error', code: 100 });
    gw = await startTestGateway({
      sandbox: false,
      pages: [{ id: '1001', accessToken: token, appSecret, appsecretProof: 'classic' }],
      graph: { baseUrl: graph.url },
      store: { redis: { url: redis.url(), keyPrefix: 'mgw:' } },
    });
  });
  afterAll(async () => {
    await gw.close();
    await graph.close();
  });

  it('a failed keyed send is replayed with its first answer, redacted, and Redis holds no secret', async () => {
    const md = () => {
      const m = new Metadata();
      m.set('idempotency-key', 'replay-1');
      return m;
    };
    const first = await grpcError(gw.send(textTo('1'), { metadata: md() }));
    expect(first.code).toBe(status.INVALID_ARGUMENT);
    const again = await grpcError(gw.send(textTo('1'), { metadata: md() }));
    expect(again.code).toBe(status.INVALID_ARGUMENT);
    expect(again.details).toBe(first.details);
    expect(decodeStatusDetails(again.metadata).errorInfo?.reason).toBe('INVALID_PARAMETER');
    expect(decodeStatusDetails(again.metadata).graphError?.message).toContain('[REDACTED]');
    expect(graph.requests.filter((r) => r.path.endsWith('/messages'))).toHaveLength(1);
    const conn = await redis.connection();
    const keys = await conn.keys('mgw:idem:*');
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      const all = JSON.stringify(await conn.hgetall(k));
      expect(leaked(all), all).toBeUndefined();
    }
  });
});
