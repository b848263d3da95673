import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventStoreFullError, type Consumer, type DeliveredEvent } from '../../src/events/event-store';
import { MemoryEventStore } from '../../src/events/memory-event-store';
import { timePasses } from '../support/time-passes';
import { waitFor } from '../support/wait-for';
import { Inbox, newEvent } from './event-fixtures';
import { eventStoreSuite, OPTIONS } from './event-store-suite';

eventStoreSuite('memory', async (options) => new MemoryEventStore(options));

describe('MemoryEventStore bounds and timers', () => {
  const stores: MemoryEventStore[] = [];
  const make = (opts: Partial<typeof OPTIONS> = {}) => {
    const s = new MemoryEventStore({ ...OPTIONS, ...opts });
    stores.push(s);
    return s;
  };
  const consume = async (s: MemoryEventStore, group: string, opts: { maxOutstanding?: number; earliest?: boolean } = {}) => {
    const inbox = new Inbox<DeliveredEvent>();
    const c = await s.consume(
      { group, pageIds: undefined, maxOutstanding: opts.maxOutstanding ?? 100, start: { kind: opts.earliest ? 'earliest' : 'latest' } },
      inbox.push,
      () => {},
    );
    return { c, inbox };
  };
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('refuses a batch that does not fit with EventStoreFullError and stores none of it', async () => {
    const s = make({ maxEvents: 5 });
    await consume(s, 'g');
    expect((await s.append([1, 2, 3].map((i) => newEvent('p', `u${i}`)))).stored).toBe(3);
    const batch = [4, 5, 6].map((i) => newEvent('p', `u${i}`));
    await expect(s.append(batch)).rejects.toBeInstanceOf(EventStoreFullError);
    expect(s.size).toBe(3);
    // Nothing of it was remembered either: after room is made, it is stored whole, not as duplicates.
    expect(await s.append(batch.slice(0, 2))).toEqual({ stored: 2, duplicates: 0 });
    await expect(s.append([newEvent('p', 'u7')])).rejects.toBeInstanceOf(EventStoreFullError);
    expect(s.size).toBe(5);
  });

  it('never drops an unacked event for room; evicts events every group has acked (then parked ones) instead', async () => {
    const s = make({ maxEvents: 4, ackDeadlineMs: 5_000, maxDeliveryAttempts: 1 });
    const a = await consume(s, 'a');
    const b = await consume(s, 'b');
    const events = [1, 2, 3, 4].map((i) => newEvent('p', `u${i}`));
    await s.append(events);
    const inA = await a.inbox.take(4);
    const inB = await b.inbox.take(4);
    // Event 1 acked by both groups; event 2 acked by a only; event 3 acked by a, parked by b.
    await a.c.ack(inA.map((d) => d.event.eventId));
    await b.c.ack([events[0].event.eventId]);
    await b.c.nack([events[2].event.eventId], 0);
    expect(inB.length).toBe(4);

    expect((await s.append([newEvent('p', 'n1')])).stored).toBe(1); // evicts event 1
    expect((await s.append([newEvent('p', 'n2')])).stored).toBe(1); // evicts event 3 (parked by b, so its dead letter goes)
    expect((await s.listDeadLetters('b', undefined, 10, '')).deadLetters).toEqual([]);
    // Events 2, 4 (b holds them), n1, n2 (both hold them): nothing may go.
    await expect(s.append([newEvent('p', 'n3')])).rejects.toBeInstanceOf(EventStoreFullError);
    expect(s.size).toBe(4);
    await b.c.ack([events[1].event.eventId]);
    expect((await s.append([newEvent('p', 'n3')])).stored).toBe(1);
  });

  it('drops events past retention first, delivered or not', async () => {
    const s = make({ maxEvents: 2, retentionMs: 100, ackDeadlineMs: 5_000 });
    const a = await consume(s, 'a');
    await s.append([newEvent('p', 'u1'), newEvent('p', 'u2')]);
    const held = await a.inbox.take(2);
    await expect(s.append([newEvent('p', 'u3')])).rejects.toBeInstanceOf(EventStoreFullError);
    await timePasses(150); // the retention running out is what is tested
    expect((await s.append([newEvent('p', 'u3')])).stored).toBe(1);
    expect(s.size).toBe(1);
    // The consumer's expired events are gone: their acks are ignored, it has room for the new one.
    await a.c.ack(held.map((d) => d.event.eventId));
    expect((await a.inbox.next()).event.senderId).toBe('u3');
  });

  it('with no group, events are kept for earliest starts but never block appends', async () => {
    const s = make({ maxEvents: 3 });
    for (let i = 0; i < 10; i++) await s.append([newEvent('p', `u${i}`)]);
    expect(s.size).toBe(3);
    const late = await consume(s, 'late', { earliest: true });
    expect((await late.inbox.take(3)).map((d) => d.event.senderId)).toEqual(['u7', 'u8', 'u9']);
  });

  it('hands ready conversations out round-robin over the consumers with room', async () => {
    const s = make({ ackDeadlineMs: 5_000 });
    const order: string[] = [];
    const mk = async (name: string, max: number) => s.consume({ group: 'g', pageIds: undefined, maxOutstanding: max, start: { kind: 'latest' } }, () => order.push(name), () => {});
    await mk('a', 10);
    await mk('b', 10);
    await mk('c', 1);
    await s.append(Array.from({ length: 9 }, (_, i) => newEvent('p', `u${i}`)));
    await waitFor(() => order.length >= 9, { what: 'the 9 deliveries' });
    expect(order).toEqual(['a', 'b', 'c', 'a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('runs on one timer however many events are out, and close leaves none', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const s = make();
    const consumers: Consumer[] = [];
    const inbox = new Inbox<DeliveredEvent>();
    consumers.push(await s.consume({ group: 'g', pageIds: undefined, maxOutstanding: 1000, start: { kind: 'latest' } }, inbox.push, () => {}));
    await s.append(Array.from({ length: 200 }, (_, i) => newEvent('p', `u${i}`)));
    await new Promise((r) => setImmediate(r));
    expect(inbox.all.length).toBe(200);
    await consumers[0].nack(inbox.all.slice(0, 50).map((d) => d.event.eventId), 30_000);
    expect(vi.getTimerCount()).toBe(1);
    await s.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('append does not grow with groups × events: 100 groups (idle or connected) and a 10,000-event batch', async () => {
    const s = make({ maxEvents: 100_000, ackDeadlineMs: 60_000 });
    const idle: Consumer[] = [];
    for (let i = 0; i < 50; i++) idle.push((await consume(s, `idle-${i}`)).c);
    for (const c of idle) await c.close();
    const connected: Array<Awaited<ReturnType<typeof consume>>> = [];
    for (let i = 0; i < 50; i++) connected.push(await consume(s, `live-${i}`));
    const batch = Array.from({ length: 10_000 }, (_, i) => newEvent(`p${i % 10}`, `u${i}`));
    const t0 = performance.now();
    expect((await s.append(batch)).stored).toBe(10_000);
    const appendMs = performance.now() - t0;
    // Connected groups take the batch in bounded slices: the loop is never held for long.
    let longest = 0;
    let last = performance.now();
    const probe = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 1);
    const done = async () => connected.every((c) => c.inbox.all.length >= 100);
    await waitFor(done, { what: 'every connected group caught up', timeoutMs: 20_000, intervalMs: 5 });
    clearInterval(probe);
    console.log(`append of 10,000 events with 100 groups: ${appendMs.toFixed(1)} ms; longest event-loop stall while 50 groups caught up: ${longest.toFixed(1)} ms`);
    expect(appendMs).toBeLessThan(300);
    expect(longest).toBeLessThan(1_000);
    for (const c of connected) expect(c.inbox.all.length).toBe(100);
    const stats = await s.stats();
    expect(stats.find((g) => g.group === 'idle-0')?.lag).toBe(10_000);
    expect(stats.find((g) => g.group === 'live-0')?.lag).toBe(10_000);
  });

  it('reports the events an idle group gave up, per group', async () => {
    const dropped: Array<[string, number]> = [];
    const s = new MemoryEventStore({ ...OPTIONS, maxEvents: 3, groupIdleMs: 50 }, { onDropped: (g, n) => dropped.push([g, n]) });
    stores.push(s);
    const a = await consume(s, 'a');
    await a.c.close();
    const b = await consume(s, 'b');
    await b.c.close();
    await s.append([1, 2, 3].map((i) => newEvent('p', `u${i}`)));
    await timePasses(100); // groupIdleMs running out is what is tested
    await s.append([newEvent('p', 'u4'), newEvent('p', 'u5')]);
    expect(dropped.sort()).toEqual([
      ['a', 2],
      ['b', 2],
    ]);
    expect(s.size).toBe(3);
  });

  it('keeps the dedup map bounded', async () => {
    const s = make({ maxEvents: 10 }); // at most max(1024, 2 * maxEvents) keys
    for (let i = 0; i < 3_000; i++) await s.append([newEvent('p', `u${i}`, { dedupKey: `k${i}` })]);
    expect((await s.append([newEvent('p', 'x', { dedupKey: 'k2999' })])).duplicates).toBe(1);
    expect((await s.append([newEvent('p', 'x', { dedupKey: 'k0' })])).stored).toBe(1);
  });
});
