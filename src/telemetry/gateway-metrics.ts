import { metrics, type Attributes } from '@opentelemetry/api';
import { ATTR, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_RPC_GRPC_STATUS_CODE, ATTR_RPC_METHOD, METRIC } from './attribute-names';
import { telemetryStarted } from './start-telemetry';

/** The percentages of Graph's usage headers (src/graph/usage-headers.ts parses them). */
export interface UsagePercents {
  appPercent?: number;
  pagePercent?: number;
  businessPercent?: number;
}

const meter = metrics.getMeter('messenger-gateway');

/**
 * Sends by page, method and gRPC code, counted here and read at collection time: a synchronous
 * counter hashes its attributes on every add, which showed in the traced send's profile.
 * Bounded: past MAX_SEND_SERIES series (page ids come from requests), new ones count under
 * page `_other`; below the SDK's own cardinality limit (2,000), which would fold them away.
 */
const MAX_SEND_SERIES = 1_000;
const sendCounts = new Map<string, { attributes: Attributes; count: number }>();
const sends = meter.createObservableCounter(METRIC.SENDS, { description: 'Sends handled, by page, RPC method and gRPC status code' });
sends.addCallback((result) => {
  for (const { attributes, count } of sendCounts.values()) result.observe(count, attributes);
});

/** Graph call latency. */
const graphDuration = meter.createHistogram(METRIC.GRAPH_DURATION, {
  description: 'Duration of Graph API calls',
  unit: 's',
  advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
});

// The last usage seen per page, read by the observable gauge at collection time.
const lastUsage = new Map<string, UsagePercents>();
const usageGauge = meter.createObservableGauge(METRIC.GRAPH_USAGE, {
  description: "Graph's rate-limit usage from X-App-Usage, X-Page-Usage and X-Business-Use-Case-Usage",
  unit: '%',
});
usageGauge.addCallback((result) => {
  for (const [page, u] of lastUsage) {
    if (u.appPercent !== undefined) result.observe(u.appPercent, { [ATTR.PAGE_ID]: page, [ATTR.USAGE_HEADER]: 'x-app-usage' });
    if (u.pagePercent !== undefined) result.observe(u.pagePercent, { [ATTR.PAGE_ID]: page, [ATTR.USAGE_HEADER]: 'x-page-usage' });
    if (u.businessPercent !== undefined) {
      result.observe(u.businessPercent, { [ATTR.PAGE_ID]: page, [ATTR.USAGE_HEADER]: 'x-business-use-case-usage' });
    }
  }
});

/** Records one finished send. */
export function recordSend(page: string, method: string, grpcCode: string): void {
  if (!telemetryStarted()) return;
  let key = `${page}\u0000${method}\u0000${grpcCode}`;
  let series = sendCounts.get(key);
  if (!series) {
    if (sendCounts.size >= MAX_SEND_SERIES) {
      page = '_other';
      key = `${page}\u0000${method}\u0000${grpcCode}`;
      series = sendCounts.get(key);
    }
    if (!series) {
      series = { attributes: { [ATTR.PAGE_ID]: page, [ATTR_RPC_METHOD]: method, [ATTR_RPC_GRPC_STATUS_CODE]: grpcCode }, count: 0 };
      sendCounts.set(key, series);
    }
  }
  series.count++;
}

/** Records one Graph call's duration (seconds) and outcome kind. */
export function recordGraphCall(page: string, seconds: number, outcome: string, httpStatus?: number): void {
  const attrs: Attributes = { [ATTR.PAGE_ID]: page, [ATTR.GRAPH_OUTCOME]: outcome };
  if (httpStatus !== undefined) attrs[ATTR_HTTP_RESPONSE_STATUS_CODE] = httpStatus;
  graphDuration.record(seconds, attrs);
}

/** Keeps a page's latest usage for the gauge; a bounded map since pages are configured. */
export function recordUsage(page: string, usage: UsagePercents): void {
  if (lastUsage.size < 10_000 || lastUsage.has(page)) lastUsage.set(page, usage);
}

/** What became of a webhook request, for `messenger.webhook.requests`. */
export type WebhookOutcome = 'stored' | 'bad_signature' | 'bad_request' | 'too_large' | 'busy' | 'stalled' | 'aborted' | 'store_full' | 'store_unavailable' | 'store_slow' | 'verified' | 'verify_refused';

const webhookRequests = meter.createCounter(METRIC.WEBHOOK_REQUESTS, { description: 'Webhook requests, by outcome' });
const events = meter.createCounter(METRIC.EVENTS, { description: 'Webhook events: stored, deduplicated (Meta retries), refused (not stored: Meta retries)' });

