/**
 * Two gateway processes on a Redis Cluster (3 masters, 3 replicas, started here): 10,000 events
 * over 500 conversations posted to both, three consumers of one group on both, every event
 * delivered once, each conversation in order.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventServiceClient, StartPosition, type StreamEventsRequest, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { newMid, postWebhook } from '../../src/sandbox/customer-webhook';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { redisClusterAvailable, startRedisCluster, type RedisClusterHandle } from '../support/redis-cluster';
import { waitFor } from '../support/wait-for';

const APP_SECRET = 'cluster-app-secret-0123456789';
const PAGE = '2002';

interface Replica {
  proc: GatewayProcess;
  webhook: string;
  events: EventServiceClient;
}

interface Delivery {
  mid: string;
  psid: string;
  attempt: number;
  seq: number;
}
let arrivals = 0;

function batchBody(items: Array<{ psid: string; text: string }>, now = Date.now()): { body: Buffer; mids: string[] } {
  const mids: string[] = [];
  const messaging = items.map((it) => {
    const mid = newMid();
    mids.push(mid);
    return { sender: { id: it.psid }, recipient: { id: PAGE }, timestamp: now, message: { mid, text: it.text } };
  });
  return { body: Buffer.from(JSON.stringify({ object: 'page', entry: [{ id: PAGE, time: now, messaging }] })), mids };
}

/** A consumer that acks at once and subscribes again when its stream ends UNAVAILABLE. */
function consumer(replica: Replica, group: string) {
  const got: Delivery[] = [];
  let call: ClientDuplexStream<StreamEventsRequest, StreamEventsResponse> | undefined;
  let stopped = false;
  let subscribed!: () => void;
  const live = new Promise<void>((r) => (subscribed = r));
  const subscribe = () => {
    if (stopped) return;
    const c = replica.events.streamEvents(new Metadata());
    call = c;
    c.on('metadata', () => subscribed());
    c.on('data', (r: StreamEventsResponse) => {
      const ev = r.event!;
      const m = ev.kind?.$case === 'message' ? ev.kind.value : undefined;
      got.push({ mid: m?.mid ?? '', psid: ev.senderId, attempt: r.deliveryAttempt, seq: arrivals++ });
      c.write({ subscribe: undefined, ack: { eventIds: [ev.eventId] }, nack: undefined });
    });
    c.on('error', (e: ServiceError) => {
      if (stopped || e.code === status.CANCELLED) return;
      subscribe();
    });
    c.write({ subscribe: { consumerGroup: group, pageIds: [], maxOutstanding: 100, start: StartPosition.START_POSITION_EARLIEST, startTime: undefined }, ack: undefined, nack: undefined });
  };
  subscribe();
  return { got, live, stop: () => ((stopped = true), call?.cancel()) };
}

describe.skipIf(!redisClusterAvailable())('receiving with two gateway processes on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  const replicas: Replica[] = [];
  const stops: Array<() => void> = [];

  beforeAll(async () => {
    cluster = await startRedisCluster();
    const config = join(mkdtempSync(join(tmpdir(), 'gw-cluster-')), 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        graph: { baseUrl: 'http://127.0.0.1:9' },
        pages: [{ id: PAGE, accessToken: 'EAAB-cluster-token' }],
        store: { redis: { cluster: { nodes: cluster.urls.slice(0, 2) }, keyPrefix: 'clrecv:' } },
        webhook: { listen: '127.0.0.1:0', verifyToken: 'cluster-verify-token', appSecret: APP_SECRET },
        events: { ackDeadlineMs: 10_000, maxDeliveryAttempts: 10, maxEvents: 200_000 },
      }),
    );
    for (let i = 0; i < 2; i++) {
      const proc = await spawnGateway(['--config', config]);
      const ready = proc.stdout.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'gateway ready');
      replicas.push({ proc, webhook: String(ready?.webhook), events: new EventServiceClient(proc.target, credentials.createInsecure()) });
    }
  }, 90_000);

  afterAll(async () => {
    for (const stop of stops) stop();
    for (const r of replicas) {
      r.events.close();
      if (r.proc.child.exitCode === null) r.proc.child.kill('SIGKILL');
    }
    await cluster?.stop();
  });

  it('10,000 events over 500 conversations, 3 consumers on 2 replicas: each delivered once, every conversation in order', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const cs = [consumer(a, 'bulk'), consumer(a, 'bulk'), consumer(b, 'bulk')];
    cs.forEach((c) => stops.push(c.stop));
    await Promise.all(cs.map((c) => c.live));
    const expected = new Map<string, string[]>();
    const bodies: Buffer[] = [];
    for (let i = 0; i < 100; i++) {
      const items = Array.from({ length: 100 }, (_, k) => ({ psid: `c-${(i * 100 + k) % 500}`, text: `${i}:${k}` }));
      const { body, mids } = batchBody(items);
      items.forEach((it, k) => expected.set(it.psid, [...(expected.get(it.psid) ?? []), mids[k]!]));
      bodies.push(body);
    }
    // Four POSTs at a time, alternating replicas; each conversation's POSTs one after the other.
    for (let i = 0; i < bodies.length; i += 4) {
      const answers = await Promise.all(bodies.slice(i, i + 4).map((body, j) => postWebhook((j % 2 ? a : b).webhook, APP_SECRET, body)));
      expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    }
    const all = () => cs.flatMap((c) => c.got);
    await waitFor(() => new Set(all().map((d) => d.mid)).size >= 10_000, { what: 'all 10,000 events', timeoutMs: 90_000, intervalMs: 100 });
    const deliveries = all();
    expect(deliveries.filter((d) => d.attempt > 1)).toEqual([]);
    expect(deliveries).toHaveLength(10_000);
    expect(cs.every((c) => c.got.length > 0)).toBe(true);
    const arrival = [...deliveries].sort((x, y) => x.seq - y.seq);
    const byConversation = new Map<string, string[]>();
    for (const d of arrival) byConversation.set(d.psid, [...(byConversation.get(d.psid) ?? []), d.mid]);
    expect(byConversation.size).toBe(500);
    for (const [psid, mids] of expected) expect(byConversation.get(psid), psid).toEqual(mids);
  }, 180_000);
});
