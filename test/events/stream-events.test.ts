import { credentials, Metadata, Server, ServerCredentials, status, type ClientDuplexStream, type ServerDuplexStream, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EventServiceClient,
  EventServiceService,
  Subscribe,
  type ListDeadLettersResponse,
  type ReplayDeadLettersResponse,
  type StreamEventsRequest,
  type StreamEventsResponse,
} from '../../gen/messenger/v1/events';
import { decodeStatusDetails } from '../../src/errors/decode-status-details';
import type { EventsConfig } from '../../src/config/gateway-config';
import { MemoryEventStore } from '../../src/events/memory-event-store';
import { createLogger } from '../../src/log/logger';
import { accessInterceptor, CallerRegistry } from '../../src/server/access-interceptor';
import { CallerAuthenticator, generateApiKey, hashApiKey } from '../../src/server/caller-auth';
import { METHOD_ACCESS } from '../../src/server/method-access';
import { eventServiceHandlers, type EventCaller } from '../../src/service/stream-events';
import { ownedGroup } from '../../src/service/owned-group';
import { waitFor, withDeadline } from '../support/wait-for';
import { Inbox, newEvent, uniqueName } from './event-fixtures';

// A real grpc-js server serving the EventService handlers over a MemoryEventStore, and real
// grpc-js clients: everything below goes over HTTP/2 on 127.0.0.1.

const STORE_OPTIONS: EventsConfig = { dedupWindowMs: 60_000, retentionMs: 3_600_000, maxEvents: 10_000, ackDeadlineMs: 300, maxDeliveryAttempts: 3, maxGroups: 100, maxGroupsPerCaller: 100, neverAckedGroupMs: 3_600_000, groupIdleMs: 600_000, partitions: 16 };
const silent = () => createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }));