export function recordWebhookRequest(outcome: WebhookOutcome): void {
  if (!telemetryStarted()) return;
  webhookRequests.add(1, { [ATTR.WEBHOOK_OUTCOME]: outcome });
}

export function recordWebhookEvents(stored: number, deduplicated: number, refused: number): void {
  if (!telemetryStarted()) return;
  if (stored) events.add(stored, { [ATTR.EVENT_OUTCOME]: 'stored' });
  if (deduplicated) events.add(deduplicated, { [ATTR.EVENT_OUTCOME]: 'deduplicated' });
  if (refused) events.add(refused, { [ATTR.EVENT_OUTCOME]: 'refused' });
}

const droppedEvents = meter.createCounter(METRIC.EVENTS_DROPPED, { description: 'Events an idle consumer group (no consumer connected) gave up to make room in the event store' });

/** Events an idle group gave up (the group is an attribute: groups are bounded by events.maxGroups). */
export function recordDroppedEvents(group: string, count: number): void {
  if (!telemetryStarted()) return;
  droppedEvents.add(count, { [ATTR.CONSUMER_GROUP]: group });
}

/** Lag and oldest unacked age per consumer group, read from the event store at collection time. */
export function observeEventGroups(stats: () => Promise<Array<{ group: string; lag: number; oldestUnackedMs: number }>>): void {
  if (!telemetryStarted()) return;
  const lag = meter.createObservableGauge(METRIC.EVENTS_LAG, { description: 'Events stored for a consumer group and not yet acked or parked' });
  const oldest = meter.createObservableGauge(METRIC.EVENTS_OLDEST_UNACKED, { description: 'Age of the oldest unacked event of a consumer group', unit: 's' });
  meter.addBatchObservableCallback(async (result) => {
    for (const s of (await stats()).slice(0, 1_000)) {
      result.observe(lag, s.lag, { [ATTR.CONSUMER_GROUP]: s.group });
      result.observe(oldest, s.oldestUnackedMs / 1000, { [ATTR.CONSUMER_GROUP]: s.group });
    }
  }, [lag, oldest]);
}

/** Each Instagram Login token's expiry (epoch ms), read by the gauge at collection time. */
const tokenExpiries = new Map<string, number>();
const tokenGauge = meter.createObservableGauge(METRIC.TOKEN_EXPIRES_IN, {
  description: 'Time left before each Instagram Login token expires (negative: expired); the gateway refreshes it well before',
  unit: 's',
});
tokenGauge.addCallback((result) => {
  const now = Date.now();
  for (const [account, expiresAt] of tokenExpiries) result.observe(Math.round((expiresAt - now) / 1000), { [ATTR.PAGE_ID]: account });
});
const tokenRefreshes = meter.createCounter(METRIC.TOKEN_REFRESHES, { description: 'Instagram Login token refreshes, by account and outcome (ok, failed)' });

/** An account's token now expires at `expiresAt` (epoch ms). */
export function recordTokenExpiry(account: string, expiresAt: number): void {
  tokenExpiries.set(account, expiresAt);
}

/** One token refresh's outcome. */
export function recordTokenRefresh(account: string, outcome: 'ok' | 'failed'): void {
  if (!telemetryStarted()) return;
  tokenRefreshes.add(1, { [ATTR.PAGE_ID]: account, outcome });
}

/** Sends the conversation policy refused or let through marked, by page, reason and decision. */
const policySends = meter.createCounter(METRIC.CONVERSATION_POLICY_SENDS, { description: 'Sends the conversation policy refused (enforce) or marked (warn), by page, reason and decision' });

/** Counts one refused or warned send (only those: an allowed send costs nothing here). */
export function recordPolicyDecision(page: string, reason: string, decision: 'refused' | 'warned'): void {
  if (!telemetryStarted()) return;
  policySends.add(1, { [ATTR.PAGE_ID]: page, [ATTR.ERROR_REASON]: reason, [ATTR.CONVERSATION_DECISION]: decision });
}

/** Windows closing within the next hour per page, counted by the records' store at collection time (at most 1,000 pages). */
export function observeClosingWindows(count: (withinMs: number) => Promise<ReadonlyMap<string, number>>): void {
  if (!telemetryStarted()) return;
  const gauge = meter.createObservableGauge(METRIC.CONVERSATION_WINDOWS_CLOSING, { description: 'Standard messaging windows that close within the next hour, per page' });
  gauge.addCallback(async (result) => {
    let n = 0;
    for (const [page, c] of await count(3_600_000)) {
      if (n++ >= 1_000) break;
      result.observe(c, { [ATTR.PAGE_ID]: page });
    }
  });
}
