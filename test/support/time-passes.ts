/**
 * Lets `ms` of wall-clock time pass, for the tests where time passing is itself the behaviour
 * under test: a window, a TTL, a pause or an ack deadline running out. Never a way to wait for
 * something to happen (see wait-for.ts): each use is named, with its reason, in the allow-list
 * of test/lint/no-fixed-sleeps.test.ts.
 */
export function timePasses(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}
