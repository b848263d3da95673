/**
 * The Redis event store's dedup keys are bounded by count, not only by time (their TTL): a
 * flood of distinct signed events within the dedup window must not leave one key per event,
 * on one Redis and on a Cluster (keys under each partition's `{p<i>}` tag), while a recent
 * retry is still refused.
 */
import { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { dedupKeyBound } from '../../src/events/dedup-bound';
import { RedisEventStore } from '../../src/events/redis-event-store';
import { closeRedis, connectRedis, type RedisConnection } from '../../src/store/redis-connection';
import { redisClusterAvailable, useRedisCluster } from '../support/redis-cluster';
import { redisServerAvailable, useRedisServer } from '../support/redis-server';
import { newEvent, uniqueName } from './event-fixtures';
import { OPTIONS } from './event-store-suite';

const PARTITIONS = 4;
const MAX_EVENTS = 100;
/** Far more distinct events than the bound (which is at least 1024 keys over all partitions). */
const FLOOD = 6_000;
const BATCH = 50;

/** The dedup keys under a prefix, on every master. */
async function countDedupKeys(redis: RedisConnection, prefix: string): Promise<number> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  let n = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}{p*}:d:*`, 'COUNT', 1000);
      cursor = next;
      n += keys.length;
    } while (cursor !== '0');
  }
  return n;
}

async function floodAndCheck(redis: RedisConnection): Promise<void> {
  const prefix = `${uniqueName('dedup-bound')}:`;
  const store = await RedisEventStore.open(redis, { ...OPTIONS, maxEvents: MAX_EVENTS, partitions: PARTITIONS, keyPrefix: prefix });
  try {
    const page = uniqueName('p');
    let last = newEvent(page, 'u0');
    for (let b = 0; b < FLOOD / BATCH; b++) {
      // Many conversations, so that every partition is flooded.
      const batch = Array.from({ length: BATCH }, (_, i) => newEvent(page, `u${(b * BATCH + i) % 97}`));
      const r = await store.append(batch);
      expect(r.stored).toBe(BATCH);
      last = batch[BATCH - 1]!;
    }
    const bound = dedupKeyBound(MAX_EVENTS);
    const keys = await countDedupKeys(redis, prefix);
    // Each partition holds at most its share of the bound (rounded up).
    expect(keys).toBeLessThanOrEqual(Math.ceil(bound / PARTITIONS) * PARTITIONS);
    expect(keys).toBeGreaterThan(0);
    // A recent retry is still refused.
    expect(await store.append([{ ...last }])).toEqual({ stored: 0, duplicates: 1 });
  } finally {
    await store.close();
  }
}

describe.skipIf(!redisServerAvailable())('dedup keys bounded by count: one Redis', () => {
  const server = useRedisServer();
  it(`${FLOOD} distinct events leave at most the bound of dedup keys; a recent retry is refused`, async () => {
    await floodAndCheck(await server.connection());
  }, 60_000);
});

describe.skipIf(!redisClusterAvailable())('dedup keys bounded by count: a Redis Cluster', () => {
  const c = useRedisCluster({ appendOnly: false });
  let redis: RedisConnection | undefined;
  afterAll(async () => {
    if (redis) await closeRedis(redis);
  });
  it(`${FLOOD} distinct events leave at most the bound of dedup keys; a recent retry is refused`, async () => {
    redis = await connectRedis({ kind: 'cluster', nodes: c.cluster().urls });
    await floodAndCheck(redis);
  }, 90_000);
});
