/**
 * The Redis event store's ingest and delivery on a 3-master Redis Cluster beside one Redis, in
 * the same run (both started here, no persistence), in this process: events appended in
 * Meta-sized batches with several in flight (what the webhook does after parsing), then
 * delivered to 3 consumers of one group that ack each at once (what StreamEvents does before
 * gRPC). CPU is this process's (user + system), so `perGatewayCpuSec` is how many events one
 * gateway CPU stores, or delivers, per second through the store; the webhook's parsing and
 * gRPC's encoding come on top (bench/README: the receiving legs).
 *
 *   tsx bench/redis-cluster-throughput.ts [--events 20000] [--batch 50] [--concurrency 8] [--partitions 16]
 *
 * Prints one JSON line per topology, with the Redis servers' CPU per event (INFO CPU; for the
 * cluster, all 6 nodes: the replicas' replication counted too).
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG } from '../src/config/gateway-config';
import type { NewEvent } from '../src/events/event-store';
import { RedisEventStore } from '../src/events/redis-event-store';
import { closeRedis, connectRedis, type RedisConnection } from '../src/store/redis-connection';
import { startRedisCluster } from '../test/support/redis-cluster-process';
import { newEvent } from '../test/events/event-fixtures';

const { values: argv } = parseArgs({ options: { events: { type: 'string' }, batch: { type: 'string' }, concurrency: { type: 'string' }, partitions: { type: 'string' } } });
const EVENTS = Number(argv.events ?? 20_000);
const BATCH = Number(argv.batch ?? 50);
const C = Number(argv.concurrency ?? 8);
const PARTITIONS = Number(argv.partitions ?? 16);

function cpuUs(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return u.user + u.system;
}

/** CPU seconds (user + system) the Redis servers used so far: INFO CPU of each. */
async function redisCpuSec(nodes: RedisConnection[]): Promise<number> {
  let sum = 0;
  for (const n of nodes) {
    const info = String(await n.call('INFO', 'CPU'));
    for (const k of ['used_cpu_user', 'used_cpu_sys']) sum += Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  }
  return sum;
}

async function measure(topology: string, redis: RedisConnection, nodes: RedisConnection[]): Promise<void> {
  const store = await RedisEventStore.open(redis, { ...DEFAULT_CONFIG.events, maxEvents: 1_000_000, partitions: PARTITIONS, keyPrefix: `tp-${Date.now()}:` });
  const page = `page-${Date.now()}`;
  // 1,000 conversations, as many customers writing at once.
  const batches: NewEvent[][] = [];
  for (let i = 0; i < EVENTS; i += BATCH) batches.push(Array.from({ length: Math.min(BATCH, EVENTS - i) }, (_, k) => newEvent(page, `u${(i + k) % 1_000}`)));
  let delivered = 0;
  let allDelivered!: () => void;
  const done = new Promise<void>((r) => (allDelivered = r));
  const consumers = await Promise.all(
    [0, 1, 2].map(async () => {
      const holder: { ack?: (ids: readonly string[]) => Promise<void> } = {};
      const c = await store.consume({ group: 'bench', pageIds: undefined, maxOutstanding: 500, start: { kind: 'latest' } }, (d) => {
        void holder.ack?.([d.event.eventId]);
        if (++delivered === EVENTS) allDelivered();
      }, () => {});
      holder.ack = (ids) => c.ack(ids);
      return c;
    }),
  );
  // Ingest alone first: consumers are there but the timed part is the appends (deliveries overlap; their CPU is counted below).
  const redis0 = await redisCpuSec(nodes);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let next = 0;
  await Promise.all(Array.from({ length: C }, async () => {
    while (next < batches.length) await store.append(batches[next++]!);
  }));
  const ingestSec = Number(process.hrtime.bigint() - t0) / 1e9;
  const ingestCpu = cpuUs(cpu0);
  const cpu1 = process.cpuUsage();
  await done;
  const totalSec = Number(process.hrtime.bigint() - t0) / 1e9;
  const totalCpu = cpuUs(cpu0);
  const redisCpu = (await redisCpuSec(nodes)) - redis0;
  void cpu1;
  await Promise.all(consumers.map((c) => c.close()));
  await store.close();
  process.stdout.write(
    `${JSON.stringify({
      topology,
      events: EVENTS,
      batch: BATCH,
      partitions: PARTITIONS,
      ingestPerSec: Math.round(EVENTS / ingestSec),
      endToEndPerSec: Math.round(EVENTS / totalSec),
      cpuUsPerEventIngestAndDelivery: Number((totalCpu / EVENTS).toFixed(1)),
      cpuUsPerEventDuringIngest: Number((ingestCpu / EVENTS).toFixed(1)),
      perGatewayCpuSec: Math.round(EVENTS / (totalCpu / 1e6)),
      redisCpuUsPerEvent: Number(((redisCpu * 1e6) / EVENTS).toFixed(1)),
      perRedisCpuSec: Math.round(EVENTS / redisCpu),
    })}\n`,
  );
}

async function main(): Promise<void> {
  const port = 20_000 + Math.floor(Math.random() * 30_000);
  const single = spawn(process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const cluster = await startRedisCluster({ appendOnly: false });
  try {
    let one: RedisConnection | undefined;
    for (let i = 0; !one; i++) {
      one = await connectRedis(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 200 }).catch((err: unknown) => {
        if (i > 50) throw err;
        return undefined;
      });
    }
    await measure('one Redis', one, [one]);
    await closeRedis(one);
    const clustered = await connectRedis({ kind: 'cluster', nodes: cluster.urls });
    const nodes = await Promise.all(cluster.urls.map((u) => connectRedis(u)));
    await measure('Redis Cluster (3 masters, 3 replicas)', clustered, nodes);
    await Promise.all([closeRedis(clustered), ...nodes.map((n) => closeRedis(n))]);
  } finally {
    single.kill('SIGTERM');
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
