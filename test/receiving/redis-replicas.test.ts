import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventServiceClient, StartPosition, type StreamEventsRequest, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { connectRedis } from '../../src/store/redis-connection';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { customerWebhookBody, newMid, postWebhook } from '../../src/sandbox/customer-webhook';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../support/redis-server';
import { waitFor } from '../support/wait-for';

// Two (and three) gateway processes sharing one redis-server that persists with AOF: the
// receiving side at scale, from Meta's POST on any replica to consumers on any replica.
const available = redisServerAvailable();
const APP_SECRET = 'replica-app-secret-0123456789';
const PAGE = '1001';
const ACK_DEADLINE_MS = 4_000;
/** The Redis key prefix of the config below; the event store's keys are under `<prefix>ev:`, in its default 16 partitions. */
const KEY_PREFIX = 'recv:';
const PARTITIONS = 16;

interface Replica {
  proc: GatewayProcess;
  webhook: string;
  events: EventServiceClient;
}

/** A webhook body of many message items (as Meta batches them), each its own mid. */
function batchBody(items: Array<{ psid: string; text: string }>, now = Date.now()): { body: Buffer; mids: string[] } {
  const mids: string[] = [];
  const messaging = items.map((it) => {
    const mid = newMid();
    mids.push(mid);
    return { sender: { id: it.psid }, recipient: { id: PAGE }, timestamp: now, message: { mid, text: it.text } };
  });
  return { body: Buffer.from(JSON.stringify({ object: 'page', entry: [{ id: PAGE, time: now, messaging }] })), mids };
}

interface Delivery {
  mid: string;
  psid: string;
  text: string;
  attempt: number;
  eventId: string;
  consumer: string;
  /** Order of arrival over every consumer of the test. */
  seq: number;
}
let arrivals = 0;

/**
 * A consumer of a group on one replica that subscribes again whenever its stream ends
 * UNAVAILABLE (as a real consumer does); acks after `ackDelayMs` unless `ack` is false.
 */
function consumer(replica: () => Replica, group: string, name: string, opts: { ack?: boolean; ackDelayMs?: () => number; maxOutstanding?: number; start?: StartPosition } = {}) {
  const got: Delivery[] = [];
  const errors: ServiceError[] = [];
  let call: ClientDuplexStream<StreamEventsRequest, StreamEventsResponse> | undefined;
  let stopped = false;
  let subscribed!: () => void;
  const live = new Promise<void>((r) => (subscribed = r));
  const subscribe = () => {
    if (stopped) return;
    const c = replica().events.streamEvents(new Metadata());
    call = c;
    c.on('metadata', () => subscribed());
    c.on('data', (r: StreamEventsResponse) => {
      const ev = r.event!;
      const m = ev.kind?.$case === 'message' ? ev.kind.value : undefined;
      got.push({ mid: m?.mid ?? '', psid: ev.senderId, text: m?.text ?? '', attempt: r.deliveryAttempt, eventId: ev.eventId, consumer: name, seq: arrivals++ });
      if (opts.ack === false) return;
      const ack = () => c.write({ subscribe: undefined, ack: { eventIds: [ev.eventId] }, nack: undefined });
      const delay = opts.ackDelayMs?.() ?? 0;
      if (delay > 0) setTimeout(ack, delay);
      else ack();
    });
    c.on('error', (e: ServiceError) => {
      if (stopped || e.code === status.CANCELLED) return;
      errors.push(e);
      setTimeout(subscribe, 300);
    });
    c.write({ subscribe: { consumerGroup: group, pageIds: [], maxOutstanding: opts.maxOutstanding ?? 100, start: opts.start ?? StartPosition.START_POSITION_EARLIEST, startTime: undefined }, ack: undefined, nack: undefined });
  };
  subscribe();
  return {
    got,
    errors,
    live,
    stop: () => {
      stopped = true;
      call?.cancel();
    },
  };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  await waitFor(cond, { what, timeoutMs: ms, intervalMs: 25 });
}

