import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventServiceClient } from '../../gen/messenger/v1/events';
import { MessengerServiceClient } from '../../gen/messenger/v1/service';
import { startCountingGraph, okBody, type CountingGraph } from '../support/counting-graph';
import { killGateway, spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { redisClusterAvailable, startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster';
import { waitFor } from '../support/wait-for';
import { APP_SECRET, PAGE, postUntilStopped, sendEachKeyOnce, streamAll } from './failover-drivers';

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

  it('a master SIGKILLed mid-stream and its replica promoted: every event answered 200 reaches a stream', async () => {
    const posting = postUntilStopped(webhook, 3);
    await waitFor(() => posting.stored.size >= 150, { what: '150 events answered 200 before the kill', timeoutMs: 30_000 });
    await failOverOneMaster(cluster);
    const before = posting.stored.size;
    await waitFor(() => posting.stored.size >= before + 150, { what: '150 more events answered 200 after the failover', timeoutMs: 60_000 });
    const { stored } = await posting.stop();
    const events = new EventServiceClient(gw.target, credentials.createInsecure());
    try {
      const seen = new Set<string>();
      await streamAll(events, 'after-failover', (got) => {
        for (const d of got) seen.add(d.mid);
        return [...stored].every((mid) => seen.has(mid));
      }).catch(() => undefined);
      const lost = [...stored].filter((mid) => !seen.has(mid));
      expect(lost, `${lost.length} of ${stored.size} events answered 200 are missing`).toEqual([]);
    } finally {
      events.close();
    }
  }, 240_000);

  it('idempotent sends across a master failover: every key ends OK and was sent once at the fake Graph', async () => {
    const client = new MessengerServiceClient(gw.target, credentials.createInsecure());
    try {
      const run = sendEachKeyOnce(client, Array.from({ length: 60 }, (_, i) => `cfo-key-${i}`), 6);
      await waitFor(() => run.ok() >= 15 || (() => { throw new Error(`refusals so far: ${JSON.stringify(run.codes())}`); })(), { what: '15 sends OK before the kill', timeoutMs: 30_000 });
      await failOverOneMaster(cluster);
      const { results, codes } = await run.done;
      expect(results.filter((r) => r === undefined), `keys never OK: ${JSON.stringify(codes)}`).toEqual([]);
      const perKey = new Map<string, number>();
      for (const r of graph.requests) {
        const text = (r.body.message as { text?: string } | undefined)?.text ?? '';
        if (text.startsWith('msg cfo-key-')) perKey.set(text, (perKey.get(text) ?? 0) + 1);
      }
      expect([...perKey].filter(([, n]) => n !== 1), 'keys sent more than once').toEqual([]);
      expect(perKey.size).toBe(60);
    } finally {
      client.close();
    }
  }, 240_000);
});
