import { Server, status } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { ConversationServiceService } from '../../gen/messenger/v1/conversation';
import { EventServiceService } from '../../gen/messenger/v1/events';
import { MessengerServiceService } from '../../gen/messenger/v1/service';
import { PageServiceService } from '../../gen/messenger/v1/page';
import { pageServiceHandlers } from '../service/page-service';
import { PersonaOwnership } from '../service/persona-ownership';
import { PROFILE_BUDGET } from '../service/profile-budget-guard';
import type { PageServiceDeps } from '../service/page-service-deps';
import { applyProfilesAtStart } from './profile-at-start';
import { eventServiceHandlers } from '../service/stream-events';
import { encodeStreamEventsResponse } from '../service/stream-events-codec';
import type { NewEvent } from '../events/event-store';
import type { HistoricalMessage } from '../inbox/conversation-store';
import { MemoryBackfillProgress, RedisBackfillProgress } from '../conversations/backfill-progress';
import { BackfillRunner } from '../service/backfill-runner';
import { backfillConversationHandler, backfillPageHandler, backfillStatusHandler } from '../service/backfill-handlers';
import { CONVERSATIONS_BUDGET } from '../service/history-budget';
import { getMessageHandler, listConversationsHandler, listMessagesHandler, type HistoryDeps } from '../service/history-handlers';
import { startReceiving, type Receiving, type StoredEventsObserver } from './receiving';
import { customerMessagesOf } from './customer-messages';
import type { GatewayConfig, PageConfig } from '../config/gateway-config';
import { GraphClient } from '../graph/graph-client';
import { configuredPages, sandboxPages, type PageDirectory } from '../graph/page-directory';
import { DEMO_INSTAGRAM_ACCOUNTS, DEMO_PAGES } from '../sandbox/demo-pages';
import { InstagramTokenRefresher, type RefreshedAccount } from '../service/instagram-token-refresh';
import { fileTokenStore, memoryTokenStore } from '../delivery/token-store';
import { listenErrorOf } from './listen-error';
import type { Logger } from '../log/logger';
import { startSandbox, type Sandbox } from '../sandbox/sandbox-server';
import { sendMessageHandler } from '../service/send-message';
import { sendSenderActionHandler } from '../service/send-sender-action';
import type { ServiceDeps } from '../service/service-deps';
import { uploadAttachmentHandler } from '../service/upload-attachment';
import { sendMessagesHandler } from '../service/send-messages';
import { passThreadControlHandler } from '../service/pass-thread-control';
import { takeThreadControlHandler } from '../service/take-thread-control';
import { requestThreadControlHandler } from '../service/request-thread-control';
import { getThreadOwnerHandler } from '../service/get-thread-owner';
import { getUserProfileHandler } from '../service/get-user-profile';
import { createDeliveryStores, type DeliveryStores } from '../delivery/create-delivery';
import { loadDescriptorSet } from './descriptor-set';
import { addReflection } from './reflection';
import { accessInterceptor, CallerRegistry } from './access-interceptor';
import { METHOD_ACCESS } from './method-access';
import { CallerAuthenticator } from './caller-auth';
import { InsecureListenError, isLoopback, serverCredentials } from './server-credentials';
import { registerSecret } from '../redaction/secret-redaction';
import { redisTopology } from '../store/redis-connection';
import { redisSecrets, redisStartError } from './redis-topology';
import { classicProof } from '../graph/appsecret-proof';
import { tracedService } from '../telemetry/server-span';
import { startSandboxInbox } from './start-inbox';
import { opensWindow } from '../conversations/event-facts';
import { ConversationStore } from '../inbox/conversation-store';
import { ConversationGuard } from '../conversations/conversation-guard';
import { openConversationRecords } from '../conversations/open-conversation-records';
import { StoredEventsRecorder } from '../conversations/stored-events';
import { DEFAULT_CONVERSATION_POLICY } from '../config/gateway-config';
import { SANDBOX_APP_ID } from '../sandbox/thread-owners';
import { observeClosingWindows } from '../telemetry/gateway-metrics';
import { getConversationHandler } from '../service/get-conversation';
import { reasonName } from '../errors/failure';
import type { InboxServer } from '../inbox/inbox-server';

export const SERVICE_NAME = 'messenger.v1.MessengerService';
export const EVENT_SERVICE_NAME = 'messenger.v1.EventService';
export const PAGE_SERVICE_NAME = 'messenger.v1.PageService';
export const CONVERSATION_SERVICE_NAME = 'messenger.v1.ConversationService';
/** EventService with StreamEvents' responses written by the gateway's own encoder (stored event bytes reused). */
const EVENT_SERVICE_DEFINITION = { ...EventServiceService, streamEvents: { ...EventServiceService.streamEvents, responseSerialize: encodeStreamEventsResponse } };

