/** Graph's rate-limit headers, parsed defensively: malformed values are ignored, never trusted. */
export interface GraphUsage {
  /** `X-App-Usage`: the highest of call_count / total_cputime / total_time, in percent. */
  appPercent?: number;
  /** `X-Page-Usage`: the same for the Page. */
  pagePercent?: number;
  /** `X-Business-Use-Case-Usage`: the highest percentage over every business object and type. */
  businessPercent?: number;
  /** `estimated_time_to_regain_access` (Graph sends minutes), converted to seconds; the largest seen. */
  regainAccessSeconds?: number;
}

/** Response headers, lower-cased as Node gives them. */
export type UsageHeaderValues = Record<string, string | string[] | undefined>;

const PERCENT_KEYS = ['call_count', 'total_cputime', 'total_time'] as const;
// Bounds keep a hostile or broken header from producing absurd retry delays.
const MAX_PERCENT = 10_000;
const MAX_REGAIN_MINUTES = 24 * 60;

const USAGE_HEADERS = ['x-app-usage', 'x-page-usage', 'x-business-use-case-usage'] as const;

/**
 * The usage of one Graph answer, parsed once (by the Graph client, into its outcome), or
 * undefined when the answer carries no usage header: the hot path parses nothing.
 */
export function usageOf(headers: UsageHeaderValues): GraphUsage | undefined {
  if (!USAGE_HEADERS.some((name) => headers[name] !== undefined)) return undefined;
  return parseUsageHeaders(headers);
}

/** Parses the usage headers of one Graph answer. */
export function parseUsageHeaders(headers: UsageHeaderValues): GraphUsage {
  const usage: GraphUsage = {};
  const app = percentOf(json(headers['x-app-usage']));
  if (app !== undefined) usage.appPercent = app;
  const page = percentOf(json(headers['x-page-usage']));
  if (page !== undefined) usage.pagePercent = page;
  const buc = json(headers['x-business-use-case-usage']);
  if (isRecord(buc)) {
    for (const entries of Object.values(buc)) {
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        const p = percentOf(entry);
        if (p !== undefined) usage.businessPercent = Math.max(usage.businessPercent ?? 0, p);
        const regain = isRecord(entry) ? entry.estimated_time_to_regain_access : undefined;
        if (typeof regain === 'number' && Number.isFinite(regain) && regain > 0) {
          const seconds = Math.min(regain, MAX_REGAIN_MINUTES) * 60;
          usage.regainAccessSeconds = Math.max(usage.regainAccessSeconds ?? 0, seconds);
        }
      }
    }
  }
  return usage;
}

function json(value: string | string[] | undefined): unknown {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.length > 16_384) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function percentOf(value: unknown): number | undefined {
  if (!isRecord(value)) return undefined;
  let max: number | undefined;
  for (const key of PERCENT_KEYS) {
    const v = value[key];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) max = Math.max(max ?? 0, Math.min(v, MAX_PERCENT));
  }
  return max;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
