import type { GatewayConfig } from '../config/gateway-config';
import type { EventStore } from '../events/event-store';
import { MemoryEventStore } from '../events/memory-event-store';
import { RedisEventStore } from '../events/redis-event-store';
import { closeRedis, connectRedis } from '../store/redis-connection';
import type { Logger } from '../log/logger';
import { registerSecret } from '../redaction/secret-redaction';
import { observeEventGroups, recordDroppedEvents } from '../telemetry/gateway-metrics';
import { startWebhookServer, type WebhookServer } from '../webhook/webhook-server';
import { listenErrorOf } from './listen-error';

/** The receiving side of a gateway: the event store, and Meta's webhook listener when configured. */
export interface Receiving {
  store: EventStore;
  webhook?: WebhookServer;
  /** Stops taking webhooks, then closes the store (its consumers' streams end UNAVAILABLE). */
  close(): Promise<void>;
}

/**
 * The event store: Redis Streams when `store.redis` is set (shared by every replica, under
 * `<keyPrefix>ev:`, on its own connection; rejects when Redis is unreachable), else memory.
 */
async function openEventStore(config: GatewayConfig, logger: Logger): Promise<{ store: EventStore; close(): Promise<void> }> {
  const redisConfig = config.store.redis;
  const hooks = {
    onDropped: (group: string, count: number) => {
      recordDroppedEvents(group, count);
      logger.warn({ group, dropped: count, idle_ms: config.events.groupIdleMs }, 'an idle consumer group gave up its oldest events to make room in the event store');
    },
  };
  if (!redisConfig) {
    const store = new MemoryEventStore(config.events, hooks);
    return { store, close: () => store.close() };
  }
  const redis = await connectRedis(redisConfig.url, { onError: (err) => logger.debug({ err: err.message }, 'event store: Redis connection error') });
  try {
    const store = await RedisEventStore.open(redis, { ...config.events, keyPrefix: `${redisConfig.keyPrefix}ev:` }, hooks);
    return {
      store,
      close: async () => {
        await store.close();
        await closeRedis(redis);
      },
    };
  } catch (err) {
    redis.disconnect();
    throw err;
  }
}

/** Starts the event store and the webhook listener (throws a ListenError when its address is unusable). */
export async function startReceiving(config: GatewayConfig, logger: Logger): Promise<Receiving> {
  const opened = await openEventStore(config, logger);
  const store = opened.store;
  observeEventGroups(() => store.stats());
  let webhook: WebhookServer | undefined;
  if (config.webhook) {
    registerSecret(config.webhook.appSecret);
    registerSecret(config.webhook.verifyToken);
    try {
      webhook = await startWebhookServer(config.webhook, store, logger);
    } catch (err) {
      await opened.close();
      throw listenErrorOf(config.webhook.listen, err, 'webhook');
    }
  }
  return {
    store,
    webhook,
    close: async () => {
      await webhook?.close();
      await opened.close();
    },
  };
}