/** A running gateway. */
export interface Gateway {
  /** The bound port (useful with `:0`). */
  port: number;
  /** Where the Graph requests go (the sandbox's URL in sandbox mode). */
  graphBaseUrl: string;
  /** Where Instagram Login accounts' requests go (the sandbox's `/instagram` in sandbox mode). */
  instagramBaseUrl: string;
  /** The Instagram Login tokens: their health, and a refresh on demand. */
  tokens: InstagramTokenRefresher;
  sandbox?: Sandbox;
  /** The sandbox inbox (sandbox mode with `config.inbox`). */
  inbox?: InboxServer;
  /** The webhook listener's URL, when it runs. */
  webhookUrl?: string;
  /** Settles once the Pages' profiles as code were applied (or found up to date) at start. */
  profilesApplied: Promise<void>;
  /**
   * Health NOT_SERVING at once; after `shutdownDelayMs` (calls still served meanwhile) stop
   * accepting calls, let in-flight ones finish within `graceMs`, then cancel the rest and free everything.
   */
  shutdown(graceMs?: number): Promise<void>;
}

/** Builds, binds and starts the gateway; health turns SERVING only once it can serve. */
export async function startGateway(config: GatewayConfig, logger: Logger): Promise<Gateway> {
  // First of all: whatever fails from here on (a Redis URL that does not parse, say) is
  // logged, and no registered secret reaches a log line.
  for (const p of config.pages) {
    registerSecret(p.accessToken);
    registerSecret(p.appSecret);
    if (p.appSecret && p.appsecretProof === 'classic') registerSecret(classicProof(p.accessToken, p.appSecret).appsecret_proof);
  }
  for (const c of config.callers) registerSecret(c.apiKeyHash);
  const topology = config.store.redis ? redisTopology(config.store.redis) : undefined;
  if (topology) for (const secret of redisSecrets(topology)) registerSecret(secret);
  const auth = new CallerAuthenticator(config.callers);
  if (!isLoopback(config.listen) && !auth.enabled) {
    if (!config.insecure) throw new InsecureListenError(config.listen);
    logger.warn({ listen: config.listen }, 'INSECURE: listening beyond loopback with no caller authentication (--insecure)');
  }
  const credentials = serverCredentials(config.tls);
  // What was opened so far, closed in reverse if a later step fails.
  const opened: Array<() => Promise<void>> = [];
  const undo = async () => {
    for (const close of opened.reverse()) await close().catch(() => undefined);
  };
  let sandbox: Sandbox | undefined;
  let inboxStore: ConversationStore | undefined;
  let inbox: InboxServer | undefined;
  let graphConfig = config.graph;
  let pages: PageDirectory;
  // Instagram Login accounts' tokens: refreshed before they expire (the demo ones too, in the sandbox).
  let refreshed: PageConfig[] = config.pages.filter((p) => p.login === 'instagram');
  if (config.sandbox) {
    // Pages take Page secrets; an Instagram account through its Page sends as that Page, and an
    // Instagram Login account is the Instagram host's (its token and its app's secret).
    const secrets = Object.fromEntries(config.pages.filter((p) => p.platform !== 'instagram').map((p) => [p.id, { accessToken: p.accessToken, appSecret: p.appSecret }]));
    const demo = config.pages.length === 0 ? demoInstagramPages() : [];
    const instagram = Object.fromEntries([...config.pages, ...demo].filter((p) => p.platform === 'instagram').map((p) => [p.id, p.login === 'instagram'
      ? { login: 'instagram' as const, accessToken: p.accessToken, appSecret: p.appSecret }
      : { pageId: p.pageId ?? p.id }]));
    if (demo.length > 0) refreshed = demo.filter((p) => p.login === 'instagram');
    // The inbox's conversations: the Page's side from the sandbox (its observer of sends), the
    // customer's from the gateway's own record of events (below), whoever played the customer.
    const store = config.inbox ? new ConversationStore() : undefined;
    inboxStore = store;
    sandbox = await startSandbox({ pages: secrets, instagram, observer: store && { onSend: (send) => store.onSend(send) } });
    opened.push(() => sandbox!.close());
    graphConfig = { ...config.graph, baseUrl: sandbox.url, instagramBaseUrl: sandbox.instagramUrl };
    pages = sandboxPages(config.pages, demo);
    logger.warn(
      // With no pages configured any numeric page_id works; the documented demos use these.
      { sandbox: sandbox.url, ...(config.pages.length === 0 ? { demoPages: DEMO_PAGES, demoInstagramAccounts: Object.fromEntries(DEMO_INSTAGRAM_ACCOUNTS.map((a) => [a.id, a.purpose])) } : {}) },
      'SANDBOX MODE: sends go to the embedded fake Graph API and NOTHING IS DELIVERED to Messenger. Configure pages (and no --sandbox) to send for real.',
    );
  } else {
    pages = configuredPages(config.pages);
  }

  const graph = new GraphClient(graphConfig);
  opened.push(() => graph.close());
  let delivery: DeliveryStores;
  try {
    delivery = await createDeliveryStores({
      redisTopology: topology,
      minReplicas: config.store.redis?.minReplicas,
      // Once per outage: sends go on answering, their outcomes wait here until Redis takes them.
      outbox: { onUnflushed: (held) => logger.warn({ held }, 'delivery store: outcomes held in this replica until Redis (and store.redis.minReplicas replicas) take them') },
      keyPrefix: config.store.redis?.keyPrefix,
      idempotency: config.delivery.idempotency,
      rateLimit: config.delivery.rateLimit,
      profileCache: { ttlMs: config.conversations.profileCacheTtlMs, maxEntries: config.conversations.profileCacheMaxEntries },
    });
  } catch (err) {
    await undo();
    throw redisStartError(topology, err);
  }
  opened.push(() => delivery.close());
  const tokens = new InstagramTokenRefresher(
    graph,
    refreshed.map((p) => refreshedAccount(p, pages, delivery)),
    { ...config.tokenRefresh, timeoutMs: graphConfig.timeoutMs },
    logger,
  );
  opened.push(async () => tokens.stop());
  // Before serving: a kept token replaces the configured (maybe expired) one first.
  await tokens.start();
  let conversations: ConversationGuard;
  try {
    const records = await openConversationRecords(config, sandbox ? SANDBOX_APP_ID : '', logger);
    opened.push(() => records.close());
    const policies = new Map(config.pages.map((p) => [p.id, p.conversationPolicy ?? DEFAULT_CONVERSATION_POLICY]));
    conversations = new ConversationGuard(records, (pageId) => policies.get(pageId) ?? DEFAULT_CONVERSATION_POLICY, (pageId) => pages.platformOf(pageId) ?? 'messenger', logger);
    observeClosingWindows((withinMs) => records.closingWithin(withinMs, Date.now()));
    // The sandbox inbox shows a refused send in place, as it shows one Graph refused.
    const inboxView = inboxStore;
    if (inboxView) {
      conversations.onRefused = (pageId, body, failure) =>
        inboxView.onPolicyRefusal({ at: Date.now(), pageId, body, grpcCode: status[failure.code], reason: reasonName(failure.reason), message: failure.message });
    }
  } catch (err) {
    await undo();
    throw redisStartError(topology, err);
  }
  let receiving: Receiving;
  try {
    receiving = await startReceiving(config, logger, sandbox && storedEventsObserver(sandbox, inboxStore), new StoredEventsRecorder(conversations.records));
  } catch (err) {
    await undo();
    throw err;
  }
  opened.push(() => receiving.close());
  // The sandbox plays the customer through the gateway's own webhook listener.
  if (sandbox && receiving.webhook && config.webhook) sandbox.setCustomer({ webhookUrl: receiving.webhook.url, appSecret: config.webhook.appSecret });
  const callers = new CallerRegistry();
  const deps: ServiceDeps = {
    graph,
    pages,
    logger,
    recordRecipient: config.telemetry.recordRecipient,
    idempotency: delivery.idempotency,
    rateLimiter: delivery.rateLimiter,
    delivery: config.delivery,
    graphTimeoutMs: graphConfig.timeoutMs,
    maxUploadBytes: config.limits.maxUploadBytes,
    streamIdleMs: config.limits.streamIdleMs,
    sandbox: config.sandbox,
    callerOf: (metadata) => callers.nameOf(metadata),
    conversations,
  };
  const server = new Server({
    'grpc.max_receive_message_length': config.limits.maxRequestBytes,
    'grpc.max_concurrent_streams': config.limits.maxConcurrentStreams,
    interceptors: [accessInterceptor({ auth, access: METHOD_ACCESS, callers, maxInFlightCalls: config.limits.maxInFlightCalls, maxInFlightPerCaller: config.limits.maxInFlightPerCaller, sharedRate: sharedCallerRate(delivery), maxWatchStreams: config.limits.maxWatchStreams, maxWatchStreamsPerConnection: config.limits.maxWatchStreamsPerConnection, logger })],
  });
  server.addService(
    MessengerServiceService,
    tracedService(MessengerServiceService, {
      sendMessage: sendMessageHandler(deps),
      sendSenderAction: sendSenderActionHandler(deps),
      uploadAttachment: uploadAttachmentHandler(deps),
      sendMessages: sendMessagesHandler(deps),
    }),
  );
  const historyDeps: HistoryDeps = { ...deps, historyBudget: delivery.budget(CONVERSATIONS_BUDGET) };
  const backfills = new BackfillRunner({
    history: historyDeps,
    store: receiving.store,
    progress: delivery.redis ? new RedisBackfillProgress(delivery.redis, delivery.keyPrefix) : new MemoryBackfillProgress(),
    onStored: inboxStore ? (events) => inboxStore?.onHistorical(historicalMessagesOf(events)) : undefined,
    lock: (name, ttlMs) => delivery.lock.acquire(name, ttlMs),
    receivedSince: { of: (pageId) => conversations.records.receivingSince(pageId), dedupWindowMs: config.events.dedupWindowMs },
  });
  opened.push(() => backfills.close());
  const pageDeps: PageServiceDeps = { ...deps, profileBudget: delivery.budget(PROFILE_BUDGET), personas: new PersonaOwnership() };
  server.addService(PageServiceService, tracedService(PageServiceService, pageServiceHandlers(pageDeps)));
  server.addService(
    ConversationServiceService,
    tracedService(ConversationServiceService, {
      passThreadControl: passThreadControlHandler(deps),
      takeThreadControl: takeThreadControlHandler(deps),
      requestThreadControl: requestThreadControlHandler(deps),
      getThreadOwner: getThreadOwnerHandler(deps),
      getUserProfile: getUserProfileHandler(deps, delivery.profileCache),
      getConversation: getConversationHandler(deps, conversations),
      listConversations: listConversationsHandler(historyDeps),
      listMessages: listMessagesHandler(historyDeps),
      getMessage: getMessageHandler(historyDeps),
      backfillConversation: backfillConversationHandler(deps, backfills),
      backfillPage: backfillPageHandler(deps, backfills),
      backfillStatus: backfillStatusHandler(deps, backfills),
    }),
  );
  server.addService(
    EVENT_SERVICE_DEFINITION,
    tracedService(EVENT_SERVICE_DEFINITION, eventServiceHandlers({ store: receiving.store, logger, callerOf: (metadata) => callers.callerOf(metadata) })),
  );
  const health = new HealthImplementation({ '': 'NOT_SERVING', [SERVICE_NAME]: 'NOT_SERVING', [EVENT_SERVICE_NAME]: 'NOT_SERVING', [CONVERSATION_SERVICE_NAME]: 'NOT_SERVING', [PAGE_SERVICE_NAME]: 'NOT_SERVING' });
  health.addToServer(server);
  addReflection(server, loadDescriptorSet(), [
    SERVICE_NAME,
    EVENT_SERVICE_NAME,
    CONVERSATION_SERVICE_NAME,
    PAGE_SERVICE_NAME,
    'grpc.health.v1.Health',
    'grpc.reflection.v1.ServerReflection',
    'grpc.reflection.v1alpha.ServerReflection',
  ]);

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(config.listen, credentials, (err, p) => (err ? reject(err) : resolve(p)));
    });
  } catch (err) {
    await undo();
    throw listenErrorOf(config.listen, err);
  }
  if (config.sandbox && config.inbox && sandbox && inboxStore) {
    try {
      inbox = await startSandboxInbox(config.inbox.listen, inboxStore, sandbox, logger);
    } catch (err) {
      server.forceShutdown();
      await undo();
      throw err;
    }
  }
  for (const name of ['', SERVICE_NAME, EVENT_SERVICE_NAME, CONVERSATION_SERVICE_NAME, PAGE_SERVICE_NAME]) health.setStatus(name, 'SERVING');
  logger.info(
    {
      listen: config.listen, port, graph: graphConfig.baseUrl, version: graphConfig.version, pages: config.pages.map((p) => p.id),
      ...(inbox ? { inbox: inbox.url } : {}),
      store: config.store.redis ? 'redis' : 'memory', tls: config.tls ? (config.tls.clientCaFile ? 'mtls' : 'tls') : 'off', callers: config.callers.map((c) => c.name),
      ...(receiving.webhook ? { webhook: receiving.webhook.url } : {}),
    },
    'gateway ready',
  );

  let stopping: Promise<void> | undefined;
  const shutdown = (graceMs = config.shutdownGraceMs): Promise<void> => {
    stopping ??= (async () => {
      for (const name of ['', SERVICE_NAME, EVENT_SERVICE_NAME, CONVERSATION_SERVICE_NAME, PAGE_SERVICE_NAME]) health.setStatus(name, 'NOT_SERVING');
      if (config.shutdownDelayMs > 0) {
        logger.info({ delayMs: config.shutdownDelayMs }, 'health NOT_SERVING; still accepting calls until load balancers have seen it');
        await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      }
      logger.info({ graceMs }, 'draining: no new calls, waiting for in-flight sends');
      // Webhooks stop first (Meta retries elsewhere), then the event streams end (their unacked
      // events go back to their groups): a consumer's stream never ends by itself.
      await backfills.close();
      await receiving.close();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          logger.warn('grace period over: cancelling the calls still in flight');
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      tokens.stop();
      await graph.close();
      await delivery.close();
      await inbox?.close();
      await sandbox?.close();
      logger.info('stopped');
    })();
    return stopping;
  };
  // Beside serving, never before it: a start does not wait on Graph or on another replica's lock.
  backfills.start();
  const profilesApplied = applyProfilesAtStart(pageDeps, config.pages, delivery.lock, logger);
  return { port, graphBaseUrl: graphConfig.baseUrl, instagramBaseUrl: graphConfig.instagramBaseUrl, sandbox, inbox, webhookUrl: receiving.webhook?.url, shutdown, profilesApplied, tokens };
}

