/**
 * Judging one optimisation of the receiving side: one gateway per checkout (each built with
 * `tsc` as the benchmark builds it), the same store kind, alternating rounds of webhook load,
 * printing events/s and the gateway's CPU time per event (user + system from /proc) with their
 * same-run ratios to the first root.
 *
 *   tsx bench/ab-receiving.ts --roots /path/base,/path/new [--store memory|redis] [--mode ingest|delivery|both]
 *                             [--count 20000] [--rounds 5] [--concurrency 32] [--cpu-prof]
 *
 * ingest: signed POSTs of one event each, no consumer; delivery: the same while a StreamEvents
 * consumer of a new group takes and acks them, until the last is acked. With --store redis a
 * redis-server (AOF everysec, as the benchmark) is started for the run; each gateway has its own
 * key prefix, and the rounds also report redis-server's CPU time per event and its socket reads
 * per event (INFO stats total_reads_processed: the round trips that woke it, which a pipeline or
 * a merged script saves), steadier on a busy machine than either process's CPU. With --cpu-prof each gateway writes a profile to bench/results/profiles/ on its
 * graceful stop; summarise with `tsx bench/profile-top.ts FILE`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { buildGateway, cpuSeconds, ROOT, stop, track, waitForPort } from './lib/processes';
import { median } from './lib/stats';
import { deliverAll, postAll, signedBodies, startReceivingGateway } from './lib/webhook-load';

const { values: argv } = parseArgs({
  options: {
    roots: { type: 'string' },
    store: { type: 'string' },
    mode: { type: 'string' },
    count: { type: 'string' },
    rounds: { type: 'string' },
    concurrency: { type: 'string' },
    'cpu-prof': { type: 'boolean' },
  },
});
const roots = (argv.roots ?? ROOT).split(',').map((p) => resolve(p));
const STORE = argv.store ?? 'memory';
const MODE = argv.mode ?? 'both';
const COUNT = Number(argv.count ?? 20_000);
const ROUNDS = Number(argv.rounds ?? 5);
const C = Number(argv.concurrency ?? 32);
if (!['memory', 'redis'].includes(STORE)) throw new Error(`--store ${STORE}: memory or redis`);
if (!['ingest', 'delivery', 'both'].includes(MODE)) throw new Error(`--mode ${MODE}: ingest, delivery or both`);
const MODES = MODE === 'both' ? (['ingest', 'delivery'] as const) : ([MODE] as const);

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'gw-ab-recv-'));
  const owned: ChildProcess[] = [];
  let redis: ChildProcess | undefined;
  let probe: Redis | undefined;
  try {
    let redisUrl: string | undefined;
    if (STORE === 'redis') {
      const port = await freePort();
      const child = track(spawn(process.env.REDIS_SERVER_BIN ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', tmp], { stdio: 'ignore' }));
      redis = child;
      await waitForPort(port, child, 10_000);
      redisUrl = `redis://127.0.0.1:${port}`;
      probe = new Redis(redisUrl);
    }
    const gateways: Array<{ label: string; child: ChildProcess; grpcPort: number; origin: string }> = [];
    for (const [i, root] of roots.entries()) {
      const label = `${basename(root)}#${i}`;
      const entry = buildGateway(root);
      if (argv['cpu-prof']) {
        const dir = join(ROOT, 'bench/results/profiles');
        mkdirSync(dir, { recursive: true });
        entry.unshift('--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `ab-recv-${i}-${basename(root)}-${STORE}-${Date.now()}.cpuprofile`);
      }
      const g = await startReceivingGateway({ entry, cwd: root, tmp, name: `ab${i}`, redisUrl, freePort, logFile: join(tmp, `gw${i}.log`) });
      owned.push(g.child);
      gateways.push({ label, ...g });
    }
    for (const g of gateways) await postAll(g.origin, signedBodies(2_000, `warm-${g.label}`), C);
    const rates = new Map(MODES.map((m) => [m, gateways.map((): number[] => [])]));
    const cpu = new Map(MODES.map((m) => [m, gateways.map((): number[] => [])]));
    const redisCpu = new Map(MODES.map((m) => [m, gateways.map((): number[] => [])]));
    const redisReads = new Map(MODES.map((m) => [m, gateways.map((): number[] => [])]));
    const readsProcessed = async (): Promise<number> => Number(/total_reads_processed:(\d+)/.exec((await probe?.info('stats')) ?? '')?.[1] ?? 0);
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate the order so that neither side always runs first.
      const order = r % 2 === 0 ? gateways.map((_, i) => i) : gateways.map((_, i) => gateways.length - 1 - i);
      for (const mode of MODES) {
        for (const i of order) {
          const g = gateways[i];
          const items = signedBodies(COUNT, `${mode}-${r}-${i}`);
          const before = cpuSeconds(g.child.pid!);
          const redisBefore = redis ? cpuSeconds(redis.pid!) : 0;
          const readsBefore = await readsProcessed();
          const perSec = mode === 'ingest' ? await postAll(g.origin, items, C) : await deliverAll(g.origin, g.grpcPort, `ab-delivery-${r}`, items, C);
          cpu.get(mode)![i][r] = ((cpuSeconds(g.child.pid!) - before) * 1e6) / COUNT;
          if (redis) {
            redisCpu.get(mode)![i][r] = ((cpuSeconds(redis.pid!) - redisBefore) * 1e6) / COUNT;
            redisReads.get(mode)![i][r] = ((await readsProcessed()) - readsBefore - 1) / COUNT;
          }
          rates.get(mode)![i][r] = perSec;
        }
        const redisPart = (i: number) => (redis ? ` (redis-server ${redisCpu.get(mode)![i][r].toFixed(1)} µs, ${redisReads.get(mode)![i][r].toFixed(2)} reads/event)` : '');
        process.stderr.write(`round ${r + 1} ${mode}: ${gateways.map((g, i) => `${g.label} ${Math.round(rates.get(mode)![i][r])}/s ${cpu.get(mode)![i][r].toFixed(1)} µs CPU/event${redisPart(i)}`).join(', ')}\n`);
      }
    }
    const lines: string[] = [];
    for (const mode of MODES) {
      const rs = rates.get(mode)!;
      const cs = cpu.get(mode)!;
      for (const [i, g] of gateways.entries()) {
        const ratio = median(rs[i].map((x, r) => x / rs[0][r]));
        const cpuRatio = median(cs[i].map((x, r) => x / cs[0][r]));
        lines.push(`${mode} ${STORE} ${g.label}: median ${Math.round(median(rs[i]))}/s, ratio to first ${ratio.toFixed(3)} (per round ${rs[i].map((x, r) => (x / rs[0][r]).toFixed(2)).join(' ')}); `
          + `CPU/event median ${median(cs[i]).toFixed(1)} µs, ratio to first ${cpuRatio.toFixed(3)} (per round ${cs[i].map((x, r) => (x / cs[0][r]).toFixed(2)).join(' ')})`
          + (redis ? `; redis-server CPU/event median ${median(redisCpu.get(mode)![i]).toFixed(1)} µs, ratio to first ${median(redisCpu.get(mode)![i].map((x, r) => x / redisCpu.get(mode)![0][r])).toFixed(3)}; redis socket reads/event median ${median(redisReads.get(mode)![i]).toFixed(2)}` : ''));
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    // SIGTERM and wait: the gateway drains and exits 0, which writes --cpu-prof profiles.
    await Promise.all(owned.map((c) => stop(c, 20_000)));
    probe?.disconnect();
    if (redis) await stop(redis);
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`ab-receiving: FAILED: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
