import { MAX_UPLOAD_BYTES, MEDIA_SEND_PER_SECOND, SEND_PER_SECOND } from '../limits/graph-limits';

/** The gateway's configuration after defaults and `${ENV}` substitution. */
export interface GatewayConfig {
  /** `host:port` the gRPC server binds. */
  listen: string;
  graph: GraphConfig;
  pages: PageConfig[];
  /** Run against the embedded sandbox instead of Graph (forced when no page is configured). */
  sandbox: boolean;
  /**
   * SIGTERM: how long health says NOT_SERVING while calls are still accepted, so that load
   * balancers and readiness probes stop routing here before the listener closes.
   */
  shutdownDelayMs: number;
  /** How long SIGTERM waits for in-flight calls before cancelling them. */
  shutdownGraceMs: number;
  /**
   * `format`: `json` (one JSON object a line, for log collectors) or `pretty` (one readable line,
   * for a terminal); absent: `pretty` when stdout is a terminal, else `json`.
   */
  log: { level: LogLevel; format?: LogFormat };
  telemetry: {
    /** Put the recipient's id or phone number on spans (personal data: off by default). */
    recordRecipient: boolean;
  };
  delivery: DeliveryConfig;
  /** Shared state for several replicas; without it, state is in memory (one replica). */
  store: { redis?: RedisStoreConfig };
  /** The services allowed to call, and for which pages. Empty: no caller authentication. */
  callers: CallerConfig[];
  /** TLS on the gRPC port; with `clientCaFile`, callers must present a certificate (mTLS). */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
  limits: LimitsConfig;
  /** Allow a non-loopback listen address without caller authentication (logs a warning). */
  insecure: boolean;
  /** Meta's webhook listener (receiving); in sandbox mode it runs by default on loopback. */
  webhook?: WebhookConfig;
  /** The event store behind StreamEvents. */
  events: EventsConfig;
  /** The sandbox inbox (sandbox mode only): where its page and JSON API listen. */
  inbox?: { listen: string };
  /** ConversationService: routing and user profiles. */
  conversations: ConversationsConfig;
  /** Instagram Login tokens: refresh and warnings. */
  tokenRefresh: TokenRefreshConfig;
}

/**
 * Where the shared state lives, one of three: one Redis (`url`), a Redis Cluster
 * (`cluster.nodes`, seed node URLs with the same credentials and scheme), or a primary found
 * through Sentinel (`sentinel`); `url` is '' with the other two. And how writes count as stored.
 */
export interface RedisStoreConfig {
  url: string;
  keyPrefix: string;
  cluster?: { nodes: string[] };
  /** A primary found through Sentinel, which fails it over to a replica. */
  sentinel?: RedisSentinelConfig;
  /**
   * Replicas that must confirm (WAIT) a webhook's events, an idempotency claim and an outcome
   * before they count as stored; 0 (or absent): the primary's word is enough.
   */
  minReplicas?: number;
}

export interface RedisSentinelConfig {
  /** The master name the sentinels monitor (`sentinel monitor <name> …`). */
  name: string;
  /** The sentinels, `redis://host:port`. */
  nodes: string[];
  /** The Redis servers' password (`requirepass`), `${ENV}`. */
  password?: string;
  /** The sentinels' own password (`requirepass` in sentinel.conf), `${ENV}`. */
  sentinelPassword?: string;
}

export interface ConversationsConfig {
  /**
   * How long a user profile is served from the cache (per Page and person, in memory or in
   * Redis with `store.redis`) before Graph is asked again; 0 turns the cache off.
   */
  profileCacheTtlMs: number;
  /** Memory cache only: at most this many profiles, the oldest evicted first. */
  profileCacheMaxEntries: number;
  /**
   * The conversation records (windows, owners; docs/conversations.md): at most this many
   * (page, person) records, in memory per replica or in Redis with `store.redis`, the least
   * recently touched dropped first. Each also expires 8 days after its last fact.
   */
  maxRecords: number;
}

/** `pages[].conversationPolicy`: refuse a send Meta would refuse before Graph, send it and mark it, or do not check. */
export type ConversationPolicy = 'enforce' | 'warn' | 'off';
export const CONVERSATION_POLICIES: readonly ConversationPolicy[] = ['enforce', 'warn', 'off'];
/** The policy of a Page that sets none (and of the sandbox's unconfigured pages): docs/conversations.md says why. */
export const DEFAULT_CONVERSATION_POLICY: ConversationPolicy = 'enforce';

