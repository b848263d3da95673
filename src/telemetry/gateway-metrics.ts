import { metrics, type Attributes } from '@opentelemetry/api';
import type { GraphUsage } from '../graph/usage-headers';

const meter = metrics.getMeter('messenger-gateway');

/** Sends by page, method and gRPC code. */
const sends = meter.createCounter('messenger.gateway.sends', { description: 'Sends handled, by page, RPC method and gRPC status code' });

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
  sends.add(1, { 'messenger.page.id': page, 'rpc.method': method, 'rpc.grpc.status_code': grpcCode });
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
