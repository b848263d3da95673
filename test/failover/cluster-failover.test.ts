import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startCountingGraph, okBody, type CountingGraph } from '../support/counting-graph';
import { killGateway, spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { redisClusterAvailable, startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster';
import { waitFor } from '../support/wait-for';
import { APP_SECRET, eventsSurviveFailover, idempotentSendsSurviveFailover, PAGE, type FailoverTopology } from './failover-drivers';

// A 3-master, 3-replica Redis Cluster (real processes, AOF) behind one gateway process with
// store.redis.cluster and store.redis.minReplicas 1: a master SIGKILLed, its replica promoted.
const available = redisClusterAvailable();

/** Replication as the node on `port` reports it. */
async function replication(port: number): Promise<string> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    return await r.info('replication');
  } finally {
    r.disconnect();
  }
}

/** Waits until every master has a replica whose link is up (so that WAIT 1 can be met everywhere). */
async function everyMasterReplicated(cluster: RedisClusterHandle): Promise<void> {
  await waitFor(
    async () => {
      const masters = cluster.masters();
      if (masters.length !== 3) return false;
      const infos = await Promise.all(masters.map((p) => replication(p).catch(() => '')));
      return infos.every((i) => /connected_slaves:[1-9]/.test(i) && /slave0:.*state=online/.test(i));
    },
    { what: 'every master with an online replica', timeoutMs: 30_000, intervalMs: 100 },
  );
}

/** SIGKILLs a master, waits for its replica's promotion, restarts it (it rejoins as a replica) and waits until every master is replicated again. */
async function failOverOneMaster(cluster: RedisClusterHandle): Promise<void> {
  const port = cluster.masters()[0]!;
  const node = cluster.nodes.find((n) => n.port === port)!;
  await node.kill();
  await waitFor(() => cluster.masters().length === 3 && !cluster.masters().includes(port), { what: `a replica promoted in place of ${port}`, timeoutMs: 30_000, intervalMs: 100 });
  await cluster.waitUntilOk(30_000);
  await node.restart();
  await everyMasterReplicated(cluster);
}

describe.skipIf(!available)('failover on a Redis Cluster with store.redis.minReplicas 1', () => {
  let cluster: RedisClusterHandle;
  let graph: CountingGraph;
  let gw: GatewayProcess;
  let webhook: string;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    await everyMasterReplicated(cluster);
    graph = await startCountingGraph((i) => ({ ...okBody(i), delayMs: 100 }));
    const dir = mkdtempSync(join(tmpdir(), 'gw-cluster-cfg-'));
    const config = join(dir, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        graph: { baseUrl: graph.url, timeoutMs: 5_000 },
        pages: [{ id: PAGE, accessToken: 'EAAB-cluster-token' }],
        store: { redis: { cluster: { nodes: cluster.urls }, keyPrefix: 'cfo:', minReplicas: 1 } },
        webhook: { listen: '127.0.0.1:0', verifyToken: 'cluster-verify-token', appSecret: APP_SECRET },
        events: { ackDeadlineMs: 4_000, maxEvents: 200_000 },
        delivery: { idempotency: { claimTtlMs: 3_000 } },
      }),
    );
    gw = await spawnGateway(['--config', config]);
    const ready = gw.stdout.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'gateway ready');
    webhook = String(ready?.webhook);
  }, 120_000);

  afterAll(async () => {
    await killGateway(gw);
    await graph?.close();
    await cluster?.stop();
  });

  const topology = (): FailoverTopology => ({ target: gw.target, webhook, graph, failOver: () => failOverOneMaster(cluster), refusalsExpected: false });

  it('a master SIGKILLed mid-stream and its replica promoted: every event answered 200 reaches a stream', () => eventsSurviveFailover(topology()), 240_000);

  it('idempotent sends across a master failover: every key ends OK and was sent once at the fake Graph', () => idempotentSendsSurviveFailover(topology(), 'cfo-key'), 240_000);
});
