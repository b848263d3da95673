/**
 * Delivery within one consumer group, the same for every store: a FIFO per conversation of
 * what the group holds, of which only the head is ever out with a consumer (the next event of a
 * conversation waits until the head is acked or parked); ready conversations handed out in the
 * order they became ready (fair between conversations), round-robin over the consumers that
 * have room (`maxOutstanding`) and accept the conversation's page; ack deadlines and nack
 * delays (on the store's Deadlines); redelivery, and parking past `maxDeliveryAttempts`; consumers
 * that stopped reading (their deliveries expire) neither count toward parking while another is
 * healthy, nor stay once `maxOutstanding` of theirs expired (when they asked for it).
 *
 * The store keeps what makes it memory or Redis (DispatchHost): where entries come from, when a
 * dispatch turn runs, whether a head may go now, recording a delivery, acking, parking, and
 * its own accounting when an entry leaves.
 */
import type { Event } from '../../gen/messenger/v1/events';
import type { EventsConfig } from '../config/gateway-config';
import type { Deadlines, WakeupOwner } from './deadlines';
import { ConsumerStuckError, type Consumer, type DeliveredEvent } from './event-store';

/**
 * queued: waits; sending: given to `holder`, its delivery being recorded (Redis); outstanding:
 * with `holder`; delayed: nacked with a delay; busy: being parked (Redis).
 */
export type EntryState = 'queued' | 'sending' | 'outstanding' | 'delayed' | 'busy';

/** A group's copy of an event; stores extend it with what they need to ack or park it. */
export interface DispatchEntry<E extends DispatchEntry<E>> {
  readonly event: Event;
  readonly conv: Conversation<E>;
  /** How many times the group was given it. */
  deliveries: number;
  state: EntryState;
  holder: DispatchConsumer<E> | undefined;
  /** Bumped on every change of state: a wake-up taken for an older token is stale. */
  token: number;
  /** Its holder's `settles` when it was handed out: unchanged at its deadline, the holder answered nothing since. */
  settlesAtDelivery: number;
}

export interface Conversation<E> {
  readonly key: string;
  readonly pageId: string;
  readonly queue: E[];
  /** In its page's ready set: its head can be delivered now. */
  ready: boolean;
  /** When it last became ready (a counter): the oldest-ready conversation goes first. */
  readyStamp: number;
}

export interface DispatchConsumer<E> {
  readonly pageIds: ReadonlySet<string> | undefined;
  readonly max: number;
  /** What it holds, by event id. */
  readonly outstanding: Map<string, E>;
  readonly deliver: (d: DeliveredEvent) => void;
  readonly onError: (err: Error) => void;
  /** Ended with ConsumerStuckError once `max` of its deliveries expired in a row (no ack or nack between). */
  readonly endWhenStuck: boolean;
  /** Its deliveries that passed their ack deadline since it last acked or nacked one: 0 is healthy. */
  expired: number;
  /** Its acks and nacks so far (calls, not ids): one that answers nothing is not reading. */
  settles: number;
  closed: boolean;
}

/** What a store does for the dispatcher of one of its groups. */
export interface DispatchHost<E> {
  /** Something may be deliverable: run `dispatch()` on a later turn (never inside this call). */
  wake(): void;
  /** Whether this ready head may be handed out now (Redis: its partition's lease holds); absent: always. */
  mayDeliver?(head: E, now: number): boolean;
  /**
   * Records a turn's hand-outs before the consumers see them (Redis: the attempt goes into the
   * PEL); then `deliver` each, or `discard` it. Absent: delivered at once.
   */
  record?(handedOut: E[]): void;
  /** Acks these ids of the consumer's (each `discard`ed once acked). Absent: `discard`ed at once. */
  ack?(consumer: DispatchConsumer<E>, eventIds: readonly string[]): Promise<void>;
  /** Given back `maxDeliveryAttempts` times: make it a dead letter, then `remove` it (undefined: done at once). */
  park(entry: E): Promise<void> | undefined;
  /** The entry left its conversation (acked, parked or dropped). */
  removed(entry: E): void;
  /** A consumer of the group acked an event for the first time since this dispatcher began (the group is in use). */
  firstAck?(): void;
  /** A consumer closed; `givenBack` settles when what it held is back (it rejects when a park failed). */
  left(givenBack: Promise<void> | undefined): void | Promise<void>;
}

