import type { IdempotencyOptions, RateLimitOptions, RetryOptions } from '../delivery/delivery-types';

/** The gateway's configuration after defaults and `${ENV}` substitution. */
export interface GatewayConfig {
  /** `host:port` the gRPC server binds. */
  listen: string;
  graph: GraphConfig;
  pages: PageConfig[];
  /** Run against the embedded sandbox instead of Graph (forced when no page is configured). */
  sandbox: boolean;
  /** How long SIGTERM waits for in-flight calls before cancelling them. */
  shutdownGraceMs: number;
  log: { level: LogLevel };
  telemetry: {
    /** Put the recipient's id or phone number on spans (personal data: off by default). */
    recordRecipient: boolean;
  };
  delivery: DeliveryConfig;
  /** Shared state for several replicas; without it, state is in memory (one replica). */
  store: { redis?: { url: string; keyPrefix: string } };
}

/** Idempotency, retries, page rate limits and bulk streams (see README "Safe delivery"). */
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
  /** Graph API version prefix, e.g. `v25.0`. */
  version: string;
  /** Upper bound of one Graph call; the caller's gRPC deadline may shorten it. */
  timeoutMs: number;
  /** Keep-alive connections per Graph origin. */
  connections: number;
}

export interface PageConfig {
  id: string;
  accessToken: string;
  appSecret?: string;
  /** `classic`: HMAC(token); `timed`: HMAC(token|time) plus `appsecret_time` (expires after 5 min). */
  appsecretProof: 'classic' | 'timed';
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export const DEFAULT_CONFIG: GatewayConfig = {
  listen: '127.0.0.1:50051',
  graph: { baseUrl: 'https://graph.facebook.com', version: 'v25.0', timeoutMs: 10_000, connections: 128 },
  pages: [],
  sandbox: false,
  shutdownGraceMs: 10_000,
  log: { level: 'info' },
  telemetry: { recordRecipient: false },
  delivery: {
    idempotency: { windowMs: 24 * 3600_000, claimTtlMs: 120_000, maxKeys: 100_000 },
    retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2_000 },
    rateLimit: { defaultPerSecond: 300, mediaPerSecond: 10, maxWaitMs: 2_000, maxQueue: 1_000, pauseAtPercent: 95 },
    bulkConcurrency: 32,
  },
  store: {},
};
