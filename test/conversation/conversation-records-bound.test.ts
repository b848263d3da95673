import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/gateway-config';
import type { RecordUpdate } from '../../src/conversations/conversation-record';
import { MemoryConversationRecords } from '../../src/conversations/memory-conversation-records';
import { RedisConversationRecords } from '../../src/conversations/redis-conversation-records';
import { redisServerAvailable, startRedisServer, type RedisServer } from '../support/redis-server';

// The records' bound under 1,000,000 distinct conversations, each told one window-opening
// message, in batches as webhooks bring them. The figures (memory, key count) are printed for
// the record; the assertions hold only the bound.
const DISTINCT = 1_000_000;
const BATCH = 1_000;
const MAX = DEFAULT_CONFIG.conversations.maxRecords;

function batch(start: number, now: number): RecordUpdate[] {
  const out: RecordUpdate[] = [];
  for (let i = start; i < start + BATCH; i++) out.push({ pageId: String(1000 + (i % 10)), person: String(10_000_000 + i), inboundMs: now - 1000, owner: 'self', ownerMs: now - 1000 });
  return out;
}

describe('the conversation records stay bounded', () => {
  it(`memory: ${DISTINCT.toLocaleString('en')} conversations keep at most conversations.maxRecords (${MAX.toLocaleString('en')})`, async () => {
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const records = new MemoryConversationRecords(MAX);
    const now = Date.now();
    for (let i = 0; i < DISTINCT; i += BATCH) records.apply(batch(i, now), now);
    expect(await records.size()).toBe(MAX);
    // The newest are kept, the oldest dropped.
    expect(records.get('1009', String(10_000_000 + DISTINCT - 1), now)).toBeDefined();
    expect(records.get('1000', String(10_000_000), now)).toBeUndefined();
    global.gc?.();
    const mib = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    console.log(`conversation records (memory): ${MAX} records after ${DISTINCT} conversations, heap +${mib.toFixed(1)} MiB (${((mib * 1024 * 1024) / MAX).toFixed(0)} bytes per record)`);
    await records.close();
  }, 120_000);

  describe.skipIf(!redisServerAvailable())('Redis', () => {
    let server: RedisServer;
    let redis: Redis;
    beforeAll(async () => {
      server = await startRedisServer();
      redis = new Redis(server.url);
    });
    afterAll(async () => {
      redis?.disconnect();
      await server?.stop();
    });

    it(`${DISTINCT.toLocaleString('en')} conversations keep at most conversations.maxRecords keys (and the index, the window ends, one hash per Page)`, async () => {
      const records = new RedisConversationRecords(redis, 'bound:', MAX);
      const now = Date.now();
      for (let i = 0; i < DISTINCT; i += BATCH) await records.apply(batch(i, now), now);
      expect(await records.size()).toBe(MAX);
      const keys = await redis.dbsize();
      const info = await redis.info('memory');
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / 1024 / 1024;
      console.log(`conversation records (Redis): ${keys} keys after ${DISTINCT} conversations (max ${MAX}), used_memory ${used.toFixed(1)} MiB`);
      // MAX record hashes, {cv}:idx, {cv}:end, and the 10 Pages' hashes (none here: no Page was marked).
      expect(keys).toBeLessThanOrEqual(MAX + 2 + 10);
      expect(await records.get('1009', String(10_000_000 + DISTINCT - 1))).toBeDefined();
      expect(await records.get('1000', String(10_000_000))).toBeUndefined();
    }, 600_000);
  });
});
