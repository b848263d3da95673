/**
 * Receiving figures for bench/run.ts, on the memory store and on Redis: webhook ingest (signed
 * POSTs of one event each, events/s at concurrency C), webhook → consumer delivery (the same
 * POSTs while a StreamEvents consumer takes and acks them: events/s until the last is acked),
 * the gateway's CPU per event in both, and webhook → consumer latency at c=1. Each beside the
 * limits of its parts measured in the same run: a bare node:http server answering 200 (driven by
 * the same client), and the store's append alone (the build's own MemoryEventStore or
 * RedisEventStore in a process of its own, the same events, one per call, C in flight); the
 * target compares with their composition 1/(1/http + 1/append). XADD through ioredis alone is
 * reported beside them: what Redis takes at most without the store's script.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { Redis } from 'ioredis';
import { customerWebhookBody } from '../../src/sandbox/customer-webhook';
import { Event } from '../../gen/messenger/v1/events';
import { parseWebhook } from '../../src/webhook/parse-webhook';
import { cpuSeconds, jsonLines, ROOT, spawnTs, stop, track, waitForPort } from './processes';
import { percentile, round, sortNumeric } from './stats';
import { ackingConsumer, deliverAll, PAGE, postAll, postLatencies, signedBodies, startReceivingGateway } from './webhook-load';

export interface Limit { perSec: number; p50C1Ms?: number; p99C1Ms?: number; cpuUsPerEvent?: number }
export interface ReceivingSide {
  ingestPerSec: number;
  ingestP50C1Ms: number;
  /** Webhook → consumer throughput: events/s until a consumer has acked every one. */
  deliveryPerSec: number;
  /** The gateway's CPU (user + system) per event, ingest and delivery. */
  ingestCpuUsPerEvent: number;
  deliveryCpuUsPerEvent: number;
  e2eP50Ms: number;
  e2eP99Ms: number;
  /** The store's append alone, measured in the same run. */
  append: Limit;
  /** 1/(1/bare http + 1/append): the limit of the parts together. */
  compositionPerSec: number;
  ingestOverComposition: number;
  deliveryOverComposition: number;
  ingestOverBareHttp: number;
}
export interface ReceivingResult {
  posts: number;
  latencySamples: number;
  concurrency: number;
  bareHttp: { perSec: number; p50C1Ms: number; p99C1Ms: number };
  xadd: { perSec: number; p50C1Ms: number; p99C1Ms: number } | null;
  memory: ReceivingSide;
  redis: (ReceivingSide & { ingestOverXadd: number }) | null;
  note: string;
}

interface Options { gatewayEntry: string[]; tmp: string; smoke: boolean; freePort: () => Promise<number>; log: (s: string) => void }

