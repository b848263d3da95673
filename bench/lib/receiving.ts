/**
 * Receiving figures for bench/run.ts: webhook ingest (signed POSTs of one event each, events/s
 * at concurrency C) and webhook → consumer latency (p50/p99 at c=1, a gRPC StreamEvents
 * consumer acking each event), on the memory store and on Redis; each beside the limits of its
 * parts measured in the same run: a bare node:http server answering 200 (driven by the same
 * client), and XADD of the same payload through ioredis alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { EventServiceClient, StartPosition, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { customerWebhookBody } from '../../src/sandbox/customer-webhook';
import { signBody } from '../../src/webhook/verify-signature';
import { jsonLines, ROOT, stop, track, waitForPort } from './processes';
import { percentile, round, sortNumeric } from './stats';

const APP_SECRET = 'bench-app-secret-0123456789';
const PAGE = '1001';

export interface ReceivingSide { ingestPerSec: number; ingestP50C1Ms: number; e2eP50Ms: number; e2eP99Ms: number; ingestOverBareHttp: number }
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
    await ingest(`http://127.0.0.1:${bare}`, '/webhook', bodies(Math.min(200, posts), 'bare-warm'), C);
    const bareLoad = await ingest(`http://127.0.0.1:${bare}`, '/webhook', bodies(posts, 'bare'), C);
    const bareC1 = await postLatencies(`http://127.0.0.1:${bare}`, '/webhook', bodies(samples, 'bare1'));
    o.log(`receiving: bare node:http ${Math.round(bareLoad)}/s`);

    const memory = await throughGateway(o, owned, undefined, posts, samples, C);
    memory.ingestOverBareHttp = round(memory.ingestPerSec / bareLoad, 3);
    o.log(`receiving: memory store ${Math.round(memory.ingestPerSec)} events/s, e2e p50 ${round(memory.e2eP50Ms)} ms`);

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
      const r = await throughGateway(o, owned, url, posts, samples, C);
      redis = { ...r, ingestOverBareHttp: round(r.ingestPerSec / bareLoad, 3), ingestOverXadd: round(r.ingestPerSec / xadd.perSec, 3) };
      o.log(`receiving: Redis store ${Math.round(r.ingestPerSec)} events/s, e2e p50 ${round(r.e2eP50Ms)} ms`);
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

function bodies(n: number, tag: string): Array<{ body: Buffer; sig: string; psid: string }> {
  return Array.from({ length: n }, (_, i) => {
    const psid = `${tag}-${i % 500}`;
    const body = customerWebhookBody({ pageId: PAGE, psid, text: `bench ${tag} ${i}` });
    return { body, sig: signBody(body, APP_SECRET), psid };
  });
}

/** Events/s of `items` POSTed with `concurrency` requests in flight (each must answer 200). */
async function ingest(origin: string, path: string, items: Array<{ body: Buffer; sig: string }>, concurrency: number): Promise<number> {
  const pool = new Pool(origin, { connections: concurrency });
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const it = items[next++];
        const res = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json', 'x-hub-signature-256': it.sig }, body: it.body });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`webhook POST answered ${res.statusCode}`);
      }
    }),
  );
  const sec = Number(process.hrtime.bigint() - started) / 1e9;
  await pool.close();
  return items.length / sec;
}

async function postLatencies(origin: string, path: string, items: Array<{ body: Buffer; sig: string }>): Promise<Float64Array> {
  const pool = new Pool(origin, { connections: 1 });
  const ms: number[] = [];
  for (const it of items) {
    const t0 = performance.now();
    const res = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json', 'x-hub-signature-256': it.sig }, body: it.body });
    await res.body.text();
    ms.push(performance.now() - t0);
  }
  await pool.close();
  return sortNumeric(ms);
}

/** XADD of an event-sized payload through ioredis alone: the limit of the store's part. */
async function xaddLimit(url: string, n: number, samples: number, concurrency: number): Promise<{ perSec: number; p50C1Ms: number; p99C1Ms: number }> {
  const redis = new Redis(url);
  const payload = customerWebhookBody({ pageId: PAGE, psid: 'x', text: 'bench xadd' }).toString('base64');
  try {
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < n) await redis.xadd('bench:xadd', '*', 'e', payload, 'c', `${PAGE}\u0000x`, 'p', PAGE);
      }),
    );
    const perSec = n / (Number(process.hrtime.bigint() - started) / 1e9);
    const ms: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      await redis.xadd('bench:xadd', '*', 'e', payload, 'c', `${PAGE}\u0000x`, 'p', PAGE);
      ms.push(performance.now() - t0);
    }
    await redis.del('bench:xadd');
    const sorted = sortNumeric(ms);
    return { perSec: Math.round(perSec), p50C1Ms: round(percentile(sorted, 50)), p99C1Ms: round(percentile(sorted, 99)) };
  } finally {
    redis.disconnect();
  }
}

