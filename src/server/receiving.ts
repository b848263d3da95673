import type { GatewayConfig } from '../config/gateway-config';
import type { EventStore } from '../events/event-store';
import { MemoryEventStore } from '../events/memory-event-store';
import type { Logger } from '../log/logger';
import { registerSecret } from '../redaction/secret-redaction';
import { observeEventGroups } from '../telemetry/gateway-metrics';
import { startWebhookServer, type WebhookServer } from '../webhook/webhook-server';
import { listenErrorOf } from './listen-error';

/** The receiving side of a gateway: the event store, and Meta's webhook listener when configured. */
export interface Receiving {
  store: EventStore;
  webhook?: WebhookServer;
  /** Stops taking webhooks, then closes the store (its consumers' streams end UNAVAILABLE). */
  close(): Promise<void>;
}

/** Starts the event store and the webhook listener (throws a ListenError when its address is unusable). */
export async function startReceiving(config: GatewayConfig, logger: Logger): Promise<Receiving> {
  const store: EventStore = new MemoryEventStore(config.events);
  observeEventGroups(() => store.stats());
  let webhook: WebhookServer | undefined;
  if (config.webhook) {
    registerSecret(config.webhook.appSecret);
    registerSecret(config.webhook.verifyToken);
    try {
      webhook = await startWebhookServer(config.webhook, store, logger);
    } catch (err) {
      await store.close();
      throw listenErrorOf(config.webhook.listen, err, 'webhook');
    }
  }
  return {
    store,
    webhook,
    close: async () => {
      await webhook?.close();
      await store.close();
    },
  };
}
