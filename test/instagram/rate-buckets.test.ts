// The buckets Meta documents per Page and per Instagram account, in both limiters (memory, and
// Redis on a real redis-server): 300/s default, 10/s audio and video, 750 private replies an hour,
// 2/s for the Conversations API; each its own bucket. No waiting: a token that is not there now
// is reported with when it will be (maxWaitMs 0), so nothing here depends on timing.

import { describe, expect, it } from 'vitest';
import { MediaType, MessagingType } from '../../gen/messenger/v1/enums';
import type { PageRateLimiter, RateClass, RateLimitOptions } from '../../src/delivery/delivery-types';
import { MemoryRateLimiter } from '../../src/delivery/memory-rate-limiter';
import { RedisRateLimiter } from '../../src/delivery/redis-rate-limiter';
import { DEFAULT_CONFIG } from '../../src/config/gateway-config';
import { messageRateClass } from '../../src/service/send-message';
import { redisServerAvailable, useRedisServer } from '../support/redis-server';

const OPTIONS: RateLimitOptions = { ...DEFAULT_CONFIG.delivery.rateLimit, maxWaitMs: 0 };
let n = 0;
const fresh = () => `17841400${process.pid}${Date.now() % 100000}${n++}`;

async function burst(limiter: PageRateLimiter, account: string, cls: RateClass, count: number): Promise<number> {
  const results = await Promise.all(Array.from({ length: count }, () => limiter.acquire(account, cls, undefined)));
  return results.filter((r) => r.ok).length;
}

function bucketsSuite(make: () => Promise<PageRateLimiter>, frozen: boolean): void {
  it('750 private replies at once, then the next in 3600/750 s', async () => {
    const limiter = await make();
    const account = fresh();
    expect(await burst(limiter, account, 'private_reply', 750)).toBe(750);
    const next = await limiter.acquire(account, 'private_reply', undefined);
    expect(next.ok).toBe(false);
    if (!next.ok) {
      expect(next.reason).toBe('WAIT_EXCEEDED');
      expect(next.retryAfterMs).toBeGreaterThan(4_000);
      expect(next.retryAfterMs).toBeLessThanOrEqual(4_800);
    }
    // Its own bucket: the account's other sends are untouched.
    expect((await limiter.acquire(account, 'default', undefined)).ok).toBe(true);
    await limiter.close();
  });

  it('2 Conversations API calls a second', async () => {
    const limiter = await make();
    const account = fresh();
    expect(await burst(limiter, account, 'conversations', 3)).toBe(2);
    await limiter.close();
  });

  // Only with a frozen clock: at 300/s a token comes back every 3.3 ms, while the burst is asked.
  it.runIf(frozen)('300 text sends and 10 audio or video sends a second, apart', async () => {
    const limiter = await make();
    const account = fresh();
    expect(await burst(limiter, account, 'default', 301)).toBe(300);
    expect(await burst(limiter, account, 'media', 11)).toBe(10);
    await limiter.close();
  });
}

describe('rate buckets per account, memory', () => {
  const at = Date.now();
  bucketsSuite(async () => new MemoryRateLimiter(OPTIONS, () => at), true);
});

describe.skipIf(!redisServerAvailable())('rate buckets per account, Redis', () => {
  const redis = useRedisServer();
  bucketsSuite(async () => new RedisRateLimiter(await redis.connection(), OPTIONS), false);
});

describe('which bucket a send draws from', () => {
  const base = { pageId: '1', messagingType: MessagingType.MESSAGING_TYPE_RESPONSE, notificationType: 0, tag: 0, personaId: '', replyTo: '', idempotencyKey: '' };
  it('a private reply (comment or post), audio and video, the rest', () => {
    expect(messageRateClass({ ...base, recipient: { identifier: { $case: 'commentId', value: '1' } }, message: { content: { $case: 'text', value: 'x' }, quickReplies: [], metadata: '' } })).toBe('private_reply');
    expect(messageRateClass({ ...base, recipient: { identifier: { $case: 'id', value: '1' } }, message: { content: { $case: 'attachment', value: { kind: { $case: 'media', value: { type: MediaType.MEDIA_TYPE_VIDEO, source: { $case: 'url', value: 'https://x/a.mp4' }, isReusable: false } } } }, quickReplies: [], metadata: '' } })).toBe('media');
    expect(messageRateClass({ ...base, recipient: { identifier: { $case: 'id', value: '1' } }, message: { content: { $case: 'attachment', value: { kind: { $case: 'sticker', value: { kind: 1 } } } }, quickReplies: [], metadata: '' } })).toBe('default');
  });
});
