import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MessengerServiceClient, SendMessageRequest, type SendMessageResponse } from '../../gen/messenger/v1/service';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { startCountingGraph, okBody, type CountingGraph } from '../support/counting-graph';
import { textTo } from '../support/gateway-harness';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { redisServerAvailable, startPersistentRedisServer, type PersistentRedisServer } from '../support/redis-server';

const available = redisServerAvailable();

function send(client: MessengerServiceClient, key: string, text: string): Promise<{ res?: SendMessageResponse; err?: ServiceError }> {
  return new Promise((resolve) =>
    client.sendMessage(SendMessageRequest.fromPartial({ ...textTo('42', text), idempotencyKey: key }), new Metadata(), { deadline: Date.now() + 5_000 }, (err: ServiceError | null, res?: SendMessageResponse) =>
      resolve(err ? { err } : { res }),
    ),
  );
}

describe.skipIf(!available)('exactly once across a Redis failure (persistent Redis, two replicas)', () => {
  let redis: PersistentRedisServer | undefined;
  let graph: CountingGraph | undefined;
  const procs: GatewayProcess[] = [];
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await graph?.close();
    await redis?.stop();
  });

  // Restarted 2 s in (ioredis's reconnect may still carry the outcome writes over) and 4 s in
  // (longer than the 2 s command timeout: every outcome write fails and must wait in the outbox).
  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    await graph?.close();
    await redis?.stop();
  });

  it.each([2_000, 4_000])('Redis SIGKILLed 0.5 s in, restarted at %i ms: Graph is called exactly once per key, and every key ends OK', async (restartAt) => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-aof-'));
    redis = await startPersistentRedisServer(dir);
    graph = await startCountingGraph((i) => ({ ...okBody(i), delayMs: 1_500 }));
    const config = join(dir, 'gateway.json');
    writeFileSync(config, JSON.stringify({
      graph: { baseUrl: graph.url },
      pages: [{ id: '1001', accessToken: 'EAAB-aof-token' }],
      store: { redis: { url: redis.url } },
      // Short enough that, before the outbox, every claim lapsed into a second send within the test.
      delivery: { idempotency: { claimTtlMs: 5_000 } },
    }));
    const [a, b] = await Promise.all([spawnGateway(['--config', config]), spawnGateway(['--config', config])]);
    procs.push(a, b);
    const clients = [a, b].map((g) => new MessengerServiceClient(g.target, credentials.createInsecure()));
    const t0 = Date.now();
    const keys = Array.from({ length: 20 }, (_, i) => `aof-${i}`);
    const seen: Record<string, Set<string>> = {};
    setTimeout(() => void redis!.kill(), 500);
    setTimeout(() => void redis!.restart(), restartAt);
    const results = await Promise.all(keys.map(async (key, i) => {
      const codes = (seen[key] = new Set());
      // Each key is retried every second, alternating replicas, until OK or 30 s pass.
      for (let attempt = 0; Date.now() - t0 < 30_000; attempt++) {
        const started = Date.now();
        const { res, err } = await send(clients[(i + attempt) % 2]!, key, `msg ${key}`);
        if (res) return res;
        codes.add(`${status[err!.code]}/${decodeStatusDetails(err!.metadata).errorInfo?.reason ?? '-'}`);
        await new Promise((r) => setTimeout(r, Math.max(0, 1_000 - (Date.now() - started))));
      }
      return undefined;
    }));
    for (const c of clients) c.close();
    const perKey = new Map<string, number>();
    for (const r of graph.requests) {
      const text = ((r.body.message as { text?: string } | undefined)?.text) ?? '';
      perKey.set(text, (perKey.get(text) ?? 0) + 1);
    }
    expect(results.every((r) => r !== undefined), `not OK within 30 s: ${JSON.stringify(Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, [...v]])))}`).toBe(true);
    expect(Object.fromEntries(keys.map((k) => [k, perKey.get(`msg ${k}`) ?? 0]))).toEqual(Object.fromEntries(keys.map((k) => [k, 1])));
    // The typed answers seen on the way are the documented ones: no bare DEADLINE_EXCEEDED or INTERNAL.
    const all = new Set(Object.values(seen).flatMap((s) => [...s]));
    for (const c of all) expect(['UNAVAILABLE/STORE_UNAVAILABLE', 'ABORTED/IDEMPOTENT_SEND_IN_FLIGHT']).toContain(c);
  }, 60_000);
});
