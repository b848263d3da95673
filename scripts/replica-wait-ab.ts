/**
 * What store.redis.minReplicas costs, measured A/B in one run: the same primary and replica
 * (redis-server on loopback, started here), the same store code, rounds alternating without
 * WAIT (A) and with WAIT 1 (B). Per operation: a webhook body of one event appended to the event
 * store, and an idempotent send's two writes (claim, then outcome). Prints throughput and
 * latency percentiles per concurrency.
 *
 *   npx tsx scripts/replica-wait-ab.ts [--ops 2000] [--rounds 3]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Event } from '../gen/messenger/v1/events';
import { DEFAULT_CONFIG } from '../src/config/gateway-config';
import { RedisIdempotencyStore } from '../src/delivery/redis-idempotency-store';
import { RedisEventStore } from '../src/events/redis-event-store';
import { closeRedis, connectRedis } from '../src/store/redis-connection';
import { ReplicaWait } from '../src/store/replica-wait';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const OPS = arg('ops', 2_000);
const ROUNDS = arg('rounds', 3);
const CONCURRENCY = [1, 16];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function redisServer(args: string[]): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ab-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...args], { stdio: 'ignore' });
  for (;;) {
    try {
      const r = await connectRedis(`redis://127.0.0.1:${port}`);
      await closeRedis(r);
      return { port, child };
    } catch {
      // not listening yet
    }
  }
}

/** Runs `op` OPS times, `concurrency` at a time; latencies in µs. */
async function drive(concurrency: number, op: (i: number) => Promise<unknown>): Promise<{ perSecond: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < OPS; i = next++) {
        const s = performance.now();
        await op(i);
        latencies.push((performance.now() - s) * 1_000);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1_000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);
  return { perSecond: Math.round(OPS / seconds), p50: at(0.5), p99: at(0.99) };
}

async function main(): Promise<void> {
  const primary = await redisServer([]);
  const replica = await redisServer(['--replicaof', '127.0.0.1', String(primary.port)]);
  const base = await connectRedis(`redis://127.0.0.1:${primary.port}`);
  for (;;) {
    const info = await base.info('replication');
    if (/slave0:.*state=online/.test(info)) break;
  }
  const wait = ReplicaWait.over(base, 1);
  const events = { ...DEFAULT_CONFIG.events, maxEvents: 10_000_000 };
  const stores = {
    A: await RedisEventStore.open(base, { ...events, keyPrefix: 'ab:a:ev:' }),
    B: await RedisEventStore.open(base, { ...events, keyPrefix: 'ab:b:ev:', replicaWait: wait }),
  };
  const idem = {
    A: new RedisIdempotencyStore(base, { ...DEFAULT_CONFIG.delivery.idempotency, keyPrefix: 'ab:a:idem:' }),
    B: new RedisIdempotencyStore(base, { ...DEFAULT_CONFIG.delivery.idempotency, keyPrefix: 'ab:b:idem:', replicaWait: wait }),
  };
  const outcome = { kind: 'response' as const, bytes: Buffer.from('a response of some bytes').toString('base64') };
  const rows: string[] = [];
  let seq = 0;
  for (const concurrency of CONCURRENCY) {
    for (const what of ['webhook append (1 event)', 'idempotent send (claim + outcome)'] as const) {
      const results: Record<'A' | 'B', Array<{ perSecond: number; p50: number; p99: number }>> = { A: [], B: [] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const side of ['A', 'B'] as const) {
          const run = seq++;
          const op =
            what === 'webhook append (1 event)'
              ? (i: number) => {
                  const mid = `m_${run}_${i}`;
                  const event = Event.fromPartial({ eventId: mid, pageId: '1001', senderId: `p${i % 500}`, kind: { $case: 'message', value: { mid, text: 'hello' } } });
                  return stores[side].append([{ event, dedupKey: `message:${mid}`, conversation: `1001\u0000p${i % 500}` }]);
                }
              : async (i: number) => {
                  const key = `k_${run}_${i}`;
                  await idem[side].claim(key, 'fp');
                  await idem[side].complete(key, 'fp', outcome);
                };
          results[side].push(await drive(concurrency, op));
        }
      }
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const summary = (side: 'A' | 'B') => {
        const r = results[side];
        return { perSecond: median(r.map((x) => x.perSecond)), p50: median(r.map((x) => x.p50)), p99: median(r.map((x) => x.p99)) };
      };
      const a = summary('A');
      const b = summary('B');
      rows.push(`| ${what} | ${concurrency} | ${a.perSecond} | ${b.perSecond} | ${a.p50} / ${a.p99} | ${b.p50} / ${b.p99} | +${b.p50 - a.p50} |`);
    }
  }
  console.log(`${OPS} operations per round, ${ROUNDS} rounds per side (medians), primary and replica on loopback\n`);
  console.log('| operation | concurrency | A ops/s (minReplicas 0) | B ops/s (minReplicas 1) | A p50 / p99 µs | B p50 / p99 µs | WAIT cost at p50 µs |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  await Promise.all([stores.A.close(), stores.B.close(), idem.A.close(), idem.B.close()]);
  await wait.close();
  await closeRedis(base);
  primary.child.kill('SIGKILL');
  replica.child.kill('SIGKILL');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
