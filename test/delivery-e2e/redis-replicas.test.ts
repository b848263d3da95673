import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessengerServiceClient, SendMessageRequest, type SendMessageResponse } from '../../gen/messenger/v1/service';
import { startCountingGraph, okBody, type CountingGraph } from '../support/counting-graph';
import { status } from '@grpc/grpc-js';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { grpcError, startTestGateway, textTo } from '../support/gateway-harness';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../support/redis-server';

const available = redisServerAvailable();

function send(target: string, key: string): Promise<SendMessageResponse> {
  const client = new MessengerServiceClient(target, credentials.createInsecure());
  return new Promise((resolve, reject) =>
    client.sendMessage(SendMessageRequest.fromPartial({ ...textTo('42', 'replicated'), idempotencyKey: key }), new Metadata(), { deadline: Date.now() + 15_000 }, (err: ServiceError | null, res?: SendMessageResponse) => {
      client.close();
      if (err) reject(err);
      else resolve(res!);
    }),
  );
}

describe.skipIf(!available)('several gateway processes sharing one Redis', () => {
  let redis: RedisServer;
  let graph: CountingGraph;
  let config: string;
  const procs: GatewayProcess[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
    // Slow answers widen the race window between the two replicas.
    graph = await startCountingGraph((i) => ({ ...okBody(i), delayMs: 300 }));
    const dir = mkdtempSync(join(tmpdir(), 'gw-redis-'));
    config = join(dir, 'gateway.json');
    writeFileSync(config, JSON.stringify({
      graph: { baseUrl: graph.url },
      pages: [{ id: '1001', accessToken: 'EAAB-replica-token' }],
      store: { redis: { url: redis.url } },
    }));
  }, 30_000);
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await graph?.close();
    await redis?.stop();
  });

  it('two replicas racing on one key: one Graph call, both callers get the same message', async () => {
    const [a, b] = await Promise.all([spawnGateway(['--config', config]), spawnGateway(['--config', config])]);
    procs.push(a, b);
    const before = graph.requests.length;
    const results = await Promise.all([send(a.target, 'race-1'), send(b.target, 'race-1'), send(a.target, 'race-1'), send(b.target, 'race-1')]);
    expect(graph.requests.length - before).toBe(1);
    expect(new Set(results.map((r) => r.messageId)).size).toBe(1);
  });

  it('replays survive a gateway restart', async () => {
    const first = await spawnGateway(['--config', config]);
    procs.push(first);
    const original = await send(first.target, 'restart-1');
    const before = graph.requests.length;
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const second = await spawnGateway(['--config', config]);
    procs.push(second);
    const replayed = await send(second.target, 'restart-1');
    expect(replayed).toEqual(original);
    expect(graph.requests.length).toBe(before);
  });
});

describe.skipIf(!available)('when Redis goes away', () => {
  it('sends fail fast with UNAVAILABLE STORE_UNAVAILABLE, never INTERNAL, and nothing is sent', async () => {
    const redis = await startRedisServer();
    const graph = await startCountingGraph();
    const gw = await startTestGateway({ sandbox: false, pages: [{ id: '1001', accessToken: 'EAAB-redis-down', appsecretProof: 'classic' }], graph: { baseUrl: graph.url }, store: { redis: { url: redis.url, keyPrefix: 'down:' } } });
    try {
      expect((await gw.send({ ...textTo('42'), idempotencyKey: 'before' })).messageId).toBe('m_0');
      await redis.stop();
      const started = Date.now();
      for (const req of [{ ...textTo('42'), idempotencyKey: 'after' }, textTo('42')]) {
        const err = await grpcError(gw.send(req, { deadlineMs: 15_000 }));
        expect(err.code).toBe(status.UNAVAILABLE);
        expect(decodeStatusDetails(err.metadata).errorInfo?.reason).toBe('STORE_UNAVAILABLE');
      }
      expect(Date.now() - started).toBeLessThan(12_000);
      expect(graph.requests).toHaveLength(1);
    } finally {
      await gw.close();
      await graph.close();
    }
  }, 30_000);
});
