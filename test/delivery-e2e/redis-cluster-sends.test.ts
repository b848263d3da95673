/**
 * Idempotent sends through two gateway processes on a Redis Cluster (3 masters, 3 replicas,
 * started here): keys spread over every master, each raced by both replicas, sent once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessengerServiceClient, SendMessageRequest, type SendMessageResponse } from '../../gen/messenger/v1/service';
import { startCountingGraph, okBody, type CountingGraph } from '../support/counting-graph';
import { textTo } from '../support/gateway-harness';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { redisClusterAvailable, startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster';

function send(target: string, key: string): Promise<SendMessageResponse> {
  const client = new MessengerServiceClient(target, credentials.createInsecure());
  return new Promise((resolve, reject) =>
    client.sendMessage(SendMessageRequest.fromPartial({ ...textTo('42', 'clustered'), idempotencyKey: key }), new Metadata(), { deadline: Date.now() + 15_000 }, (err: ServiceError | null, res?: SendMessageResponse) => {
      client.close();
      if (err) reject(err);
      else resolve(res!);
    }),
  );
}

describe.skipIf(!redisClusterAvailable())('idempotent sends through two gateway processes on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let graph: CountingGraph;
  const procs: GatewayProcess[] = [];
  beforeAll(async () => {
    cluster = await startRedisCluster({ appendOnly: false });
    // Slow answers widen the race window between the two replicas.
    graph = await startCountingGraph((i) => ({ ...okBody(i), delayMs: 200 }));
    const config = join(mkdtempSync(join(tmpdir(), 'gw-cluster-send-')), 'gateway.json');
    writeFileSync(config, JSON.stringify({
      graph: { baseUrl: graph.url },
      pages: [{ id: '1001', accessToken: 'EAAB-cluster-send-token' }],
      store: { redis: { cluster: { nodes: [cluster.urls[0]] } } },
    }));
    procs.push(...(await Promise.all([spawnGateway(['--config', config]), spawnGateway(['--config', config])])));
  }, 90_000);
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await graph?.close();
    await cluster?.stop();
  });

  it('30 keys, each sent 4 times across both replicas at once: one Graph call per key, every caller the same message', async () => {
    const [a, b] = procs as [GatewayProcess, GatewayProcess];
    const before = graph.requests.length;
    const keys = Array.from({ length: 30 }, (_, i) => `cluster-key-${i}`);
    const results = await Promise.all(keys.map((k) => Promise.all([send(a.target, k), send(b.target, k), send(a.target, k), send(b.target, k)])));
    expect(graph.requests.length - before).toBe(keys.length);
    for (const r of results) expect(new Set(r.map((x) => x.messageId)).size).toBe(1);
    expect(new Set(results.map((r) => r[0]!.messageId)).size).toBe(keys.length);
  }, 60_000);
});