/** Where the sandbox inbox listens by default (Mailpit's port). */
export const SANDBOX_INBOX_LISTEN = '127.0.0.1:8025';

/** Where Meta's webhook POSTs land, and the secrets that prove they are Meta's. */
export interface WebhookConfig {
  /** `HOST:PORT` of the listener (separate from the gRPC port). */
  listen: string;
  /** The callback path (default `/webhook`). */
  path: string;
  /** The verify token of the app's Webhooks product (`hub.verify_token`). */
  verifyToken: string;
  /** The app secret: the key of `X-Hub-Signature-256`. */
  appSecret: string;
  /** Largest POST body accepted (413 beyond). */
  maxBodyBytes: number;
  /** A POST whose body does not start, or stops moving, for this long is cut with 408 (default 3 s; Meta sends its body at once). */
  bodyTimeoutMs?: number;
  /** Bodies one source address may have in progress at once; 503 beyond (default 8). */
  maxBodiesPerSource?: number;
  /**
   * Proxies in front of the listener (addresses or `ADDRESS/PREFIX` ranges): for a request from
   * one of them, the source address is the last `X-Forwarded-For` hop that is not one of them.
   * Empty (default): the peer address, and `X-Forwarded-For` is ignored.
   */
  trustedProxies?: string[];
}

/** The event store: dedup window, retention, bounds and the delivery rules of StreamEvents (what both stores take). */
export interface EventsConfig {
  /** How long a dedup key is remembered (default 24 h). */
  dedupWindowMs: number;
  /** How long events are retained for replay (`START_POSITION_EARLIEST`) and delivery. */
  retentionMs: number;
  /** Most events held; past it, events every group has acked may go, else appends are refused. */
  maxEvents: number;
  /** An event delivered and neither acked nor nacked within this is delivered again (default 60 s). */
  ackDeadlineMs: number;
  /** An event is parked as a dead letter when its delivery number this many is given back (nacked, past its deadline, or its stream gone), default 5. */
  maxDeliveryAttempts: number;
  /** Most consumer groups (default 100): a subscribe that would create one more is refused (RESOURCE_EXHAUSTED, TooManyGroupsError). */
  maxGroups: number;
  /**
   * Most consumer groups one authenticated caller may create (default a quarter of `maxGroups`),
   * so that no caller can take every group for the others.
   */
  maxGroupsPerCaller: number;
  /**
   * A group none of whose consumers ever acked an event is deleted once it has had no consumer
   * for this long (default 10 min; never later than `retentionMs`): subscribes that never did
   * any work do not hold a group for a day.
   */
  neverAckedGroupMs: number;
  /**
   * A group with no consumer connected for at least this long (default 10 min) is idle: when the
   * store is at `maxEvents`, idle groups give up their oldest events to make room. A group with no
   * consumer for longer than `retentionMs` (`neverAckedGroupMs` if none ever acked) is deleted.
   */
  groupIdleMs: number;
  /**
   * Partitions of the Redis event store (default 16, at most 256): a conversation's events go to
   * one, each is read by one replica at a time per group, and in a Redis Cluster each is one
   * hash slot. Every replica must use the same count; change it only on a drained store.
   */
  partitions: number;
}

/** The webhook the sandbox runs when none is configured: loopback, with well-known secrets. */
export const SANDBOX_WEBHOOK: WebhookConfig = {
  listen: '127.0.0.1:8088',
  path: '/webhook',
  verifyToken: 'sandbox-verify-token',
  appSecret: 'sandbox-app-secret',
  maxBodyBytes: 4 * 1024 * 1024,
  bodyTimeoutMs: 3_000,
  maxBodiesPerSource: 8,
  trustedProxies: [],
};

/** One calling service: how it proves who it is, and what it may do. */
export interface CallerConfig {
  name: string;
  /** `sha256:<salt hex>:<hash hex>` of the API key it sends as `authorization: Bearer <key>` (see `hash-key`). */
  apiKeyHash?: string;
  /** With mTLS: the client certificate's subject common name or DNS subject alternative name. */
  certificate?: { commonName?: string; dnsName?: string };
  /** Page ids it may send for; `["*"]` for all. */
  pages: string[];
  /** Calls per second it may make (all RPCs); 0 = unlimited. */
  ratePerSecond: number;
}

