import { afterEach, describe, expect, it } from 'vitest';
import {
  ConsumerStuckError,
  EventStoreFullError,
  GroupScopeError,
  MAX_HELD_PER_CONVERSATION,
  InvalidPageTokenError,
  TooManyGroupsError,
  type Consumer,
  type ConsumerOptions,
  type DeliveredEvent,
  type EventStore,
} from '../../src/events/event-store';
import type { EventsConfig } from '../../src/config/gateway-config';
import { StoreUnavailableError } from '../../src/store/store-unavailable-error';
import { timePasses } from '../support/time-passes';
import { waitFor, withDeadline } from '../support/wait-for';
import { Inbox, isMark, marks, newEvent, uniqueName } from './event-fixtures';

/** Makes a fresh store (a fresh key space) for one test; the suite closes it. */
export type EventStoreFactory = (options: EventsConfig) => Promise<EventStore>;

/** Short deadlines, so redelivery is seen within a test. */
export const OPTIONS: EventsConfig = {
  dedupWindowMs: 60_000,
  retentionMs: 3_600_000,
  maxEvents: 10_000,
  ackDeadlineMs: 200,
  maxDeliveryAttempts: 3,
  maxGroups: 100,
  maxGroupsPerCaller: 100,
  neverAckedGroupMs: 3_600_000,
  groupIdleMs: 600_000,
  partitions: 16,
};

const ids = (ds: readonly DeliveredEvent[]) => ds.map((d) => d.event.eventId);

