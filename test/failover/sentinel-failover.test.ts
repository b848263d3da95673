import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventServiceClient } from '../../gen/messenger/v1/events';
import { MessengerServiceClient } from '../../gen/messenger/v1/service';
import { customerWebhookBody, postWebhook } from '../../src/sandbox/customer-webhook';
import { startCountingGraph, okBody, type CountingGraph } from '../support/counting-graph';
import { killGateway, spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { redisServerAvailable } from '../support/redis-server';
import { redisSentinelAvailable, startSentinelSet, type SentinelSet } from '../support/redis-sentinel';
import { waitFor } from '../support/wait-for';
import { APP_SECRET, eventsSurviveFailover, idempotentSendsSurviveFailover, PAGE, sendOnce, streamAll, type FailoverTopology } from './failover-drivers';

// 1 primary, 1 replica and 3 sentinels (real processes, AOF on both nodes) behind one gateway
// process configured with store.redis.sentinel and store.redis.minReplicas 1.
const available = redisServerAvailable() && redisSentinelAvailable();

describe.skipIf(!available)('failover through Sentinel with store.redis.minReplicas 1', () => {
  let set: SentinelSet;
  let graph: CountingGraph;
  let gw: GatewayProcess;
  let webhook: string;

  beforeAll(async () => {
    set = await startSentinelSet();
    // Each send takes a moment at Graph, so that sends are in flight when the primary goes.
    graph = await startCountingGraph((i) => ({ ...okBody(i), delayMs: 100 }));
    const dir = mkdtempSync(join(tmpdir(), 'gw-sentinel-cfg-'));
    const config = join(dir, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        graph: { baseUrl: graph.url, timeoutMs: 5_000 },
        pages: [{ id: PAGE, accessToken: 'EAAB-sentinel-token' }],
        // The passwords come from the environment, as a deployment's Secret gives them.
        store: { redis: { sentinel: { name: set.config.name, nodes: set.config.nodes, password: '${REDIS_PW}', sentinelPassword: '${SENTINEL_PW}' }, keyPrefix: 'fo:', minReplicas: 1 } },
        webhook: { listen: '127.0.0.1:0', verifyToken: 'sentinel-verify-token', appSecret: APP_SECRET },
        events: { ackDeadlineMs: 4_000, maxEvents: 200_000 },
        // A claim left behind by a primary that died under it lapses within the test.
        delivery: { idempotency: { claimTtlMs: 3_000 } },
      }),
    );
    gw = await spawnGateway(['--config', config], { REDIS_PW: set.config.password, SENTINEL_PW: set.config.sentinelPassword });
    const ready = gw.stdout.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'gateway ready');
    webhook = String(ready?.webhook);
  }, 90_000);

  afterAll(async () => {
    await killGateway(gw);
    await graph?.close();
    await set?.stop();
  });

  it('a wrong sentinelPassword stops the gateway at start, naming the key and never the password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-sentinel-auth-'));
    const config = join(dir, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        pages: [{ id: PAGE, accessToken: 'EAAB-sentinel-token' }],
        store: { redis: { sentinel: { name: set.config.name, nodes: set.config.nodes, password: '${REDIS_PW}', sentinelPassword: '${SENTINEL_PW}' } } },
      }),
    );
    const failed = await spawnGateway(['--config', config], { REDIS_PW: set.config.password, SENTINEL_PW: 'not-the-sentinels-password-42' }).then(
      async (p) => {
        await killGateway(p);
        return undefined;
      },
      (err: unknown) => String(err),
    );
    expect(failed).toContain('store.redis.sentinel');
    expect(failed).toContain('sentinelPassword');
    expect(failed).not.toContain('did not answer');
    expect(failed).not.toContain('not-the-sentinels-password-42');
  }, 60_000);

  it('minReplicas above the replicas connected: the gateway says so at start (every write would be refused)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-sentinel-few-'));
    const config = join(dir, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        pages: [{ id: PAGE, accessToken: 'EAAB-sentinel-token' }],
        store: { redis: { sentinel: { name: set.config.name, nodes: set.config.nodes, password: '${REDIS_PW}', sentinelPassword: '${SENTINEL_PW}' }, keyPrefix: 'few:', minReplicas: 2 } },
      }),
    );
    const few = await spawnGateway(['--config', config], { REDIS_PW: set.config.password, SENTINEL_PW: set.config.sentinelPassword });
    try {
      const warning = few.stdout.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.key === 'store.redis.minReplicas');
      expect(warning).toMatchObject({ minReplicas: 2, replicas: 1 });
    } finally {
      await killGateway(few);
    }
  }, 60_000);

  it('a webhook the replica has not confirmed is answered 503, and Meta\'s retry 200 once the replica has it', async () => {
    const primary = await set.primary();
    const replica = set.nodes.find((n) => n !== primary)!;
    const body = customerWebhookBody({ pageId: PAGE, psid: 'frozen-replica', text: 'confirmed or refused' });
    replica.server!.signal('SIGSTOP');
    let refused: number;
    try {
      refused = (await postWebhook(webhook, APP_SECRET, body)).status;
    } finally {
      replica.server!.signal('SIGCONT');
    }
    expect(refused).toBe(503);
    // The retry finds the events stored (duplicates): it is answered 200 only once the replica confirms them.
    expect((await postWebhook(webhook, APP_SECRET, body)).status).toBe(200);
    const events = new EventServiceClient(gw.target, credentials.createInsecure());
    try {
      const got = await streamAll(events, 'frozen', (all) => all.some((d) => d.psid === 'frozen-replica'));
      expect(got.filter((d) => d.psid === 'frozen-replica')).toHaveLength(1);
    } finally {
      events.close();
    }
  }, 60_000);

  it('a send whose claim the replica has not confirmed fails UNAVAILABLE with nothing sent; its retry is sent once', async () => {
    const primary = await set.primary();
    const replica = set.nodes.find((n) => n !== primary)!;
    const client = new MessengerServiceClient(gw.target, credentials.createInsecure());
    const sentBefore = graph.requests.length;
    try {
      replica.server!.signal('SIGSTOP');
      let first: Awaited<ReturnType<typeof sendOnce>>;
      try {
        first = await sendOnce(client, 'frozen-claim');
      } finally {
        replica.server!.signal('SIGCONT');
      }
      expect(first.err?.code).toBe(status.UNAVAILABLE);
      expect(decodeStatusDetails(first.err!.metadata).errorInfo?.reason).toBe('STORE_UNAVAILABLE');
      expect(graph.requests.length).toBe(sentBefore);
      // The claim was let go: the retry is claimed and sent at once, not after claimTtlMs.
      const again = await sendOnce(client, 'frozen-claim');
      expect(again.err).toBeUndefined();
      expect(graph.requests.length).toBe(sentBefore + 1);
    } finally {
      client.close();
    }
  }, 60_000);

  // One node left after the kill: WAIT cannot be met until the old primary is back as a replica.
  const failOver = async (): Promise<void> => {
    const { old, now } = await set.killPrimaryAndFailOver();
    await set.restartAsReplica(old, now);
  };
  const topology = (): FailoverTopology => ({ target: gw.target, webhook, graph, failOver, refusalsExpected: true });

  it('the primary SIGKILLed mid-stream and the replica promoted: every event answered 200 reaches a stream after the failover', () => eventsSurviveFailover(topology()), 180_000);

  it('idempotent sends across a failover: every key ends OK and was sent once at the fake Graph', () => idempotentSendsSurviveFailover(topology(), 'fo-key'), 180_000);

  it('nothing the gateway wrote, through every failover above, holds a password', () => {
    const written = [...gw.stdout, ...gw.stderr].join('\n');
    expect(written.length).toBeGreaterThan(0);
    expect(written).not.toContain(set.config.password);
    expect(written).not.toContain(set.config.sentinelPassword);
  });
});
