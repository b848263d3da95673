// Graph's rate-limit usage headers. Normal answers report small, slowly growing percentages;
// rate-limit errors report 100% and a time to regain access, as Graph does when it throttles.

/** Percentages of one usage header. */
interface Usage {
  call_count: number;
  total_cputime: number;
  total_time: number;
}

const WINDOW_MS = 60_000;

/**
 * `estimated_time_to_regain_access` of a simulated rate-limit error, in minutes (Graph's unit; Graph
 * sends whole minutes, the gateway reads fractions): 0.25 = 15 s. The gateway pauses the Page that
 * long, so it is short, for a demo Page to recover soon; and it is no shorter than the 15 s deadline
 * of `npm run send` (10 s in the examples), so the gateway does not wait and retry a recipient that
 * always fails: the caller gets the error, with a 15 s RetryInfo, at once.
 */
export const SIMULATED_REGAIN_MINUTES = 0.25;

/** Counts calls per minute and turns them into usage headers. */
export class UsageMeter {
  private windowStart = Date.now();
  private calls = 0;

  /** The headers of an ordinary answer for `pageId`. */
  normal(pageId: string): Record<string, string> {
    const now = Date.now();
    if (now - this.windowStart >= WINDOW_MS) {
      this.windowStart = now;
      this.calls = 0;
    }
    this.calls++;
    // One percent per 100 calls in the minute, never reaching the throttle point.
    const count = Math.min(90, 1 + Math.floor(this.calls / 100));
    return headers(pageId, { call_count: count, total_cputime: Math.max(1, count >> 1), total_time: count }, 0, false);
  }

  /** The headers of a (simulated) rate-limit error: everything at 100%, access back in SIMULATED_REGAIN_MINUTES. */
  exhausted(pageId: string): Record<string, string> {
    return headers(pageId, { call_count: 100, total_cputime: 100, total_time: 100 }, SIMULATED_REGAIN_MINUTES, true);
  }
}

function headers(pageId: string, usage: Usage, regainMinutes: number, withPage: boolean): Record<string, string> {
  const buc = { [pageId]: [{ type: 'messenger', ...usage, estimated_time_to_regain_access: regainMinutes }] };
  const out: Record<string, string> = {
    'x-app-usage': JSON.stringify(usage),
    'x-business-use-case-usage': JSON.stringify(buc),
  };
  // Graph leaves X-Page-Usage out while usage is near zero.
  if (withPage) out['x-page-usage'] = JSON.stringify(usage);
  return out;
}