/** A gateway (memory store, or Redis at `redisUrl`) with its webhook listener: ingest, then webhook → consumer latency. */
async function throughGateway(o: Options, owned: ChildProcess[], redisUrl: string | undefined, posts: number, samples: number, C: number): Promise<ReceivingSide> {
  const name = redisUrl ? 'recv-redis' : 'recv-memory';
  const [grpcPort, webhookPort] = [await o.freePort(), await o.freePort()];
  const config = join(o.tmp, `${name}.json`);
  writeFileSync(config, JSON.stringify({
    pages: [{ id: PAGE, accessToken: 'EAAB-bench-token' }],
    graph: { baseUrl: 'http://127.0.0.1:9' },
    log: { level: 'warn' },
    webhook: { listen: `127.0.0.1:${webhookPort}`, verifyToken: 'bench-verify-token', appSecret: APP_SECRET },
    events: { maxEvents: 1_000_000 },
    ...(redisUrl ? { store: { redis: { url: redisUrl, keyPrefix: `bench-${Date.now()}:` } } } : {}),
  }));
  // The tests' GATEWAY_WEBHOOK_LISTEN (port 0) would override the port chosen here.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && k !== 'GATEWAY_WEBHOOK_LISTEN'));
  const child = track(spawn(process.execPath, [...o.gatewayEntry, '--config', config, '--listen', `127.0.0.1:${grpcPort}`], { cwd: ROOT, env, stdio: 'ignore' }));
  owned.push(child);
  await waitForPort(grpcPort, child, 30_000);
  await waitForPort(webhookPort, child, 10_000);
  const origin = `http://127.0.0.1:${webhookPort}`;
  await ingest(origin, '/webhook', bodies(Math.min(200, posts), `${name}-warm`), C);
  const ingestPerSec = await ingest(origin, '/webhook', bodies(posts, `${name}-load`), C);
  const c1 = await postLatencies(origin, '/webhook', bodies(Math.min(samples, 200), `${name}-c1`));

  // Webhook → consumer: one POST at a time, timed until the consumer has the event.
  const client = new EventServiceClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
  const call = client.streamEvents(new Metadata());
  const waiting = new Map<string, () => void>();
  call.on('data', (r: StreamEventsResponse) => {
    call.write({ subscribe: undefined, ack: { eventIds: [r.event!.eventId] }, nack: undefined });
    waiting.get(r.event!.senderId)?.();
  });
  call.on('error', () => {});
  const live = new Promise<void>((r) => call.once('metadata', () => r()));
  call.write({ subscribe: { consumerGroup: 'bench-latency', pageIds: [], maxOutstanding: 100, start: StartPosition.START_POSITION_LATEST, startTime: undefined }, ack: undefined, nack: undefined });
  await live;
  const pool = new Pool(origin, { connections: 1 });
  const ms: number[] = [];
  for (let i = 0; i < samples + 20; i++) {
    const psid = `${name}-e2e-${i}`;
    const body = customerWebhookBody({ pageId: PAGE, psid, text: 'latency' });
    const sig = signBody(body, APP_SECRET);
    const got = new Promise<void>((r) => waiting.set(psid, r));
    const t0 = performance.now();
    const res = await pool.request({ method: 'POST', path: '/webhook', headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig }, body });
    await res.body.text();
    await got;
    waiting.delete(psid);
    if (i >= 20) ms.push(performance.now() - t0); // the first 20 warm up
  }
  await pool.close();
  call.cancel();
  client.close();
  await stop(child);
  const e2e = sortNumeric(ms);
  return { ingestPerSec: Math.round(ingestPerSec), ingestP50C1Ms: round(percentile(c1, 50)), e2eP50Ms: round(percentile(e2e, 50)), e2eP99Ms: round(percentile(e2e, 99)), ingestOverBareHttp: 0 };
}