export interface LimitsConfig {
  /** Largest request message accepted (bytes). */
  maxRequestBytes: number;
  /** Largest upload (bytes; at most Graph's own limit, MAX_UPLOAD_BYTES). */
  maxUploadBytes: number;
  /** Concurrent streams per client connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS). */
  maxConcurrentStreams: number;
  /** Calls in progress in the whole gateway; beyond it RESOURCE_EXHAUSTED at once. */
  maxInFlightCalls: number;
  /** Calls in progress of one authenticated caller (default: half of maxInFlightCalls), so one caller cannot take them all. */
  maxInFlightPerCaller: number;
  /** Open Health/Watch streams in the whole gateway; beyond it RESOURCE_EXHAUSTED TOO_MANY_CALLS. */
  maxWatchStreams: number;
  /** Open Health/Watch streams per client connection. */
  maxWatchStreamsPerConnection: number;
  /** A client stream (UploadAttachment, SendMessages) with no message from the client this long is ended (CLIENT_STREAM_IDLE). */
  streamIdleMs: number;
}

/** Idempotency, retries, page rate limits and bulk streams (see docs/delivery.md). */
export interface DeliveryConfig {
  idempotency: IdempotencyOptions;
  retry: RetryOptions;
  rateLimit: RateLimitOptions & {
    /** Pause a page when a Graph usage header reaches this percentage. */
    pauseAtPercent: number;
  };
  /** Most messages of one SendMessages stream in flight at once. */
  bulkConcurrency: number;
}

export interface GraphConfig {
  /** Graph origin, e.g. `https://graph.facebook.com` (a path prefix is allowed). */
  baseUrl: string;
  /**
   * The Instagram API with Instagram Login's origin (`https://graph.instagram.com`; a path prefix
   * is allowed): where accounts with `login: "instagram"` send. The sandbox serves a stand-in.
   */
  instagramBaseUrl: string;
  /** Graph API version prefix, e.g. `v25.0`. */
  version: string;
  /** Upper bound of one Graph call; the caller's gRPC deadline may shorten it. */
  timeoutMs: number;
  /** Keep-alive connections per Graph origin. */
  connections: number;
}

/** Which of Meta's messaging platforms an account is on. */
export type Platform = 'messenger' | 'instagram';
export const PLATFORMS: readonly Platform[] = ['messenger', 'instagram'];

/**
 * One account the gateway sends for, addressed by `id` (the `page_id` of every RPC, the webhook's
 * `entry[].id`). Three kinds:
 * - a Messenger Page: `{id, accessToken}` (the Page token);
 * - an Instagram professional account through its linked Page: `{id, platform: "instagram",
 *   pageId, accessToken}` (the Page's token); sent as the Page, `/{pageId}/...` on `graph.baseUrl`;
 * - an Instagram account through Instagram Login: `{id, platform: "instagram", login:
 *   "instagram", accessToken}` (an Instagram user token); `/{id}/...` on `graph.instagramBaseUrl`.
 */
export interface PageConfig {
  id: string;
  /** Default `messenger`. */
  platform?: Platform;
  /** Instagram through its linked Page: that Page's id. */
  pageId?: string;
  /** `instagram`: the Instagram API with Instagram Login (graph.instagram.com, a refreshed user token). */
  login?: 'instagram';
  accessToken: string;
  /** Instagram Login only: where a refreshed token is kept, and when the configured one expires. */
  token?: TokenConfig;
  /**
   * The app secret the `appsecret_proof` is keyed with: the Facebook app's for a Page (and an
   * Instagram account through its Page), the Instagram app's for an Instagram Login account.
   */
  appSecret?: string;
  /** `classic`: HMAC(token); `timed`: HMAC(token|time) plus `appsecret_time` (expires after 5 min). */
  appsecretProof: 'classic' | 'timed';
  /**
   * The Page's Messenger Profile as code, in Graph's own JSON shape (what
   * `POST /{page-id}/messenger_profile` takes): applied at start (only what differs, within the
   * Page's budget, by one replica) and by `npm run profile -- --apply`. A property set to `null`
   * is deleted; a property not named is left as it is. Given inline, or as the path of a JSON file.
   */
  messengerProfile?: Record<string, unknown>;
  /** What the gateway does with a send Meta would refuse by the conversation's window or owner (default `enforce`). */
  conversationPolicy?: ConversationPolicy;
}