/** The sandbox's demo Instagram accounts as configured accounts (sandbox mode without accounts). */
function demoInstagramPages(): PageConfig[] {
  return DEMO_INSTAGRAM_ACCOUNTS.map(({ purpose: _purpose, ...a }) => ({ ...a, appsecretProof: 'classic' as const }));
}

/** What the refresher needs of an Instagram Login account: its credentials, configured token and expiry, and its store. */
function refreshedAccount(p: PageConfig, pages: PageDirectory, delivery: DeliveryStores): RefreshedAccount {
  const store = p.token?.store;
  return {
    creds: pages.get(p.id)!,
    configuredToken: p.accessToken,
    ...(p.token?.expiresAt ? { configuredExpiresAt: Date.parse(p.token.expiresAt) } : {}),
    store: store === undefined ? memoryTokenStore() : 'file' in store ? fileTokenStore(store.file) : delivery.redisTokenStore(p.id),
    ...(p.appSecret ? { appSecret: p.appSecret } : {}),
  };
}

/**
 * Sandbox mode: each customer message the webhook listener stored (from `npm run customer`, the
 * inbox, or any signed webhook) is a message the sandbox's Pages may react to, and an item of the
 * inbox; each window-opening action opens the conversation's window in the sandbox at Meta's time.
 */
