// The timers and sleeps test/ keeps, each with the reason it is not a wait for something to
// happen: time passing is the behaviour under test, a deadline, a fake that is slow on purpose,
// or a client's own pacing. Anything else waits on a signal (test/support/wait-for.ts).
import type { Allowed } from './fixed-waits';

const TIME_IS_TESTED = 'time passing is the behaviour under test';

export const ALLOWED: Allowed[] = [
  // The helpers themselves.
  { file: 'test/support/wait-for.ts', line: 'setTimeout(resolve, intervalMs)', count: 1, reason: "waitFor's interval between two looks at its condition" },
  { file: 'test/support/wait-for.ts', line: 'timer = setTimeout(() => reject(', count: 1, reason: "withDeadline's deadline" },
  { file: 'test/support/time-passes.ts', line: 'export function timePasses(ms: number)', count: 1, reason: 'the declaration of timePasses; each call is listed here' },
  { file: 'test/support/time-passes.ts', line: 'setTimeout(resolve, ms)', count: 1, reason: 'timePasses itself; each call is listed here' },
  { file: 'test/events/event-fixtures.ts', line: 'const timer = setTimeout(() => {', count: 1, reason: "Inbox.next's deadline" },

  // Time passing is what is tested: a window, a TTL, a pause, an idle time, an age.
  { file: 'test/events/event-store-suite.ts', line: 'await timePasses(250); // the window running out', count: 1, reason: `${TIME_IS_TESTED}: the dedup window (100 ms) running out` },
  { file: 'test/events/event-store-suite.ts', line: 'await timePasses(20);', count: 2, reason: `${TIME_IS_TESTED}: the clock moves on on both sides of a start time, so that the cut falls strictly between two events' received times` },
  { file: 'test/events/event-store-suite.ts', line: 'await timePasses(250); // groupIdleMs', count: 2, reason: `${TIME_IS_TESTED}: groupIdleMs (150 ms) running out` },
  { file: 'test/events/event-store-suite.ts', line: 'await timePasses(400); // the retention', count: 1, reason: `${TIME_IS_TESTED}: the retention (200 ms) running out` },
  { file: 'test/events/event-store-suite.ts', line: 'await timePasses(50);', count: 1, reason: `${TIME_IS_TESTED}: the poison event's ack deadline (1 s) passing on both consumers while they keep acking a new event every 50 ms (their own pacing), until it is parked` },
  { file: 'test/events/event-store-suite.ts', line: 'await timePasses(60); // the age', count: 1, reason: `${TIME_IS_TESTED}: the age of the oldest unacked event (at least 50 ms)` },
  { file: 'test/events/memory-event-store.test.ts', line: 'await timePasses(150); // the retention', count: 1, reason: `${TIME_IS_TESTED}: the retention (100 ms) running out` },
  { file: 'test/events/memory-event-store.test.ts', line: 'await timePasses(100); // groupIdleMs', count: 1, reason: `${TIME_IS_TESTED}: groupIdleMs (50 ms) running out` },
  { file: 'test/events/redis-event-store.test.ts', line: 'await timePasses(100); // groupIdleMs', count: 1, reason: `${TIME_IS_TESTED}: groupIdleMs (50 ms) running out` },
  { file: 'test/delivery/idempotency-suite.ts', line: 'await timePasses(300); // windowMs', count: 1, reason: `${TIME_IS_TESTED}: windowMs (200 ms) running out` },
  { file: 'test/delivery/idempotency-suite.ts', line: 'await timePasses(300); // claimTtlMs', count: 1, reason: `${TIME_IS_TESTED}: claimTtlMs (200 ms) running out` },
  { file: 'test/delivery/idempotency-suite.ts', line: 'await timePasses(200); // claimTtlMs', count: 1, reason: `${TIME_IS_TESTED}: claimTtlMs (100 ms) running out before a late complete` },
  { file: 'test/delivery/rate-limiter-suite.ts', line: 'await timePasses(250); // the pause', count: 1, reason: `${TIME_IS_TESTED}: a 200 ms page pause running out` },
  { file: 'test/delivery/rate-limiter-suite.ts', line: 'await timePasses(50); // the shorter pause', count: 1, reason: `${TIME_IS_TESTED}: the shorter (10 ms) of two pauses running out, the longer one not` },
  { file: 'test/security/caller-limits.test.ts', line: 'await timePasses(500); // a client this slow', count: 1, reason: `${TIME_IS_TESTED}: a file trickling in slower than graph.timeoutMs` },

  // A consumer that is full (max_outstanding) by design: no mark can reach it, so only a window
  // can show that nothing more is handed to it while it is full.

  // An action landing while a wait() is pending: the Redis stores' waits poll and say nothing
  // while between two looks; whether the action lands before or after the first look, the
  // outcome asserted is the same.
  { file: 'test/delivery/idempotency-suite.ts', line: 'await timePasses(20); // the waiters block first', count: 1, reason: 'the release lands while the two waits are pending' },
  { file: 'test/delivery/idempotency-suite.ts', line: "setTimeout(() => void s.complete(key, 'fp', RESPONSE), 50)", count: 1, reason: 'the completion lands while the wait is pending' },
  { file: 'test/delivery/idempotency-suite.ts', line: 'setTimeout(() => controller.abort(), 50)', count: 1, reason: 'the abort lands while the wait is pending' },
  { file: 'test/delivery/redis-idempotency-store.test.ts', line: "setTimeout(() => void a.complete(key, 'fp', RESPONSE), 50)", count: 1, reason: "the completion on one replica lands while the other's wait is pending" },
  { file: 'test/delivery/redis-idempotency-store.test.ts', line: 'setTimeout(() => void store.close(), 50)', count: 1, reason: 'the close lands while the wait is polling' },

  // A client's or a consumer's own pacing, played by the test.
  { file: 'test/events/event-store-suite.ts', line: 'setTimeout(() => {', count: 1, reason: "a consumer's random processing time (0-15 ms) before its ack: the concurrency being tested" },
  { file: 'test/events/stream-events.test.ts', line: 'setTimeout(() => {', count: 1, reason: "a consumer's random processing time (0-20 ms) before its ack: the concurrency being tested" },
  { file: 'test/receiving/redis-replicas.test.ts', line: 'if (delay > 0) setTimeout(ack, delay)', count: 1, reason: "a consumer's random processing time before its ack" },
  { file: 'test/receiving/webhook-listener-bounds.test.ts', line: 'if (!stopped) setTimeout(open, reopenMs, from)', count: 1, reason: "an idle attacker's own pace: it reopens what the gateway closed 100 ms later (the attack being measured)" },
  { file: 'test/receiving/redis-replicas.test.ts', line: 'setTimeout(subscribe, 300)', count: 1, reason: "a real consumer's back-off before it subscribes again after UNAVAILABLE" },
  { file: 'test/failover/failover-drivers.ts', line: 'setTimeout(subscribe, 300)', count: 1, reason: "a real consumer's back-off before it subscribes again after UNAVAILABLE (the store failing over)" },
  { file: 'test/failover/failover-drivers.ts', line: 'await new Promise((r) => setTimeout(r, 200));', count: 1, reason: "a caller's own pacing between retries of a refused idempotent send (RetryInfo asks for a pause)" },
  { file: 'test/delivery-e2e/redis-failure-exactly-once.test.ts', line: 'setTimeout(r, Math.max(0, 1_000 - (Date.now() - started)))', count: 1, reason: "a caller's retry every second, as the scenario defines it" },
  { file: 'test/delivery-e2e/redis-failure-exactly-once.test.ts', line: 'setTimeout(() => void redis!.kill(), 500)', count: 1, reason: 'the fault schedule: Redis is SIGKILLed 0.5 s in, what the scenario (and its title) is' },
  { file: 'test/delivery-e2e/redis-failure-exactly-once.test.ts', line: 'setTimeout(() => void redis!.restart(), restartAt)', count: 1, reason: 'the fault schedule: Redis restarted at 2 s and at 4 s (around the 2 s command timeout), what the scenario is' },

  // Fakes that answer slowly on purpose, and a probe that measures.
  { file: 'test/support/counting-graph.ts', line: 'setTimeout(send, answer.delayMs)', count: 1, reason: 'the fake Graph answers after the delay a test asks for' },
  { file: 'test/faults/fault-graph.ts', line: 'timers.push(setTimeout(fn, ms))', count: 1, reason: 'the fault Graph misbehaves on a schedule (slow headers, slow body, resets)' },
  { file: 'test/events/memory-event-store.test.ts', line: 'const probe = setInterval(() => {', count: 1, reason: 'measures the longest event-loop stall while groups catch up' },

  // Deadlines: a process or a socket that takes too long is ended, not waited for.
  { file: 'test/support/redis-server.ts', line: 'socket.setTimeout(500, () => done(false))', count: 1, reason: "a PING's deadline" },
  { file: 'test/support/redis-server.ts', line: "const kill = setTimeout(() => child.kill('SIGKILL'), 2_000)", count: 1, reason: 'SIGKILL when SIGTERM did not stop redis-server within 2 s' },
  { file: 'test/support/redis-cluster-process.ts', line: 'socket.setTimeout(500, () => done(false))', count: 1, reason: "a cluster node's PING deadline" },
  { file: 'test/support/redis-cluster-process.ts', line: "const kill = setTimeout(() => child.kill('SIGKILL'), 2_000)", count: 1, reason: 'SIGKILL when SIGTERM did not stop a cluster node within 2 s' },
  { file: 'test/interop/polyglot-clients.test.ts', line: "const killer = setTimeout(() => child.kill('SIGKILL'), 45_000)", count: 1, reason: "an echo bot's deadline" },
  { file: 'test/e2e/startup-failures.test.ts', line: "const kill = setTimeout(() => child.kill('SIGKILL'), 15_000)", count: 1, reason: "the deadline of a gateway expected to exit on a bad config" },
  { file: 'test/receiving/webhook-listener-bounds.test.ts', line: 'const cap = setTimeout(() => stop(), 60_000)', count: 1, reason: "the idle attack's deadline: it stops after 60 s whatever happens to the test" },
  { file: 'test/bench/bench-smoke.test.ts', line: "const timer = setTimeout(() => child.kill('SIGTERM'), 170_000)", count: 1, reason: "the benchmark smoke run's deadline" },
];

