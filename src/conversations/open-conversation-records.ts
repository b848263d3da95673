import type { GatewayConfig } from '../config/gateway-config';
import type { Logger } from '../log/logger';
import { closeRedis, connectRedis, redisTopology } from '../store/redis-connection';
import type { ConversationRecords } from './conversation-records';
import { MemoryConversationRecords } from './memory-conversation-records';
import { RedisConversationRecords } from './redis-conversation-records';

/**
 * The conversation records: in Redis under `<keyPrefix>{cv}:` with `store.redis` (shared by every
 * replica, on their own connection), else in memory. `selfAppId`: this app's id when known
 * from the start (the sandbox's).
 */
export async function openConversationRecords(config: GatewayConfig, selfAppId: string, logger: Logger): Promise<ConversationRecords> {
  const max = config.conversations.maxRecords;
  const redisConfig = config.store.redis;
  if (!redisConfig) return new MemoryConversationRecords(max, selfAppId);
  const redis = await connectRedis(redisTopology(redisConfig), { onError: (err) => logger.debug({ err: err.message }, 'conversation records: Redis connection error') });
  const records = new RedisConversationRecords(redis, redisConfig.keyPrefix, max, selfAppId);
  return {
    apply: (u, now) => records.apply(u, now),
    get: (p, person) => records.get(p, person),
    receivingSince: (p) => records.receivingSince(p),
    markReceiving: (p, now) => records.markReceiving(p, now),
    closingWithin: (w, now) => records.closingWithin(w, now),
    size: () => records.size(),
    close: () => closeRedis(redis),
  };
}
