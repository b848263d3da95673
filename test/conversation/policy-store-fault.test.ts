import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ConversationGuard } from '../../src/conversations/conversation-guard';
import { SELF } from '../../src/conversations/conversation-record';
import { RedisConversationRecords } from '../../src/conversations/redis-conversation-records';
import { createLogger, flushLogger } from '../../src/log/logger';
import { closeRedis, connectRedis } from '../../src/store/redis-connection';
import { StoreUnavailableError } from '../../src/store/store-unavailable-error';
import { redisServerAvailable, startRedisServer } from '../support/redis-server';

// A Redis that cannot answer the record's read makes the conversation unknown, and the send goes
// out (docs/conversations.md, "Cost"). Under `enforce` that may be a send the policy would have
// refused: it must not go out silently, the log says so.
describe.skipIf(!redisServerAvailable())('the policy when the records cannot be read', () => {
  it('the send goes out unchecked, and a warning says so', async () => {
    const server = await startRedisServer();
    const redis = await connectRedis(server.url, { commandTimeoutMs: 500, connectTimeoutMs: 500 });
    const sink = new PassThrough();
    let out = '';
    sink.on('data', (b: Buffer) => (out += b.toString()));
    const logger = createLogger('info', sink);
    try {
      const records = new RedisConversationRecords(redis, 'fault:', 100);
      const now = Date.now();
      await records.apply([{ pageId: '1001', person: '42', inboundMs: now - 25 * 3_600_000, owner: SELF, ownerMs: now - 25 * 3_600_000 }], now);
      const guard = new ConversationGuard(records, () => 'enforce', () => 'messenger', logger);
      expect(await guard.check('1001', { person: '42', kind: 'message' }, undefined)).toHaveProperty('refused');

      await server.kill();
      expect(await guard.check('1001', { person: '42', kind: 'message' }, undefined)).toBeUndefined();
      await flushLogger(logger);
      const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; page_id?: string });
      expect(lines.some((l) => l.level === 40 && l.page_id === '1001' && l.msg.includes('unchecked'))).toBe(true);
    } finally {
      await closeRedis(redis);
      await server.stop();
    }
  });

  // GetConversation reads the record and the Page's receiving_since at once: either failing must
  // be the typed store failure (UNAVAILABLE STORE_UNAVAILABLE), never a raw client error (INTERNAL).
  it('every read of the records fails as the store being unavailable', async () => {
    const server = await startRedisServer();
    const redis = await connectRedis(server.url, { commandTimeoutMs: 500, connectTimeoutMs: 500 });
    try {
      const records = new RedisConversationRecords(redis, 'fault2:', 100);
      await records.markReceiving(['1001'], Date.now());
      await server.kill();
      await expect(records.get('1001', '42')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(records.receivingSince('1001')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(records.markReceiving(['1002'], Date.now())).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await closeRedis(redis);
      await server.stop();
    }
  });
});
