import { metrics, type Attributes } from '@opentelemetry/api';
import type { GraphUsage } from '../graph/usage-headers';
import { telemetryStarted } from './start-telemetry';

const meter = metrics.getMeter('messenger-gateway');

/**
 * Sends by page, method and gRPC code, counted here and read at collection time: a synchronous
 * counter hashes its attributes on every add, which showed in the traced send's profile.
 * Bounded: past MAX_SEND_SERIES series (page ids come from requests), new ones count under
 * page `_other`; below the SDK's own cardinality limit (2,000), which would fold them away.
 */
const MAX_SEND_SERIES = 1_000;
const sendCounts = new Map<string, { attributes: Attributes; count: number }>();
const sends = meter.createObservableCounter('messenger.gateway.sends', { description: 'Sends handled, by page, RPC method and gRPC status code' });
sends.addCallback((result) => {
  for (const { attributes, count } of sendCounts.values()) result.observe(count, attributes);
});

/** Graph call latency. */
const graphDuration = meter.createHistogram('messenger.graph.request.duration', {
  description: 'Duration of Graph API calls',
  unit: 's',
  advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
});

// The last usage seen per page, read by the observable gauge at collection time.
const lastUsage = new Map<string, GraphUsage>();
const usageGauge = meter.createObservableGauge('messenger.graph.usage', {
  description: "Graph's rate-limit usage from X-App-Usage, X-Page-Usage and X-Business-Use-Case-Usage",
  unit: '%',
});
usageGauge.addCallback((result) => {
  for (const [page, u] of lastUsage) {
    if (u.appPercent !== undefined) result.observe(u.appPercent, { 'messenger.page.id': page, 'messenger.usage.header': 'x-app-usage' });
    if (u.pagePercent !== undefined) result.observe(u.pagePercent, { 'messenger.page.id': page, 'messenger.usage.header': 'x-page-usage' });
    if (u.businessPercent !== undefined) {
      result.observe(u.businessPercent, { 'messenger.page.id': page, 'messenger.usage.header': 'x-business-use-case-usage' });
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
      series = { attributes: { 'messenger.page.id': page, 'rpc.method': method, 'rpc.grpc.status_code': grpcCode }, count: 0 };
      sendCounts.set(key, series);
    }
  }
  series.count++;
}

/** Records one Graph call's duration (seconds) and outcome kind. */
export function recordGraphCall(page: string, seconds: number, outcome: string, httpStatus?: number): void {
  const attrs: Attributes = { 'messenger.page.id': page, 'messenger.graph.outcome': outcome };
  if (httpStatus !== undefined) attrs['http.response.status_code'] = httpStatus;
  graphDuration.record(seconds, attrs);
}

/** Keeps a page's latest usage for the gauge; a bounded map since pages are configured. */
export function recordUsage(page: string, usage: GraphUsage): void {
  if (lastUsage.size < 10_000 || lastUsage.has(page)) lastUsage.set(page, usage);
}
