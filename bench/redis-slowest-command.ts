/**
 * Redis's slowest command with the event store at its bound: 100 consumer groups and 100,000
 * events (events.maxEvents), on one Redis and on a 3-master Redis Cluster, both started here.
 * Two cases: every group idle and behind (each append at the bound makes room by giving up idle
 * groups' oldest events: the most work a room check does), and every group caught up (the
 * events nobody needs go). Each append of the timed phase is a Meta-sized batch (10 events).
 * Also times the metrics' stats() walk over 100 groups that are 100,000 events behind.
 *
 *   tsx bench/redis-slowest-command.ts [--events 100000] [--groups 100] [--appends 200]
 *
 * Prints one JSON line per case: the slowest command in SLOWLOG (every command logged) with its
 * script's first key, and the worst of LATENCY LATEST, in ms. Goal: at most 10 ms.
 */
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { DEFAULT_CONFIG } from '../src/config/gateway-config';
import { RedisEventStore } from '../src/events/redis-event-store';
import { closeRedis, connectRedis, type RedisConnection } from '../src/store/redis-connection';
import { spawn } from 'node:child_process';
import { loadavg, setPriority } from 'node:os';
import { startRedisCluster } from '../test/support/redis-cluster-process';
import { newEvent } from '../test/events/event-fixtures';

const { values: argv } = parseArgs({ options: { events: { type: 'string' }, groups: { type: 'string' }, appends: { type: 'string' } } });
const EVENTS = Number(argv.events ?? 100_000);
const GROUPS = Number(argv.groups ?? 100);
const APPENDS = Number(argv.appends ?? 200);

interface Slow {
  ms: number;
  command: string;
}

interface Watched {
  slowest: Slow;
  /** The slowest command that is not a script (XLEN, XINFO, HGETALL…: constant work): how much of a maximum the machine adds. */
  slowestPlain: Slow;
  /** Per kind of command (a script by its keys and mode), the median and the maximum (ms). */
  kinds: Record<string, { n: number; p50: number; max: number }>;
  /** Durations (ms) of every command of the store, sorted. */
  all: number[];
  latencyMs: number;
  /** LATENCY LATEST's event of that worst (e.g. `command`, or `aof-fsync-always`, which is no command). */
  latencyEvent: string;
}

/** Commands of the benchmark itself, not of the store. */
const OWN = new Set(['slowlog', 'latency', 'config', 'info', 'ping', 'cluster', 'command']);

/** Every node's SLOWLOG and LATENCY, reset, logging every command. */
async function watch(nodes: Redis[]): Promise<() => Promise<Watched>> {
  for (const n of nodes) {
    await n.config('SET', 'slowlog-log-slower-than', '-1');
    await n.config('SET', 'latency-monitor-threshold', '0');
    await n.slowlog('RESET');
    await n.call('LATENCY', 'RESET');
    await n.config('SET', 'slowlog-max-len', '500000');
    await n.config('SET', 'latency-monitor-threshold', '1');
    await n.config('SET', 'slowlog-log-slower-than', '0');
  }
  return async () => {
    let slowest: Slow = { ms: 0, command: '' };
    let slowestPlain: Slow = { ms: 0, command: '' };
    const byKind = new Map<string, number[]>();
    const all: number[] = [];
    let latencyMs = 0;
    let latencyEvent = '';
    for (const n of nodes) {
      // LATENCY first: the SLOWLOG GET of every command below is itself a slow command.
      for (const [event, , , max] of (await n.call('LATENCY', 'LATEST')) as Array<[string, number, number, number]>) {
        if (max > latencyMs) [latencyMs, latencyEvent] = [max, event];
      }
      await n.config('SET', 'slowlog-log-slower-than', '-1');
      const log = (await n.call('SLOWLOG', 'GET', '-1')) as Array<[number, number, number, string[]]>;
      for (const [, , us, args] of log) {
        if (OWN.has(String(args[0]).toLowerCase())) continue;
        all.push(us / 1000);
        const isScript = String(args[0]).toLowerCase() === 'evalsha';
        // A script by its keys: an append has the dedup keys after the stream and the cursor.
        const keys = Number(args[2]);
        const mode = String(args[3 + keys]);
        const kind = !isScript ? String(args[0]).toLowerCase() : keys >= 3 ? 'script: append' : `script: ${keys} key(s), last ${String(args[2 + keys]).replace(/^.*:/, '')}${/^(free|idle)$/.test(mode) ? ` ${mode}` : ''}`;
        byKind.set(kind, [...(byKind.get(kind) ?? []), us / 1000]);
        if (!isScript && us / 1000 > slowestPlain.ms) slowestPlain = { ms: us / 1000, command: `${args[0]} ${args[1] ?? ''}` };
        if (us / 1000 > slowest.ms) slowest = { ms: us / 1000, command: `${args[0]} ${args[0] === 'evalsha' ? `keys ${args[2]}: ${args.slice(3, 3 + Number(args[2]) + 3).join(' ')}` : (args[1] ?? '')}` };
      }
    }
    const kinds: Watched['kinds'] = {};
    for (const [k, list] of byKind) {
      list.sort((x, y) => x - y);
      kinds[k] = { n: list.length, p50: Number(list[Math.floor(list.length / 2)]!.toFixed(3)), max: Number(list[list.length - 1]!.toFixed(3)) };
    }
    return { slowest, slowestPlain, kinds, all: all.sort((x, y) => x - y), latencyMs, latencyEvent };
  };
}

