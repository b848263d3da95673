/**
 * `npm run bench`: starts a fake Graph, an OTLP receiver, a noop gRPC server and the gateways
 * (the default config, log level info: tracing off / on; beside them the same at warn and silent, so
 * that the access log's cost is a line of the table), drives them (h2load if installed, else grpc-js client processes), stops
 * everything, prints a table and writes bench/results/latest.json + latest.md.
 *
 *   tsx bench/run.ts [--smoke] [--runs N] [--load auto|h2load|grpc-js] [--log-level info|warn]
 *                    [--graph-latency-ms MS] [--cpu-prof] [--out FILE.json] [--md FILE.md] [--no-warm-start]
 *
 * Every figure is the median over --runs rounds; every ratio is computed inside one round,
 * then the median is taken. See bench/README.md.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { SendMessageResponse } from '../gen/messenger/v1/service';
import { h2load, h2loadAvailable } from './lib/h2load';
import { connectInspector } from './lib/inspector';
import { buildGateway, closeSync, cpuSeconds, jsonLines, openLog, ROOT, rssOf, spawnTs, startServer, stop, track, waitForPort, withTimeout } from './lib/processes';
import { graphBody, grpcFrame, GRAPH_VERSION, PAGE_ID, PLATFORM_CALLS, TOKEN } from './lib/requests';
import { median, percentile, round, sortNumeric } from './lib/stats';
import { measureReceiving, type ReceivingResult } from './lib/receiving';
import { measureWarmStart } from './lib/warm-start';

const { values: argv } = parseArgs({
  options: {
    smoke: { type: 'boolean' },
    runs: { type: 'string' },
    load: { type: 'string' },
    'log-level': { type: 'string' },
    'graph-latency-ms': { type: 'string' },
    'cpu-prof': { type: 'boolean' },
    out: { type: 'string' },
    md: { type: 'string' },
    'no-warm-start': { type: 'boolean' },
  },
});
const SMOKE = Boolean(argv.smoke);
const ROUNDS = Number(argv.runs ?? (SMOKE ? 1 : 3));
// The default config's level: what users run. warn and silent run beside it in every round.
const LOG_LEVEL = argv['log-level'] ?? 'info';
const GRAPH_LATENCY_MS = Number(argv['graph-latency-ms'] ?? 0);
const OUT = argv.out ?? join(ROOT, 'bench/results', SMOKE ? 'smoke.json' : 'latest.json');
const MD = argv.md ?? OUT.replace(/\.json$/, '.md');
const C = 100;
const N = SMOKE
  ? { c100: 400, c1: 100, warm: 200, leakWarm: 400, leakChunk: 200, leakChunks: 3, workerWarm: 20 }
  : { c100: 20_000, c1: 2_000, warm: 5_000, leakWarm: 20_000, leakChunk: 20_000, leakChunks: 10, workerWarm: 300 };
const RUN_TIMEOUT_MS = SMOKE ? 30_000 : 180_000;
const started = Date.now();
// A full run now measures three more gateways and the platform calls per round: 25 min on a busy shared machine.
const GLOBAL_TIMEOUT_MS = SMOKE ? 170_000 : 1_500_000;

const loadArg = argv.load ?? 'auto';
if (!['auto', 'h2load', 'grpc-js'].includes(loadArg)) throw new Error(`--load ${loadArg}: auto, h2load or grpc-js`);
const H2 = loadArg === 'grpc-js' ? false : h2loadAvailable();
if (loadArg === 'h2load' && !H2) throw new Error('--load h2load: h2load is not installed (bash bench/install.sh)');
const GRPC_WORKERS = 4;

const RUNS = ['bare-rpc', 'noop', 'bare-http', 'http', 'gateway', 'gateway+tracing', 'sdk'] as const;
type RunName = (typeof RUNS)[number];
interface Measure { sendsPerSec: number; p50c1Ms: number; p99c1Ms: number; p50c100Ms: number; p99c100Ms: number }
interface Round {
  runs: Record<RunName, Measure>;
  h2loadC1?: Record<'noop' | 'gateway' | 'gateway+tracing' | 'graph-direct', { p50Ms: number; p99Ms: number }>;
  compositionLimit: number;
  ratios: { gatewayOverComposition: number; tracingOverGateway: number; gatewayOverSdk: number };
  addedP50C1Ms: number;
  addedP50C1HopMs?: number;
  ownP50C1Ms?: number;
  /** Microseconds of CPU (user + system) per send in the process doing the work. */
  cpuUsPerSend: { 'bare-rpc': number; noop: number; 'bare-http': number; http: number; gateway: number; 'gateway+tracing': number; 'gateway-warn': number; 'gateway-silent': number; 'gateway-policy-off': number };
  /** The default gateway's CPU per call of each platform RPC, and per send in the same round. */
  platformCpuUsPerCall: Record<string, number>;
  /**
   * The throughput ratios' counterparts in CPU per send: composition = noop + http (the legs
   * with the generated codecs and JSON); bare legs = bare-rpc + bare-http (the transports alone).
   */
  cpuRatios: { gatewayOverComposition: number; bareLegsOverGateway: number; tracingOverGateway: number };
}