/** An Instagram Login account's token: its expiry, and where the gateway keeps the refreshed one. */
export interface TokenConfig {
  /**
   * When `accessToken` expires (ISO 8601). Unknown (absent, and nothing stored): the gateway
   * refreshes at start, which tells it the expiry.
   */
  expiresAt?: string;
  /**
   * Where a refreshed token is kept so that a restart uses it: `{file: PATH}` (a JSON file,
   * written 0600 and replaced atomically) or `{redis: true}` (under `store.redis`); absent: only
   * in memory (a restart falls back to `accessToken`, which then may have expired).
   */
  store?: { file: string } | { redis: true };
}

/** When Instagram Login tokens are refreshed, and when their coming expiry is warned of. */
export interface TokenRefreshConfig {
  /** Refresh a token when it has less than this left (default 30 days; Meta's tokens last 60). */
  refreshBeforeMs: number;
  /** Log a warning (every `retryMs`) when a token has less than this left (default 7 days). */
  warnBeforeMs: number;
  /** A failed refresh is tried again after this long (default 15 min). */
  retryMs: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

export const DEFAULT_CONFIG: GatewayConfig = {
  listen: '127.0.0.1:50051',
  graph: { baseUrl: 'https://graph.facebook.com', instagramBaseUrl: 'https://graph.instagram.com', version: 'v25.0', timeoutMs: 10_000, connections: 128 },
  pages: [],
  sandbox: false,
  shutdownDelayMs: 0,
  shutdownGraceMs: 10_000,
  log: { level: 'info' },
  telemetry: { recordRecipient: false },
  delivery: {
    idempotency: { windowMs: 24 * 3600_000, claimTtlMs: 120_000, maxKeys: 100_000 },
    retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 },
    rateLimit: { defaultPerSecond: SEND_PER_SECOND, mediaPerSecond: MEDIA_SEND_PER_SECOND, maxWaitMs: 2_000, maxQueue: 1_000, pauseAtPercent: 95 },
    bulkConcurrency: 32,
  },
  store: {},
  callers: [],
  limits: { maxRequestBytes: 4 * 1024 * 1024, maxUploadBytes: MAX_UPLOAD_BYTES, maxConcurrentStreams: 1_000, maxInFlightCalls: 10_000, maxInFlightPerCaller: 5_000, maxWatchStreams: 1_000, maxWatchStreamsPerConnection: 16, streamIdleMs: 30_000 },
  insecure: false,
  conversations: { profileCacheTtlMs: 600_000, profileCacheMaxEntries: 10_000, maxRecords: 200_000 },
  tokenRefresh: { refreshBeforeMs: 30 * 24 * 3600_000, warnBeforeMs: 7 * 24 * 3600_000, retryMs: 15 * 60_000 },
  events: { dedupWindowMs: 24 * 3600_000, retentionMs: 24 * 3600_000, maxEvents: 100_000, ackDeadlineMs: 60_000, maxDeliveryAttempts: 5, maxGroups: 100, maxGroupsPerCaller: 25, neverAckedGroupMs: 600_000, groupIdleMs: 600_000, partitions: 16 },
};

export interface IdempotencyOptions {
  /** How long a finished outcome is replayed (default 24 h). */
  windowMs: number;
  /** How long an in-flight claim holds before another call may take over (a crashed owner). */
  claimTtlMs: number;
  /** Memory store only: at most this many keys, least recently used evicted first. */
  maxKeys: number;
}

export interface RateLimitOptions {
  /** Tokens per second per page for text, templates, reactions, sender actions (Meta: ~300/s). */
  defaultPerSecond: number;
  /** Tokens per second per page for audio and video (Meta: 10/s). */
  mediaPerSecond: number;
  /** Longest a send waits for a token (also bounded by its deadline). */
  maxWaitMs: number;
  /** Most sends waiting per page and class; beyond it RESOURCE_EXHAUSTED at once. */
  maxQueue: number;
}

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}