function storedEventsObserver(sandbox: Sandbox, inboxStore: ConversationStore | undefined): StoredEventsObserver {
  return (events) => {
    for (const { event } of events) {
      const kind = event.kind;
      if (!event.time || !kind || (kind.$case === 'message' && kind.value.isEcho) || !opensWindow(kind.$case)) continue;
      sandbox.windows.opened(event.pageId, event.senderId, event.time.getTime());
    }
    for (const m of customerMessagesOf(events)) {
      if (m.mid && !m.unsent) sandbox.rememberMessage(m.pageId, m.mid);
      // Someone who wrote to an Instagram account: the linked Page's sends to them are Instagram's.
      if (m.psid) sandbox.instagram.rememberUser(m.pageId, m.psid);
      inboxStore?.onCustomerMessage(m);
    }
  };
}

/** The historical message events of a backfill batch, as the inbox shows them. */
function historicalMessagesOf(events: readonly NewEvent[]): HistoricalMessage[] {
  const out: HistoricalMessage[] = [];
  for (const { event } of events) {
    if (!event.historical || event.kind?.$case !== 'message') continue;
    const m = event.kind.value;
    out.push({ pageId: event.pageId, psid: m.isEcho ? event.recipientId : event.senderId, mid: m.mid, fromPage: m.isEcho, text: m.text, at: event.time?.getTime() ?? 0 });
  }
  return out;
}

/** The callers' rates shared through Redis, when Redis is configured. */
function sharedCallerRate(delivery: DeliveryStores): ((caller: { name: string; ratePerSecond: number }) => Promise<number | undefined>) | undefined {
  const rate = delivery.callerRate;
  return rate ? (caller) => rate(caller.name, caller.ratePerSecond) : undefined;
}