export class Dispatcher<E extends DispatchEntry<E>> implements WakeupOwner<E> {
  /** Conversations holding entries (one with none is forgotten). */
  readonly convs = new Map<string, Conversation<E>>();
  readonly consumers: DispatchConsumer<E>[] = [];
  /** Per page, the conversations whose head can be delivered, oldest-ready first. */
  private readonly readyByPage = new Map<string, Set<Conversation<E>>>();
  /** Where the next round-robin turn starts. */
  private rr = 0;
  private stamp = 0;
  private ended = false;
  /** A consumer acked one of its events here (told to the host once). */
  private acked = false;

  constructor(
    private readonly host: DispatchHost<E>,
    private readonly deadlines: Deadlines<E>,
    private readonly rules: Pick<EventsConfig, 'ackDeadlineMs' | 'maxDeliveryAttempts'>,
  ) {}

  /** A consumer joins the rotation; its acks, nacks and close come through the returned handle. */
  addConsumer(pageIds: ReadonlySet<string> | undefined, max: number, deliver: (d: DeliveredEvent) => void, onError: (err: Error) => void, endWhenStuck = false): Consumer {
    const c: DispatchConsumer<E> = { pageIds, max, outstanding: new Map(), deliver, onError, endWhenStuck, expired: 0, settles: 0, closed: false };
    this.consumers.push(c);
    this.host.wake();
    return {
      ack: async (ids) => {
        if (c.closed) return;
        c.settles++;
        // Only until the first ack and after an expiry: the steady state costs nothing per ack.
        if ((!this.acked || c.expired > 0) && ids.some((id) => c.outstanding.has(id))) {
          c.expired = 0;
          if (!this.acked) {
            this.acked = true;
            this.host.firstAck?.();
          }
        }
        if (this.host.ack) return this.host.ack(c, ids);
        for (const id of ids) {
          const entry = c.outstanding.get(id);
          if (entry) this.discard(entry);
        }
      },
      nack: async (ids, delayMs) => {
        if (c.closed) return;
        c.settles++;
        const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
        if (c.expired > 0 && ids.some((id) => c.outstanding.has(id))) c.expired = 0;
        let parking: Array<Promise<void>> | undefined;
        for (const id of ids) {
          const entry = c.outstanding.get(id);
          const parked = entry && this.giveBack(entry, delay);
          if (parked) (parking ??= []).push(parked);
        }
        if (parking) await Promise.all(parking);
      },
      close: async () => {
        if (c.closed) return;
        await this.host.left(this.leave(c));
      },
    };
  }

  /** The conversation of this key (made when new): entries go in with `enqueue`. */
  conversation(key: string, pageId: string): Conversation<E> {
    let conv = this.convs.get(key);
    if (!conv) {
      conv = { key, pageId, queue: [], ready: false, readyStamp: 0 };
      this.convs.set(key, conv);
    }
    return conv;
  }

  /** Puts a new (queued) entry at the end of its conversation. */
  enqueue(entry: E): void {
    entry.conv.queue.push(entry);
    if (entry.conv.queue.length === 1) this.refresh(entry.conv);
  }

  /** Hands ready heads out, one at a time, round-robin over the consumers with room. */
  dispatch(): void {
    const record = this.host.record !== undefined;
    let handedOut: E[] | undefined;
    const now = this.host.mayDeliver ? Date.now() : 0;
    for (;;) {
      if (this.ended) break;
      const n = this.consumers.length;
      let given = false;
      for (let i = 0; i < n; i++) {
        const idx = (this.rr + i) % n;
        const c = this.consumers[idx];
        if (c.closed || c.outstanding.size >= c.max) continue;
        const conv = this.pickFor(c, now);
        if (!conv) continue;
        this.rr = (idx + 1) % n;
        const entry = conv.queue[0];
        entry.deliveries++;
        entry.state = 'sending';
        entry.holder = c;
        entry.settlesAtDelivery = c.settles;
        entry.token++;
        c.outstanding.set(entry.event.eventId, entry);
        this.unready(conv);
        if (record) (handedOut ??= []).push(entry);
        else this.deliver(entry);
        given = true;
        break;
      }
      if (!given) break;
    }
    if (handedOut) this.host.record?.(handedOut);
  }

