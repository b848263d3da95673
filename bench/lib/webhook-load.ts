/**
 * Load on a webhook listener, shared by the receiving benchmark (lib/receiving.ts) and its A/B
 * (ab-receiving.ts): signed bodies of one event each, POSTed at a concurrency; a receiving
 * gateway started from a build; a StreamEvents consumer that acks what it is given.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { Pool } from 'undici';
import { EventServiceClient, StartPosition, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { customerWebhookBody } from '../../src/sandbox/customer-webhook';
import { signBody } from '../../src/webhook/verify-signature';
import { closeSync, openLog, track, waitForPort } from './processes';
import { sortNumeric } from './stats';

export const APP_SECRET = 'bench-app-secret-0123456789';
export const PAGE = '1001';
/** Conversations the bodies of one tag spread over (a delivery has that many heads to hand out at once). */
export const CONVERSATIONS = 500;

export interface SignedBody { body: Buffer; sig: string; psid: string }

/** `n` webhook bodies of one message each, as Meta sends them, signed; the same shape in every leg. */
export function signedBodies(n: number, tag: string): SignedBody[] {
  return Array.from({ length: n }, (_, i) => {
    const psid = `${tag}-${i % CONVERSATIONS}`;
    const body = customerWebhookBody({ pageId: PAGE, psid, text: `bench ${tag} ${i}` });
    return { body, sig: signBody(body, APP_SECRET), psid };
  });
}

const headersOf = (it: SignedBody) => ({ 'content-type': 'application/json', 'x-hub-signature-256': it.sig });

/** Events/s of `items` POSTed with `concurrency` requests in flight (each must answer 200). */
export async function postAll(origin: string, items: readonly SignedBody[], concurrency: number): Promise<number> {
  const pool = new Pool(origin, { connections: concurrency });
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const it = items[next++];
        const res = await pool.request({ method: 'POST', path: '/webhook', headers: headersOf(it), body: it.body });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`webhook POST answered ${res.statusCode}`);
      }
    }),
  );
  const sec = Number(process.hrtime.bigint() - started) / 1e9;
  await pool.close();
  return items.length / sec;
}

/** Times of `items` POSTed one at a time (ms, sorted). */
export async function postLatencies(origin: string, items: readonly SignedBody[]): Promise<Float64Array> {
  const pool = new Pool(origin, { connections: 1 });
  const ms: number[] = [];
  for (const it of items) {
    const t0 = performance.now();
    const res = await pool.request({ method: 'POST', path: '/webhook', headers: headersOf(it), body: it.body });
    await res.body.text();
    ms.push(performance.now() - t0);
  }
  await pool.close();
  return sortNumeric(ms);
}

/**
 * A StreamEvents consumer of a new group (starting at the latest event) that acks what it is
 * given, batched per turn of the event loop as a client keeping up would; `onEvent` sees each.
 */
export async function ackingConsumer(grpcPort: number, group: string, onEvent: (r: StreamEventsResponse) => void): Promise<{ close(): void }> {
  const client = new EventServiceClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
  const call = client.streamEvents(new Metadata());
  let acks: string[] = [];
  let flush: NodeJS.Immediate | undefined;
  call.on('data', (r: StreamEventsResponse) => {
    acks.push(r.event!.eventId);
    flush ??= setImmediate(() => {
      flush = undefined;
      call.write({ subscribe: undefined, ack: { eventIds: acks }, nack: undefined });
      acks = [];
    });
    onEvent(r);
  });
  call.on('error', () => {});
  const live = new Promise<void>((r) => call.once('metadata', () => r()));
  call.write({ subscribe: { consumerGroup: group, pageIds: [], maxOutstanding: 1000, start: StartPosition.START_POSITION_LATEST, startTime: undefined }, ack: undefined, nack: undefined });
  await live;
  return {
    close: () => {
      if (flush) clearImmediate(flush);
      call.cancel();
      client.close();
    },
  };
}

/**
 * Webhook → consumer throughput: `items` POSTed at `concurrency` while a consumer of a new group
 * takes and acks them; events/s from the first POST until the consumer has acked every one.
 */
export async function deliverAll(origin: string, grpcPort: number, group: string, items: readonly SignedBody[], concurrency: number): Promise<number> {
  const seen = new Set<string>();
  let allIn!: () => void;
  const done = new Promise<void>((r) => (allIn = r));
  const consumer = await ackingConsumer(grpcPort, group, (r) => {
    seen.add(r.event!.eventId);
    if (seen.size === items.length) setImmediate(allIn); // after the consumer's batched ack of the last event
  });
  try {
    const started = process.hrtime.bigint();
    await postAll(origin, items, concurrency);
    await done;
    return items.length / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    consumer.close();
  }
}

export interface GatewayOptions {
  /** Node arguments that start the gateway (flags, preload, main.js). */
  entry: string[];
  cwd: string;
  tmp: string;
  name: string;
  redisUrl?: string;
  freePort: () => Promise<number>;
  /** Written to this file (stdout and stderr); else ignored. */
  logFile?: string;
}

/** A gateway whose webhook listener takes signed bodies of `signedBodies`; log level warn. */
export async function startReceivingGateway(o: GatewayOptions): Promise<{ child: ChildProcess; grpcPort: number; origin: string }> {
  const [grpcPort, webhookPort] = [await o.freePort(), await o.freePort()];
  const config = join(o.tmp, `${o.name}.json`);
  writeFileSync(config, JSON.stringify({
    pages: [{ id: PAGE, accessToken: 'EAAB-bench-token' }],
    graph: { baseUrl: 'http://127.0.0.1:9' },
    log: { level: 'warn' },
    webhook: { listen: `127.0.0.1:${webhookPort}`, verifyToken: 'bench-verify-token', appSecret: APP_SECRET },
    events: { maxEvents: 1_000_000 },
    ...(o.redisUrl ? { store: { redis: { url: o.redisUrl, keyPrefix: `bench-${o.name}-${Date.now()}:` } } } : {}),
  }));
  // The tests' GATEWAY_WEBHOOK_LISTEN (port 0) would override the port chosen here.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && k !== 'GATEWAY_WEBHOOK_LISTEN'));
  const out = o.logFile ? openLog(o.logFile) : undefined;
  const child = track(spawn(process.execPath, [...o.entry, '--config', config, '--listen', `127.0.0.1:${grpcPort}`], { cwd: o.cwd, env, stdio: out === undefined ? 'ignore' : ['ignore', out, out] }));
  if (out !== undefined) closeSync(out);
  await waitForPort(grpcPort, child, 30_000);
  await waitForPort(webhookPort, child, 10_000);
  return { child, grpcPort, origin: `http://127.0.0.1:${webhookPort}` };
}