interface Harness {
  store: MemoryEventStore;
  client: EventServiceClient;
  /** What `callerOf` answers (undefined: no caller auth configured). */
  caller: EventCaller | undefined;
  /** The handlers' log lines. */
  logs: string[];
  /** The `x-test-stream` ids of the streams the server saw cancelled. */
  cancelled: Set<string>;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(options: Partial<EventsConfig> = {}, withAccess?: { key: string; pages: string[] }): Promise<Harness> {
  const store = new MemoryEventStore({ ...STORE_OPTIONS, ...options });
  const callers = new CallerRegistry();
  const h: Harness = { store, client: undefined as unknown as EventServiceClient, caller: undefined, logs: [], cancelled: new Set() };
  const server = withAccess
    ? new Server({
        interceptors: [
          accessInterceptor({
            auth: new CallerAuthenticator([{ name: 'orders', apiKeyHash: hashApiKey(withAccess.key), pages: withAccess.pages, ratePerSecond: 0 }]),
            access: METHOD_ACCESS,
            callers,
            maxInFlightCalls: 100, maxInFlightPerCaller: 100, maxWatchStreams: 100, maxWatchStreamsPerConnection: 100,
            logger: silent(),
          }),
        ],
      })
    : new Server();
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      h.logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger('info', sink);
  const handlers = eventServiceHandlers({ store, logger, callerOf: (md) => (withAccess ? callers.callerOf(md) : h.caller) });
  server.addService(EventServiceService, {
    ...handlers,
    streamEvents: (call: ServerDuplexStream<StreamEventsRequest, StreamEventsResponse>) => {
      handlers.streamEvents(call);
      // After the handler's own listener: once this runs, the handler has seen the cancel too.
      call.on('cancelled', () => h.cancelled.add(String(call.metadata.get('x-test-stream')[0] ?? '')));
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  h.client = new EventServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  cleanups.push(async () => {
    h.client.close();
    server.forceShutdown();
    await store.close();
  });
  return h;
}

interface Stream {
  /** Sent as `x-test-stream`, so that the harness can tell what the server saw of this stream. */
  id: string;
  call: ClientDuplexStream<StreamEventsRequest, StreamEventsResponse>;
  inbox: Inbox<StreamEventsResponse>;
  /** The stream's final status. */
  ended: Promise<StatusObject>;
  /** Resolves when the server says the subscription is live (response headers). */
  live: Promise<void>;
  ack(...ids: string[]): void;
  nack(ids: string[], delayMs?: number): void;
}

function open(h: Harness, subscribe: Partial<Subscribe> | undefined, md = new Metadata()): Stream {
  const id = uniqueName('stream');
  md.set('x-test-stream', id);
  const call = h.client.streamEvents(md);
  const inbox = new Inbox<StreamEventsResponse>();
  call.on('data', inbox.push);
  call.on('error', () => {}); // the status below says it
  const ended = new Promise<StatusObject>((resolve) => call.on('status', resolve));
  const live = new Promise<void>((resolve) => call.on('metadata', () => resolve()));
  call.write(subscribe ? { subscribe: Subscribe.fromPartial(subscribe) } : { ack: { eventIds: ['x'] } });
  cleanups.push(() => call.cancel());
  return {
    id,
    call,
    inbox,
    ended,
    live,
    ack: (...ids) => call.write({ ack: { eventIds: ids } }),
    nack: (ids, delayMs) =>
      call.write({ nack: { eventIds: ids, delay: delayMs === undefined ? undefined : { seconds: String(Math.floor(delayMs / 1000)), nanos: (delayMs % 1000) * 1e6 } } }),
  };
}

/** A subscribed stream (its group exists once this resolves). */
async function subscribed(h: Harness, subscribe: Partial<Subscribe>, md?: Metadata): Promise<Stream> {
  const s = open(h, subscribe, md);
  await Promise.race([s.live, s.ended.then((st) => Promise.reject(new Error(`stream ended: ${st.code} ${st.details}`)))]);
  return s;
}

const idOf = (r: StreamEventsResponse) => r.event!.eventId;

/**
 * "Nothing more arrives", told by the store: a mark of `page` appended now (the memory store
 * hands the oldest ready conversation out first, so anything stored before it that was going to
 * reach `streams` has once one of them had it) and acked by whichever holds it. Returns what else
 * each stream was given and had not read. `group` is the store's key of the group (its caller's, see ownedGroup).
 */
async function extras(h: Harness, group: string, page: string, streams: Stream[]): Promise<StreamEventsResponse[][]> {
  const mark = newEvent(page, 'mark');
  const markId = mark.event.eventId;
  const lagBefore = (await h.store.stats()).find((g) => g.group === group)?.lag ?? 0;
  await h.store.append([mark]);
  await waitFor(() => streams.some((s) => s.inbox.all.some((r) => idOf(r) === markId)), { what: `the mark of ${page} in group ${group}` });
  for (const s of streams) s.ack(markId);
  await waitFor(async () => (await h.store.stats()).find((g) => g.group === group)?.lag === lagBefore, { what: `the mark of ${page} acked` });
  return streams.map((s) => s.inbox.drain().filter((r) => idOf(r) !== markId));
}
const reasonOf = (st: StatusObject | ServiceError) => decodeStatusDetails(st.metadata).errorInfo?.reason;

function unary<Res>(fn: (cb: (err: ServiceError | null, res?: Res) => void) => void): Promise<{ err: ServiceError | null; res?: Res }> {
  return new Promise((resolve) => fn((err, res) => resolve({ err, res })));
}

describe('StreamEvents over a real grpc-js server', () => {
  it('subscribes, receives, acks: an acked event is not delivered again; max_outstanding bounds what is out', async () => {
    const h = await start();
    const page = uniqueName('p');
    const s = await subscribed(h, { consumerGroup: uniqueName('g'), maxOutstanding: 2 });
    const events = [newEvent(page, 'a'), newEvent(page, 'b'), newEvent(page, 'c')];
    await h.store.append(events);
    const two = await s.inbox.take(2);
    for (const r of two) {
      expect(r.deliveryAttempt).toBe(1);
      expect(r.event?.pageId).toBe(page);
      expect(r.event?.receivedTime).toBeInstanceOf(Date);
      expect(r.event?.kind?.$case).toBe('message');
    }
    s.ack(...two.map(idOf));
    const third = await s.inbox.next();
    s.ack(idOf(third));
    expect([...two, third].map(idOf).sort()).toEqual(events.map((e) => e.event.eventId).sort());
    // Until a mark given after them came back past the 300 ms ack deadline: so would they have.
    const mark = newEvent(page, 'mark');
    await h.store.append([mark]);
    const isMark = (r: StreamEventsResponse) => idOf(r) === mark.event.eventId;
    expect(await s.inbox.before((r) => isMark(r) && r.deliveryAttempt === 2, isMark)).toEqual([]);
  });

  it('nack at once: delivered again with delivery_attempt 2; nack with a delay: after it, and the conversation waits', async () => {
    const h = await start({ ackDeadlineMs: 5_000 });
    const page = uniqueName('p');
    const s = await subscribed(h, { consumerGroup: uniqueName('g') });
    const x = [newEvent(page, 'x'), newEvent(page, 'x')];
    await h.store.append(x);
    const first = await s.inbox.next();
    expect(idOf(first)).toBe(x[0].event.eventId);
    s.nack([idOf(first)]);
    const again = await s.inbox.next();
    expect([idOf(again), again.deliveryAttempt]).toEqual([x[0].event.eventId, 2]);

    const started = Date.now();
    s.nack([idOf(again)], 500);
    const y = newEvent(page, 'y');
    await h.store.append([y]);
    expect(idOf(await s.inbox.next())).toBe(y.event.eventId); // other conversations go on
    const third = await s.inbox.next(3_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect([idOf(third), third.deliveryAttempt]).toEqual([x[0].event.eventId, 3]);
    s.ack(idOf(third));
    expect(idOf(await s.inbox.next())).toBe(x[1].event.eventId);
  });

  it('delivers an event again when its ack deadline passes', async () => {
    const h = await start({ maxDeliveryAttempts: 10 });
    const s = await subscribed(h, { consumerGroup: uniqueName('g') });
    await h.store.append([newEvent(uniqueName('p'), 'u')]);
    const first = await s.inbox.next();
    const started = Date.now();
    const again = await s.inbox.next(3_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(idOf(again)).toBe(idOf(first));
    expect(again.deliveryAttempt).toBe(2);
  });

  it('a broken stream (the client cancels) gives its events back at once, to another consumer of the group', async () => {
    const h = await start({ ackDeadlineMs: 30_000 });
    const group = uniqueName('g');
    const a = await subscribed(h, { consumerGroup: group });
    await h.store.append([newEvent(uniqueName('p'), 'u')]);
    const got = await a.inbox.next();
    const b = await subscribed(h, { consumerGroup: group });
    expect((await extras(h, group, uniqueName('p'), [a, b]))[1]).toEqual([]);
    const started = Date.now();
    a.call.cancel();
    const again = await b.inbox.next();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect([idOf(again), again.deliveryAttempt]).toEqual([idOf(got), 2]);
  });

  it('a client that half-closes ends its stream OK, and its events go back', async () => {
    const h = await start({ ackDeadlineMs: 30_000 });
    const group = uniqueName('g');
    const a = await subscribed(h, { consumerGroup: group });
    await h.store.append([newEvent(uniqueName('p'), 'u')]);
    const got = await a.inbox.next();
    a.call.end();
    expect((await a.ended).code).toBe(status.OK);
    const b = await subscribed(h, { consumerGroup: group });
    const again = await b.inbox.next();
    expect([idOf(again), again.deliveryAttempt]).toEqual([idOf(got), 2]);
  });

  it('two consumers of one group share the work; two groups each get everything', async () => {
    const h = await start({ ackDeadlineMs: 5_000 });
    const page = uniqueName('p');
    const g1 = uniqueName('g1');
    const a1 = await subscribed(h, { consumerGroup: g1 });
    const a2 = await subscribed(h, { consumerGroup: g1 });
    const b = await subscribed(h, { consumerGroup: uniqueName('g2') });
    const events = Array.from({ length: 20 }, (_, i) => newEvent(page, `u${i}`));
    await h.store.append(events);
    const all = events.map((e) => e.event.eventId).sort();
    expect((await b.inbox.take(20)).map(idOf).sort()).toEqual(all);
    await waitFor(() => a1.inbox.all.length + a2.inbox.all.length >= all.length, { what: `the ${all.length} events in group ${g1}` });
    const shared = [...a1.inbox.all, ...a2.inbox.all].map(idOf);
    expect(shared.sort()).toEqual(all); // each event to one consumer of the group
    expect(a1.inbox.all.length).toBe(10);
    expect(a2.inbox.all.length).toBe(10);
  });

  it('keeps each conversation in stored order under concurrency, never two of one conversation out at once', async () => {
    const h = await start({ ackDeadlineMs: 10_000 });
    const page = uniqueName('p');
    const group = uniqueName('g');
    const conversations = 15;
    const perConversation = 6;
    const expected = new Map<string, string[]>();
    const events = [];
    for (let i = 0; i < perConversation; i++) {
      for (let k = 0; k < conversations; k++) {
        const e = newEvent(page, `u${k}`);
        events.push(e);
        expected.set(e.event.senderId, [...(expected.get(e.event.senderId) ?? []), e.event.eventId]);
      }
    }
    const received = new Map<string, string[]>();
    const out = new Set<string>();
    const violations: string[] = [];
    let acked = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const streams = await Promise.all([0, 1, 2].map(() => subscribed(h, { consumerGroup: group, maxOutstanding: 4 })));
    for (const s of streams) {
      s.call.on('data', (r: StreamEventsResponse) => {
        const conv = r.event!.senderId;
        if (out.has(conv)) violations.push(`${conv}: two out at once`);
        out.add(conv);
        received.set(conv, [...(received.get(conv) ?? []), idOf(r)]);
        setTimeout(() => {
          out.delete(conv);
          s.ack(idOf(r));
          if (++acked === events.length) done();
        }, Math.random() * 20);
      });
    }
    for (let i = 0; i < events.length; i += 10) await h.store.append(events.slice(i, i + 10));
    await withDeadline(finished, 15_000, `every one of the ${events.length} events acked`);
    expect(violations).toEqual([]);
    expect(acked).toBe(events.length);
    for (const [conv, list] of expected) expect(received.get(conv), conv).toEqual(list);
    // Each stream did part of the work.
    for (const s of streams) expect(s.inbox.all.length).toBeGreaterThan(0);
  });

  it('parks an event after max delivery attempts (the conversation moves on); ListDeadLetters shows it, ReplayDeadLetters brings it back', async () => {
    const h = await start({ ackDeadlineMs: 5_000, maxDeliveryAttempts: 3 });
    const page = uniqueName('p');
    const group = uniqueName('g');
    const s = await subscribed(h, { consumerGroup: group });
    const x = [newEvent(page, 'x'), newEvent(page, 'x')];
    await h.store.append(x);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const r = await s.inbox.next();
      expect([idOf(r), r.deliveryAttempt]).toEqual([x[0].event.eventId, attempt]);
      s.nack([idOf(r)]);
    }
    const next = await s.inbox.next();
    expect(idOf(next)).toBe(x[1].event.eventId);
    s.ack(idOf(next));

    const listed = await unary<ListDeadLettersResponse>((cb) => h.client.listDeadLetters({ consumerGroup: group, pageSize: 0, pageToken: '' }, cb));
    expect(listed.err).toBeNull();
    expect(listed.res?.deadLetters.map((d) => [d.event?.eventId, d.deliveryAttempts])).toEqual([[x[0].event.eventId, 3]]);
    expect(listed.res?.deadLetters[0].parkedTime).toBeInstanceOf(Date);
    expect(listed.res?.nextPageToken).toBe('');

    const replayed = await unary<ReplayDeadLettersResponse>((cb) => h.client.replayDeadLetters({ consumerGroup: group, eventIds: [] }, cb));
    expect(replayed.res?.replayed).toBe(1);
    const back = await s.inbox.next();
    expect([idOf(back), back.deliveryAttempt]).toEqual([x[0].event.eventId, 1]);
    const after = await unary<ListDeadLettersResponse>((cb) => h.client.listDeadLetters({ consumerGroup: group, pageSize: 10, pageToken: '' }, cb));
    expect(after.res?.deadLetters).toEqual([]);

    const badToken = await unary<ListDeadLettersResponse>((cb) => h.client.listDeadLetters({ consumerGroup: group, pageSize: 10, pageToken: 'nope' }, cb));
    expect(badToken.err?.code).toBe(status.INVALID_ARGUMENT);
    expect(decodeStatusDetails(badToken.err?.metadata).badRequest?.fieldViolations.map((v) => v.field)).toEqual(['page_token']);
    const noGroup = await unary<ReplayDeadLettersResponse>((cb) => h.client.replayDeadLetters({ consumerGroup: '', eventIds: [] }, cb));
    expect(noGroup.err?.code).toBe(status.INVALID_ARGUMENT);
    expect(decodeStatusDetails(noGroup.err?.metadata).badRequest?.fieldViolations.map((v) => v.field)).toEqual(['consumer_group']);
    // Its event ids are bounded in length as an ack's are (an event id is `ev_` and 32 hex digits).
    const longId = await unary<ReplayDeadLettersResponse>((cb) => h.client.replayDeadLetters({ consumerGroup: group, eventIds: ['ev_ok', 'x'.repeat(129)] }, cb));
    expect(longId.err?.code).toBe(status.INVALID_ARGUMENT);
    expect(decodeStatusDetails(longId.err?.metadata).badRequest?.fieldViolations.map((v) => v.field)).toEqual(['event_ids[1]']);
  });

  it('refuses a first request without subscribe, and a bad subscribe, with INVALID_ARGUMENT and a BadRequest', async () => {
    const h = await start();
    const noSubscribe = open(h, undefined);
    const st = await noSubscribe.ended;
    expect(st.code).toBe(status.INVALID_ARGUMENT);
    expect(reasonOf(st)).toBe('INVALID_REQUEST');
    expect(decodeStatusDetails(st.metadata).badRequest?.fieldViolations.map((v) => v.field)).toEqual(['subscribe']);

    const bad = open(h, { consumerGroup: 'has space', maxOutstanding: 1001, pageIds: [''] });
    const st2 = await bad.ended;
    expect(st2.code).toBe(status.INVALID_ARGUMENT);
    expect(decodeStatusDetails(st2.metadata).badRequest?.fieldViolations.map((v) => v.field).sort()).toEqual(
      ['subscribe.consumer_group', 'subscribe.max_outstanding', 'subscribe.page_ids[0]'].sort(),
    );
    const long = open(h, { consumerGroup: 'g'.repeat(129) });
    expect((await long.ended).code).toBe(status.INVALID_ARGUMENT);
    // 128 characters of the allowed set are fine.
    await subscribed(h, { consumerGroup: `a.b_c:d-${'9'.repeat(120)}` });

    const twice = await subscribed(h, { consumerGroup: uniqueName('g') });
    twice.call.write({ subscribe: Subscribe.fromPartial({ consumerGroup: 'again' }) });
    const st3 = await twice.ended;
    expect(st3.code).toBe(status.INVALID_ARGUMENT);
    expect(decodeStatusDetails(st3.metadata).badRequest?.fieldViolations.map((v) => v.field)).toEqual(['subscribe']);
  });

  it('refuses a start_time outside the Timestamp range (before 1970, after 9999-12-31T23:59:59Z) with INVALID_ARGUMENT', async () => {
    const h = await start();
    for (const ms of [-1_000, 253_402_300_800_000, 8_000_000_000_000_000]) {
      const st = await open(h, { consumerGroup: uniqueName('g'), startTime: new Date(ms) }).ended;
      expect(st.code, String(ms)).toBe(status.INVALID_ARGUMENT);
      expect(decodeStatusDetails(st.metadata).badRequest?.fieldViolations.map((v) => v.field)).toEqual(['subscribe.start_time']);
    }
    expect((await h.store.stats()).length).toBe(0);
    await subscribed(h, { consumerGroup: uniqueName('g'), startTime: new Date(253_402_300_799_000) });
    await subscribed(h, { consumerGroup: uniqueName('g'), startTime: new Date(0) });
  });

  it('a subscribe that would create a group past maxGroups: RESOURCE_EXHAUSTED (TOO_MANY_CONSUMER_GROUPS); existing groups can still be joined', async () => {
    const h = await start({ maxGroups: 2 });
    const a = uniqueName('g');
    await subscribed(h, { consumerGroup: a });
    await subscribed(h, { consumerGroup: uniqueName('g') });
    const st = await open(h, { consumerGroup: uniqueName('g') }).ended;
    expect(st.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(reasonOf(st)).toBe('TOO_MANY_CONSUMER_GROUPS');
    await subscribed(h, { consumerGroup: a });
  });

  it("with callers, TOO_MANY_CONSUMER_GROUPS at the store's bound does not tell a caller how many groups the others hold", async () => {
    const h = await start({ maxGroups: 2, maxGroupsPerCaller: 2 });
    h.caller = { name: 'orders', pages: undefined };
    await subscribed(h, { consumerGroup: uniqueName('g') });
    h.caller = { name: 'billing', pages: undefined };
    await subscribed(h, { consumerGroup: uniqueName('g') });
    const st = await open(h, { consumerGroup: uniqueName('g') }).ended;
    expect(st.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(reasonOf(st)).toBe('TOO_MANY_CONSUMER_GROUPS');
    expect(st.details).not.toMatch(/\d/);
    expect(st.details).toContain('events.maxGroups');
  });

  it("a group's page scope is fixed by its first subscribe: pages outside it are FAILED_PRECONDITION (CONSUMER_GROUP_PAGES_MISMATCH); empty page_ids join within it", async () => {
    const h = await start({ ackDeadlineMs: 5_000 });
    h.caller = { name: 'orders', pages: new Set(['1001', '2002']) };
    const group = uniqueName('g');
    const first = await subscribed(h, { consumerGroup: group, pageIds: ['1001'] });
    const st = await open(h, { consumerGroup: group, pageIds: ['1001', '2002'] }).ended;
    expect(st.code).toBe(status.FAILED_PRECONDITION);
    expect(reasonOf(st)).toBe('CONSUMER_GROUP_PAGES_MISMATCH');
    expect(st.details).toContain('2002');
    // Empty page_ids: the caller's Pages within the scope (1001).
    const second = await subscribed(h, { consumerGroup: group });
    first.call.cancel();
    await waitFor(() => h.cancelled.has(first.id), { what: 'the server to see the first stream cancelled' });
    const e1 = newEvent('1001', 'u');
    await h.store.append([newEvent('2002', 'u'), e1]);
    expect(idOf(await second.inbox.next())).toBe(e1.event.eventId);
    expect((await extras(h, ownedGroup('orders', group), '1001', [second]))[0]).toEqual([]);
    // Another caller with the same name gets a group of its own: it never meets orders' scope.
    h.caller = { name: 'other', pages: new Set(['3003']) };
    await subscribed(h, { consumerGroup: group });
    expect((await h.store.stats()).map((g) => g.group).filter((g) => g.endsWith(`/${group}`)).sort()).toEqual([ownedGroup('orders', group), ownedGroup('other', group)].sort());
  });

  it('ends a stream its caller stopped reading (CONSUMER_NOT_READING) instead of piling redeliveries up, and gives its events back', async () => {
    const h = await start({ ackDeadlineMs: 40, maxDeliveryAttempts: 1_000 });
    const group = uniqueName('g');
    const s = await subscribed(h, { consumerGroup: group, maxOutstanding: 1 });
    s.call.pause(); // reads nothing more: HTTP/2 flow control fills up
    const big = newEvent(uniqueName('p'), 'u');
    big.event.rawJson = JSON.stringify({ text: 'x'.repeat(1024 * 1024) });
    await h.store.append([big]);
    // A few MB fill the socket and HTTP/2 windows; then the bound is hit, and the server says so.
    await waitFor(() => h.logs.some((l) => l.includes('"reason":"CONSUMER_NOT_READING"')), { what: 'the stream ended CONSUMER_NOT_READING', timeoutMs: 15_000 });
    // The status waits behind the unsent responses: the caller sees it once it reads again.
    s.call.resume();
    const final = await s.ended;
    expect(final.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(reasonOf(final)).toBe('CONSUMER_NOT_READING');
    const other = await subscribed(h, { consumerGroup: group, maxOutstanding: 1 });
    expect(idOf(await other.inbox.next())).toBe(big.event.eventId);
  });

  it('bounds Ack and Nack event_ids (at most 1000 ids of at most 128 characters): INVALID_ARGUMENT past it, naming the field', async () => {
    const h = await start();
    const cases: Array<[StreamEventsRequest, string]> = [
      [{ ack: { eventIds: Array.from({ length: 1001 }, (_, i) => `ev_${i}`) } }, 'ack.event_ids'],
      [{ ack: { eventIds: ['ev_ok', 'x'.repeat(129)] } }, 'ack.event_ids[1]'],
      [{ nack: { eventIds: Array.from({ length: 1001 }, (_, i) => `ev_${i}`) } }, 'nack.event_ids'],
    ];
    for (const [req, field] of cases) {
      const s = await subscribed(h, { consumerGroup: uniqueName('g') });
      s.call.write(req);
      const st = await s.ended;
      expect(st.code, field).toBe(status.INVALID_ARGUMENT);
      expect(decodeStatusDetails(st.metadata).badRequest?.fieldViolations.map((v) => v.field)).toEqual([field]);
    }
    // At the bounds: accepted (unknown ids are ignored), the stream goes on.
    const s = await subscribed(h, { consumerGroup: uniqueName('g') });
    s.call.write({ ack: { eventIds: Array.from({ length: 1000 }, () => 'x'.repeat(128)) } });
    const page = uniqueName('p');
    await h.store.append([newEvent(page, 'u')]);
    expect((await s.inbox.next()).event?.pageId).toBe(page);
  });

  it('refuses a nack delay over 1 hour (INVALID_ARGUMENT naming nack.delay); 1 hour exactly is accepted', async () => {
    const h = await start();
    const over = await subscribed(h, { consumerGroup: uniqueName('g') });
    over.call.write({ nack: { eventIds: ['ev_x'], delay: { seconds: '3600', nanos: 1_000_000 } } });
    const st = await over.ended;
    expect(st.code).toBe(status.INVALID_ARGUMENT);
    expect(decodeStatusDetails(st.metadata).badRequest?.fieldViolations.map((v) => v.field)).toEqual(['nack.delay']);
    // At the bound: accepted (the unknown id is ignored), the stream goes on.
    const s = await subscribed(h, { consumerGroup: uniqueName('g') });
    s.call.write({ nack: { eventIds: ['ev_x'], delay: { seconds: '3600', nanos: 0 } } });
    const page = uniqueName('p');
    await h.store.append([newEvent(page, 'u')]);
    expect((await s.inbox.next()).event?.pageId).toBe(page);
  });

  it('ends the stream UNAVAILABLE (EVENT_STORE_UNAVAILABLE, with RetryInfo) when the store goes away', async () => {
    const h = await start();
    const s = await subscribed(h, { consumerGroup: uniqueName('g') });
    await h.store.close();
    const st = await s.ended;
    expect(st.code).toBe(status.UNAVAILABLE);
    expect(reasonOf(st)).toBe('EVENT_STORE_UNAVAILABLE');
    expect(decodeStatusDetails(st.metadata).retryInfo?.retryDelay?.seconds).toBe('1');
    const late = open(h, { consumerGroup: uniqueName('g') });
    expect(reasonOf(await late.ended)).toBe('EVENT_STORE_UNAVAILABLE');
  });
});

describe('StreamEvents authorization', () => {
  it('a caller granted 1001: 2002 is refused (PAGE_NOT_GRANTED); no page_ids means only 1001 (the group takes nothing else); dead letters only of 1001', async () => {
    const h = await start({ ackDeadlineMs: 5_000, maxDeliveryAttempts: 1 });
    h.caller = { name: 'orders', pages: new Set(['1001']) };
    const refused = open(h, { consumerGroup: uniqueName('g'), pageIds: ['1001', '2002'] });
    const st = await refused.ended;
    expect(st.code).toBe(status.PERMISSION_DENIED);
    expect(reasonOf(st)).toBe('PAGE_NOT_GRANTED');
    expect(st.details).toContain('2002');

    const group = uniqueName('g');
    const s = await subscribed(h, { consumerGroup: group });
    const mine = newEvent('1001', 'u');
    const theirs = newEvent('2002', 'u');
    await h.store.append([theirs, mine]);
    const got = await s.inbox.next();
    expect(idOf(got)).toBe(mine.event.eventId);
    expect((await extras(h, ownedGroup('orders', group), '1001', [s]))[0]).toEqual([]);
    // The group's scope is the caller's Pages: 2002's event was never stored for it.
    expect((await h.store.stats()).find((g) => g.group === ownedGroup('orders', group))?.lag).toBe(1);

    // A group made without caller authentication takes every Page: park one event of each.
    h.caller = undefined;
    const wide = uniqueName('g');
    const all = await subscribed(h, { consumerGroup: wide });
    const mine2 = newEvent('1001', 'v');
    const theirs2 = newEvent('2002', 'v');
    await h.store.append([theirs2, mine2]);
    const both = await all.inbox.take(2);
    all.nack(both.map(idOf));
    await waitFor(async () => (await h.store.listDeadLetters(wide, undefined, 10, '')).deadLetters.length === 2, { what: `both events parked in ${wide}` });
    const everything = await unary<ListDeadLettersResponse>((cb) => h.client.listDeadLetters({ consumerGroup: wide, pageSize: 10, pageToken: '' }, cb));
    expect(everything.res?.deadLetters.length).toBe(2);

    // A group made without callers is nobody's: once callers are configured, none of them reaches it.
    h.caller = { name: 'orders', pages: new Set(['1001']) };
    const listed = await unary<ListDeadLettersResponse>((cb) => h.client.listDeadLetters({ consumerGroup: wide, pageSize: 10, pageToken: '' }, cb));
    expect(listed.res?.deadLetters).toEqual([]);
    const replayed = await unary<ReplayDeadLettersResponse>((cb) => h.client.replayDeadLetters({ consumerGroup: wide, eventIds: [] }, cb));
    expect(replayed.res?.replayed).toBe(0);
    expect((await h.store.listDeadLetters(wide, undefined, 10, '')).deadLetters.length).toBe(2);

    // Its own group's dead letters: only of the Pages it is granted now (a grant taken back hides them).
    h.caller = { name: 'orders', pages: new Set(['1001', '2002']) };
    const own = uniqueName('g');
    const both2 = await subscribed(h, { consumerGroup: own });
    const mine3 = newEvent('1001', 'w');
    const theirs3 = newEvent('2002', 'w');
    await h.store.append([theirs3, mine3]);
    const got3 = await both2.inbox.take(2);
    both2.nack(got3.map(idOf));
    await waitFor(async () => (await h.store.listDeadLetters(ownedGroup('orders', own), undefined, 10, '')).deadLetters.length === 2, { what: `both events parked in ${own}` });
    h.caller = { name: 'orders', pages: new Set(['1001']) };
    const ownListed = await unary<ListDeadLettersResponse>((cb) => h.client.listDeadLetters({ consumerGroup: own, pageSize: 10, pageToken: '' }, cb));
    expect(ownListed.res?.deadLetters.map((d) => d.event?.pageId)).toEqual(['1001']);
    const ownReplayed = await unary<ReplayDeadLettersResponse>((cb) => h.client.replayDeadLetters({ consumerGroup: own, eventIds: [] }, cb));
    expect(ownReplayed.res?.replayed).toBe(1);
  });

  it('with the gateway access interceptor: StreamEvents is declared, its subscribe.page_ids checked before the handler runs', async () => {
    const key = generateApiKey();
    const h = await start({}, { key, pages: ['1001'] });
    const md = () => {
      const m = new Metadata();
      m.set('authorization', `Bearer ${key}`);
      return m;
    };
    const refused = open(h, { consumerGroup: uniqueName('g'), pageIds: ['2002'] }, md());
    const st = await refused.ended;
    expect(st.code).toBe(status.PERMISSION_DENIED);
    expect(reasonOf(st)).toBe('PAGE_NOT_GRANTED');

    const unauthenticated = open(h, { consumerGroup: uniqueName('g') });
    expect((await unauthenticated.ended).code).toBe(status.UNAUTHENTICATED);

    const group = uniqueName('g');
    const s = await subscribed(h, { consumerGroup: group }, md());
    await h.store.append([newEvent('2002', 'u'), newEvent('1001', 'u')]);
    expect((await s.inbox.next()).event?.pageId).toBe('1001');
    expect((await extras(h, ownedGroup('orders', group), '1001', [s]))[0]).toEqual([]);
    const listed = await unary<ListDeadLettersResponse>((cb) => h.client.listDeadLetters({ consumerGroup: 'g', pageSize: 1, pageToken: '' }, md(), cb));
    expect(listed.err).toBeNull();
  });
});
