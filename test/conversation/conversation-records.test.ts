import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { OTHER, SELF, type RecordUpdate } from '../../src/conversations/conversation-record';
import type { ConversationRecords } from '../../src/conversations/conversation-records';
import { MemoryConversationRecords } from '../../src/conversations/memory-conversation-records';
import { RedisConversationRecords } from '../../src/conversations/redis-conversation-records';
import { redisServerAvailable, useRedisServer } from '../support/redis-server';

// The folding rules, the same in both stores (the Redis script mirrors applyUpdate).
const HOUR = 3_600_000;

async function rules(records: ConversationRecords): Promise<void> {
  const now = Date.now();
  const u = (x: Partial<RecordUpdate>): RecordUpdate => ({ pageId: '1001', person: '42', ...x });
  await records.apply([u({ inboundMs: now - 2 * HOUR, owner: SELF, ownerMs: now - 2 * HOUR })], now);
  // An older action (a late or replayed item) moves nothing; a newer one does.
  await records.apply([u({ inboundMs: now - 5 * HOUR })], now);
  expect((await records.get('1001', '42', now))!.lastInboundMs).toBe(now - 2 * HOUR);
  // Another app takes it; an older standby fact does not undo that, a newer "other" keeps its id.
  await records.apply([u({ owner: '777', ownerMs: now - HOUR })], now);
  await records.apply([u({ owner: SELF, ownerMs: now - 90 * 60_000 })], now);
  expect((await records.get('1001', '42', now))!.owner).toBe('777');
  await records.apply([u({ owner: OTHER, ownerMs: now - 30 * 60_000 })], now);
  expect((await records.get('1001', '42', now))!.owner).toBe('777');
  // GetThreadOwner's answer waits for the Page's own app id; once a pass to this app named it, that id is SELF.
  await records.apply([u({ owner: '555', ownerMs: now, ownerIfSelfKnown: true })], now);
  expect((await records.get('1001', '42', now))!.owner).toBe('777');
  await records.apply([u({ person: '43', owner: SELF, ownerMs: now, selfAppId: '555' })], now);
  await records.apply([u({ owner: '555', ownerMs: now, ownerIfSelfKnown: true })], now);
  expect((await records.get('1001', '42', now))!.owner).toBe(SELF);
  // Windows closing within the hour: one conversation 23.5 h into its window.
  await records.apply([u({ person: '44', inboundMs: now - 23.5 * HOUR })], now);
  expect((await records.closingWithin(HOUR, now)).get('1001')).toBe(1);
  expect(await records.receivingSince('1001')).toBe(0);
  await records.markReceiving(['1001'], now);
  await records.markReceiving(['1001'], now + 5);
  expect(await records.receivingSince('1001')).toBe(now);
}

describe('conversation records', () => {
  it('memory: times only move forward, owners by when they were learned', async () => {
    await rules(new MemoryConversationRecords(100));
  });

  describe.skipIf(!redisServerAvailable())('Redis', () => {
    const redisServer = useRedisServer();
    it('the same rules', async () => {
      await rules(new RedisConversationRecords(await redisServer.connection(), 'rules:', 100));
    });
  });
});