/** The contract of EventStore (events.proto's delivery semantics), run against every implementation. */
export function eventStoreSuite(name: string, makeStore: EventStoreFactory): void {
  describe(`${name}: event store contract`, () => {
    const open: EventStore[] = [];
    const consumers: Consumer[] = [];
    const store = async (options: Partial<EventsConfig> = {}) => {
      const s = await makeStore({ ...OPTIONS, ...options });
      open.push(s);
      return s;
    };
    /** A consumer with its inbox (and its errors). */
    const consume = async (s: EventStore, group: string, opts: Partial<ConsumerOptions> = {}) => {
      const inbox = new Inbox();
      const errors: Error[] = [];
      const c = await s.consume(
        { group, pageIds: undefined, maxOutstanding: 100, start: { kind: 'latest' }, ...opts },
        inbox.push,
        (e) => errors.push(e),
      );
      consumers.push(c);
      return { c, inbox, errors };
    };
    type Taker = Awaited<ReturnType<typeof consume>>;
    /**
     * "Nothing more arrives", told by the store: appends a mark of `page` in every partition
     * (see `marks`), waits until `takers` had them all (with `redelivered`, had them all a second
     * time: their ack deadline ran out, so any earlier one has too), acks them, and returns what
     * else each taker was given meanwhile and had not read.
     */
    const extras = async (s: EventStore, page: string, takers: Taker[], opts: { redelivered?: boolean } = {}): Promise<DeliveredEvent[][]> => {
      const marked = marks(page);
      const markIds = new Set(marked.map((e) => e.event.eventId));
      await s.append(marked);
      const attempt = opts.redelivered ? 2 : 1;
      // Each mark is acked as soon as it is in, so that none runs out of delivery attempts.
      const acked = new Set<string>();
      await waitFor(
        async () => {
          for (const t of takers) {
            const due = t.inbox.all.filter((d) => markIds.has(d.event.eventId) && d.attempt >= attempt && !acked.has(d.event.eventId)).map((d) => d.event.eventId);
            for (const id of due) acked.add(id);
            if (due.length > 0) await t.c.ack(due);
          }
          return acked.size === markIds.size;
        },
        { what: `every mark of ${page}${opts.redelivered ? ' delivered again' : ''}` },
      );
      return takers.map((t) => t.inbox.drain().filter((d) => !markIds.has(d.event.eventId)));
    };
    afterEach(async () => {
      await Promise.all(consumers.splice(0).map((c) => c.close()));
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    describe('append', () => {
      it('stores each dedup key once (across batches and within one), sets receivedTime, keeps what was given', async () => {
        const s = await store();
        const page = uniqueName('p');
        const taker = await consume(s, uniqueName('g'));
        const { inbox } = taker;
        const a = newEvent(page, 'u1');
        const b = newEvent(page, 'u2');
        const before = Date.now();
        expect(await s.append([a, b, { ...a }])).toEqual({ stored: 2, duplicates: 1 });
        // Meta's retry: a new id would not matter, the key does.
        const retry = newEvent(page, 'u1', { dedupKey: a.dedupKey });
        expect(await s.append([retry])).toEqual({ stored: 0, duplicates: 1 });
        expect(await s.append([])).toEqual({ stored: 0, duplicates: 0 });
        const got = await inbox.take(2);
        expect(ids(got).sort()).toEqual([a.event.eventId, b.event.eventId].sort());
        for (const d of got) {
          expect(d.attempt).toBe(1);
          expect(d.event.receivedTime).toBeInstanceOf(Date);
          expect(d.event.receivedTime!.getTime()).toBeGreaterThanOrEqual(before - 1_000);
          expect(d.event.receivedTime!.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
          expect(d.event.kind?.$case).toBe('message');
        }
        const fixed = new Date('2026-01-02T03:04:05Z');
        const c = newEvent(page, 'u3');
        c.event.receivedTime = fixed;
        await s.append([c]);
        expect((await inbox.next()).event.receivedTime?.getTime()).toBe(fixed.getTime());
        expect((await extras(s, page, [taker]))[0]).toEqual([]);
      });

      it('forgets a dedup key after the dedup window', async () => {
        const s = await store({ dedupWindowMs: 100 });
        const page = uniqueName('p');
        const a = newEvent(page, 'u1');
        expect((await s.append([a])).stored).toBe(1);
        expect((await s.append([newEvent(page, 'u1', { dedupKey: a.dedupKey })])).duplicates).toBe(1);
        await timePasses(250); // the window running out is what is tested
        expect((await s.append([newEvent(page, 'u1', { dedupKey: a.dedupKey })])).stored).toBe(1);
      });
    });

    describe('holds (a backfill of a conversation)', () => {
      const historical = (page: string, sender: string, opts: { id?: string } = {}) => {
        const e = newEvent(page, sender, opts);
        e.event.historical = true;
        return e;
      };
      it('holds a conversation\'s live events, lets history and other conversations through, then appends the held ones after the history, once each, in order', async () => {
        const s = await store();
        const page = uniqueName('p');
        const taker = await consume(s, uniqueName('g'), { maxOutstanding: 1000 });
        const before = newEvent(page, 'u1');
        await s.append([before]);
        const conversation = before.conversation;
        await s.hold(conversation, 'bf_1', 600_000);
        const live = [newEvent(page, 'u1'), newEvent(page, 'u1')];
        const other = newEvent(page, 'u2');
        expect(await s.append([live[0]!, other])).toEqual({ stored: 2, duplicates: 0 });
        expect(await s.append([live[1]!])).toEqual({ stored: 1, duplicates: 0 });
        // Meta's retry of a held event is a duplicate.
        expect(await s.append([newEvent(page, 'u1', { dedupKey: live[0]!.dedupKey })])).toEqual({ stored: 0, duplicates: 1 });
        // The history, one message of which is live[1] (held first: its historical copy is the duplicate).
        const past = [historical(page, 'u1'), historical(page, 'u1'), historical(page, 'u1', { id: live[1]!.event.eventId })];
        past[2]!.dedupKey = live[1]!.dedupKey;
        expect(await s.append(past)).toEqual({ stored: 2, duplicates: 1 });
        // Each conversation waits for its head's ack: take and ack one at a time.
        const takeAcked = async (n: number): Promise<DeliveredEvent[]> => {
          const out: DeliveredEvent[] = [];
          while (out.length < n) {
            const d = await taker.inbox.next();
            out.push(d);
            await taker.c.ack([d.event.eventId]);
          }
          return out;
        };
        const seen = await takeAcked(4);
        expect(ids(seen).sort()).toEqual([before, other, past[0]!, past[1]!].map((e) => e.event.eventId).sort());
        expect(ids(seen.filter((d) => d.event.senderId === 'u1'))).toEqual([before, past[0]!, past[1]!].map((e) => e.event.eventId));
        expect((await extras(s, page, [taker]))[0]).toEqual([]);
        await s.release(conversation, 'bf_1');
        const after = newEvent(page, 'u1');
        await s.append([after]);
        const released = await takeAcked(3);
        expect(ids(released)).toEqual([...live, after].map((e) => e.event.eventId));
        expect((await extras(s, page, [taker]))[0]).toEqual([]);
        expect(released.every((d) => d.event.receivedTime instanceof Date && !d.event.historical)).toBe(true);
      });

      it("a backfill's start and end markers pass the hold, as history does", async () => {
        const s = await store();
        const page = uniqueName('p');
        const taker = await consume(s, uniqueName('g'), { maxOutstanding: 1000 });
        const live = newEvent(page, 'u1');
        await s.hold(live.conversation, 'bf_1', 600_000);
        const marker = newEvent(page, 'u1');
        marker.event.kind = { $case: 'backfillStarted', value: { backfillId: 'bf_1', messagesStored: 0, messagesDuplicate: 0, error: '' } };
        await s.append([live, marker]);
        const got = await taker.inbox.next();
        expect(got.event.eventId).toBe(marker.event.eventId);
        await taker.c.ack([got.event.eventId]);
        expect((await extras(s, page, [taker]))[0]).toEqual([]);
        await s.release(live.conversation, 'bf_1');
        expect((await taker.inbox.next()).event.eventId).toBe(live.event.eventId);
      });

      it('ends only when every holder released it; a holder holding again renews its hold', async () => {
        const s = await store();
        const page = uniqueName('p');
        const taker = await consume(s, uniqueName('g'), { maxOutstanding: 1000 });
        const a = newEvent(page, 'u1');
        await s.hold(a.conversation, 'bf_page', 600_000);
        await s.hold(a.conversation, 'bf_conv', 600_000);
        await s.hold(a.conversation, 'bf_conv', 600_000);
        await s.append([a]);
        await s.release(a.conversation, 'bf_conv');
        expect((await extras(s, page, [taker]))[0]).toEqual([]);
        // Releasing twice, or for a holder that is not there, changes nothing.
        await s.release(a.conversation, 'bf_conv');
        expect((await extras(s, page, [taker]))[0]).toEqual([]);
        await s.release(a.conversation, 'bf_page');
        const [released] = await extras(s, page, [taker]);
        expect(ids(released!)).toEqual([a.event.eventId]);
        // A release of a conversation nobody holds is nothing.
        await s.release(newEvent(page, 'u9').conversation, 'bf_none');
      });

      it('a hold whose holder did not renew it in time is released by the sweep (its events appended), never kept', async () => {
        const s = await store();
        const page = uniqueName('p');
        const taker = await consume(s, uniqueName('g'), { maxOutstanding: 1000 });
        const a = newEvent(page, 'u1');
        const b = newEvent(page, 'u1');
        await s.hold(a.conversation, 'bf_dead', 1);
        // Past its time and not yet swept: still held, so order is kept.
        await s.append([a, b]);
        expect((await extras(s, page, [taker]))[0]).toEqual([]);
        await waitFor(async () => ((await s.releaseExpiredHolds()) > 0 ? true : undefined), { what: 'the expired hold to be swept' });
        const got = [await taker.inbox.next()];
        await taker.c.ack(ids(got));
        got.push(await taker.inbox.next());
        await taker.c.ack(ids(got.slice(1)));
        expect(ids(got)).toEqual([a.event.eventId, b.event.eventId]);
        expect(await s.releaseExpiredHolds()).toBe(0);
        // Not held any more: the next one goes straight through.
        const c = newEvent(page, 'u1');
        await s.append([c]);
        expect(ids([await taker.inbox.next()])).toEqual([c.event.eventId]);
      });

      it(`refuses an append past ${MAX_HELD_PER_CONVERSATION} held events of a conversation (nothing of it taken); other conversations go on`, async () => {
        const s = await store();
        const page = uniqueName('p');
        const conversation = newEvent(page, 'u1').conversation;
        await s.hold(conversation, 'bf_1', 600_000);
        // In webhook-sized bodies (each one script on Redis).
        for (let i = 0; i < MAX_HELD_PER_CONVERSATION; i += 1000) {
          expect((await s.append(Array.from({ length: 1000 }, () => newEvent(page, 'u1')))).stored).toBe(1000);
        }
        const late = newEvent(page, 'u1');
        const fine = newEvent(page, 'u2');
        await expect(s.append([fine, late])).rejects.toBeInstanceOf(EventStoreFullError);
        await expect(s.append([late])).rejects.toBeInstanceOf(EventStoreFullError);
        // Meta's retry of the refused body once the hold ended would store it; other conversations go on meanwhile.
        expect((await s.append([newEvent(page, 'u2')])).stored).toBe(1);
        // History still goes through.
        expect((await s.append([historical(page, 'u1')])).stored).toBe(1);
      });
    });

    describe('groups', () => {
      it('a new group starts at the latest event by default, at the earliest retained, or at a time', async () => {
        const s = await store();
        const page = uniqueName('p');
        const old = newEvent(page, 'u1');
        await s.append([old]);
        // The cut must fall strictly between the two events' received times: the clock moves on.
        await timePasses(20);
        const cut = Date.now();
        await timePasses(20);
        const mid = newEvent(page, 'u2');
        await s.append([mid]);

        const latest = await consume(s, uniqueName('latest'));
        const earliest = await consume(s, uniqueName('earliest'), { start: { kind: 'earliest' } });
        const timed = await consume(s, uniqueName('time'), { start: { kind: 'time', epochMs: cut } });
        const fresh = newEvent(page, 'u3');
        await s.append([fresh]);

        expect(ids(await latest.inbox.take(1))).toEqual([fresh.event.eventId]);
        expect(ids(await earliest.inbox.take(3)).sort()).toEqual([old, mid, fresh].map((e) => e.event.eventId).sort());
        expect(ids(await timed.inbox.take(2)).sort()).toEqual([mid, fresh].map((e) => e.event.eventId).sort());
        const [moreLatest, moreEarliest, moreTimed] = await extras(s, page, [latest, earliest, timed]);
        expect(moreLatest).toEqual([]);
        expect(moreEarliest.length + moreTimed.length).toBe(0);
      });

      it('an existing group resumes where it is: its start option is ignored, nothing acked comes back, what came meanwhile does', async () => {
        const s = await store();
        const page = uniqueName('p');
        const group = uniqueName('g');
        const first = await consume(s, group);
        const a = newEvent(page, 'u1');
        await s.append([a]);
        const d = await first.inbox.next();
        await first.c.ack([d.event.eventId]);
        await first.c.close();

        const b = newEvent(page, 'u2');
        await s.append([b]); // nobody connected
        const again = await consume(s, group, { start: { kind: 'earliest' } });
        const got = await again.inbox.next();
        expect(got.event.eventId).toBe(b.event.eventId);
        expect(got.attempt).toBe(1);
        await again.c.ack([got.event.eventId]);
        expect((await extras(s, page, [again], { redelivered: true }))[0]).toEqual([]);
      });

      it('every group gets every event; within a group each event goes to one consumer', async () => {
        const s = await store();
        const page = uniqueName('p');
        const g1 = uniqueName('g1');
        const g2 = uniqueName('g2');
        const a1 = await consume(s, g1);
        const a2 = await consume(s, g1);
        const b1 = await consume(s, g2);
        const events = Array.from({ length: 10 }, (_, i) => newEvent(page, `u${i}`));
        await s.append(events);
        const all = events.map((e) => e.event.eventId).sort();
        const inB = await b1.inbox.take(10);
        expect(ids(inB).sort()).toEqual(all);
        await waitFor(() => a1.inbox.all.length + a2.inbox.all.length >= all.length, { what: `the ${all.length} events in group ${g1}` });
        const inA = [...a1.inbox.all, ...a2.inbox.all];
        expect(ids(inA).sort()).toEqual(all);
        // Shared: both consumers had room, both got a fair part.
        expect(a1.inbox.all.length).toBeGreaterThanOrEqual(3);
        expect(a2.inbox.all.length).toBeGreaterThanOrEqual(3);
      });
    });

    describe('per-conversation order', () => {
      it('the next event of a conversation only after the head is acked; other conversations meanwhile', async () => {
        const s = await store({ ackDeadlineMs: 5_000 });
        const page = uniqueName('p');
        const taker = await consume(s, uniqueName('g'));
        const { c, inbox } = taker;
        const x = [newEvent(page, 'x'), newEvent(page, 'x'), newEvent(page, 'x')];
        const y = newEvent(page, 'y');
        await s.append([x[0], x[1], y, x[2]]);
        const firstTwo = await inbox.take(2);
        expect(ids(firstTwo).sort()).toEqual([x[0].event.eventId, y.event.eventId].sort());
        expect((await extras(s, page, [taker]))[0]).toEqual([]);
        await c.ack([x[0].event.eventId]);
        expect((await inbox.next()).event.eventId).toBe(x[1].event.eventId);
        expect((await extras(s, page, [taker]))[0]).toEqual([]);
        await c.ack([x[1].event.eventId]);
        expect((await inbox.next()).event.eventId).toBe(x[2].event.eventId);
      });

      it('a conversation is with one consumer at a time, even with several in the group', async () => {
        const s = await store({ ackDeadlineMs: 5_000 });
        const page = uniqueName('p');
        const group = uniqueName('g');
        const a = await consume(s, group);
        const b = await consume(s, group);
        const x = [newEvent(page, 'x'), newEvent(page, 'x')];
        await s.append(x);
        const [toA, toB] = await extras(s, page, [a, b]);
        const given = [...toA, ...toB];
        expect(ids(given)).toEqual([x[0].event.eventId]);
        const holder = toA.length === 1 ? a : b;
        await holder.c.ack([x[0].event.eventId]);
        const events = () => [...a.inbox.all, ...b.inbox.all].filter((d) => !isMark(d));
        await waitFor(() => events().length >= x.length, { what: 'x[1] once x[0] was acked' });
        expect(ids(events()).sort()).toEqual(x.map((e) => e.event.eventId).sort());
      });
    });

    describe('flow control and filters', () => {
      it('at most maxOutstanding unacked events per consumer; a nack frees room too', async () => {
        const s = await store({ ackDeadlineMs: 5_000 });
        const page = uniqueName('p');
        const group = uniqueName('g');
        const { c, inbox } = await consume(s, group, { maxOutstanding: 2 });
        // No mark reaches a full consumer, so a witness of the same group takes marks of another
        // page: once it has them all, a dispatch turn ran after this consumer's events were
        // ready (in every partition), and any event it could have been given would have been.
        const markPage = uniqueName('marks');
        const witness = await consume(s, group, { pageIds: new Set([markPage]) });
        const nothingMore = async () => {
          const posted = marks(markPage);
          await s.append(posted);
          const got = await witness.inbox.take(posted.length);
          await witness.c.ack(ids(got));
          return inbox.drain();
        };
        await s.append(Array.from({ length: 5 }, (_, i) => newEvent(page, `u${i}`)));
        const two = await inbox.take(2);
        expect(await nothingMore()).toEqual([]);
        await c.ack([two[0].event.eventId]);
        const third = await inbox.next();
        expect(await nothingMore()).toEqual([]);
        await c.nack([third.event.eventId], 60_000);
        await inbox.next();
        expect(await nothingMore()).toEqual([]);
      });

      it('a consumer gets only its pages; an event no consumer accepts waits for one that does', async () => {
        const s = await store();
        const p1 = uniqueName('p1');
        const p2 = uniqueName('p2');
        const p3 = uniqueName('p3');
        const group = uniqueName('g');
        const a = await consume(s, group, { pageIds: new Set([p1]) });
        const b = await consume(s, group, { pageIds: new Set([p2, p3]) });
        const e1 = newEvent(p1, 'u');
        const e2 = newEvent(p2, 'u');
        await s.append([e1, e2]);
        expect((await a.inbox.next()).event.eventId).toBe(e1.event.eventId);
        expect((await b.inbox.next()).event.eventId).toBe(e2.event.eventId);
        await a.c.ack([e1.event.eventId]);
        await b.c.close();
        const e3 = newEvent(p3, 'u');
        await s.append([e3]);
        expect((await extras(s, p1, [a]))[0]).toEqual([]);
        const late = await consume(s, group, { pageIds: new Set([p3]) });
        const got = await late.inbox.next();
        expect(got.event.eventId).toBe(e3.event.eventId);
        expect(got.attempt).toBe(1);
        // e2 went back when b closed, and only a consumer of p2 may have it.
        expect((await extras(s, p3, [late]))[0]).toEqual([]);
      });
    });

    describe('redelivery', () => {
      it('ack removes: never delivered again to the group', async () => {
        const s = await store();
        const page = uniqueName('p');
        const taker = await consume(s, uniqueName('g'));
        const { c, inbox } = taker;
        await s.append([newEvent(page, 'u')]);
        const d = await inbox.next();
        await c.ack([d.event.eventId]);
        // Until marks given after it came back past the 200 ms ack deadline: so would it have.
        expect((await extras(s, page, [taker], { redelivered: true }))[0]).toEqual([]);
      });

      it('nack without delay: delivered again at once, attempt 2', async () => {
        const s = await store({ ackDeadlineMs: 5_000 });
        const page = uniqueName('p');
        const { c, inbox } = await consume(s, uniqueName('g'));
        await s.append([newEvent(page, 'u')]);
        const d = await inbox.next();
        const started = Date.now();
        await c.nack([d.event.eventId], 0);
        const again = await inbox.next();
        expect(again.event.eventId).toBe(d.event.eventId);
        expect(again.attempt).toBe(2);
        expect(Date.now() - started).toBeLessThan(1_000);
      });

      it('nack with a delay: delivered again after it, and its conversation waits meanwhile', async () => {
        const s = await store({ ackDeadlineMs: 5_000 });
        const page = uniqueName('p');
        const taker = await consume(s, uniqueName('g'));
        const { c, inbox } = taker;
        const x = [newEvent(page, 'x'), newEvent(page, 'x')];
        const y = newEvent(page, 'y');
        await s.append([x[0], x[1]]);
        const d = await inbox.next();
        expect(d.event.eventId).toBe(x[0].event.eventId);
        const started = Date.now();
        await c.nack([d.event.eventId], 400);
        await s.append([y]);
        expect((await inbox.next()).event.eventId).toBe(y.event.eventId); // other conversations go on
        const again = await inbox.next(3_000);
        expect(Date.now() - started).toBeGreaterThanOrEqual(380);
        expect(again.event.eventId).toBe(x[0].event.eventId);
        expect(again.attempt).toBe(2);
        expect((await extras(s, page, [taker]))[0]).toEqual([]);
        await c.ack([x[0].event.eventId]);
        expect((await inbox.next()).event.eventId).toBe(x[1].event.eventId);
      });

      it('an event not acked within the ack deadline is delivered again, attempt + 1, and frees the room it held', async () => {
        const s = await store({ maxDeliveryAttempts: 10 });
        const page = uniqueName('p');
        const { c, inbox } = await consume(s, uniqueName('g'), { maxOutstanding: 1 });
        await s.append([newEvent(page, 'u')]);
        const d = await inbox.next();
        const started = Date.now();
        const again = await inbox.next(3_000);
        expect(Date.now() - started).toBeGreaterThanOrEqual(150);
        expect(again.event.eventId).toBe(d.event.eventId);
        expect(again.attempt).toBe(2);
        // A late ack of the earlier delivery still counts while this consumer holds it again.
        await c.ack([d.event.eventId]);
        // A mark behind it in its conversation: given once the ack counted, and given again once
        // its own ack deadline ran out, which a redelivery of the acked event would have beaten.
        const mark = newEvent(page, 'u');
        await s.append([mark]);
        const isMarkDelivery = (x: DeliveredEvent) => x.event.eventId === mark.event.eventId;
        expect(await inbox.before((x) => isMarkDelivery(x) && x.attempt === 2, isMarkDelivery)).toEqual([]);
      });

      it('a consumer that goes away gives its events back at once (attempt + 1), to another consumer of the group', async () => {
        const s = await store({ ackDeadlineMs: 10_000 });
        const page = uniqueName('p');
        const group = uniqueName('g');
        const a = await consume(s, group);
        const x = [newEvent(page, 'x'), newEvent(page, 'x')];
        await s.append(x);
        const d = await a.inbox.next();
        const b = await consume(s, group);
        expect((await extras(s, page, [a, b]))[1]).toEqual([]);
        const started = Date.now();
        await a.c.close();
        const again = await b.inbox.next();
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(again.event.eventId).toBe(d.event.eventId);
        expect(again.attempt).toBe(2);
        await a.c.ack([d.event.eventId]); // a is closed: ignored
        await b.c.ack([again.event.eventId]);
        expect((await b.inbox.next()).event.eventId).toBe(x[1].event.eventId);
      });

      it('a nack\'s delay outlasts its consumer: one that nacks with a delay and leaves, the last of its group, does not cut the delay short for the next', async () => {
        const s = await store({ ackDeadlineMs: 10_000 });
        const page = uniqueName('p');
        const group = uniqueName('g');
        const a = await consume(s, group);
        const x = newEvent(page, 'x');
        await s.append([x]);
        const d = await a.inbox.next();
        const started = Date.now();
        await a.c.nack([d.event.eventId], 1_000);
        await a.c.close();
        const b = await consume(s, group);
        const again = await b.inbox.next(5_000);
        expect(Date.now() - started).toBeGreaterThanOrEqual(980);
        expect(again.event.eventId).toBe(x.event.eventId);
        expect(again.attempt).toBe(2);
      });

      it('ignores acks and nacks of unknown ids and of events another consumer holds', async () => {
        const s = await store({ ackDeadlineMs: 5_000 });
        const page = uniqueName('p');
        const group = uniqueName('g');
        const a = await consume(s, group);
        await s.append([newEvent(page, 'u')]);
        const d = await a.inbox.next();
        const b = await consume(s, group);
        await b.c.ack([d.event.eventId, 'no-such-event']);
        await b.c.nack([d.event.eventId], 0);
        await a.c.ack(['no-such-event']);
        expect((await extras(s, page, [a, b]))[1]).toEqual([]);
        const stats = (await s.stats()).find((g) => g.group === group);
        expect(stats?.lag).toBe(1);
        await a.c.ack([d.event.eventId]);
        expect((await s.stats()).find((g) => g.group === group)?.lag).toBe(0);
      });
      it('a delivery that expires on a consumer while another consumer of the group is healthy does not count toward its attempts', async () => {
        const s = await store({ maxDeliveryAttempts: 1 });
        const page = uniqueName('p');
        const group = uniqueName('g');
        const stuck = await consume(s, group, { maxOutstanding: 1 });
        const e = newEvent(page, 'u');
        await s.append([e]);
        expect((await stuck.inbox.next()).attempt).toBe(1);
        const healthy = await consume(s, group);
        // Past the ack deadline on the stuck one: given to the healthy one, not parked (1 attempt allowed).
        const d = await healthy.inbox.next(3_000);
        expect([d.event.eventId, d.attempt]).toEqual([e.event.eventId, 1]);
        await healthy.c.ack([d.event.eventId]);
        expect((await s.listDeadLetters(group, undefined, 10, '')).deadLetters).toEqual([]);
      });

      it('an event that passes its ack deadline on every consumer, while each keeps acking others, is parked after maxDeliveryAttempts', async () => {
        // A poison event (its handler hangs) with two working consumers: neither is stuck, so each
        // expiry counts; else it would go round forever and hold its conversation.
        const s = await store({ maxDeliveryAttempts: 2 });
        const page = uniqueName('p');
        const group = uniqueName('g');
        const poison = newEvent(page, 'poison');
        const attempts: number[] = [];
        const handles: Consumer[] = [];
        const deliver = (i: number) => (d: DeliveredEvent) => {
          if (d.event.eventId === poison.event.eventId) attempts.push(d.attempt);
          else void handles[i]?.ack([d.event.eventId]);
        };
        for (const i of [0, 1]) {
          const c = await s.consume({ group, pageIds: undefined, maxOutstanding: 100, start: { kind: 'latest' } }, deliver(i), () => {});
          consumers.push(c);
          handles.push(c);
        }
        await s.append([poison]);
        let n = 0;
        const parked = async () => (await s.listDeadLetters(group, undefined, 10, '')).deadLetters.some((dl) => dl.event.eventId === poison.event.eventId);
        const deadline = Date.now() + 4_000;
        while (Date.now() < deadline && !(await parked())) {
          await s.append([newEvent(page, `other-${++n % 4}`)]);
          await timePasses(50);
        }
        expect({ parked: await parked(), attempts }).toEqual({ parked: true, attempts: [1, 2] });
      });

      it('a consumer asking endWhenStuck that lets maxOutstanding deliveries pass their deadline without an ack is ended (ConsumerStuckError); the others get its events', async () => {
        const s = await store({ maxDeliveryAttempts: 3 });
        const page = uniqueName('p');
        const group = uniqueName('g');
        const stuck = await consume(s, group, { maxOutstanding: 2, endWhenStuck: true });
        const events = [newEvent(page, 'a'), newEvent(page, 'b')];
        await s.append(events);
        await stuck.inbox.take(2);
        const healthy = await consume(s, group);
        await waitFor(() => stuck.errors.length > 0, { what: 'the stuck consumer ended' });
        expect(stuck.errors.map((e) => e.name)).toEqual(['ConsumerStuckError']);
        expect(stuck.errors[0]).toBeInstanceOf(ConsumerStuckError);
        const got = await healthy.inbox.take(2, 3_000);
        expect(ids(got).sort()).toEqual(ids(events.map((e) => ({ event: e.event, attempt: 0 }))).sort());
        await healthy.c.ack(ids(got));
        expect((await extras(s, page, [healthy, stuck]))[1]).toEqual([]);
      });
    });

    describe('dead letters', () => {
      it('parks an event after maxDeliveryAttempts; its conversation moves on; listed, then replayed at the end of its conversation', async () => {
        const s = await store({ ackDeadlineMs: 5_000, maxDeliveryAttempts: 3 });
        const page = uniqueName('p');
        const group = uniqueName('g');
        const taker = await consume(s, group);
        const { c, inbox } = taker;
        const x = [newEvent(page, 'x'), newEvent(page, 'x')];
        await s.append(x);
        for (let attempt = 1; attempt <= 3; attempt++) {
          const d = await inbox.next();
          expect(d.event.eventId).toBe(x[0].event.eventId);
          expect(d.attempt).toBe(attempt);
          await c.nack([d.event.eventId], 0);
        }
        const next = await inbox.next();
        expect(next.event.eventId).toBe(x[1].event.eventId);

        const listed = await s.listDeadLetters(group, undefined, 10, '');
        expect(listed.nextPageToken).toBe('');
        expect(listed.deadLetters.map((dl) => dl.event.eventId)).toEqual([x[0].event.eventId]);
        expect(listed.deadLetters[0].deliveryAttempts).toBe(3);
        expect(Math.abs(listed.deadLetters[0].parkedAt - Date.now())).toBeLessThan(5_000);
        expect(listed.deadLetters[0].event.pageId).toBe(page);
        // Another group does not see them.
        expect((await s.listDeadLetters(uniqueName('other'), undefined, 10, '')).deadLetters).toEqual([]);

        // Replayed: back after the conversation's current head, attempts counted from 1 again.
        expect(await s.replayDeadLetters(group, undefined, [])).toBe(1);
        expect((await extras(s, page, [taker]))[0]).toEqual([]);
        await c.ack([next.event.eventId]);
        const replayed = await inbox.next();
        expect(replayed.event.eventId).toBe(x[0].event.eventId);
        expect(replayed.attempt).toBe(1);
        expect((await s.listDeadLetters(group, undefined, 10, '')).deadLetters).toEqual([]);
        expect(await s.replayDeadLetters(group, undefined, [])).toBe(0);
      });

      it('an event past its ack deadline or dropped by its consumer too often is parked as well', async () => {
        const s = await store({ maxDeliveryAttempts: 2 });
        const page = uniqueName('p');
        const group = uniqueName('g');
        const a = await consume(s, group);
        const e = newEvent(page, 'u');
        await s.append([e]);
        expect((await a.inbox.next()).attempt).toBe(1);
        expect((await a.inbox.next(3_000)).attempt).toBe(2); // deadline
        await a.c.close(); // second delivery given back: parked
        const b = await consume(s, group);
        expect((await extras(s, page, [b]))[0]).toEqual([]);
        const dl = await s.listDeadLetters(group, undefined, 10, '');
        expect(dl.deadLetters.map((d) => [d.event.eventId, d.deliveryAttempts])).toEqual([[e.event.eventId, 2]]);
      });

      it('pages the list with an opaque token, filters by page, replays chosen ids of chosen pages only', async () => {
        const s = await store({ ackDeadlineMs: 5_000, maxDeliveryAttempts: 1 });
        const p1 = uniqueName('p1');
        const p2 = uniqueName('p2');
        const group = uniqueName('g');
        const taker = await consume(s, group);
        const { c, inbox } = taker;
        const events = [newEvent(p1, 'a'), newEvent(p2, 'b'), newEvent(p1, 'c'), newEvent(p1, 'd')];
        await s.append(events);
        const got = await inbox.take(4);
        // Parked in this order: oldest first in the list.
        for (const e of events) await c.nack([e.event.eventId], 0);
        expect(got.length).toBe(4);
        expect((await extras(s, p1, [taker]))[0]).toEqual([]);

        const seen: string[] = [];
        let token = '';
        let pages = 0;
        do {
          const page = await s.listDeadLetters(group, undefined, 3, token);
          expect(page.deadLetters.length).toBeLessThanOrEqual(3);
          seen.push(...page.deadLetters.map((d) => d.event.eventId));
          token = page.nextPageToken;
          pages++;
        } while (token && pages < 10);
        expect(pages).toBe(2);
        expect(seen).toEqual(events.map((e) => e.event.eventId));

        const onlyP1 = await s.listDeadLetters(group, new Set([p1]), 2, '');
        expect(onlyP1.deadLetters.map((d) => d.event.eventId)).toEqual([events[0], events[2]].map((e) => e.event.eventId));
        const rest = await s.listDeadLetters(group, new Set([p1]), 2, onlyP1.nextPageToken);
        expect(rest.deadLetters.map((d) => d.event.eventId)).toEqual([events[3].event.eventId]);
        expect(rest.nextPageToken).toBe('');

        await expect(s.listDeadLetters(group, undefined, 3, 'not-a-token')).rejects.toBeInstanceOf(InvalidPageTokenError);

        // Replay only p1's event d, and b only if the caller may see p2 (here it may not).
        expect(await s.replayDeadLetters(group, new Set([p1]), [events[3].event.eventId, events[1].event.eventId])).toBe(1);
        expect((await inbox.next()).event.eventId).toBe(events[3].event.eventId);
        const left = await s.listDeadLetters(group, undefined, 10, '');
        expect(left.deadLetters.map((d) => d.event.eventId)).toEqual([events[0], events[1], events[2]].map((e) => e.event.eventId));
      });
    });

    describe('group bounds, page scope, idle groups', () => {
      it('refuses to create a group past maxGroups (TooManyGroupsError); joining an existing one still works', async () => {
        const s = await store({ maxGroups: 3 });
        const names = [uniqueName('g'), uniqueName('g'), uniqueName('g')];
        for (const g of names) await consume(s, g);
        await expect(s.consume({ group: uniqueName('g'), pageIds: undefined, maxOutstanding: 1, start: { kind: 'latest' } }, () => {}, () => {})).rejects.toBeInstanceOf(TooManyGroupsError);
        const again = await consume(s, names[0]);
        const page = uniqueName('p');
        await s.append([newEvent(page, 'u')]);
        expect(await again.inbox.take(1, 3_000)).toHaveLength(1);
      });

      it('a group takes only the events of its scope; a later consumer must fit it (or is narrowed to it when fitting)', async () => {
        const s = await store({ ackDeadlineMs: 5_000 });
        const p1 = uniqueName('p1');
        const p2 = uniqueName('p2');
        const group = uniqueName('g');
        const a = await consume(s, group, { pageIds: new Set([p1]), scope: new Set([p1]) });
        const e1 = newEvent(p1, 'u');
        const e2 = newEvent(p2, 'u');
        await s.append([e1, e2]);
        expect((await a.inbox.next()).event.eventId).toBe(e1.event.eventId);
        await a.c.ack([e1.event.eventId]);
        // e2 was never the group's: nothing waits in it.
        const lagOf = async (g: string) => (await s.stats()).find((st) => st.group === g)?.lag;
        await waitFor(async () => (await lagOf(group)) === 0, { what: `group ${group} with nothing waiting` });
        expect((await s.stats()).find((g) => g.group === group)?.lag).toBe(0);

        const outside = s.consume({ group, pageIds: new Set([p1, p2]), maxOutstanding: 1, start: { kind: 'latest' } }, () => {}, () => {});
        await expect(outside).rejects.toBeInstanceOf(GroupScopeError);
        await expect(outside).rejects.toMatchObject({ outside: [p2] });
        await expect(s.consume({ group, pageIds: undefined, maxOutstanding: 1, start: { kind: 'latest' } }, () => {}, () => {})).rejects.toBeInstanceOf(GroupScopeError);
        // Fitting: what the caller may receive, narrowed to the scope; refused when nothing is left.
        const fitted = await consume(s, group, { pageIds: new Set([p1, p2]), fitToScope: true });
        await a.c.close();
        const e3 = newEvent(p1, 'w');
        await s.append([e3, newEvent(p2, 'w')]);
        expect((await fitted.inbox.next()).event.eventId).toBe(e3.event.eventId);
        expect((await extras(s, p1, [fitted]))[0]).toEqual([]);
        await expect(s.consume({ group, pageIds: new Set([p2]), fitToScope: true, maxOutstanding: 1, start: { kind: 'latest' } }, () => {}, () => {})).rejects.toBeInstanceOf(GroupScopeError);
        // A group created without a scope takes every page, and any consumer may join it.
        const wide = uniqueName('g');
        const w = await consume(s, wide);
        await consume(s, wide, { pageIds: new Set([p2]) });
        await s.append([newEvent(p1, 'x'), newEvent(p2, 'x')]);
        await waitFor(() => w.inbox.all.length >= 1, { what: `a delivery to the first consumer of ${wide}` });
        expect((await s.stats()).find((g) => g.group === wide)?.lag).toBe(2);
        expect(w.inbox.all.length).toBeGreaterThanOrEqual(1);
      });

      it('two scoped groups that ack everything never fill the store with each other\'s pages', async () => {
        const s = await store({ maxEvents: 20, ackDeadlineMs: 5_000 });
        const p1 = uniqueName('p1');
        const p2 = uniqueName('p2');
        const a = await consume(s, uniqueName('g'), { pageIds: new Set([p1]), scope: new Set([p1]) });
        const b = await consume(s, uniqueName('g'), { pageIds: new Set([p2]), scope: new Set([p2]) });
        for (let round = 0; round < 10; round++) {
          await s.append([newEvent(p1, `u${round}`), newEvent(p1, `v${round}`), newEvent(p2, `u${round}`), newEvent(p2, `v${round}`)]);
          const inA = await a.inbox.take(2);
          const inB = await b.inbox.take(2);
          await a.c.ack(ids(inA));
          await b.c.ack(ids(inB));
        }
      });

      it('at the bound, a group idle for groupIdleMs gives up its oldest events; a connected one never does', async () => {
        const s = await store({ maxEvents: 4, groupIdleMs: 150, ackDeadlineMs: 5_000 });
        const page = uniqueName('p');
        const idleName = uniqueName('idle');
        const idle = await consume(s, idleName);
        await idle.c.close();
        const live = await consume(s, uniqueName('live'));
        const first = [1, 2, 3, 4].map((i) => newEvent(page, `a${i}`));
        await s.append(first);
        await live.c.ack(ids(await live.inbox.take(4)));
        // Not idle long enough yet: its unacked events hold the store.
        await expect(s.append([newEvent(page, 'b0')])).rejects.toBeInstanceOf(EventStoreFullError);
        await timePasses(250); // groupIdleMs running out is what is tested
        const second = [1, 2].map((i) => newEvent(page, `b${i}`));
        expect((await s.append(second)).stored).toBe(2);
        expect(ids(await live.inbox.take(2))).toEqual(second.map((e) => e.event.eventId));
        // The idle group lost its two oldest; it still has the rest, oldest first.
        const back = await consume(s, idleName);
        const got = await back.inbox.take(4);
        expect(got.map((d) => d.event.senderId)).toEqual(['a3', 'a4', 'b1', 'b2']);
        // The live group does not ack: nothing of its can go, even with the idle group back to idle.
        await back.c.ack(ids(got));
        await back.c.close();
        await timePasses(250); // groupIdleMs running out is what is tested
        await expect(s.append([newEvent(page, 'c1'), newEvent(page, 'c2'), newEvent(page, 'c3')])).rejects.toBeInstanceOf(EventStoreFullError);
      });

      it('an owner creates at most maxGroupsPerCaller groups (TooManyGroupsError with its own count); other owners and groups of nobody still can', async () => {
        const s = await store({ maxGroups: 4, maxGroupsPerCaller: 2 });
        const mine = [uniqueName('g'), uniqueName('g')];
        for (const g of mine) await consume(s, g, { owner: 'a' });
        const refused = await s.consume({ group: uniqueName('g'), owner: 'a', pageIds: undefined, maxOutstanding: 1, start: { kind: 'latest' } }, () => {}, () => {}).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(TooManyGroupsError);
        expect((refused as TooManyGroupsError).share).toEqual({ held: 2, bound: 2 });
        // Joining its own group is not creating one.
        await consume(s, mine[0], { owner: 'a' });
        await consume(s, uniqueName('g'), { owner: 'b' });
        await consume(s, uniqueName('g'));
        // The store's bound (4) still holds for everyone.
        const full = await s.consume({ group: uniqueName('g'), owner: 'c', pageIds: undefined, maxOutstanding: 1, start: { kind: 'latest' } }, () => {}, () => {}).catch((e: unknown) => e);
        expect(full).toBeInstanceOf(TooManyGroupsError);
        expect((full as TooManyGroupsError).share).toBeUndefined();
      });

      it('a group none of whose consumers ever acked is deleted neverAckedGroupMs after its last one left; one that acked stays for the retention', async () => {
        const s = await store({ neverAckedGroupMs: 150 });
        const page = uniqueName('p');
        const used = uniqueName('used');
        const unused = uniqueName('unused');
        const u = await consume(s, used);
        const n = await consume(s, unused);
        await s.append([newEvent(page, 'u')]);
        await u.c.ack(ids(await u.inbox.take(1)));
        await n.inbox.take(1);
        await u.c.close();
        await n.c.close();
        await waitFor(async () => !(await s.stats()).some((g) => g.group === unused), { what: `${unused} deleted`, timeoutMs: 5_000 });
        expect((await s.stats()).map((g) => g.group)).toContain(used);
      });

      it('a group with no consumer for longer than the retention is deleted (its name can start anew, it no longer counts to maxGroups)', async () => {
        const s = await store({ retentionMs: 200, dedupWindowMs: 200, maxGroups: 1 });
        const group = uniqueName('g');
        const first = await consume(s, group);
        await first.c.close();
        await expect(s.consume({ group: uniqueName('other'), pageIds: undefined, maxOutstanding: 1, start: { kind: 'latest' } }, () => {}, () => {})).rejects.toBeInstanceOf(TooManyGroupsError);
        await timePasses(400); // the retention running out is what is tested
        await consume(s, uniqueName('other'));
        expect((await s.stats()).map((g) => g.group)).not.toContain(group);
      });
    });

    describe('stats and close', () => {
      it('reports lag and the age of the oldest unacked event per group', async () => {
        const s = await store({ ackDeadlineMs: 5_000 });
        const page = uniqueName('p');
        const group = uniqueName('g');
        const { c, inbox } = await consume(s, group);
        await s.append([newEvent(page, 'a'), newEvent(page, 'b'), newEvent(page, 'a')]);
        await inbox.take(2);
        await timePasses(60); // the age of the oldest unacked event is what is tested
        let st = (await s.stats()).find((g) => g.group === group);
        expect(st?.lag).toBe(3);
        expect(st?.oldestUnackedMs).toBeGreaterThanOrEqual(50);
        await c.ack(ids(inbox.all));
        await inbox.next();
        await c.ack(ids(inbox.all));
        st = (await s.stats()).find((g) => g.group === group);
        expect(st).toEqual({ group, lag: 0, oldestUnackedMs: 0 });
      });

      it('close ends its consumers (onError) and refuses further use', async () => {
        const s = await store();
        const { errors } = await consume(s, uniqueName('g'));
        await s.close();
        expect(errors.length).toBe(1);
        expect(errors[0]).toBeInstanceOf(StoreUnavailableError);
        await expect(s.append([newEvent(uniqueName('p'), 'u')])).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(s.consume({ group: uniqueName('g'), pageIds: undefined, maxOutstanding: 1, start: { kind: 'latest' } }, () => {}, () => {})).rejects.toBeInstanceOf(StoreUnavailableError);
      });
    });

    describe('order under concurrency', () => {
      it('many conversations, several consumers, random ack delays: each conversation in stored order, never two of one out at once', async () => {
        const s = await store({ ackDeadlineMs: 5_000 });
        const page = uniqueName('p');
        const group = uniqueName('g');
        const conversations = 12;
        const perConversation = 8;
        const expected = new Map<string, string[]>();
        const events = [];
        for (let i = 0; i < perConversation; i++) {
          for (let k = 0; k < conversations; k++) {
            const e = newEvent(page, `u${k}`);
            events.push(e);
            const list = expected.get(e.event.senderId) ?? [];
            list.push(e.event.eventId);
            expected.set(e.event.senderId, list);
          }
        }
        const received = new Map<string, string[]>();
        const outstanding = new Set<string>();
        const violations: string[] = [];
        let acked = 0;
        let done!: () => void;
        const finished = new Promise<void>((r) => (done = r));
        const consumerOf = async () => {
          let self: Consumer | undefined;
          const onEvent = (d: DeliveredEvent) => {
            const conv = d.event.senderId;
            if (outstanding.has(conv)) violations.push(`two of ${conv} out at once`);
            outstanding.add(conv);
            const list = received.get(conv) ?? [];
            list.push(d.event.eventId);
            received.set(conv, list);
            setTimeout(() => {
              outstanding.delete(conv);
              acked++;
              void (self ? self.ack([d.event.eventId]) : Promise.resolve());
              if (acked === events.length) done();
            }, Math.random() * 15);
          };
          self = await s.consume({ group, pageIds: undefined, maxOutstanding: 3, start: { kind: 'latest' } }, onEvent, () => {});
          consumers.push(self);
          return self;
        };
        await Promise.all([consumerOf(), consumerOf(), consumerOf()]);
        await s.append(events.slice(0, 40));
        await s.append(events.slice(40));
        await withDeadline(finished, 15_000, `every one of the ${events.length} events acked`);
        expect(violations).toEqual([]);
        expect(acked).toBe(events.length);
        for (const [conv, list] of expected) expect(received.get(conv), conv).toEqual(list);
      });
    });
  });
}
