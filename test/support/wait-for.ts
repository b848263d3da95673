/**
 * Waiting on what the system under test says instead of sleeping: a fixed sleep is either too
 * short on a loaded machine (a flaky test) or too long everywhere (a slow one), and when it is
 * too short the failure names nothing.
 */

export interface WaitOptions {
  /** What is awaited, for the failure message ("the subscription on B", "a 503"). */
  what: string;
  /** Default 5 s. */
  timeoutMs?: number;
  /** How often the condition is looked at; default 10 ms. */
  intervalMs?: number;
}

/** A condition's answer: anything but `undefined`, `null` or `false` ends the wait and is returned. */
type Answer<T> = T | undefined | null | false;

/**
 * Looks at `check` until it answers (see {@link Answer}); fails after the deadline naming
 * `what` and, when `check` threw on its last look, why.
 */
export async function waitFor<T>(check: () => Answer<T> | Promise<Answer<T>>, opts: WaitOptions): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const intervalMs = opts.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const answer = await check();
      if (answer !== undefined && answer !== null && answer !== false) return answer;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const why = lastError === undefined ? '' : ` (last look failed: ${lastError instanceof Error ? lastError.message : String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what}${why}`);
    }
    await new Promise<void>((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** `promise`, or a failure naming `what` once `timeoutMs` has passed without it settling. */
export function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