export async function measureReceiving(o: Options): Promise<ReceivingResult> {
  const posts = o.smoke ? 400 : 20_000;
  const samples = o.smoke ? 50 : 1_000;
  const C = 32;
  const owned: ChildProcess[] = [];
  try {
    const bare = await startBareHttp(owned);
    await postAll(`http://127.0.0.1:${bare}`, signedBodies(Math.min(200, posts), 'bare-warm'), C);
    const bareLoad = await postAll(`http://127.0.0.1:${bare}`, signedBodies(posts, 'bare'), C);
    const bareC1 = await postLatencies(`http://127.0.0.1:${bare}`, signedBodies(samples, 'bare1'));
    o.log(`receiving: bare node:http ${Math.round(bareLoad)}/s`);
    const limits = (append: Limit) => ({ append, compositionPerSec: Math.round(1 / (1 / bareLoad + 1 / append.perSec)) });

    const memAppend = await appendAlone(o, 'memory', undefined, posts, C);
    o.log(`receiving: MemoryEventStore append alone ${Math.round(memAppend.perSec)}/s`);
    const memory = await throughGateway(o, owned, undefined, posts, samples, C, bareLoad, limits(memAppend));
    o.log(`receiving: memory store ingest ${memory.ingestPerSec} events/s, delivery ${memory.deliveryPerSec} events/s, e2e p50 ${memory.e2eP50Ms} ms`);

    let xadd: ReceivingResult['xadd'] = null;
    let redis: ReceivingResult['redis'] = null;
    let note = 'Redis: AOF appendfsync everysec, 16 partitions; one event per POST.';
    const bin = [process.env.REDIS_SERVER_BIN, '/usr/bin/redis-server'].find((b): b is string => !!b && existsSync(b));
    if (bin) {
      const port = await o.freePort();
      const child = track(spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', o.tmp], { stdio: 'ignore' }));
      owned.push(child);
      await waitForPort(port, child, 10_000);
      const url = `redis://127.0.0.1:${port}`;
      xadd = await xaddLimit(url, posts, samples, C);
      o.log(`receiving: XADD through ioredis ${Math.round(xadd.perSec)}/s`);
      const redisAppend = await appendAlone(o, 'redis', url, posts, C);
      o.log(`receiving: RedisEventStore append alone ${Math.round(redisAppend.perSec)}/s`);
      const r = await throughGateway(o, owned, url, posts, samples, C, bareLoad, limits(redisAppend));
      redis = { ...r, ingestOverXadd: round(r.ingestPerSec / xadd.perSec, 3) };
      o.log(`receiving: Redis store ingest ${r.ingestPerSec} events/s, delivery ${r.deliveryPerSec} events/s, e2e p50 ${r.e2eP50Ms} ms`);
    } else note = 'Redis: not measured (redis-server not found).';
    return { posts, latencySamples: samples, concurrency: C, bareHttp: { perSec: Math.round(bareLoad), p50C1Ms: round(percentile(bareC1, 50)), p99C1Ms: round(percentile(bareC1, 99)) }, xadd, memory, redis, note };
  } finally {
    await Promise.all(owned.map((c) => stop(c)));
  }
}

/** A bare node:http server answering 200 to every POST once its body is read: the limit of the listener's part. */
async function startBareHttp(owned: ChildProcess[]): Promise<number> {
  const code = `require('http').createServer((q, s) => { q.resume(); q.on('end', () => { s.writeHead(200, { 'content-type': 'text/plain', 'content-length': 14 }); s.end('EVENT_RECEIVED'); }); }).listen(0, '127.0.0.1', function () { console.log(JSON.stringify({ ready: true, port: this.address().port })); });`;
  const child = track(spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'pipe'] }));
  owned.push(child);
  return jsonLines(child).next((x) => (x.ready ? Number(x.port) : undefined), 10_000, 'bare http server');
}

/** The store's append alone (bench/append-alone.ts), from the same build the gateway runs. */
async function appendAlone(o: Options, store: 'memory' | 'redis', url: string | undefined, count: number, C: number): Promise<Limit> {
  // gatewayEntry ends with <build>/src/cli/main.js.
  const build = dirname(dirname(dirname(o.gatewayEntry[o.gatewayEntry.length - 1])));
  const child = spawnTs('bench/append-alone.ts', ['--build', build, '--store', store, '--count', String(count), '--concurrency', String(C), ...(url ? ['--redis', url] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  const r = await jsonLines(child).next((x) => (typeof x.perSec === 'number' ? (x as unknown as { perSec: number; cpuUsPerEvent: number }) : undefined), 120_000, `${store} append alone`);
  await stop(child);
  return { perSec: Math.round(r.perSec), cpuUsPerEvent: round(r.cpuUsPerEvent, 1) };
}

/**
 * XADD through ioredis alone, of the fields the Redis store writes per event (the encoded event
 * in base64, its conversation, page and sequence number): what Redis takes without the script.
 */
async function xaddLimit(url: string, n: number, samples: number, concurrency: number): Promise<{ perSec: number; p50C1Ms: number; p99C1Ms: number }> {
  const redis = new Redis(url);
  const parsed = parseWebhook(customerWebhookBody({ pageId: PAGE, psid: 'bench-x-1', text: 'bench xadd 1' }), { receivedAt: Date.now(), traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: '' });
  if (!parsed.ok) throw new Error(parsed.why);
  const payload = Buffer.from(Event.encode(parsed.events[0].event).finish()).toString('base64');
  const conversation = parsed.events[0].conversation;
  let q = 0;
  const add = () => redis.xadd('bench:xadd', '*', 'e', payload, 'c', conversation, 'p', PAGE, 'q', ++q);
  try {
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < n) await add();
      }),
    );
    const perSec = n / (Number(process.hrtime.bigint() - started) / 1e9);
    const ms: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await add();
      ms.push(performance.now() - t0);
    }
    await redis.del('bench:xadd');
    const sorted = sortNumeric(ms);
    return { perSec: Math.round(perSec), p50C1Ms: round(percentile(sorted, 50)), p99C1Ms: round(percentile(sorted, 99)) };
  } finally {
    redis.disconnect();
  }
}

