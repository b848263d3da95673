import type { GatewayConfig } from '../config/gateway-config';
import type { EventStore, NewEvent } from '../events/event-store';
import { MemoryEventStore } from '../events/memory-event-store';
import { RedisEventStore } from '../events/redis-event-store';
import { Cluster } from 'ioredis';
import { closeRedis, connectRedis, redisTopology, type RedisConnection } from '../store/redis-connection';
import { ReplicaWait } from '../store/replica-wait';
import type { Logger } from '../log/logger';
import { registerSecret } from '../redaction/secret-redaction';
import { observeEventGroups, recordDroppedEvents } from '../telemetry/gateway-metrics';
import { startWebhookServer, type WebhookServer } from '../webhook/webhook-server';
import type { StoredEventsRecorder } from '../conversations/stored-events';
import { DroppedEventsLog } from './dropped-events-log';
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
  const drops = new DroppedEventsLog((group, count) =>
    logger.warn({ group, dropped: count, idle_ms: config.events.groupIdleMs }, 'an idle consumer group gave up its oldest events to make room in the event store'),
  );
  const hooks = {
    onDropped: (group: string, count: number) => {
      recordDroppedEvents(group, count);
      drops.add(group, count);
    },
  };
  if (!redisConfig) {
    const store = new MemoryEventStore(config.events, hooks);
    return {
      store,
      close: async () => {
        await store.close();
        drops.close();
      },
    };
  }
  const redis = await connectRedis(redisTopology(redisConfig), { onError: (err) => logger.debug({ err: err.message }, 'event store: Redis connection error') });
  const minReplicas = redisConfig.minReplicas ?? 0;
  const replicaWait = minReplicas > 0 ? ReplicaWait.over(redis, minReplicas) : undefined;
  if (minReplicas > 0) await warnOfTooFewReplicas(redis, minReplicas, logger);
  try {
    const store = await RedisEventStore.open(redis, { ...config.events, keyPrefix: `${redisConfig.keyPrefix}ev:`, replicaWait }, hooks);
    return {
      store,
      close: async () => {
        await store.close();
        drops.close();
        await replicaWait?.close();
        await closeRedis(redis);
      },
    };
  } catch (err) {
    void replicaWait?.close();
    redis.disconnect();
    drops.close();
    throw err;
  }
}

/**
 * A primary with fewer replicas than `minReplicas` refuses every webhook (503) and every
 * idempotent send: said once at start, since nothing else would until the first refusal. (A
 * Cluster's masters each have their own replicas: not checked here.)
 */
async function warnOfTooFewReplicas(redis: RedisConnection, minReplicas: number, logger: Logger): Promise<void> {
  if (redis instanceof Cluster) return;
  const info = await redis.info('replication').catch(() => '');
  const replicas = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? NaN);
  if (Number.isNaN(replicas) || replicas >= minReplicas) return;
  logger.warn(
    { key: 'store.redis.minReplicas', minReplicas, replicas },
    `store.redis.minReplicas is ${minReplicas} but the Redis primary has ${replicas} replica(s) connected: every webhook is answered 503 and every idempotent send UNAVAILABLE until enough replicas are (docs/replicas.md)`,
  );
}

/** Told of the events of each webhook once the store holds them (sandbox mode: the inbox, the sandbox's known message ids). */
export type StoredEventsObserver = (events: readonly NewEvent[]) => void;

/**
 * Starts the event store and the webhook listener (throws a ListenError when its address is
 * unusable). With `onStored`, the listener's appends are observed: only then is each append
 * wrapped, so a gateway with real pages pays nothing for it.
 */
export async function startReceiving(config: GatewayConfig, logger: Logger, onStored?: StoredEventsObserver, recorder?: StoredEventsRecorder): Promise<Receiving> {
  const opened = await openEventStore(config, logger);
  const store = opened.store;
  observeEventGroups(() => store.stats());
  let webhook: WebhookServer | undefined;
  if (config.webhook) {
    registerSecret(config.webhook.appSecret);
    registerSecret(config.webhook.verifyToken);
    try {
      const appends = onStored || recorder ? observedAppends(store, logger, onStored, recorder) : store;
      webhook = await startWebhookServer(config.webhook, appends, logger);
    } catch (err) {
      await opened.close();
      throw listenErrorOf(config.webhook.listen, err, 'webhook');
    }
  }
  if (!config.webhook) {
    // Real pages and no `webhook` block: nothing from Meta can arrive, which is easy to miss.
    logger.warn({ key: 'webhook.listen' }, 'no webhook listener: messages from Meta are not received (StreamEvents gets nothing). Set webhook.listen, webhook.verifyToken and webhook.appSecret in the config (docs/going-live.md)');
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

/**
 * The store's appends, each told to the conversation records and to `onStored` once stored
 * (only then: a batch the store refused teaches nothing); a fault of either is logged, never the
 * webhook's answer.
 */
function observedAppends(store: EventStore, logger: Logger, onStored?: StoredEventsObserver, recorder?: StoredEventsRecorder): Pick<EventStore, 'append'> {
  const fault = (what: string) => (err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, `webhook: ${what} failed`);
  return {
    append: async (events) => {
      const now = Date.now();
      const facts = recorder ? await recorder.prepare(events, now).catch((err: unknown) => (fault('reading the conversation records')(err), undefined)) : undefined;
      const result = await store.append(events);
      if (recorder && facts) await recorder.stored(events, facts, now).catch(fault('recording the conversations'));
      try {
        onStored?.(events);
      } catch (err) {
        fault('the observer of stored events')(err);
      }
      return result;
    },
  };
}