describe.skipIf(!available)('receiving with several gateway processes on one Redis (AOF)', () => {
  let redis: RedisServer;
  let aofDir: string;
  let config: string;
  const replicas: Replica[] = [];
  const stops: Array<() => void> = [];

  const spawnReplica = async (): Promise<Replica> => {
    const proc = await spawnGateway(['--config', config]);
    const ready = proc.stdout.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'gateway ready');
    const replica = { proc, webhook: String(ready?.webhook), events: new EventServiceClient(proc.target, credentials.createInsecure()) };
    replicas.push(replica);
    return replica;
  };
  const track = <T extends { stop: () => void }>(c: T): T => {
    stops.push(c.stop);
    return c;
  };

  let a: Replica;
  let b: Replica;
  beforeAll(async () => {
    aofDir = mkdtempSync(join(tmpdir(), 'gw-aof-'));
    redis = await startRedisServer({ aofDir });
    const dir = mkdtempSync(join(tmpdir(), 'gw-recv-'));
    config = join(dir, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        graph: { baseUrl: 'http://127.0.0.1:9' },
        pages: [{ id: PAGE, accessToken: 'EAAB-replica-token' }],
        store: { redis: { url: redis.url, keyPrefix: KEY_PREFIX } },
        webhook: { listen: '127.0.0.1:0', verifyToken: 'replica-verify-token', appSecret: APP_SECRET },
        events: { ackDeadlineMs: ACK_DEADLINE_MS, maxDeliveryAttempts: 10, maxEvents: 200_000 },
      }),
    );
    [a, b] = await Promise.all([spawnReplica(), spawnReplica()]);
  }, 60_000);
  /**
   * Waits until the replicas share `group`'s partitions evenly, as the store's leases in Redis
   * say: each partition leased, by `replicas` holders, none holding more than one over another.
   */
  const sharedEvenly = async (group: string, replicas: number): Promise<void> => {
    const r = await connectRedis(redis.url);
    try {
      await waitFor(
        async () => {
          const holders = await r.mget(Array.from({ length: PARTITIONS }, (_, i) => `${KEY_PREFIX}ev:{p${i}}:g:${group}:l`));
          if (holders.some((h) => h === null)) return false;
          const counts = [...holders.reduce((m, h) => m.set(h, (m.get(h) ?? 0) + 1), new Map<string | null, number>()).values()];
          return counts.length === replicas && Math.max(...counts) - Math.min(...counts) <= 1;
        },
        { what: `group ${group}'s ${PARTITIONS} partitions shared by ${replicas} replicas`, timeoutMs: 15_000, intervalMs: 50 },
      );
    } finally {
      r.disconnect();
    }
  };

  afterAll(async () => {
    for (const stop of stops) stop();
    for (const r of replicas) {
      r.events.close();
      if (r.proc.child.exitCode === null) r.proc.child.kill('SIGKILL');
    }
    await redis?.stop();
  });

  it('an event posted to replica A reaches a consumer on replica B', async () => {
    const c = track(consumer(() => b, 'cross', 'b'));
    await c.live;
    const body = customerWebhookBody({ pageId: PAGE, psid: 'cross-1', text: 'to A' });
    expect((await postWebhook(a.webhook, APP_SECRET, body)).status).toBe(200);
    await until(() => c.got.some((d) => d.psid === 'cross-1'), 10_000, 'the event on B');
    expect(c.got.find((d) => d.psid === 'cross-1')?.text).toBe('to A');
  });

  it('the same webhook posted to both replicas (Meta retrying elsewhere) gives one event', async () => {
    const c = track(consumer(() => a, 'retry', 'a'));
    await c.live;
    const body = customerWebhookBody({ pageId: PAGE, psid: 'retry-1', text: 'once' });
    const answers = await Promise.all([postWebhook(a.webhook, APP_SECRET, body), postWebhook(b.webhook, APP_SECRET, body), postWebhook(b.webhook, APP_SECRET, body)]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    await until(() => c.got.some((d) => d.psid === 'retry-1'), 10_000, 'the event');
    // A mark last in the conversation: a second copy, stored before it, would have come first.
    expect((await postWebhook(b.webhook, APP_SECRET, customerWebhookBody({ pageId: PAGE, psid: 'retry-1', text: 'mark' }))).status).toBe(200);
    await until(() => c.got.some((d) => d.psid === 'retry-1' && d.text === 'mark'), 10_000, 'the mark');
    expect(c.got.filter((d) => d.psid === 'retry-1' && d.text !== 'mark')).toHaveLength(1);
  });

  it('per-conversation order with consumers on both replicas', async () => {
    const group = 'order';
    const cs = [track(consumer(() => a, group, 'a', { ackDelayMs: () => Math.random() * 10 })), track(consumer(() => b, group, 'b', { ackDelayMs: () => Math.random() * 10 }))];
    await Promise.all(cs.map((c) => c.live));
    await sharedEvenly(group, 2);
    const conversations = 12;
    const perConversation = 15;
    const expected = new Map<string, string[]>();
    for (let round = 0; round < perConversation; round++) {
      const items = Array.from({ length: conversations }, (_, k) => ({ psid: `order-${k}`, text: `${round}` }));
      const { body, mids } = batchBody(items);
      items.forEach((it, i) => expected.set(it.psid, [...(expected.get(it.psid) ?? []), mids[i]]));
      expect((await postWebhook((round % 2 ? a : b).webhook, APP_SECRET, body)).status).toBe(200);
    }
    const all = () => [...cs[0].got, ...cs[1].got].filter((d) => d.psid.startsWith('order-'));
    await until(() => new Set(all().map((d) => d.mid)).size === conversations * perConversation, 20_000, 'every event');
    // Deliveries of one conversation may come through either replica, but in order: merged by arrival.
    const arrival = all().filter((d) => d.attempt === 1).sort((x, y) => x.seq - y.seq);
    for (const [psid, mids] of expected) expect(arrival.filter((d) => d.psid === psid).map((d) => d.mid), psid).toEqual(mids);
    expect(cs[0].got.length).toBeGreaterThan(0);
    expect(cs[1].got.length).toBeGreaterThan(0);
  }, 40_000);

  it('10,000 events through two replicas and three consumers: every one delivered, duplicates only as counted redeliveries', async () => {
    const group = 'bulk';
    const cs = [track(consumer(() => a, group, 'a1')), track(consumer(() => a, group, 'a2')), track(consumer(() => b, group, 'b1'))];
    await Promise.all(cs.map((c) => c.live));
    await sharedEvenly(group, 2);
    const posted = new Set<string>();
    const bodies: Buffer[] = [];
    for (let i = 0; i < 100; i++) {
      const { body, mids } = batchBody(Array.from({ length: 100 }, (_, k) => ({ psid: `bulk-${(i * 7 + k) % 250}`, text: `${i}:${k}` })));
      mids.forEach((m) => posted.add(m));
      bodies.push(body);
    }
    const started = Date.now();
    for (let i = 0; i < bodies.length; i += 4) {
      const answers = await Promise.all(bodies.slice(i, i + 4).map((body, j) => postWebhook((j % 2 ? a : b).webhook, APP_SECRET, body)));
      expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    }
    const all = () => cs.flatMap((c) => c.got).filter((d) => d.psid.startsWith('bulk-'));
    await until(() => new Set(all().map((d) => d.mid)).size >= posted.size, 45_000, 'all 10,000 events');
    const elapsed = Date.now() - started;
    const deliveries = all();
    const firsts = new Map<string, number>();
    for (const d of deliveries) if (d.attempt === 1) firsts.set(d.mid, (firsts.get(d.mid) ?? 0) + 1);
    expect(new Set(deliveries.map((d) => d.mid))).toEqual(posted);
    // Every event given once as attempt 1; any other delivery of it says it is a redelivery.
    expect([...firsts.values()].every((n) => n === 1)).toBe(true);
    const redeliveries = deliveries.length - firsts.size;
    expect(deliveries.filter((d) => d.attempt > 1)).toHaveLength(redeliveries);
    expect(cs.every((c) => c.got.length > 0)).toBe(true);
    console.log(`10,000 events through 2 replicas and 3 consumers in ${elapsed} ms (${redeliveries} counted redeliveries)`);
  }, 90_000);

  it('a replica SIGKILLed while holding unacked events: another replica redelivers them within the ack deadline', async () => {
    const c3 = await spawnReplica();
    const group = 'kill';
    const holder = track(consumer(() => c3, group, 'c', { ack: false, start: StartPosition.START_POSITION_LATEST }));
    await holder.live;
    const { body, mids } = batchBody(Array.from({ length: 5 }, (_, k) => ({ psid: `kill-${k}`, text: 'unacked' })));
    expect((await postWebhook(a.webhook, APP_SECRET, body)).status).toBe(200);
    await until(() => holder.got.length === 5, 10_000, 'the events on the doomed replica');
    holder.stop();
    c3.proc.child.kill('SIGKILL');
    await c3.proc.exited;
    const killedAt = Date.now();
    const survivor = track(consumer(() => b, group, 'b'));
    await until(() => new Set(survivor.got.map((d) => d.mid)).size === 5, 15_000, 'the redeliveries on B');
    expect(Date.now() - killedAt).toBeLessThan(ACK_DEADLINE_MS + 1_000);
    expect(new Set(survivor.got.map((d) => d.mid))).toEqual(new Set(mids));
    expect(survivor.got.every((d) => d.attempt === 2)).toBe(true);
  }, 40_000);

  it('Redis killed and restarted with AOF mid-stream: webhooks get 503 while it is down, nothing acknowledged is lost', async () => {
    const group = 'restart';
    const cs = [track(consumer(() => a, group, 'a')), track(consumer(() => b, group, 'b'))];
    await Promise.all(cs.map((c) => c.live));
    const first = batchBody(Array.from({ length: 50 }, (_, k) => ({ psid: `restart-${k % 10}`, text: `before ${k}` })));
    expect((await postWebhook(a.webhook, APP_SECRET, first.body)).status).toBe(200);
    const stored = new Set(first.mids);
    // Mid-stream: Redis dies without a chance to save anything beyond its fsynced AOF.
    await redis.kill();
    const down = batchBody([{ psid: 'restart-down', text: 'while down' }]);
    const whileDown = await postWebhook(b.webhook, APP_SECRET, down.body);
    expect(whileDown.status).toBe(503);
    await until(() => cs.some((c) => c.errors.length > 0), 10_000, 'a consumer told the store is unavailable');
    const err = cs.flatMap((c) => c.errors)[0];
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(decodeStatusDetails(err.metadata).errorInfo?.reason).toBe('EVENT_STORE_UNAVAILABLE');

    redis = await startRedisServer({ port: redis.port, aofDir });
    // Meta retries the refused POST until it is stored.
    const refusals: number[] = [];
    await waitFor(
      async () => {
        const r = await postWebhook(b.webhook, APP_SECRET, down.body);
        if (r.status !== 200) refusals.push(r.status);
        return r.status === 200;
      },
      { what: 'the refused POST stored once Redis is back', timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(refusals.filter((st) => st !== 503)).toEqual([]);
    expect(refusals.length).toBeLessThan(60);
    down.mids.forEach((m) => stored.add(m));
    const second = batchBody(Array.from({ length: 50 }, (_, k) => ({ psid: `restart-${k % 10}`, text: `after ${k}` })));
    expect((await postWebhook(a.webhook, APP_SECRET, second.body)).status).toBe(200);
    second.mids.forEach((m) => stored.add(m));
    const all = () => cs.flatMap((c) => c.got).filter((d) => d.psid.startsWith('restart-'));
    await until(() => new Set(all().map((d) => d.mid)).size >= stored.size, 30_000, 'every stored event');
    expect(new Set(all().map((d) => d.mid))).toEqual(stored);
    const firsts = all().filter((d) => d.attempt === 1).map((d) => d.mid);
    expect(new Set(firsts).size).toBe(firsts.length);
  }, 60_000);
});