/** A gateway (memory store, or Redis at `redisUrl`) with its webhook listener: ingest, delivery, then webhook → consumer latency. */
async function throughGateway(o: Options, owned: ChildProcess[], redisUrl: string | undefined, posts: number, samples: number, C: number, bareLoad: number, limits: { append: Limit; compositionPerSec: number }): Promise<ReceivingSide> {
  const name = redisUrl ? 'recv-redis' : 'recv-memory';
  const { child, grpcPort, origin } = await startReceivingGateway({ entry: o.gatewayEntry, cwd: ROOT, tmp: o.tmp, name, redisUrl, freePort: o.freePort });
  owned.push(child);
  await postAll(origin, signedBodies(Math.min(200, posts), `${name}-warm`), C);
  let cpu0 = cpuSeconds(child.pid!);
  const ingestPerSec = await postAll(origin, signedBodies(posts, `${name}-load`), C);
  const ingestCpuUsPerEvent = ((cpuSeconds(child.pid!) - cpu0) * 1e6) / posts;
  const c1 = await postLatencies(origin, signedBodies(Math.min(samples, 200), `${name}-c1`));

  cpu0 = cpuSeconds(child.pid!);
  const deliveryPerSec = await deliverAll(origin, grpcPort, 'bench-delivery', signedBodies(posts, `${name}-deliver`), C);
  const deliveryCpuUsPerEvent = ((cpuSeconds(child.pid!) - cpu0) * 1e6) / posts;

  // Webhook → consumer: one POST at a time, timed until the consumer has the event.
  const waiting = new Map<string, () => void>();
  const consumer = await ackingConsumer(grpcPort, 'bench-latency', (r) => waiting.get(r.event!.senderId)?.());
  const ms: number[] = [];
  const latencyBodies = signedBodies(samples + 20, `${name}-e2e`);
  const { Pool } = await import('undici');
  const pool = new Pool(origin, { connections: 1 });
  for (let i = 0; i < latencyBodies.length; i++) {
    const it = latencyBodies[i];
    const got = new Promise<void>((r) => waiting.set(it.psid, r));
    const t0 = performance.now();
    const res = await pool.request({ method: 'POST', path: '/webhook', headers: { 'content-type': 'application/json', 'x-hub-signature-256': it.sig }, body: it.body });
    await res.body.text();
    await got;
    waiting.delete(it.psid);
    if (i >= 20) ms.push(performance.now() - t0); // the first 20 warm up
  }
  await pool.close();
  consumer.close();
  await stop(child);
  const e2e = sortNumeric(ms);
  return {
    ingestPerSec: Math.round(ingestPerSec),
    ingestP50C1Ms: round(percentile(c1, 50)),
    deliveryPerSec: Math.round(deliveryPerSec),
    ingestCpuUsPerEvent: round(ingestCpuUsPerEvent, 1),
    deliveryCpuUsPerEvent: round(deliveryCpuUsPerEvent, 1),
    e2eP50Ms: round(percentile(e2e, 50)),
    e2eP99Ms: round(percentile(e2e, 99)),
    ...limits,
    ingestOverComposition: round(ingestPerSec / limits.compositionPerSec, 3),
    deliveryOverComposition: round(deliveryPerSec / limits.compositionPerSec, 3),
    ingestOverBareHttp: round(ingestPerSec / bareLoad, 3),
  };
}
