import { credentials, Metadata, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { expect } from 'vitest';
import { EventServiceClient, StartPosition, type StreamEventsRequest, type StreamEventsResponse } from '../../gen/messenger/v1/events';
import { MessengerServiceClient, SendMessageRequest, type SendMessageResponse } from '../../gen/messenger/v1/service';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import { newMid, postWebhook } from '../../src/sandbox/customer-webhook';
import type { CountingGraph } from '../support/counting-graph';
import { textTo } from '../support/gateway-harness';
import { waitFor } from '../support/wait-for';

// What the failover tests drive from outside: Meta's POSTs, a consumer's stream, a caller's
// idempotent sends, each as a real client would (retrying what the gateway refused); and the
// two tests every Redis topology runs across a failover, parameterised by the topology.

/** A gateway process in front of a Redis topology that can fail over, as the drivers below need it. */
export interface FailoverTopology {
  /** The gateway's gRPC target and webhook URL. */
  target: string;
  webhook: string;
  /** The fake Graph the gateway sends to (each send counted). */
  graph: CountingGraph;
  /** Kills the node holding writes, waits for its replica's promotion and for writes to be confirmed again. */
  failOver(): Promise<void>;
  /**
   * The failover must be seen from outside: some posts and some send attempts refused (Sentinel,
   * where the one primary goes). On a Cluster one master of three goes: none may be refused.
   */
  refusalsExpected: boolean;
}

/** Signed webhooks posted throughout a failover: every event answered 200 reaches a stream after it. */
export async function eventsSurviveFailover(t: FailoverTopology): Promise<void> {
  const posting = postUntilStopped(t.webhook, 3);
  await waitFor(() => posting.stored.size >= 150, { what: '150 events answered 200 before the kill', timeoutMs: 30_000 });
  await t.failOver();
  const before = posting.stored.size;
  await waitFor(() => posting.stored.size >= before + 150, { what: '150 more events answered 200 after the failover', timeoutMs: 60_000 });
  const { stored, refused } = await posting.stop();
  // The kill fell in the middle of the stream: some posts were refused (Meta would retry them).
  if (t.refusalsExpected) expect(refused).toBeGreaterThan(0);
  const events = new EventServiceClient(t.target, credentials.createInsecure());
  try {
    const seen = new Set<string>();
    await streamAll(events, 'after-failover', (got) => {
      for (const d of got) seen.add(d.mid);
      return [...stored].every((mid) => seen.has(mid));
    }).catch(() => undefined);
    const lost = [...stored].filter((mid) => !seen.has(mid));
    expect(lost, `${lost.length} of ${stored.size} events answered 200 are missing`).toEqual([]);
  } finally {
    events.close();
  }
}

/** 60 idempotent sends (keys `<keyPrefix>-<i>`) across a failover: every key ends OK and was sent once at the fake Graph. */
export async function idempotentSendsSurviveFailover(t: FailoverTopology, keyPrefix: string): Promise<void> {
  const client = new MessengerServiceClient(t.target, credentials.createInsecure());
  try {
    const run = sendEachKeyOnce(client, Array.from({ length: 60 }, (_, i) => `${keyPrefix}-${i}`), 6);
    await waitFor(() => run.ok() >= 15 || (() => { throw new Error(`refusals so far: ${JSON.stringify(run.codes())}`); })(), { what: '15 sends OK before the kill', timeoutMs: 30_000 });
    await t.failOver();
    const { results, codes } = await run.done;
    expect(results.filter((r) => r === undefined), `keys never OK: ${JSON.stringify(codes)}`).toEqual([]);
    const perKey = new Map<string, number>();
    for (const r of t.graph.requests) {
      const text = (r.body.message as { text?: string } | undefined)?.text ?? '';
      if (text.startsWith(`msg ${keyPrefix}-`)) perKey.set(text, (perKey.get(text) ?? 0) + 1);
    }
    expect([...perKey].filter(([, n]) => n !== 1), 'keys sent more than once').toEqual([]);
    expect(perKey.size).toBe(60);
    // The failover was met: some attempts were refused and retried.
    if (t.refusalsExpected) expect(Object.keys(codes).length).toBeGreaterThan(0);
  } finally {
    client.close();
  }
}

export const APP_SECRET = 'failover-app-secret-0123456789';
export const PAGE = '1001';

/** A webhook body of 1 to 3 message items, each its own mid and person (as Meta batches them). */
function body(n: number): { bytes: Buffer; mids: string[] } {
  const now = Date.now();
  const mids: string[] = [];
  const messaging = Array.from({ length: 1 + (n % 3) }, (_, i) => {
    const mid = newMid();
    mids.push(mid);
    return { sender: { id: `psid-${(n + i) % 50}` }, recipient: { id: PAGE }, timestamp: now, message: { mid, text: `event ${n}.${i}` } };
  });
  return { bytes: Buffer.from(JSON.stringify({ object: 'page', entry: [{ id: PAGE, time: now, messaging }] })), mids };
}

/**
 * `posters` loops posting signed webhooks (new events each time) until stopped: the mids of the
 * bodies answered 200, and how many posts were refused (a 503, or no answer).
 */
export function postUntilStopped(url: string, posters: number): { stored: Set<string>; stop(): Promise<{ stored: Set<string>; refused: number }> } {
  const stored = new Set<string>();
  let refused = 0;
  let stopped = false;
  let n = 0;
  const loops = Array.from({ length: posters }, async () => {
    while (!stopped) {
      const b = body(n++);
      const status = await postWebhook(url, APP_SECRET, b.bytes).then((r) => r.status, () => 0);
      if (status === 200) for (const mid of b.mids) stored.add(mid);
      else refused++;
    }
  });
  return {
    stored,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      return { stored, refused };
    },
  };
}

