// Fault injection: a fake Graph that hangs, dawdles, resets, answers HTML, broken JSON, 10 MB,
// rate limits and temporary failures, or refuses connections. For each fault: the documented
// gRPC code and ErrorInfo reason within the deadline plus a margin, the gateway keeps serving,
// and once it is closed no socket or timer it opened is left behind.

import { status, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeStatusDetails, type DecodedDetails } from '../../src/errors/decode-status-details';
import { grpcError, startTestGateway, textTo, type TestGateway } from '../support/gateway-harness';
import { FAULTS, HUGE_BODY_BYTES, REGAIN_MINUTES, refusedUrl, startFaultGraph, type Fault, type FaultGraph, type FaultGraphOptions } from './fault-graph';
import { waitFor } from '../support/wait-for';

/** Slack over a deadline or timeout: generous, this is no benchmark. */
const MARGIN_MS = 1_500;
// One Page per fault: a gateway may pause a Page after a rate limit, and that must not
// change the answer of the next fault. `stillServes` sends on a Page no fault touched.
const PAGE_IDS = Array.from({ length: 12 }, (_, i) => String(1001 + i));
const PAGES = PAGE_IDS.map((id) => ({ id, accessToken: `EAAB-fault-token-${id}`, appsecretProof: 'classic' as const }));
const CLEAN_PAGE = '1012';
const pageOf = (fault: string) => PAGE_IDS[Math.max(0, FAULTS.indexOf(fault as Fault))];
const WATCHED = ['TCPSocketWrap', 'TCPServerWrap', 'Timeout'] as const;

type Counts = Record<(typeof WATCHED)[number], number>;

/** Handles keeping the event loop alive, by the kinds a leak would show up as. */
function activeResources(): Counts {
  const counts: Counts = { TCPSocketWrap: 0, TCPServerWrap: 0, Timeout: 0 };
  for (const kind of process.getActiveResourcesInfo()) if (kind in counts) counts[kind as keyof Counts]++;
  return counts;
}

/** Waits until no watched kind exceeds its baseline (or 3 s), and returns the last counts. */
async function settledResources(baseline: Counts): Promise<Counts> {
  const settled = () => {
    const now = activeResources();
    return WATCHED.every((k) => now[k] <= baseline[k]);
  };
  // Past the deadline, the counts as they are: the caller's expect names what stayed open.
  await waitFor(settled, { what: 'the resources back at their baseline', timeoutMs: 3_000, intervalMs: 25 }).catch(() => undefined);
  return activeResources();
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  cleanup = [];
});

interface Run {
  graph: FaultGraph;
  gw: TestGateway;
  baseline: Counts;
}

async function start(graphOpts: FaultGraphOptions, timeoutMs: number, baseUrl?: string): Promise<Run> {
  const baseline = activeResources();
  const graph = await startFaultGraph(graphOpts);
  cleanup.push(() => graph.close());
  const gw = await startTestGateway({ sandbox: false, pages: PAGES, graph: { baseUrl: baseUrl ?? graph.url, timeoutMs } });
  cleanup.push(() => gw.close());
  return { graph, gw, baseline };
}

/** Closes the gateway, then the fake: upstream sockets must close on their own, and every handle go. */
async function closeAndCheckLeaks(run: Run): Promise<void> {
  await run.gw.close();
  // The gateway's end of each upstream connection must have gone with it.
  expect(await run.graph.socketsDrained(2_000), 'the fake Graph still has open connections from the closed gateway').toBe(true);
  await run.graph.close();
  const after = await settledResources(run.baseline);
  for (const kind of WATCHED) expect(after[kind], `${kind} handles after close (baseline ${run.baseline[kind]})`).toBeLessThanOrEqual(run.baseline[kind]);
}

/** The gateway still sends: an ordinary message through the same upstream pool gets a message id. */
async function stillServes(gw: TestGateway): Promise<void> {
  const res = await gw.send(textTo('42', 'hello', CLEAN_PAGE), { deadlineMs: 5_000 });
  expect(res.messageId).toMatch(/^m_/);
}

async function failWith(gw: TestGateway, fault: Fault | string, deadlineMs: number): Promise<{ err: ServiceError; d: DecodedDetails; elapsed: number }> {
  const started = Date.now();
  const err = await grpcError(gw.send(textTo(fault, 'hello', pageOf(fault)), { deadlineMs }));
  return { err, d: decodeStatusDetails(err.metadata), elapsed: Date.now() - started };
}

function retrySeconds(d: DecodedDetails): number | undefined {
  const delay = d.retryInfo?.retryDelay;
  return delay && Number(delay.seconds) + delay.nanos / 1e9;
}