const log = (s: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1)}s] ${s}\n`);
function checkTime(): void {
  if (Date.now() - started > GLOBAL_TIMEOUT_MS) throw new Error(`benchmark exceeded ${GLOBAL_TIMEOUT_MS / 1000} s`);
}
/** Node arguments that start the built gateway (set once it is built). */
let gatewayEntry: string[] | undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (us: number) => us / 1000;

// ---------------------------------------------------------------------------------------------
// Load

interface LoadResult { sendsPerSec: number; p50Ms: number; p99Ms: number; ok: number; cpuUsPerSend?: number }

/** N Node load-worker processes (bench/load-worker.ts) started together after their warm-up. */
async function nodeLoad(mode: 'http' | 'http-bare' | 'grpc' | 'sdk', target: string, count: number, concurrency: number, workers: number, latencies = true, extra: string[] = []): Promise<LoadResult> {
  checkTime();
  const kids: Array<{ child: ChildProcess; lines: ReturnType<typeof jsonLines> }> = [];
  try {
    for (let w = 0; w < workers; w++) {
      const n = Math.floor(count / workers) + (w < count % workers ? 1 : 0);
      const c = Math.max(1, Math.floor(concurrency / workers) + (w < concurrency % workers ? 1 : 0));
      const args = ['--mode', mode, '--target', target, '--count', String(n), '--concurrency', String(c), '--warmup', String(N.workerWarm), '--timeout-ms', String(RUN_TIMEOUT_MS)];
      if (!latencies) args.push('--no-latencies');
      args.push(...extra);
      const child = spawnTs('bench/load-worker.ts', args);
      kids.push({ child, lines: jsonLines(child) });
    }
    await Promise.all(kids.map((k) => k.lines.next((o) => (o.ready ? true : undefined), 60_000, `${mode} worker ready`)));
    const results = kids.map((k) =>
      k.lines.next((o) => (o.result ? (o as unknown as { ok: number; errors: number; firstError?: string; start: number; end: number; cpuUs: number; latenciesUs?: number[] }) : undefined), RUN_TIMEOUT_MS + 10_000, `${mode} worker result`),
    );
    for (const k of kids) k.child.stdin!.write('go\n');
    const rs = await Promise.all(results);
    const ok = rs.reduce((a, r) => a + r.ok, 0);
    const errors = rs.reduce((a, r) => a + r.errors, 0);
    if (errors > 0 || ok !== count) throw new Error(`${mode} load to ${target}: ${ok}/${count} ok, ${errors} errors (${rs.find((r) => r.firstError)?.firstError})`);
    const wall = Math.max(...rs.map((r) => r.end)) - Math.min(...rs.map((r) => r.start));
    const lat = latencies ? sortNumeric(rs.flatMap((r) => r.latenciesUs ?? [])) : new Float64Array();
    const cpuUs = rs.reduce((a, r) => a + r.cpuUs, 0);
    return { sendsPerSec: ok / (wall / 1000), p50Ms: ms(percentile(lat, 50)), p99Ms: ms(percentile(lat, 99)), ok, cpuUsPerSend: cpuUs / ok };
  } finally {
    await Promise.all(kids.map((k) => stop(k.child, 2000)));
  }
}

let tmp = '';
let frameFile = '';
let graphBodyFile = '';
const RESPONSE_FRAME_BYTES = 5 + SendMessageResponse.encode({ recipientId: '1254477777772919', messageId: 'm_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P' }).finish().length;

/** gRPC unary load at a concurrency: h2load (one thread, 4 connections x 25 streams at c=100), else grpc-js workers. */
async function grpcLoad(port: number, count: number, concurrency: number, latencies = true, workers = GRPC_WORKERS): Promise<LoadResult & { tool: string }> {
  checkTime();
  if (!H2) return { ...(await nodeLoad('grpc', `127.0.0.1:${port}`, count, concurrency, concurrency === 1 ? 1 : workers, latencies)), tool: `grpc-js x${concurrency === 1 ? 1 : workers}` };
  const clients = concurrency === 1 ? 1 : 4;
  const r = await h2load({
    url: `http://127.0.0.1:${port}/messenger.v1.MessengerService/SendMessage`,
    count,
    clients,
    streams: Math.ceil(concurrency / clients),
    bodyFile: frameFile,
    headers: ['content-type: application/grpc', 'te: trailers'],
    logFile: join(tmp, `h2load-${port}.log`),
    timeoutMs: RUN_TIMEOUT_MS,
  });
  // h2load counts HTTP 200 as success; a gRPC error is a 200 without a DATA frame, so every answer must carry exactly one response message.
  if (r.succeeded !== count || r.failed !== 0 || r.dataBytes !== count * RESPONSE_FRAME_BYTES) {
    throw new Error(`h2load to :${port}: ${r.succeeded}/${count} succeeded, ${r.failed} failed, ${r.dataBytes} data bytes (expected ${count * RESPONSE_FRAME_BYTES}): not every call answered OK\n${r.raw}`);
  }
  return { sendsPerSec: r.reqPerSec, p50Ms: ms(percentile(r.latenciesUs, 50)), p99Ms: ms(percentile(r.latenciesUs, 99)), ok: count, tool: 'h2load' };
}

async function graphSends(port: number): Promise<number> {
  return (await graphStats(port)).sends;
}

async function graphStats(port: number): Promise<{ sends: number; platform: number }> {
  const res = await fetch(`http://127.0.0.1:${port}/stats`);
  return (await res.json()) as { sends: number; platform: number };
}

/**
 * h2load at c=100 of one platform RPC (a pre-encoded request): checks that every call reached the
 * fake Graph once and was answered with a response message of the size the first call's had (a
 * gRPC error is an HTTP 200 without one). Without h2load, not measured (NaN).
 */