export interface Delivery {
  mid: string;
  psid: string;
}

/**
 * A consumer of `group` from the earliest event (a real stream, acking each event), subscribing
 * again after UNAVAILABLE, until `enough` says it has what it waits for.
 */
export async function streamAll(client: EventServiceClient, group: string, enough: (got: readonly Delivery[]) => boolean, timeoutMs = 60_000): Promise<Delivery[]> {
  const got: Delivery[] = [];
  let call: ClientDuplexStream<StreamEventsRequest, StreamEventsResponse> | undefined;
  let stopped = false;
  const subscribe = () => {
    if (stopped) return;
    const c = client.streamEvents(new Metadata());
    call = c;
    c.on('data', (r: StreamEventsResponse) => {
      const ev = r.event!;
      const m = ev.kind?.$case === 'message' ? ev.kind.value : undefined;
      got.push({ mid: m?.mid ?? '', psid: ev.senderId });
      c.write({ subscribe: undefined, ack: { eventIds: [ev.eventId] }, nack: undefined });
    });
    c.on('error', (e: ServiceError) => {
      if (stopped || e.code === status.CANCELLED) return;
      setTimeout(subscribe, 300);
    });
    c.write({ subscribe: { consumerGroup: group, pageIds: [], maxOutstanding: 500, start: StartPosition.START_POSITION_EARLIEST, startTime: undefined }, ack: undefined, nack: undefined });
  };
  subscribe();
  try {
    await waitFor(() => enough(got), { what: `the events on group ${group}`, timeoutMs, intervalMs: 50 });
  } finally {
    stopped = true;
    call?.cancel();
  }
  return got;
}

/** One idempotent send of `msg <key>` with a 5 s deadline. */
export function sendOnce(client: MessengerServiceClient, key: string): Promise<{ res?: SendMessageResponse; err?: ServiceError }> {
  return new Promise((resolve) =>
    client.sendMessage(SendMessageRequest.fromPartial({ ...textTo('42', `msg ${key}`), idempotencyKey: key }), new Metadata(), { deadline: Date.now() + 5_000 }, (err: ServiceError | null, res?: SendMessageResponse) =>
      resolve(err ? { err } : { res }),
    ),
  );
}

/**
 * Sends every key (`concurrency` at a time), each retried with the same key until OK or 90 s
 * pass, as a caller holding idempotency keys does; counts the refusals by code and reason.
 */
export function sendEachKeyOnce(client: MessengerServiceClient, keys: readonly string[], concurrency: number): {
  ok(): number;
  /** The refusals met so far, by code and reason: said when a wait on `ok` times out. */
  codes(): Record<string, number>;
  done: Promise<{ results: Array<SendMessageResponse | undefined>; codes: Record<string, number> }>;
} {
  // Filled, not sparse: a key never answered OK must count as undefined (filter skips holes).
  const results: Array<SendMessageResponse | undefined> = keys.map(() => undefined);
  const codes: Record<string, number> = {};
  let ok = 0;
  let next = 0;
  const t0 = Date.now();
  const worker = async () => {
    for (let i = next++; i < keys.length; i = next++) {
      while (Date.now() - t0 < 90_000) {
        const { res, err } = await sendOnce(client, keys[i]!);
        if (res) {
          results[i] = res;
          ok++;
          break;
        }
        const code = `${status[err!.code]}/${decodeStatusDetails(err!.metadata).errorInfo?.reason ?? '-'}`;
        codes[code] = (codes[code] ?? 0) + 1;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  const done = Promise.all(Array.from({ length: concurrency }, worker)).then(() => ({ results, codes }));
  return { ok: () => ok, codes: () => codes, done };
}