  /** The entry's delivery is recorded: its consumer gets it now, and its ack deadline starts. */
  deliver(entry: E): void {
    const c = entry.holder;
    if (!c) return;
    entry.state = 'outstanding';
    this.deadlines.add(Date.now() + this.rules.ackDeadlineMs, entry, this);
    try {
      c.deliver({ event: entry.event, attempt: entry.deliveries });
    } catch {
      // A consumer that throws keeps the event until its ack deadline, like one that never answers.
    }
  }

  /** Acked, or gone from the store: out of its consumer's hands and of its conversation. */
  discard(entry: E): void {
    this.release(entry);
    this.remove(entry);
  }

  /** Nacked, past its deadline or its consumer gone: delivered again (after `delayMs`), or parked. */
  giveBack(entry: E, delayMs: number): Promise<void> | undefined {
    if (entry.state !== 'sending' && entry.state !== 'outstanding') return undefined;
    this.release(entry);
    if (entry.deliveries >= this.rules.maxDeliveryAttempts) return this.host.park(entry);
    if (delayMs > 0) {
      entry.state = 'delayed';
      this.deadlines.add(Date.now() + delayMs, entry, this);
    } else {
      this.refresh(entry.conv);
    }
    return undefined;
  }

  /** A queued entry nobody holds waits until `at` (epoch ms), as after a nack: a delay carried over from before. */
  delay(entry: E, at: number): void {
    if (entry.state !== 'queued' || entry.holder) return;
    entry.state = 'delayed';
    entry.token++;
    this.deadlines.add(at, entry, this);
    this.refresh(entry.conv);
  }

  /** The entry is being parked: its conversation waits until it is removed. */
  hold(entry: E): void {
    entry.state = 'busy';
    this.unready(entry.conv);
  }

  /** Takes a (released) entry out of its conversation; the host's `removed` follows. */
  remove(entry: E): void {
    const conv = entry.conv;
    const i = conv.queue[0] === entry ? 0 : conv.queue.indexOf(entry);
    if (i < 0) return;
    if (i === 0) {
      conv.queue.shift();
      // The head changed: refresh recomputes readiness from scratch.
      this.unready(conv);
    } else {
      conv.queue.splice(i, 1);
    }
    this.refresh(conv);
    this.host.removed(entry);
  }

  /**
   * Forgets a conversation here without settling anything (its events stay with the store, for
   * whoever serves them next); returns how many entries it had.
   */
  forget(conv: Conversation<E>): number {
    const n = conv.queue.length;
    for (const e of conv.queue) this.drop(e);
    conv.queue.length = 0;
    this.unready(conv);
    this.convs.delete(conv.key);
    return n;
  }

  /**
   * An ack deadline or a nack delay is up. A delivery that expired does not count toward the
   * event's attempts when its consumer answered nothing since it got it (it may have stopped
   * reading) and another consumer of the group is healthy: a consumer that stopped reading must
   * not park what a working one would handle. One that kept acking others did read it: its
   * expiry counts, or an event whose handling always hangs would go round forever, never parked,
   * holding its conversation.
   */
  due(entry: E): void {
    if (entry.state === 'outstanding') {
      const c = entry.holder;
      if (c) {
        c.expired++;
        if (c.settles === entry.settlesAtDelivery && this.consumers.some((o) => o !== c && !o.closed && o.expired === 0)) entry.deliveries--;
      }
      void this.giveBack(entry, 0)?.catch(() => undefined);
      if (c && c.endWhenStuck && !c.closed && c.expired >= c.max) this.stuck(c);
    } else if (entry.state === 'delayed') {
      this.drop(entry);
      this.refresh(entry.conv);
    }
  }

  /** Ends delivery: every entry is forgotten, every consumer closed (and told `err`, if any). */
  end(err: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    for (const conv of this.convs.values()) {
      for (const e of conv.queue) this.drop(e);
      conv.queue.length = 0;
    }
    this.convs.clear();
    this.readyByPage.clear();
    const consumers = this.consumers.splice(0);
    this.rr = 0;
    for (const c of consumers) {
      c.closed = true;
      c.outstanding.clear();
      if (!err) continue;
      try {
        c.onError(err);
      } catch {
        // A consumer's error callback must not keep the store from closing.
      }
    }
  }