async function platformLoad(port: number, graphPort: number, call: (typeof PLATFORM_CALLS)[number], count: number): Promise<boolean> {
  checkTime();
  if (!H2) return false;
  const file = join(tmp, `${call.name}.frame`);
  writeFileSync(file, call.frame());
  const once = (n: number, clients: number, streams: number) => h2load({
    url: `http://127.0.0.1:${port}${call.path}`, count: n, clients, streams, bodyFile: file,
    headers: ['content-type: application/grpc', 'te: trailers'], logFile: join(tmp, `h2load-${call.name}.log`), timeoutMs: RUN_TIMEOUT_MS,
  });
  const before = (await graphStats(graphPort)).platform;
  const first = await once(1, 1, 1);
  const r = await once(count, 4, Math.ceil(C / 4));
  const calls = (await graphStats(graphPort)).platform - before;
  if (first.dataBytes < 5 || r.succeeded !== count || r.failed !== 0 || r.dataBytes !== count * first.dataBytes || calls !== count + 1) {
    throw new Error(`${call.name} to :${port}: ${r.succeeded}/${count} succeeded, ${r.dataBytes} data bytes (expected ${count} x ${first.dataBytes}), ${calls} Graph calls: not every call answered OK\n${r.raw}`);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Processes under test

interface Gateway { child: ChildProcess; port: number; name: string; peakSampledMb: number; hwmMb: number; sends: number; inspectPort?: number }

/** `inspect`: open the inspector on a loopback port, for the leak check's heap-after-GC readings. */
async function startGateway(name: string, graphPort: number, env: NodeJS.ProcessEnv, inspect = false, redisUrl?: string, logLevel = LOG_LEVEL, page: Record<string, unknown> = {}): Promise<Gateway> {
  const config = join(tmp, `${name}.json`);
  // The per-page rate limiter defaults to Meta's 300 sends/s per page, which would cap every run:
  // the benchmark measures the gateway's own cost, so it lifts the limit to the maximum allowed.
  writeFileSync(config, JSON.stringify({
    pages: [{ id: PAGE_ID, accessToken: TOKEN, ...page }],
    graph: { baseUrl: `http://127.0.0.1:${graphPort}`, version: GRAPH_VERSION },
    log: { level: logLevel },
    delivery: { rateLimit: { defaultPerSecond: 100_000, mediaPerSecond: 100_000 } },
    // Every GetUserProfile of the platform runs calls Graph, as a send does (the cache would answer from memory).
    conversations: { profileCacheTtlMs: 0 },
    ...(redisUrl ? { store: { redis: { url: redisUrl } } } : {}),
  }));
  const port = await freePort();
  const logPath = join(tmp, `${name}.log`);
  const out = openLog(logPath);
  const nodeArgs: string[] = [];
  if (argv['cpu-prof']) {
    const dir = join(ROOT, 'bench/results/profiles');
    mkdirSync(dir, { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${name.replace(/\W/g, '-')}-${Date.now()}.cpuprofile`);
  }
  const inspectPort = inspect ? await freePort() : undefined;
  if (inspectPort) nodeArgs.push(`--inspect=127.0.0.1:${inspectPort}`);
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  const child = track(spawn(process.execPath, [...nodeArgs, ...gatewayEntry!, '--config', config, '--listen', `127.0.0.1:${port}`], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', out, out] }));
  closeSync(out);
  await waitForPort(port, child, 30_000);
  return { child, port, name, peakSampledMb: 0, hwmMb: 0, sends: 0, inspectPort };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function rssSample(pid: number, samples: number, gapMs: number): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < samples; i++) {
    xs.push(rssOf(pid)?.rssMb ?? NaN);
    if (i < samples - 1) await sleep(gapMs);
  }
  return median(xs);
}

// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Redis: keyed sends with the Redis idempotency store, and the Redis page limiter

interface RedisRun { sendsPerSec: number; cpuUsPerSend: number; redisCpuUsPerSend?: number; p50c1Ms: number; p99c1Ms: number }
interface RedisFigures { note: string; memory: RedisRun; redisLimiter: RedisRun; redisKeyed: RedisRun; added: { limiterCpuUs: number; keyedCpuUs: number; limiterP50C1Ms: number; keyedP50C1Ms: number } }

/**
 * A redis-server on a free loopback port (no persistence), a second tracing-off gateway with
 * `store.redis.url` (its page limiter and idempotency store in Redis), the same grpc-js load
 * against it and the memory gateway: unkeyed (the Redis page limiter) and with a new
 * idempotency key per send (claim, send, record). Null without redis-server.
 */
async function redisRuns(memoryGw: Gateway, graphPort: number): Promise<RedisFigures | null> {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    log('redis: redis-server not installed, Redis runs left out');
    return null;
  }
  const port = await freePort();
  const server = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: 'ignore' }));
  let gwr: Gateway | undefined;
  try {
    await waitForPort(port, server, 10_000);
    gwr = await startGateway('gateway-redis', graphPort, {}, false, `redis://127.0.0.1:${port}`);
    const n = SMOKE ? 200 : 10_000;
    const n1 = SMOKE ? 50 : 1_000;
    log(`redis: ${n} sends at c=${C} and ${n1} at c=1 each: memory gateway, Redis page limiter, Redis limiter + idempotency key per send`);
    const one = async (g: Gateway, keyed: boolean): Promise<RedisRun> => {
      const extra = keyed ? ['--keyed'] : [];
      const target = `127.0.0.1:${g.port}`;
      await nodeLoad('grpc', target, Math.min(n, 2_000), C, 2, false, extra);
      const before = cpuSeconds(g.child.pid!);
      const redisBefore = cpuSeconds(server.pid!);
      const r = await nodeLoad('grpc', target, n, C, GRPC_WORKERS, false, extra);
      // The load workers' warm-up sends count in the gateway's CPU too.
      const sends = n + GRPC_WORKERS * N.workerWarm;
      const cpu = ((cpuSeconds(g.child.pid!) - before) * 1e6) / sends;
      const redisCpu = g === memoryGw ? undefined : ((cpuSeconds(server.pid!) - redisBefore) * 1e6) / sends;
      const l = await nodeLoad('grpc', target, n1, 1, 1, true, extra);
      return { sendsPerSec: Math.round(r.sendsPerSec), cpuUsPerSend: round(cpu, 1), redisCpuUsPerSend: redisCpu === undefined ? undefined : round(redisCpu, 1), p50c1Ms: round(l.p50Ms, 3), p99c1Ms: round(l.p99Ms, 3) };
    };
    const memory = await one(memoryGw, false);
    const redisLimiter = await one(gwr, false);
    const redisKeyed = await one(gwr, true);
    memoryGw.sends += 2 * Math.min(n, 2_000) + n + n1 + 2 * GRPC_WORKERS * N.workerWarm;
    return {
      note: `grpc-js load (${GRPC_WORKERS} client processes at c=${C}, one at c=1), tracing off; CPU per send includes the workers' warm-up sends`,
      memory, redisLimiter, redisKeyed,
      added: {
        limiterCpuUs: round(redisLimiter.cpuUsPerSend - memory.cpuUsPerSend, 1),
        keyedCpuUs: round(redisKeyed.cpuUsPerSend - memory.cpuUsPerSend, 1),
        limiterP50C1Ms: round(redisLimiter.p50c1Ms - memory.p50c1Ms, 3),
        keyedP50C1Ms: round(redisKeyed.p50c1Ms - memory.p50c1Ms, 3),
      },
    };
  } finally {
    if (gwr) await stop(gwr.child, 10_000);
    await stop(server, 5_000);
  }
}

function machine() {
  const h2v = H2 ? spawnSync('h2load', ['--version'], { encoding: 'utf8' }).stdout.trim().split('\n')[0] : null;
  return { hostname: hostname(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memGb: round(totalmem() / 2 ** 30, 1), kernel: release(), node: process.version, h2load: h2v };
}

async function main(): Promise<void> {
  tmp = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  frameFile = join(tmp, 'send.frame');
  writeFileSync(frameFile, grpcFrame());
  graphBodyFile = join(tmp, 'graph-body.json');
  writeFileSync(graphBodyFile, JSON.stringify(graphBody()));
  const loadNote = H2
    ? 'gRPC load: h2load (pre-encoded frames, 1 thread, 4 connections x 25 streams at c=100)'
    : `gRPC load: FALLBACK to ${GRPC_WORKERS} grpc-js client processes (h2load not found: bash bench/install.sh); a grpc-js client tops out near 5-6k calls/s here, so noop/gateway figures are capped by the client`;
  log(`${SMOKE ? 'SMOKE' : 'full'} benchmark, ${ROUNDS} round(s), log level ${LOG_LEVEL}, Graph latency ${GRAPH_LATENCY_MS} ms`);
  log(loadNote);

  log('building the gateway (tsc, as npm start and the image do, into bench/results/build/)');
  gatewayEntry = buildGateway();
  const graph = await startServer('bench/servers/fake-graph.ts', ['--latency-ms', String(GRAPH_LATENCY_MS)]);
  const otlp = await startServer('bench/servers/otlp-receiver.ts', []);
  const noop = await startServer('bench/servers/noop-server.ts', []);
  const bareRpc = await startServer('bench/servers/bare-rpc-server.ts', []);
  const gw = await startGateway('gateway', graph.port, {}, true);
  const gwt = await startGateway('gateway-tracing', graph.port, {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp.port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_SERVICE_NAME: 'messenger-gateway-bench',
  });
  // The same gateway at the other levels, beside the default: info - warn is the access log line's cost.
  const gwWarn = await startGateway('gateway-warn', graph.port, {}, false, undefined, 'warn');
  const gwSilent = await startGateway('gateway-silent', graph.port, {}, false, undefined, 'silent');
  // The default gateway checks each send against the conversation's window and owner (the Page's
  // conversationPolicy defaults to enforce; memory store); this one does not: the check's cost.
  const gwPolicyOff = await startGateway('gateway-policy-off', graph.port, {}, false, undefined, LOG_LEVEL, { conversationPolicy: 'off' });
  const gateways = [gw, gwt];
  const sampler = setInterval(() => {
    for (const g of gateways) {
      const r = rssOf(g.child.pid!);
      if (r) g.peakSampledMb = Math.max(g.peakSampledMb, r.rssMb);
    }
  }, 200);
  sampler.unref();
  const graphTarget = `127.0.0.1:${graph.port}`;
  const graphDirect = async (count: number, concurrency: number) => nodeLoad('http', graphTarget, count, concurrency, 1);
  const graphBare = async (count: number, concurrency: number) => nodeLoad('http-bare', graphTarget, count, concurrency, 1);

  /** A gateway run: counts the sends and checks that each reached the fake Graph exactly once. */
  // `workers`: grpc-js client processes without h2load (the smoke run gives the extra gateways one, to stay short).
  async function throughGateway(g: Gateway, count: number, concurrency: number, latencies = true, workers = GRPC_WORKERS) {
    const before = await graphSends(graph.port);
    const r = await grpcLoad(g.port, count, concurrency, latencies, workers);
    const after = await graphSends(graph.port);
    g.sends += count;
    const warmups = H2 ? 0 : (concurrency === 1 ? 1 : workers) * N.workerWarm;
    if (after - before !== count + warmups) throw new Error(`${g.name}: ${count} calls answered but the fake Graph saw ${after - before - warmups}`);
    return r;
  }

  log(`warm-up: ${N.warm} sends to each server`);
  await grpcLoad(noop.port, N.warm, C);
  await grpcLoad(bareRpc.port, N.warm, C);
  await throughGateway(gw, N.warm, C);
  await throughGateway(gwt, N.warm, C);
  // The smoke run's figures are not judged: the extra gateways are warmed by their first run there.
  const extraWorkers = SMOKE ? 1 : GRPC_WORKERS;
  if (!SMOKE) {
    await throughGateway(gwWarn, N.warm, C);
    await throughGateway(gwSilent, N.warm, C);
    await throughGateway(gwPolicyOff, N.warm, C);
  }
  for (const call of PLATFORM_CALLS) await platformLoad(gw.port, graph.port, call, N.warm);
  await graphDirect(N.warm, C);

  // CPU time per send of each process that does the work (steadier than sends/s on a shared
  // machine): the noop server, the http client, each gateway.
  const cpuOf = async <T>(pid: number, count: number, run: () => Promise<T>): Promise<[T, number]> => {
    const before = cpuSeconds(pid);
    const r = await run();
    return [r, ((cpuSeconds(pid) - before) * 1e6) / count];
  };
  const rounds: Round[] = [];
  const tools: Record<string, string> = {};
  for (let i = 0; i < ROUNDS; i++) {
    log(`round ${i + 1}/${ROUNDS}: c=${C}, ${N.c100} sends per run`);
    const t100: Record<string, LoadResult> = {};
    const [bare100, bareCpu] = await cpuOf(bareRpc.child.pid!, N.c100, () => grpcLoad(bareRpc.port, N.c100, C));
    t100['bare-rpc'] = bare100;
    const [noop100, noopCpu] = await cpuOf(noop.child.pid!, N.c100, () => grpcLoad(noop.port, N.c100, C));
    t100.noop = noop100;
    t100['bare-http'] = await graphBare(N.c100, C);
    t100.http = await graphDirect(N.c100, C);
    const [gw100, gwCpu] = await cpuOf(gw.child.pid!, N.c100, () => throughGateway(gw, N.c100, C));
    t100.gateway = gw100;
    // The tracing gateway's CPU includes exporting its spans, which the batch processor does
    // up to 5 s later: the reading waits for that.
    const [gwt100, gwtCpu] = await cpuOf(gwt.child.pid!, N.c100, async () => {
      const r = await throughGateway(gwt, N.c100, C);
      await sleep(SMOKE ? 200 : 6_000);
      return r;
    });
    t100['gateway+tracing'] = gwt100;
    // The smoke run with the grpc-js fallback leaves them out (client processes per run would take it past its time).
    const extra = async (g: Gateway) => (SMOKE && !H2 ? NaN : (await cpuOf(g.child.pid!, N.c100, () => throughGateway(g, N.c100, C, true, extraWorkers)))[1]);
    const warnCpu = await extra(gwWarn);
    const silentCpu = await extra(gwSilent);
    const policyOffCpu = await extra(gwPolicyOff);
    const platformCpu: Record<string, number> = {};
    for (const call of PLATFORM_CALLS) {
      // The first call of platformLoad (its answer's size) counts too.
      const [measured, callCpu] = await cpuOf(gw.child.pid!, N.c100 + 1, () => platformLoad(gw.port, graph.port, call, N.c100));
      platformCpu[call.name] = measured ? callCpu : NaN;
    }
    const cpu = { 'bare-rpc': bareCpu, noop: noopCpu, 'bare-http': t100['bare-http'].cpuUsPerSend ?? NaN, http: t100.http.cpuUsPerSend ?? NaN, gateway: gwCpu, 'gateway+tracing': gwtCpu, 'gateway-warn': warnCpu, 'gateway-silent': silentCpu, 'gateway-policy-off': policyOffCpu };
    t100.sdk = await nodeLoad('sdk', graphTarget, N.c100, C, 1);
    tools.c100 = `${noop100.tool} for bare-rpc/noop/gateway/gateway+tracing; one Node process (undici / messaging-api-messenger, 100 async loops) for bare-http/http/sdk`;

    log(`round ${i + 1}/${ROUNDS}: c=1, ${N.c1} sends per run`);
    const t1: Record<string, LoadResult> = {};
    t1['bare-rpc'] = await nodeLoad('grpc', `127.0.0.1:${bareRpc.port}`, N.c1, 1, 1);
    t1.noop = await nodeLoad('grpc', `127.0.0.1:${noop.port}`, N.c1, 1, 1);
    t1['bare-http'] = await graphBare(N.c1, 1);
    t1.http = await graphDirect(N.c1, 1);
    const before = await graphSends(graph.port);
    t1.gateway = await nodeLoad('grpc', `127.0.0.1:${gw.port}`, N.c1, 1, 1);
    t1['gateway+tracing'] = await nodeLoad('grpc', `127.0.0.1:${gwt.port}`, N.c1, 1, 1);
    if ((await graphSends(graph.port)) - before !== 2 * (N.c1 + N.workerWarm)) throw new Error('c=1 gateway sends did not all reach the fake Graph');
    gw.sends += N.c1 + N.workerWarm;
    gwt.sends += N.c1 + N.workerWarm;
    t1.sdk = await nodeLoad('sdk', graphTarget, N.c1, 1, 1);
    tools.c1 = 'one Node process, one call at a time, client-side time around each call: grpc-js client (bare-rpc/noop/gateway/gateway+tracing), undici (bare-http/http), messaging-api-messenger (sdk)';

    let h2c1: Round['h2loadC1'];
    if (H2) {
      const hn = await grpcLoad(noop.port, N.c1, 1);
      const hg = await throughGateway(gw, N.c1, 1);
      const ht = await throughGateway(gwt, N.c1, 1);
      const hd = await h2load({
        url: `http://${graphTarget}/${GRAPH_VERSION}/${PAGE_ID}/messages`, count: N.c1, clients: 1, streams: 1, bodyFile: graphBodyFile, h1: true,
        headers: ['content-type: application/json', `authorization: Bearer ${TOKEN}`], logFile: join(tmp, 'h2load-graph.log'), timeoutMs: RUN_TIMEOUT_MS,
      });
      if (hd.succeeded !== N.c1) throw new Error(`h2load --h1 to the fake Graph: ${hd.succeeded}/${N.c1}`);
      const pp = (r: { p50Ms: number; p99Ms: number }) => ({ p50Ms: r.p50Ms, p99Ms: r.p99Ms });
      h2c1 = { noop: pp(hn), gateway: pp(hg), 'gateway+tracing': pp(ht), 'graph-direct': { p50Ms: ms(percentile(hd.latenciesUs, 50)), p99Ms: ms(percentile(hd.latenciesUs, 99)) } };
    }

    const runs = {} as Record<RunName, Measure>;
    for (const r of RUNS) runs[r] = { sendsPerSec: t100[r].sendsPerSec, p50c1Ms: t1[r].p50Ms, p99c1Ms: t1[r].p99Ms, p50c100Ms: t100[r].p50Ms, p99c100Ms: t100[r].p99Ms };
    const composition = 1 / (1 / runs.noop.sendsPerSec + 1 / runs.http.sendsPerSec);
    rounds.push({
      runs,
      h2loadC1: h2c1,
      compositionLimit: composition,
      ratios: {
        gatewayOverComposition: runs.gateway.sendsPerSec / composition,
        tracingOverGateway: runs['gateway+tracing'].sendsPerSec / runs.gateway.sendsPerSec,
        gatewayOverSdk: runs.gateway.sendsPerSec / runs.sdk.sendsPerSec,
      },
      cpuUsPerSend: cpu,
      platformCpuUsPerCall: platformCpu,
      cpuRatios: { gatewayOverComposition: (cpu.noop + cpu.http) / cpu.gateway, bareLegsOverGateway: (cpu['bare-rpc'] + cpu['bare-http']) / cpu.gateway, tracingOverGateway: cpu.gateway / cpu['gateway+tracing'] },
      addedP50C1Ms: runs.gateway.p50c1Ms - runs.http.p50c1Ms,
      addedP50C1HopMs: h2c1 ? h2c1.gateway.p50Ms - h2c1['graph-direct'].p50Ms : undefined,
      // What is left of the hop once the two legs it is made of are taken away.
      ownP50C1Ms: h2c1 ? h2c1.gateway.p50Ms - h2c1.noop.p50Ms - h2c1['graph-direct'].p50Ms : undefined,
    });
    const r = rounds[rounds.length - 1];
    log(`round ${i + 1}: gateway ${Math.round(runs.gateway.sendsPerSec)}/s, composition ${Math.round(composition)}/s (${r.ratios.gatewayOverComposition.toFixed(2)}), tracing ${r.ratios.tracingOverGateway.toFixed(2)}, vs sdk ${r.ratios.gatewayOverSdk.toFixed(2)}`);
  }

  // Leak check: the heap used after a full GC (through the inspector), after warm-up and after
  // each chunk; RSS (median of a few samples) alongside, for information: it moves with the
  // GC's timing and the allocator by more than a small leak would.
  const leakSends = N.leakChunk * N.leakChunks;
  log(`leak check: ${N.leakWarm} warm-up sends, then ${leakSends} sends in ${N.leakChunks} chunks (gateway, tracing off)`);
  await throughGateway(gw, N.leakWarm, C, false);
  await sleep(SMOKE ? 200 : 1000);
  const inspector = await connectInspector(gw.inspectPort!);
  const baselineHeapMb = await inspector.heapAfterGcMb();
  const baselineMb = await rssSample(gw.child.pid!, 5, SMOKE ? 50 : 200);
  const chunkMb: number[] = [];
  const chunkHeapMb: number[] = [];
  for (let k = 0; k < N.leakChunks; k++) {
    await throughGateway(gw, N.leakChunk, C, false);
    chunkMb.push(await rssSample(gw.child.pid!, 3, SMOKE ? 50 : 200));
    chunkHeapMb.push(await inspector.heapAfterGcMb());
  }
  inspector.close();
  const third = Math.max(1, Math.floor(chunkMb.length / 3));
  const floorTrend = (xs: number[]) => Math.min(...xs.slice(-third)) - Math.min(...xs.slice(0, third));
  const finalMb = chunkMb[chunkMb.length - 1];
  // The heap after a full GC is steady to a fraction of a MB when nothing leaks (33.0-33.3 MB
  // over 360k sends in one check); a leak of even a few bytes per send raises it steadily.
  const heapTrendMb = floorTrend(chunkHeapMb);
  const heapNoiseMb = Math.max(2, 0.03 * baselineHeapMb);
  const leak = {
    sends: leakSends,
    baselineMb: round(baselineMb, 1),
    finalMb: round(finalMb, 1),
    growthMb: round(finalMb - baselineMb, 1),
    growthPct: round((100 * (finalMb - baselineMb)) / baselineMb, 1),
    trendMb: round(floorTrend(chunkMb), 1),
    perChunkMb: chunkMb.map((x) => round(x, 1)),
    heapBaselineMb: round(baselineHeapMb, 1),
    heapFinalMb: round(chunkHeapMb[chunkHeapMb.length - 1], 1),
    heapTrendMb: round(heapTrendMb, 2),
    heapNoiseMb: round(heapNoiseMb, 1),
    heapPerChunkMb: chunkHeapMb.map((x) => round(x, 2)),
    verdict: heapTrendMb <= heapNoiseMb ? 'no growth beyond noise' : 'GROWS',
  };

  const redis = await redisRuns(gw, graph.port);

  for (const g of gateways) g.hwmMb = rssOf(g.child.pid!)?.hwmMb ?? NaN;
  clearInterval(sampler);
  // Graceful stop: flushes the tracing gateway's spans and writes --cpu-prof profiles.
  await Promise.all([...gateways, gwWarn, gwSilent, gwPolicyOff].map((g) => stop(g.child, 10_000)));
  const otlpStats = (await (await fetch(`http://127.0.0.1:${otlp.port}/stats`)).json()) as { traceRequests: number; metricRequests: number; spans: number; bytes: number };
  await Promise.all([graph, otlp, noop, bareRpc].map((s) => stop(s.child)));
  rmSync(tmp, { recursive: true, force: true });

  // With nothing else running: how long a developer waits for a warm `npm start` (dist/ fresh).
  // It uses the checkout's dist/ (as npm start does): --no-warm-start where something else may be rebuilding it.
  const warmRounds = SMOKE ? 2 : 5;
  let warmStart: Awaited<ReturnType<typeof measureWarmStart>> | null = null;
  if (!argv['no-warm-start']) {
    log(`warm start: ${warmRounds} x npm start -> "gateway ready" (after one start that builds dist/ if stale)`);
    warmStart = await measureWarmStart(warmRounds);
  }

  // Medians.
  const med = (f: (r: Round) => number | undefined) => round(median(rounds.map((r) => f(r) ?? NaN)), 4);
  const runs = Object.fromEntries(
    RUNS.map((name) => [name, {
      sendsPerSec: Math.round(median(rounds.map((r) => r.runs[name].sendsPerSec))),
      p50c1Ms: med((r) => r.runs[name].p50c1Ms), p99c1Ms: med((r) => r.runs[name].p99c1Ms),
      p50c100Ms: med((r) => r.runs[name].p50c100Ms), p99c100Ms: med((r) => r.runs[name].p99c100Ms),
    }]),
  ) as Record<RunName, Measure>;
  const ratios = {
    gatewayOverComposition: med((r) => r.ratios.gatewayOverComposition),
    tracingOverGateway: med((r) => r.ratios.tracingOverGateway),
    gatewayOverSdk: med((r) => r.ratios.gatewayOverSdk),
  };
  const figures = {
    compositionLimitPerSec: Math.round(median(rounds.map((r) => r.compositionLimit))),
    addedP50C1Ms: med((r) => r.addedP50C1Ms),
    peakRssMb: { gateway: round(gw.hwmMb, 1), 'gateway+tracing': round(gwt.hwmMb, 1) },
    rssGrowth: leak,
    warmStart,
  };
  const cpuRatios = {
    gatewayOverComposition: round(med((r) => r.cpuRatios.gatewayOverComposition), 3),
    bareLegsOverGateway: round(med((r) => r.cpuRatios.bareLegsOverGateway), 3),
    tracingOverGateway: round(med((r) => r.cpuRatios.tracingOverGateway), 3),
  };
  // What the access log line costs: the default gateway (info) against the same at warn, per round.
  const logLineCpuUs = round(med((r) => r.cpuUsPerSend.gateway - r.cpuUsPerSend['gateway-warn']), 1);
  // What the conversation policy's check costs: enforce (the default) against off, per round.
  const policyCheckCpuUs = round(med((r) => r.cpuUsPerSend.gateway - r.cpuUsPerSend['gateway-policy-off']), 1);
  const platform = Object.fromEntries(PLATFORM_CALLS.map((c) => [c.name, {
    cpuUsPerCall: round(med((r) => r.platformCpuUsPerCall[c.name]), 1),
    overSend: round(med((r) => r.platformCpuUsPerCall[c.name] / r.cpuUsPerSend.gateway), 3),
  }]));
  const platformMeasured = Object.values(platform).every((p) => Number.isFinite(p.overSend));
  const targets = {
    // The issue-17 definitions: CPU per send, the legs without any of the gateway's own work.
    '(bare RPC + bare HTTP) / gateway, CPU per send >= 0.75': cpuRatios.bareLegsOverGateway >= 0.75,
    'gateway / gateway+tracing, CPU per send >= 0.85': cpuRatios.tracingOverGateway >= 0.85,
    'access log line (info - warn) <= 5 us CPU per send': logLineCpuUs <= 5,
    'conversationPolicy enforce - off <= 5 us CPU per send': policyCheckCpuUs <= 5,
    ...(platformMeasured ? { 'platform RPCs: CPU per call <= a send': Object.values(platform).every((p) => p.overSend <= 1) } : {}),
    // The earlier definitions, in sends/s, against legs with the generated codecs and JSON.
    'gateway / composition limit >= 0.85': ratios.gatewayOverComposition >= 0.85,
    'gateway+tracing / gateway >= 0.80': ratios.tracingOverGateway >= 0.8,
    'gateway / sdk >= 1.0': ratios.gatewayOverSdk >= 1.0,
    'added p50 at c=1 <= 0.3 ms': figures.addedP50C1Ms <= 0.3,
    'no memory growth beyond noise (heap after GC)': leak.verdict !== 'GROWS',
    ...(warmStart ? { 'warm npm start -> gateway ready <= 2000 ms': warmStart.medianMs <= 2000 } : {}),
  };
  const extra = {
    h2loadC1: H2
      ? Object.fromEntries((['noop', 'gateway', 'gateway+tracing', 'graph-direct'] as const).map((k) => [k, { p50Ms: med((r) => r.h2loadC1?.[k].p50Ms), p99Ms: med((r) => r.h2loadC1?.[k].p99Ms) }]))
      : null,
    addedP50C1HopMs: H2 ? med((r) => r.addedP50C1HopMs) : null,
    ownP50C1Ms: H2 ? med((r) => r.ownP50C1Ms) : null,
    cpuUsPerSend: Object.fromEntries((['bare-rpc', 'noop', 'bare-http', 'http', 'gateway', 'gateway+tracing', 'gateway-warn', 'gateway-silent', 'gateway-policy-off'] as const).map((k) => [k, round(med((r) => r.cpuUsPerSend[k]), 1)])),
    cpuRatios,
    logLineCpuUs,
    policyCheckCpuUs,
    platform: platformMeasured ? platform : null,
    peakRssSampledMb: { gateway: round(gw.peakSampledMb, 1), 'gateway+tracing': round(gwt.peakSampledMb, 1) },
    gatewaySends: { gateway: gw.sends, 'gateway+tracing': gwt.sends },
    otlp: { ...otlpStats, spansPerSend: round(otlpStats.spans / gwt.sends, 3) },
    redis,
  };
  log('receiving: webhook ingest and webhook -> consumer latency, memory store and Redis');
  const recvTmp = mkdtempSync(join(tmpdir(), 'gw-bench-recv-'));
  const receiving = await withTimeout(measureReceiving({ gatewayEntry: gatewayEntry!, tmp: recvTmp, smoke: SMOKE, freePort, log }), SMOKE ? 60_000 : 300_000, 'receiving benchmark');
  rmSync(recvTmp, { recursive: true, force: true });
  const result = {
    kind: SMOKE ? 'smoke' : 'full',
    date: new Date().toISOString(),
    durationSec: round((Date.now() - started) / 1000, 1),
    machine: machine(),
    settings: { rounds: ROUNDS, concurrency: C, sendsPerRun: { c100: N.c100, c1: N.c1 }, logLevel: LOG_LEVEL, graphLatencyMs: GRAPH_LATENCY_MS, cpuProf: Boolean(argv['cpu-prof']) },
    load: { generator: H2 ? 'h2load' : 'grpc-js-fallback', note: loadNote, c100: tools.c100, c1: tools.c1 },
    runs,
    ratios,
    figures,
    targets,
    extra,
    receiving,
    rounds,
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  const md = markdown(result);
  writeFileSync(MD, md);
  process.stdout.write(`${md}\n`);
  process.stdout.write(`results: ${OUT}\n`);
}

function markdown(r: {
  kind: string; date: string; durationSec: number; machine: ReturnType<typeof machine>; settings: { rounds: number; logLevel: string; graphLatencyMs: number; sendsPerRun: { c100: number; c1: number } };
  load: { note: string; c100?: string; c1?: string }; runs: Record<RunName, Measure>; ratios: Record<string, number>;
  figures: { compositionLimitPerSec: number; addedP50C1Ms: number; peakRssMb: Record<string, number>; warmStart: { readyMs: number[]; medianMs: number } | null; rssGrowth: { sends: number; baselineMb: number; finalMb: number; growthMb: number; growthPct: number; trendMb: number; heapBaselineMb: number; heapFinalMb: number; heapTrendMb: number; heapNoiseMb: number; verdict: string } };
  targets: Record<string, boolean>; receiving: ReceivingResult; extra: { h2loadC1: Record<string, { p50Ms: number; p99Ms: number }> | null; addedP50C1HopMs: number | null; ownP50C1Ms?: number | null; cpuUsPerSend: Record<string, number>; logLineCpuUs: number; policyCheckCpuUs: number; platform: Record<string, { cpuUsPerCall: number; overSend: number }> | null; cpuRatios: { gatewayOverComposition: number; bareLegsOverGateway: number; tracingOverGateway: number }; otlp: { spans: number; spansPerSend: number }; redis: RedisFigures | null };
}): string {
  const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const lines: string[] = [];
  lines.push(`## Benchmark (${r.kind}) — ${r.date.slice(0, 16).replace('T', ' ')} UTC`, '');
  lines.push(`Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memGb} GB, Linux ${r.machine.kernel}, Node ${r.machine.node}${r.machine.h2load ? `, ${r.machine.h2load}` : ''}.`);
  lines.push(`Medians of ${r.settings.rounds} round(s); ${r.settings.sendsPerRun.c100} sends per c=100 run, ${r.settings.sendsPerRun.c1} per c=1 run; gateway log level ${r.settings.logLevel}; fake Graph latency ${r.settings.graphLatencyMs} ms; ${r.durationSec} s in all.`, '');
  lines.push('| run | sends/s c=100 | p50 c=1 (ms) | p99 c=1 (ms) | p50 c=100 (ms) | p99 c=100 (ms) |', '|---|---:|---:|---:|---:|---:|');
  for (const name of RUNS) {
    const m = r.runs[name];
    lines.push(`| ${name} | ${m.sendsPerSec} | ${f(m.p50c1Ms)} | ${f(m.p99c1Ms)} | ${f(m.p50c100Ms)} | ${f(m.p99c100Ms)} |`);
  }
  lines.push('');
  const ok = (b: boolean) => (b ? 'met' : '**NOT met**');
  const t = r.targets;
  lines.push('| figure | value | target |', '|---|---:|---|');
  const cu = r.extra.cpuUsPerSend;
  lines.push(`| CPU per send at c=100 (µs, user+system of the working process): bare-rpc server / bare-http client / gateway / gateway+tracing | ${f(cu['bare-rpc'], 1)} / ${f(cu['bare-http'], 1)} / ${f(cu.gateway, 1)} / ${f(cu['gateway+tracing'], 1)} | |`);
  lines.push(`| (bare RPC + bare HTTP) / gateway, CPU per send | ${f(r.extra.cpuRatios.bareLegsOverGateway, 3)} | >= 0.75 ${ok(t['(bare RPC + bare HTTP) / gateway, CPU per send >= 0.75'])} |`);
  lines.push(`| gateway / gateway+tracing, CPU per send (100% sampling, OTLP http/protobuf, batch processor) | ${f(r.extra.cpuRatios.tracingOverGateway, 3)} | >= 0.85 ${ok(t['gateway / gateway+tracing, CPU per send >= 0.85'])} |`);
  lines.push(`| CPU per send at c=100 (µs), the same gateway at log level info (the default) / warn / silent | ${f(cu.gateway, 1)} / ${f(cu['gateway-warn'], 1)} / ${f(cu['gateway-silent'], 1)} | |`);
  lines.push(`| the access log line: info − warn, CPU per send (median of the rounds' differences) | ${f(r.extra.logLineCpuUs, 1)} µs | <= 5 µs ${ok(t['access log line (info - warn) <= 5 us CPU per send'])} |`);
  lines.push(`| CPU per send at c=100 (µs), the default gateway (\`conversationPolicy\` enforce, memory store) / the same with the policy off | ${f(cu.gateway, 1)} / ${f(cu['gateway-policy-off'], 1)} | |`);
  lines.push(`| the conversation policy's check: enforce − off, CPU per send (median of the rounds' differences) | ${f(r.extra.policyCheckCpuUs, 1)} µs | <= 5 µs ${ok(t['conversationPolicy enforce - off <= 5 us CPU per send'])} |`);
  const pf = r.extra.platform;
  if (pf) {
    lines.push(`| platform RPCs, CPU per call at c=100 (µs, the default gateway): ${Object.keys(pf).join(' / ')} | ${Object.values(pf).map((p) => f(p.cpuUsPerCall, 1)).join(' / ')} | |`);
    lines.push(`| platform RPCs / a send, CPU per call (same round): ${Object.keys(pf).join(' / ')} | ${Object.values(pf).map((p) => f(p.overSend, 3)).join(' / ')} | <= 1 ${ok(t['platform RPCs: CPU per call <= a send'])} |`);
  } else lines.push('| platform RPCs | not measured (h2load not installed) | |');
  lines.push(`| composition limit 1/(1/noop + 1/http) | ${r.figures.compositionLimitPerSec}/s | |`);
  lines.push(`| gateway / composition limit | ${f(r.ratios.gatewayOverComposition, 3)} | >= 0.85 ${ok(t['gateway / composition limit >= 0.85'])} |`);
  lines.push(`| gateway+tracing / gateway | ${f(r.ratios.tracingOverGateway, 3)} | >= 0.80 ${ok(t['gateway+tracing / gateway >= 0.80'])} |`);
  lines.push(`| gateway / sdk | ${f(r.ratios.gatewayOverSdk, 3)} | >= 1.0 ${ok(t['gateway / sdk >= 1.0'])} |`);
  lines.push(`| added p50 at c=1 (gateway via grpc-js client − http via undici) | ${f(r.figures.addedP50C1Ms)} ms | <= 0.3 ms ${ok(t['added p50 at c=1 <= 0.3 ms'])} |`);
  if (r.extra.addedP50C1HopMs !== null) lines.push(`| added p50 at c=1, gateway hop only (h2load gRPC − h2load HTTP/1.1 to the fake Graph) | ${f(r.extra.addedP50C1HopMs)} ms | (information) |`);
  if (r.extra.ownP50C1Ms != null) lines.push(`| p50 at c=1 beyond its two legs (h2load: gateway − noop − fake Graph direct) | ${f(r.extra.ownP50C1Ms)} ms | (information) |`);
  lines.push(`| CPU per send at c=100 (µs, user+system of the working process): noop server / http client / gateway / gateway+tracing | ${f(cu.noop, 1)} / ${f(cu.http, 1)} / ${f(cu.gateway, 1)} / ${f(cu['gateway+tracing'], 1)} | (information) |`);
  lines.push(`| (noop + http) / gateway, CPU per send (the legs with the generated codecs and JSON) | ${f(r.extra.cpuRatios.gatewayOverComposition, 3)} | (information) |`);
  lines.push(`| peak RSS (VmHWM) gateway / gateway+tracing | ${f(r.figures.peakRssMb.gateway, 1)} / ${f(r.figures.peakRssMb['gateway+tracing'], 1)} MB | |`);
  const g = r.figures.rssGrowth;
  lines.push(`| heap used after a full GC, over ${g.sends} sends after warm-up | ${f(g.heapBaselineMb, 1)} -> ${f(g.heapFinalMb, 1)} MB; floor first->last third ${g.heapTrendMb >= 0 ? '+' : ''}${f(g.heapTrendMb, 2)} MB (noise ${f(g.heapNoiseMb, 1)} MB) | ${g.verdict === 'GROWS' ? '**GROWS**' : 'no growth beyond noise: met'} |`);
  lines.push(`| RSS over the same sends | ${f(g.baselineMb, 1)} -> ${f(g.finalMb, 1)} MB (${g.growthMb >= 0 ? '+' : ''}${f(g.growthMb, 1)} MB); floor first->last third ${g.trendMb >= 0 ? '+' : ''}${f(g.trendMb, 1)} MB | (information) |`);
  const w = r.figures.warmStart;
  if (w) lines.push(`| warm \`npm start\` -> "gateway ready" (dist/ fresh; median of ${w.readyMs.join(', ')} ms) | ${w.medianMs} ms | <= 2000 ms ${ok(t['warm npm start -> gateway ready <= 2000 ms'])} |`);
  else lines.push('| warm `npm start` -> "gateway ready" | not measured (--no-warm-start) | |');
  lines.push(`| spans exported to the OTLP receiver | ${r.extra.otlp.spans} (${f(r.extra.otlp.spansPerSend, 2)} per send) | |`);
  lines.push('');
  const rd = r.extra.redis;
  if (rd) {
    lines.push('| Redis (tracing off) | sends/s c=100 | gateway CPU/send (µs) | redis-server CPU/send (µs) | p50 c=1 (ms) | p99 c=1 (ms) |', '|---|---:|---:|---:|---:|---:|');
    const row = (name: string, x: RedisRun) => lines.push(`| ${name} | ${x.sendsPerSec} | ${f(x.cpuUsPerSend, 1)} | ${x.redisCpuUsPerSend === undefined ? '–' : f(x.redisCpuUsPerSend, 1)} | ${f(x.p50c1Ms)} | ${f(x.p99c1Ms)} |`);
    row('memory store and limiter, no key', rd.memory);
    row('Redis page limiter, no key', rd.redisLimiter);
    row('Redis page limiter + idempotency key per send', rd.redisKeyed);
    lines.push('', `Added by Redis per send: page limiter ${f(rd.added.limiterCpuUs, 1)} µs gateway CPU, ${f(rd.added.limiterP50C1Ms)} ms p50 at c=1; keyed send ${f(rd.added.keyedCpuUs, 1)} µs, ${f(rd.added.keyedP50C1Ms)} ms. ${rd.note}.`, '');
  }
  lines.push(`Measured by: ${r.load.note}. c=100 figures: ${r.load.c100}. c=1 figures: ${r.load.c1}.`);
  if (r.extra.h2loadC1) {
    const h = r.extra.h2loadC1;
    lines.push(`h2load at c=1 (p50/p99 ms): noop ${f(h.noop.p50Ms)}/${f(h.noop.p99Ms)}, gateway ${f(h.gateway.p50Ms)}/${f(h.gateway.p99Ms)}, gateway+tracing ${f(h['gateway+tracing'].p50Ms)}/${f(h['gateway+tracing'].p99Ms)}, fake Graph direct over HTTP/1.1 ${f(h['graph-direct'].p50Ms)}/${f(h['graph-direct'].p99Ms)}.`);
  }
  const rv = r.receiving;
  lines.push('', `Receiving: ${rv.posts} signed webhook POSTs of one event each at ${rv.concurrency} in flight, without a consumer (ingest) and while a StreamEvents consumer takes and acks them (delivery: until the last is acked); latency at c=1 over ${rv.latencySamples} events, POST until the consumer has it. The parts' limit is 1/(1/bare http + 1/append alone), the store's append alone being the build's own store in a process of its own, the same events, one per call. ${rv.note}`, '');
  lines.push('| receiving | ingest events/s | delivery events/s | gateway CPU/event ingest / delivery (µs) | POST p50 c=1 (ms) | webhook → consumer p50 (ms) | p99 (ms) | of its parts\' limit |', '|---|---:|---:|---:|---:|---:|---:|---|');
  const limit = (name: string, x: { perSec: number; p50C1Ms?: number; cpuUsPerEvent?: number }, what: string) =>
    lines.push(`| ${name} | ${x.perSec} | | ${x.cpuUsPerEvent === undefined ? '' : `${f(x.cpuUsPerEvent, 1)} (its process)`} | ${x.p50C1Ms === undefined ? '' : f(x.p50C1Ms)} | | | ${what} |`);
  const side = (name: string, x: ReceivingResult['memory'], extra = '') =>
    lines.push(`| ${name} | ${x.ingestPerSec} | ${x.deliveryPerSec} | ${f(x.ingestCpuUsPerEvent, 1)} / ${f(x.deliveryCpuUsPerEvent, 1)} | ${f(x.ingestP50C1Ms)} | ${f(x.e2eP50Ms)} | ${f(x.e2eP99Ms)} | ingest ${f(x.ingestOverComposition)}, delivery ${f(x.deliveryOverComposition)} of ${x.compositionPerSec}/s (target >= 0.6: ${ok(x.ingestOverComposition >= 0.6 && x.deliveryOverComposition >= 0.6)}); ingest ${f(x.ingestOverBareHttp)} of bare http${extra} |`);
  limit('bare node:http answering 200', rv.bareHttp, '(limit of the listener)');
  limit('MemoryEventStore append alone', rv.memory.append, '(limit of the memory store)');
  side('gateway, memory store', rv.memory);
  if (rv.redis) {
    limit('RedisEventStore append alone', rv.redis.append, '(limit of the Redis store)');
    if (rv.xadd) limit('XADD through ioredis alone', rv.xadd, '(information: Redis without the store\'s script)');
    side('gateway, Redis store', rv.redis, `, ${f(rv.redis.ingestOverXadd)} of XADD`);
  }
  return `${lines.join('\n')}\n`;
}

withTimeout(main(), GLOBAL_TIMEOUT_MS + 60_000, 'benchmark').then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: FAILED: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