describe('fault injection: a misbehaving Graph', () => {
  it('hang, bounded by graph.timeoutMs: DEADLINE_EXCEEDED GRAPH_TIMEOUT (maybe delivered)', async () => {
    const run = await start({}, 400);
    const { err, d, elapsed } = await failWith(run.gw, 'hang', 10_000);
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(d.errorInfo).toMatchObject({ reason: 'GRAPH_TIMEOUT', domain: 'graph.facebook.com', metadata: { timeout_ms: '400', maybe_delivered: 'true' } });
    expect(d.graphError).toBeUndefined();
    expect(elapsed).toBeLessThan(400 + MARGIN_MS);
    await stillServes(run.gw);
    await closeAndCheckLeaks(run);
  });

  it("hang, bounded by the caller's deadline: DEADLINE_EXCEEDED in time, and the upstream request is aborted", async () => {
    const run = await start({}, 60_000);
    const { err, elapsed } = await failWith(run.gw, 'hang', 500);
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(elapsed).toBeLessThan(500 + MARGIN_MS);
    // The gateway gave up on the upstream request: its connection was closed.
    expect(await run.graph.requestsClosed('hang', MARGIN_MS)).toBe(true);
    await stillServes(run.gw);
    await closeAndCheckLeaks(run);
  });

  it('slow headers beyond the timeout: DEADLINE_EXCEEDED GRAPH_TIMEOUT', async () => {
    const run = await start({ slowMs: 5_000 }, 500);
    const { err, d, elapsed } = await failWith(run.gw, 'slow-headers', 10_000);
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(d.errorInfo).toMatchObject({ reason: 'GRAPH_TIMEOUT', metadata: { maybe_delivered: 'true' } });
    expect(elapsed).toBeLessThan(500 + MARGIN_MS);
    await stillServes(run.gw);
    await closeAndCheckLeaks(run);
  });

  it('slow body beyond the timeout (headers at once, a byte every 100 ms): DEADLINE_EXCEEDED GRAPH_TIMEOUT', async () => {
    const run = await start({ slowMs: 5_000 }, 500);
    const { err, d, elapsed } = await failWith(run.gw, 'slow-body', 10_000);
    expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(d.errorInfo).toMatchObject({ reason: 'GRAPH_TIMEOUT', metadata: { maybe_delivered: 'true' } });
    expect(elapsed).toBeLessThan(500 + MARGIN_MS);
    await stillServes(run.gw);
    await closeAndCheckLeaks(run);
  });

  it('slow headers and slow body within the deadline: OK', async () => {
    const run = await start({ slowMs: 600 }, 5_000);
    const started = Date.now();
    const res = await run.gw.send(textTo('slow-ok', 'hello', pageOf('slow-ok')), { deadlineMs: 5_000 });
    expect(res.messageId).toMatch(/^m_/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    await closeAndCheckLeaks(run);
  });

  it('connection reset mid-body: UNAVAILABLE GRAPH_UNAVAILABLE, maybe delivered, retry in 1 s', async () => {
    const run = await start({}, 5_000);
    const { err, d, elapsed } = await failWith(run.gw, 'reset-mid-body', 5_000);
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(d.errorInfo).toMatchObject({ reason: 'GRAPH_UNAVAILABLE', metadata: { maybe_delivered: 'true' } });
    expect(retrySeconds(d)).toBe(1);
    expect(d.graphError).toBeUndefined();
    expect(elapsed).toBeLessThan(MARGIN_MS);
    await stillServes(run.gw);
    await closeAndCheckLeaks(run);
  });

  it('5xx with an HTML page: UNAVAILABLE GRAPH_UNAVAILABLE with the HTTP status, retry in 1 s', async () => {
    const run = await start({}, 5_000);
    const { err, d } = await failWith(run.gw, 'html-502', 5_000);
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(d.errorInfo).toMatchObject({ reason: 'GRAPH_UNAVAILABLE', metadata: { http_status: '502' } });
    expect(retrySeconds(d)).toBe(1);
    expect(d.graphError).toBeUndefined();
    await stillServes(run.gw);
    await closeAndCheckLeaks(run);
  });

  it('200 with invalid JSON: UNKNOWN GRAPH_BAD_RESPONSE, no retry hint', async () => {
    const run = await start({}, 5_000);
    const { err, d } = await failWith(run.gw, 'invalid-json', 5_000);
    expect(err.code).toBe(status.UNKNOWN);
    expect(d.errorInfo).toMatchObject({ reason: 'GRAPH_BAD_RESPONSE', metadata: { http_status: '200' } });
    expect(d.retryInfo).toBeUndefined();
    expect(d.graphError).toBeUndefined();
    await stillServes(run.gw);
    await closeAndCheckLeaks(run);
  });

  it('a 10 MB answer: UNKNOWN GRAPH_BAD_RESPONSE, and the gateway hangs up at its 1 MiB cap instead of reading it all', async () => {
    const run = await start({ hugePauseMs: 4_000 }, 10_000);
    const { err, d, elapsed } = await failWith(run.gw, 'huge-body', 10_000);
    expect(err.code).toBe(status.UNKNOWN);
    expect(d.errorInfo).toMatchObject({ reason: 'GRAPH_BAD_RESPONSE' });
    expect(err.details).toMatch(/larger than 1048576 bytes/);
    // The fake pauses after 2 MiB: a gateway buffering the whole answer would wait it out.
    expect(elapsed).toBeLessThan(4_000);
    expect(await run.graph.requestsClosed('huge-body', MARGIN_MS)).toBe(true);
    expect(run.graph.hugeReports).toHaveLength(1);
    expect(run.graph.hugeReports[0]).toMatchObject({ closedDuringPause: true, completed: false });
    expect(run.graph.hugeReports[0].bytesWritten).toBeLessThan(HUGE_BODY_BYTES);
    await stillServes(run.gw);
    await closeAndCheckLeaks(run);
  });

  it('613 with usage headers: RESOURCE_EXHAUSTED RATE_LIMITED, RetryInfo from estimated_time_to_regain_access', async () => {
    const run = await start({}, 5_000);
    const { err, d } = await failWith(run.gw, 'error-613', 5_000);
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(d.errorInfo).toMatchObject({ reason: 'RATE_LIMITED', metadata: { code: '613', fbtrace_id: 'AfaultTrace' } });
    expect(retrySeconds(d)).toBe(REGAIN_MINUTES * 60);
    expect(d.graphError).toMatchObject({ code: 613, httpStatus: 400 });
    await stillServes(run.gw);
    await closeAndCheckLeaks(run);
  });

  it('1200: UNAVAILABLE TEMPORARY_SEND_FAILURE, retry in 1 s', async () => {
    const run = await start({}, 5_000);
    const { err, d } = await failWith(run.gw, 'error-1200', 5_000);
    expect(err.code).toBe(status.UNAVAILABLE);
    expect(d.errorInfo).toMatchObject({ reason: 'TEMPORARY_SEND_FAILURE', metadata: { code: '1200' } });
    expect(retrySeconds(d)).toBe(1);
    expect(d.graphError).toMatchObject({ code: 1200, httpStatus: 500 });
    await stillServes(run.gw);
    await closeAndCheckLeaks(run);
  });

  it('connection refused: UNAVAILABLE GRAPH_UNAVAILABLE, not delivered; later calls are answered too', async () => {
    const run = await start({}, 5_000, await refusedUrl());
    for (let i = 0; i < 3; i++) {
      const { err, d, elapsed } = await failWith(run.gw, '42', 5_000);
      expect(err.code).toBe(status.UNAVAILABLE);
      expect(d.errorInfo).toMatchObject({ reason: 'GRAPH_UNAVAILABLE', metadata: { maybe_delivered: 'false' } });
      expect(retrySeconds(d)).toBe(1);
      expect(elapsed).toBeLessThan(MARGIN_MS);
    }
    // Validation still answers without Graph.
    const invalid = await grpcError(run.gw.send({ pageId: CLEAN_PAGE }));
    expect(invalid.code).toBe(status.INVALID_ARGUMENT);
    await closeAndCheckLeaks(run);
  });

  it('every fault at once, twice over, on one gateway: each gets its own answer, then the gateway serves and leaks nothing', async () => {
    const run = await start({ slowMs: 3_000, hugePauseMs: 3_000 }, 700);
    const expected: Record<Fault, status | 'ok'> = {
      hang: status.DEADLINE_EXCEEDED,
      'slow-headers': status.DEADLINE_EXCEEDED,
      'slow-body': status.DEADLINE_EXCEEDED,
      'slow-ok': status.DEADLINE_EXCEEDED, // 1.5 s before the headers: beyond the 700 ms timeout
      'reset-mid-body': status.UNAVAILABLE,
      'html-502': status.UNAVAILABLE,
      'invalid-json': status.UNKNOWN,
      'huge-body': status.UNKNOWN,
      'error-613': status.RESOURCE_EXHAUSTED,
      'error-1200': status.UNAVAILABLE,
    };
    const started = Date.now();
    const calls = [...FAULTS, ...FAULTS].map(async (fault) => {
      const code = await run.gw.send(textTo(fault, 'hello', pageOf(fault)), { deadlineMs: 10_000 }).then(() => status.OK, (e: ServiceError) => e.code);
      return { fault, code };
    });
    const results = await Promise.all(calls);
    for (const r of results) expect(`${r.fault}: ${status[r.code]}`).toBe(`${r.fault}: ${status[expected[r.fault] as status]}`);
    expect(Date.now() - started).toBeLessThan(700 + MARGIN_MS + 1_000);
    await Promise.all([stillServes(run.gw), stillServes(run.gw), stillServes(run.gw)]);
    await closeAndCheckLeaks(run);
  });
});