  /** Takes a consumer that stopped reading out of the rotation, and tells it (its stream ends and closes it). */
  private stuck(c: DispatchConsumer<E>): void {
    const given = c.expired;
    // Its handle's close() is a no-op from now: the host hears of the leaving here.
    void Promise.resolve(this.host.left(this.leave(c))).catch(() => undefined);
    try {
      c.onError(new ConsumerStuckError(`${given} deliveries to this consumer passed their ack deadline and it acked none of them`));
    } catch {
      // A consumer's error callback must not break the deadline timer.
    }
  }

  /** The consumer leaves the rotation; what it held goes back to the group at once. */
  private leave(c: DispatchConsumer<E>): Promise<void> | undefined {
    c.closed = true;
    const i = this.consumers.indexOf(c);
    if (i >= 0) {
      this.consumers.splice(i, 1);
      if (this.rr > i) this.rr--;
      if (this.rr >= this.consumers.length) this.rr = 0;
    }
    let parking: Array<Promise<void>> | undefined;
    for (const entry of [...c.outstanding.values()]) {
      const parked = this.giveBack(entry, 0);
      if (parked) (parking ??= []).push(parked);
    }
    this.host.wake();
    return parking && allSettled(parking);
  }

  /** The oldest-ready conversation whose page the consumer accepts and whose head may go now. */
  private pickFor(c: DispatchConsumer<E>, now: number): Conversation<E> | undefined {
    let best: Conversation<E> | undefined;
    const pages = c.pageIds;
    if (!pages) {
      for (const set of this.readyByPage.values()) best = this.oldest(set, best, now);
    } else if (pages.size <= this.readyByPage.size) {
      for (const p of pages) {
        const set = this.readyByPage.get(p);
        if (set) best = this.oldest(set, best, now);
      }
    } else {
      for (const [p, set] of this.readyByPage) if (pages.has(p)) best = this.oldest(set, best, now);
    }
    return best;
  }

  /** The first conversation of `set` (oldest-ready first) that may go now, when it is older than `best`. */
  private oldest(set: Set<Conversation<E>>, best: Conversation<E> | undefined, now: number): Conversation<E> | undefined {
    for (const conv of set) {
      if (best && conv.readyStamp >= best.readyStamp) break;
      if (!this.host.mayDeliver || this.host.mayDeliver(conv.queue[0], now)) return conv;
    }
    return best;
  }

  /** Brings a conversation's readiness in line with its head (and forgets it when empty). */
  private refresh(conv: Conversation<E>): void {
    const head = conv.queue[0];
    const ready = head !== undefined && head.state === 'queued';
    if (ready && !conv.ready) {
      conv.ready = true;
      conv.readyStamp = ++this.stamp;
      let set = this.readyByPage.get(conv.pageId);
      if (!set) {
        set = new Set();
        this.readyByPage.set(conv.pageId, set);
      }
      set.add(conv);
      this.host.wake();
    } else if (!ready) {
      this.unready(conv);
    }
    if (!head) this.convs.delete(conv.key);
  }

  private unready(conv: Conversation<E>): void {
    if (!conv.ready) return;
    conv.ready = false;
    const set = this.readyByPage.get(conv.pageId);
    set?.delete(conv);
    if (set?.size === 0) this.readyByPage.delete(conv.pageId);
  }

  /** Takes an entry back from its consumer (or out of its delay): queued again; its consumer has room. */
  private release(entry: E): void {
    const held = entry.holder !== undefined;
    this.drop(entry);
    if (held) this.host.wake();
  }

  /** Lets go of an entry without settling it: its wake-up goes stale. */
  private drop(entry: E): void {
    if (entry.holder) entry.holder.outstanding.delete(entry.event.eventId);
    entry.holder = undefined;
    if (entry.state === 'outstanding' || entry.state === 'delayed') this.deadlines.live--;
    entry.state = 'queued';
    entry.token++;
  }
}

/** Settles once all have; rejects with a failure among them, if any. */
async function allSettled(pending: Array<Promise<void>>): Promise<void> {
  let failure: unknown;
  await Promise.all(pending.map((p) => p.catch((err: unknown) => (failure = err))));
  if (failure !== undefined) throw failure;
}
