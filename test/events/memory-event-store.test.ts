import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventStoreFullError, type Consumer, type DeliveredEvent } from '../../src/events/event-store';
import { MemoryEventStore } from '../../src/events/memory-event-store';
import { Inbox, newEvent, sleep } from './event-fixtures';
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
    await sleep(150);
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
    await sleep(30);
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

  it('keeps the dedup map bounded', async () => {
    const s = make({ maxEvents: 10 }); // at most max(1024, 2 * maxEvents) keys
    for (let i = 0; i < 3_000; i++) await s.append([newEvent('p', `u${i}`, { dedupKey: `k${i}` })]);
    expect((await s.append([newEvent('p', 'x', { dedupKey: 'k2999' })])).duplicates).toBe(1);
    expect((await s.append([newEvent('p', 'x', { dedupKey: 'k0' })])).stored).toBe(1);
  });
});
