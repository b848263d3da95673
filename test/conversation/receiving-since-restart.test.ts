import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Event } from '../../gen/messenger/v1/events';
import type { NewEvent } from '../../src/events/event-store';
import { RedisConversationRecords } from '../../src/conversations/redis-conversation-records';
import { StoredEventsRecorder } from '../../src/conversations/stored-events';
import { redisServerAvailable, useRedisServer } from '../support/redis-server';

// `receiving_since` says since when the records hold a Page's webhooks. A Redis that lost its
// data (restarted without persistence) lost that too: the gateway, still receiving, must say so
// again, not leave the Page "never received from" until the gateway itself restarts.
function readOf(pageId: string, psid: string, ms: number): NewEvent {
  const event = Event.fromPartial({ eventId: `ev_${ms}`, pageId, senderId: psid, recipientId: pageId, time: new Date(ms), kind: { $case: 'read', value: { watermark: new Date(ms) } } });
  return { event, dedupKey: `hash:${ms}`, conversation: `${pageId}\u0000${psid}` };
}

describe.skipIf(!redisServerAvailable())('receiving_since across a Redis that lost its data', () => {
  const redisServer = useRedisServer();

  it('is marked again once the Page keeps being received from', async () => {
    const redis = await redisServer.connection();
    const records = new RedisConversationRecords(redis, 'since:', 100);
    const recorder = new StoredEventsRecorder(records);
    const t0 = Date.now();
    const first = [readOf('1001', '42', t0)];
    await recorder.stored(first, await recorder.prepare(first, t0), t0);
    expect(await records.receivingSince('1001')).toBe(t0);

    await redis.flushall();
    const t1 = t0 + 5 * 60_000;
    const later = [readOf('1001', '42', t1)];
    await recorder.stored(later, await recorder.prepare(later, t1), t1);
    expect(await records.receivingSince('1001')).toBe(t1);
  });
});
