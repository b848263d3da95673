/**
 * The event store's append alone, the store's part of the receiving limits (lib/receiving.ts):
 * the real MemoryEventStore or RedisEventStore of a gateway build, in a process of its own,
 * appending one event per call with `--concurrency` calls in flight, the events parsed (before
 * the clock starts) from the same signed bodies the webhook legs POST.
 *
 *   tsx bench/append-alone.ts --build DIR --store memory|redis [--redis URL] [--count N] [--concurrency C]
 *
 * Prints one JSON line: {"perSec", "cpuUsPerEvent"} (CPU: user + system of this process).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { EventStore, NewEvent } from '../src/events/event-store';
import { signedBodies } from './lib/webhook-load';

type ParseModule = typeof import('../src/webhook/parse-webhook');
type MemoryModule = typeof import('../src/events/memory-event-store');
type RedisModule = typeof import('../src/events/redis-event-store');
type ConnectionModule = typeof import('../src/store/redis-connection');
type ConfigModule = typeof import('../src/config/gateway-config');

const { values: argv } = parseArgs({
  options: { build: { type: 'string' }, store: { type: 'string' }, redis: { type: 'string' }, count: { type: 'string' }, concurrency: { type: 'string' } },
});
const BUILD = argv.build ?? '';
const COUNT = Number(argv.count ?? 20_000);
const C = Number(argv.concurrency ?? 32);
// The build's own modules: what the gateway runs, not src/ under tsx.
const load = <T>(path: string): T => require(join(BUILD, path)) as T;

function events(n: number, tag: string): NewEvent[] {
  const { parseWebhook } = load<ParseModule>('src/webhook/parse-webhook.js');
  return signedBodies(n, tag).map(({ body }) => {
    const parsed = parseWebhook(body, { receivedAt: Date.now(), traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: '' });
    if (!parsed.ok) throw new Error(parsed.why);
    return parsed.events[0];
  });
}

async function appendAll(store: EventStore, batch: readonly NewEvent[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (next < batch.length) await store.append([batch[next++]]);
    }),
  );
}

async function main(): Promise<void> {
  const { DEFAULT_CONFIG } = load<ConfigModule>('src/config/gateway-config.js');
  // As the benchmark's gateways are configured.
  const options = { ...DEFAULT_CONFIG.events, maxEvents: 1_000_000 };
  let store: EventStore;
  let close: () => Promise<void>;
  if (argv.store === 'redis') {
    const { connectRedis, closeRedis } = load<ConnectionModule>('src/store/redis-connection.js');
    const { RedisEventStore } = load<RedisModule>('src/events/redis-event-store.js');
    const redis = await connectRedis(argv.redis ?? '');
    const s = await RedisEventStore.open(redis, { ...options, keyPrefix: `bench-append-${Date.now()}:ev:` });
    store = s;
    close = async () => {
      await s.close();
      await closeRedis(redis);
    };
  } else if (argv.store === 'memory') {
    const { MemoryEventStore } = load<MemoryModule>('src/events/memory-event-store.js');
    const s = new MemoryEventStore(options);
    store = s;
    close = () => s.close();
  } else throw new Error(`--store ${argv.store}: memory or redis`);
  const warm = events(Math.min(200, COUNT), 'append-warm');
  const timed = events(COUNT, 'append');
  await appendAll(store, warm);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await appendAll(store, timed);
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await close();
  process.stdout.write(`${JSON.stringify({ perSec: COUNT / sec, cpuUsPerEvent: (cpu.user + cpu.system) / COUNT })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`append-alone: FAILED: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
