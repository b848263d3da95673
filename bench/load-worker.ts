/**
 * One load-generating process, driven by bench/run.ts:
 *   --mode http   undici Pool straight to the fake Graph (the work the gateway does for the HTTP leg)
 *   --mode http-bare  the bare HTTP leg: undici Pool.request POSTing the same Graph JSON, pre-serialised
 *                 once, reading the answer as text (no JSON.stringify/parse per send)
 *   --mode grpc   a grpc-js client to a MessengerService (noop server or gateway)
 *   --mode sdk    messaging-api-messenger's MessengerClient pointed at the fake Graph
 * --keyed (grpc): every send carries a new idempotency key (the idempotent path: claim, send, record).
 * It warms up, prints {"ready":true}, waits for "go" on stdin, sends --count requests from
 * --concurrency async loops, and prints one JSON line: counts, epoch start/end (ms) and,
 * unless --no-latencies, every latency in microseconds. Bounded: --count sends, --timeout-ms.
 */
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { Pool } from 'undici';
import { MessengerServiceClient, type SendMessageResponse } from '../gen/messenger/v1/service';
import { graphBody, GRAPH_VERSION, PAGE_ID, RECIPIENT, sendRequest, TEXT, TOKEN } from './lib/requests';

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    target: { type: 'string' },
    count: { type: 'string' },
    concurrency: { type: 'string' },
    warmup: { type: 'string' },
    'timeout-ms': { type: 'string' },
    'no-latencies': { type: 'boolean' },
    keyed: { type: 'boolean' },
  },
});
const mode = values.mode!;
const target = values.target!; // host:port
const count = Number(values.count);
const concurrency = Math.min(Number(values.concurrency ?? 1), count);
const warmup = Number(values.warmup ?? 200);
const timeoutMs = Number(values['timeout-ms'] ?? 120_000);

type Send = () => Promise<void>;

function httpSender(): { send: Send; close(): Promise<void> } {
  // Same Pool settings as src/graph/graph-client.ts.
  const pool = new Pool(`http://${target}`, { connections: 128, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
  const path = `/${GRAPH_VERSION}/${PAGE_ID}/messages`;
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const body = graphBody();
  return {
    async send() {
      const res = await pool.request({ method: 'POST', path, headers, body: JSON.stringify(body) });
      const json = JSON.parse(await res.body.text()) as { message_id?: string };
      if (res.statusCode !== 200 || !json.message_id) throw new Error(`HTTP ${res.statusCode}`);
    },
    close: () => pool.close(),
  };
}

/** The bare HTTP leg: the transport alone, the body built once, the answer read but not parsed. */
function httpBareSender(): { send: Send; close(): Promise<void> } {
  const pool = new Pool(`http://${target}`, { connections: 128, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
  const path = `/${GRAPH_VERSION}/${PAGE_ID}/messages`;
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const body = JSON.stringify(graphBody());
  return {
    async send() {
      const res = await pool.request({ method: 'POST', path, headers, body });
      const text = await res.body.text();
      if (res.statusCode !== 200 || text.length === 0) throw new Error(`HTTP ${res.statusCode}`);
    },
    close: () => pool.close(),
  };
}

function grpcSender(): { send: Send; close(): Promise<void> } {
  const client = new MessengerServiceClient(target, credentials.createInsecure());
  const req = sendRequest();
  let n = 0;
  const keyed = Boolean(values.keyed);
  return {
    send: () =>
      new Promise<void>((resolve, reject) =>
        client.sendMessage(keyed ? { ...req, idempotencyKey: `bench-${process.pid}-${Date.now()}-${n++}` } : req, new Metadata(), { deadline: Date.now() + 10_000 }, (err: ServiceError | null, res?: SendMessageResponse) =>
          err ? reject(err) : res?.messageId ? resolve() : reject(new Error('no message id')),
        ),
      ),
    close: async () => client.close(),
  };
}

function sdkSender(): { send: Send; close(): Promise<void> } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MessengerClient } = require('messaging-api-messenger') as typeof import('messaging-api-messenger');
  const client = new MessengerClient({ accessToken: TOKEN, version: GRAPH_VERSION.slice(1), origin: `http://${target}` });
  return {
    async send() {
      const res = (await client.sendText(RECIPIENT, TEXT, { messagingType: 'RESPONSE' })) as { messageId?: string };
      if (!res.messageId) throw new Error('no message id');
    },
    close: async () => {},
  };
}

async function run(send: Send, n: number, c: number, latencies?: Float64Array): Promise<{ ok: number; errors: number; firstError?: string }> {
  let next = 0;
  let ok = 0;
  let errors = 0;
  let firstError: string | undefined;
  const deadline = Date.now() + timeoutMs;
  async function loop(): Promise<void> {
    while (next < n && Date.now() < deadline) {
      const i = next++;
      const t0 = performance.now();
      try {
        await send();
        ok++;
      } catch (err) {
        errors++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
      if (latencies) latencies[i] = (performance.now() - t0) * 1000;
    }
  }
  await Promise.all(Array.from({ length: Math.min(c, n) }, loop));
  return { ok, errors, firstError };
}

async function main(): Promise<void> {
  const sender = mode === 'http' ? httpSender() : mode === 'http-bare' ? httpBareSender() : mode === 'grpc' ? grpcSender() : mode === 'sdk' ? sdkSender() : undefined;
  if (!sender) throw new Error(`unknown --mode ${mode}`);
  if (warmup > 0) {
    const w = await run(sender.send, warmup, concurrency);
    if (w.errors > 0) throw new Error(`warm-up failed: ${w.firstError}`);
  }
  process.stdout.write('{"ready":true}\n');
  const rl = createInterface({ input: process.stdin });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no "go" within 60 s')), 60_000);
    rl.once('line', () => {
      clearTimeout(t);
      resolve();
    });
  });
  rl.close();
  const latencies = values['no-latencies'] ? undefined : new Float64Array(count);
  const cpuBefore = process.cpuUsage();
  const start = performance.timeOrigin + performance.now();
  const r = await run(sender.send, count, concurrency, latencies);
  const end = performance.timeOrigin + performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  await sender.close();
  const lat = latencies ? Array.from(latencies.subarray(0, r.ok + r.errors), (x) => Math.round(x)) : undefined;
  process.stdout.write(`${JSON.stringify({ result: true, mode, ok: r.ok, errors: r.errors, firstError: r.firstError, start, end, cpuUs: cpu.user + cpu.system, latenciesUs: lat })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`load-worker: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