async function fill(store: RedisEventStore, page: string, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1_000) {
    await store.append(Array.from({ length: Math.min(1_000, n - i) }, (_, k) => newEvent(page, `u${(i + k) % 5_000}`)));
  }
}

async function atTheBound(name: string, redis: RedisConnection, nodes: Redis[], idle: boolean): Promise<void> {
  const store = await RedisEventStore.open(redis, { ...DEFAULT_CONFIG.events, maxEvents: EVENTS, maxGroups: GROUPS, maxGroupsPerCaller: GROUPS, groupIdleMs: 1, keyPrefix: `slow-${name}-${idle ? 'idle' : 'caught-up'}-${Date.now()}:` });
  const page = `page-${name}`;
  const makeGroups = async () => {
    for (let g = 0; g < GROUPS; g++) {
      const c = await store.consume({ group: `g${g}`, pageIds: undefined, maxOutstanding: 1, start: { kind: 'latest' } }, () => {}, () => {});
      await c.close();
    }
  };
  // Idle groups made first are behind by every event; groups made after the fill are caught up.
  if (idle) await makeGroups();
  await fill(store, page, EVENTS);
  if (!idle) await makeGroups();
  const done = await watch(nodes);
  const t0 = Date.now();
  let refused = 0;
  for (let i = 0; i < APPENDS; i++) {
    await store.append(Array.from({ length: 10 }, (_, k) => newEvent(page, `late${i}-${k}`))).catch(() => refused++);
  }
  const appendMs = (Date.now() - t0) / APPENDS;
  const s0 = Date.now();
  const stats = await store.stats();
  const statsMs = Date.now() - s0;
  const { slowest, slowestPlain, kinds, all, latencyMs, latencyEvent } = await done();
  const pct = (q: number) => Number((all[Math.min(all.length - 1, Math.floor(q * all.length))] ?? 0).toFixed(3));
  await store.close();
  process.stdout.write(`${JSON.stringify({ topology: name, groups: GROUPS, events: EVENTS, case: idle ? 'every group idle and behind' : 'every group caught up', appendsAtTheBound: APPENDS, refused, meanAppendMs: Number(appendMs.toFixed(2)), statsMs, lagOfOneGroup: stats[0]?.lag, commands: all.length, p50Ms: pct(0.5), p99Ms: pct(0.99), p999Ms: pct(0.999), over10Ms: all.filter((ms) => ms > 10).length, slowestCommandMs: slowest.ms, slowestCommand: slowest.command.slice(0, 160), slowestPlainCommandMs: slowestPlain.ms, slowestPlainCommand: slowestPlain.command.slice(0, 80), kinds, latencyLatestMaxMs: latencyMs, latencyLatestEvent: latencyEvent, goalMs: 10, loadAverage: Number(loadavg()[0]!.toFixed(1)) })}\n`);
}

/**
 * SLOWLOG times a command by the wall clock: on a busy machine, a Redis preempted mid-command
 * shows the preemption. Redis runs at the highest priority where that is allowed (root).
 */
const PRIORITY = -20;

function raise(pid: number | undefined): void {
  try {
    if (pid !== undefined) setPriority(pid, PRIORITY);
  } catch {
    // Not root: the figures then include whatever else the machine runs.
  }
}

/** One redis-server on a loopback port, without persistence; resolves once it answers. */
async function startOneRedis(port: number): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  raise(child.pid);
  for (let i = 0; ; i++) {
    try {
      await closeRedis(await connectRedis(url, { connectTimeoutMs: 200 }));
      return { url, stop: () => child.kill('SIGTERM') };
    } catch (err) {
      if (i > 50) throw err;
    }
  }
}

async function main(): Promise<void> {
  const single = await startOneRedis(20_000 + Math.floor(Math.random() * 30_000));
  const cluster = await startRedisCluster({ appendOnly: false, priority: PRIORITY });
  try {
    const one = await connectRedis(single.url);
    for (const idle of [true, false]) await atTheBound('one Redis', one, [one], idle);
    await closeRedis(one);
    const clustered = await connectRedis({ kind: 'cluster', nodes: cluster.urls });
    const nodes = await Promise.all(cluster.masters().map((p) => connectRedis(`redis://127.0.0.1:${p}`)));
    for (const idle of [true, false]) await atTheBound('Redis Cluster (3 masters)', clustered, nodes, idle);
    await Promise.all([closeRedis(clustered), ...nodes.map((n) => closeRedis(n))]);
  } finally {
    single.stop();
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
