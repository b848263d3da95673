/**
 * The embedded event store: one process, bounded, nothing survives a restart. Events are stored
 * once, in one shared log; a group takes the events of its page scope from the log through its
 * cursor, lazily: append only advances the log (its cost does not grow with the number of
 * groups times the batch), a group with consumers catches up in bounded slices on later turns of
 * the event loop, and a group with none takes nothing until one connects. What a group took is
 * handed out by its Dispatcher (dispatcher.ts): per-conversation order, fairness, ack deadlines.
 *
 * One timer (unref'd) drives ack deadlines, nack delays, retention and the dedup window: it is
 * armed for the earliest of those, never one timer per event.
 */
import type { Event } from '../../gen/messenger/v1/events';
import type { EventsConfig } from '../config/gateway-config';
import { Deadlines } from './deadlines';
import { Dispatcher, type DispatchEntry } from './dispatcher';
import {
  EventStoreFullError,
  HOLD_RELEASE_BATCH,
  HOLD_SWEEP_MS,
  MAX_HELD_PER_CONVERSATION,
  heldFullMessage,
  passesHold,
  InvalidPageTokenError,
  TooManyGroupsError,
  type EventStoreHooks,
  type AppendResult,
  type Consumer,
  type ConsumerOptions,
  type DeadLetter,
  type DeliveredEvent,
  type EventStore,
  type GroupStats,
  type NewEvent,
  type StartAt,
} from './event-store';
import { StoreUnavailableError } from '../store/store-unavailable-error';
import { fitScope } from './group-scope';
import { ownerBoundMessage, storeBoundMessage } from './group-bounds';
import { checkConsumerOptions, checkEventsConfig } from './store-arguments';
import { dedupKeyBound } from './dedup-bound';

/** One stored event, shared by every group. */
interface Stored {
  readonly seq: number;
  readonly event: Event;
  readonly conversation: string;
  readonly storedAt: number;
  /** The groups' entries for it that are neither acked nor parked. */
  readonly open: Set<Entry>;
  /** The groups' dead letters of it. */
  readonly parked: Set<Parked>;
  /** Groups that will take it and have not yet (their cursor is at or before it). */
  pending: number;
  /** Still stored (false once dropped: the log skips it). */
  live: boolean;
}

/** A group's copy of an event (its deliveries count since it was stored or replayed). */
interface Entry extends DispatchEntry<Entry> {
  readonly stored: Stored;
  readonly group: Group;
}

interface Parked {
  readonly stored: Stored;
  readonly group: Group;
  readonly parkSeq: number;
  readonly parkedAt: number;
  readonly deliveries: number;
}

interface Group {
  readonly name: string;
  /** Who created it (counted against `maxGroupsPerCaller`); undefined: nobody's. */
  readonly owner: string | undefined;
  /** A consumer acked one of its events: until then it is deleted `neverAckedGroupMs` after its last consumer left. */
  acked: boolean;
  /** Events stored before this (epoch ms) are not the group's (a `time` start). */
  readonly fromTime: number;
  /** The only pages whose events the group takes; undefined: every page. */
  readonly scope: ReadonlySet<string> | undefined;
  /** The seq of the next log event the group has not looked at. */
  cursor: number;
  /** Events of the log at or after the cursor that the group will take. */
  behind: number;
  /** When its last consumer left (epoch ms); undefined while one is connected. */
  idleSince: number | undefined;
  readonly dispatcher: Dispatcher<Entry>;
  /** Dead letters in the order they were parked. */
  readonly parked: Map<number, Parked>;
  /** Entries neither acked nor parked. */
  open: number;
}

/** A held conversation: its holders (until when each counts) and its live events, in arrival order. */
interface Hold {
  readonly holders: Map<string, number>;
  readonly events: NewEvent[];
}

/** Log events a dispatch turn looks at to bring groups up to date; the rest waits for the next turn. */
const CATCH_UP_PER_TURN = 5_000;
/** Retention and the dedup window are swept at most this often, and at least this rarely. */
const MIN_HOUSEKEEPING_MS = 10;
const MAX_HOUSEKEEPING_MS = 60_000;
const TOKEN_PREFIX = 'dl1:';

export class MemoryEventStore implements EventStore {
  private readonly events = new Map<number, Stored>();
  /** The shared log, in seq order; dropped events stay (live false) until compaction. */
  private log: Stored[] = [];
  private logDead = 0;
  /** Held by no group and parked nowhere: the first to go when room is needed. */
  private readonly free = new Set<Stored>();
  /** Held by no group, parked somewhere: they go next (their dead letters with them). */
  private readonly parkedOnly = new Set<Stored>();
  /** dedup key → when it is forgotten; insertion order is expiry order. */
  private readonly dedup = new Map<string, number>();
  private readonly maxDedupKeys: number;
  private readonly groups = new Map<string, Group>();
  private readonly dirty = new Set<Group>();
  /** Every group's ack deadlines and nack delays, and the housekeeping: the one timer. */
  private readonly deadlines = new Deadlines<Entry>((now) => this.housekeep(now));
  private seq = 0;
  private parkSeq = 0;
  private lastStoredAt = 0;
  private closed = false;
  private dispatchScheduled: NodeJS.Immediate | undefined;
  private nextHousekeeping = Infinity;
  private readonly housekeepingMs: number;
  /** Held conversations (event-store.ts `hold`); empty but for backfills. */
  private readonly holds = new Map<string, Hold>();
  private holdSweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: EventsConfig,
    private readonly hooks: EventStoreHooks = {},
  ) {
    checkEventsConfig(options);
    this.maxDedupKeys = dedupKeyBound(options.maxEvents);
    this.housekeepingMs = Math.min(MAX_HOUSEKEEPING_MS, Math.max(MIN_HOUSEKEEPING_MS, Math.min(options.retentionMs, options.dedupWindowMs, options.neverAckedGroupMs) / 4));
  }

  /** Events held (for tests and metrics). */
  get size(): number {
    return this.events.size;
  }

  async append(batch: readonly NewEvent[]): Promise<AppendResult> {
    this.ensureOpen();
    const now = Date.now();
    this.sweepDedup(now);
    const fresh: NewEvent[] = [];
    const inBatch = new Set<string>();
    let duplicates = 0;
    for (const ne of batch) {
      if (this.dedup.has(ne.dedupKey) || inBatch.has(ne.dedupKey)) {
        duplicates++;
        continue;
      }
      inBatch.add(ne.dedupKey);
      fresh.push(ne);
    }
    if (fresh.length === 0) return { stored: 0, duplicates };
    // Nothing held (the usual case): one size check.
    const held = this.holds.size > 0 ? this.heldOf(fresh) : undefined;
    const live = held ? fresh.filter((ne) => !held.has(ne)) : fresh;
    if (live.length > 0) this.storeFresh(live, now, false);
    if (held) {
      for (const [ne, hold] of held) {
        hold.events.push(ne.event.receivedTime ? ne : { ...ne, event: { ...ne.event, receivedTime: new Date(now) } });
        this.remember(ne.dedupKey, now);
      }
    }
    return { stored: fresh.length, duplicates };
  }

  /** The live events of held conversations, each with its hold; throws (nothing taken) past a hold's bound. */
  private heldOf(fresh: readonly NewEvent[]): Map<NewEvent, Hold> | undefined {
    let held: Map<NewEvent, Hold> | undefined;
    for (const ne of fresh) {
      const hold = passesHold(ne.event) ? undefined : this.holds.get(ne.conversation);
      if (!hold) continue;
      held ??= new Map();
      held.set(ne, hold);
    }
    if (!held) return undefined;
    const counts = new Map<Hold, number>();
    for (const hold of held.values()) counts.set(hold, (counts.get(hold) ?? 0) + 1);
    for (const [hold, n] of counts) {
      if (hold.events.length + n > MAX_HELD_PER_CONVERSATION) throw new EventStoreFullError(heldFullMessage(hold.events.length));
    }
    return held;
  }

  async hold(conversation: string, holder: string, ttlMs: number): Promise<void> {
    this.ensureOpen();
    let hold = this.holds.get(conversation);
    if (!hold) {
      hold = { holders: new Map(), events: [] };
      this.holds.set(conversation, hold);
    }
    hold.holders.set(holder, Date.now() + ttlMs);
    if (!this.holdSweep) {
      this.holdSweep = setInterval(() => void this.releaseExpiredHolds(), HOLD_SWEEP_MS);
      this.holdSweep.unref();
    }
  }

  async release(conversation: string, holder: string): Promise<void> {
    this.ensureOpen();
    const hold = this.holds.get(conversation);
    if (!hold) return;
    hold.holders.delete(holder);
    this.releaseIfUnheld(conversation, hold, Date.now());
  }

  /** Appends a hold's events once none of its holders is left (expired ones count as gone), and ends it; true when it did. */
  private releaseIfUnheld(conversation: string, hold: Hold, now: number): boolean {
    for (const [h, until] of hold.holders) if (until <= now) hold.holders.delete(h);
    if (hold.holders.size > 0) return false;
    // In process, the whole list in one turn: no append can come between two batches.
    for (let i = 0; i < hold.events.length; i += HOLD_RELEASE_BATCH) this.storeFresh(hold.events.slice(i, i + HOLD_RELEASE_BATCH), now, true);
    this.holds.delete(conversation);
    if (this.holds.size === 0 && this.holdSweep) {
      clearInterval(this.holdSweep);
      this.holdSweep = undefined;
    }
    return true;
  }

  async releaseExpiredHolds(): Promise<number> {
    if (this.closed) return 0;
    const now = Date.now();
    let released = 0;
    for (const [conversation, hold] of [...this.holds]) if (this.releaseIfUnheld(conversation, hold, now)) released++;
    return released;
  }

  /**
   * Stores events whose dedup keys are checked (and not yet taken, unless they were held). `force`:
   * held events the store answered for already: past the bound they are stored anyway, after
   * what could be evicted (they were counted in their hold's bound instead).
   */
  private storeFresh(fresh: readonly NewEvent[], now: number, force: boolean): void {
    this.dropExpired(now);
    const over = this.events.size + fresh.length - this.options.maxEvents;
    if (over > 0) {
      const evictable = this.free.size + this.parkedOnly.size;
      const victims = over > evictable ? this.idleVictims(over - evictable, now) : [];
      if (victims) {
        this.evict(over - victims.length);
        this.giveUp(victims);
      } else if (force) {
        this.evict(evictable);
      } else {
        throw new EventStoreFullError(
          `the event store holds ${this.events.size} of at most ${this.options.maxEvents} events and ${this.events.size - evictable} are not yet acked by every connected group: the batch of ${fresh.length} is refused`,
        );
      }
    }

    const storedAt = Math.max(now, this.lastStoredAt);
    this.lastStoredAt = storedAt;
    // Which groups take what: one pass over the groups per batch, never per event and group.
    const perPage = new Map<string, number>();
    for (const ne of fresh) perPage.set(ne.event.pageId, (perPage.get(ne.event.pageId) ?? 0) + 1);
    const takersOfPage = new Map<string, number>();
    let takersOfAll = 0;
    for (const g of this.groups.values()) {
      if (storedAt < g.fromTime) continue;
      let n = 0;
      if (!g.scope) {
        n = fresh.length;
        takersOfAll++;
      } else if (g.scope.size < perPage.size) {
        for (const p of g.scope) {
          const k = perPage.get(p);
          if (k === undefined) continue;
          n += k;
          takersOfPage.set(p, (takersOfPage.get(p) ?? 0) + 1);
        }
      } else {
        for (const [p, k] of perPage) {
          if (!g.scope.has(p)) continue;
          n += k;
          takersOfPage.set(p, (takersOfPage.get(p) ?? 0) + 1);
        }
      }
      if (n === 0) continue;
      g.behind += n;
      if (g.dispatcher.consumers.length > 0) this.markDirty(g);
    }
    for (const ne of fresh) {
      const event = ne.event.receivedTime ? ne.event : { ...ne.event, receivedTime: new Date(storedAt) };
      const pending = takersOfAll + (takersOfPage.get(event.pageId) ?? 0);
      const stored: Stored = { seq: ++this.seq, event, conversation: ne.conversation, storedAt, open: new Set(), parked: new Set(), pending, live: true };
      this.events.set(stored.seq, stored);
      this.log.push(stored);
      if (!force) this.remember(ne.dedupKey, now);
      this.classify(stored);
    }
    this.scheduleHousekeeping(now);
  }

  async consume(options: ConsumerOptions, deliver: (d: DeliveredEvent) => void, onError: (err: Error) => void): Promise<Consumer> {
    this.ensureOpen();
    checkConsumerOptions(options);
    let group = this.groups.get(options.group);
    let pageIds = options.pageIds ? new Set(options.pageIds) : undefined;
    if (!group) {
      const now = Date.now();
      const owner = options.owner;
      if (this.groups.size >= this.options.maxGroups || (owner !== undefined && this.ownedBy(owner) >= this.options.maxGroupsPerCaller)) this.deleteAbandonedGroups(now);
      if (owner !== undefined) {
        const held = this.ownedBy(owner);
        if (held >= this.options.maxGroupsPerCaller) throw new TooManyGroupsError(ownerBoundMessage(held, this.options), { held, bound: this.options.maxGroupsPerCaller });
      }
      if (this.groups.size >= this.options.maxGroups) throw new TooManyGroupsError(storeBoundMessage(this.groups.size, this.options));
      group = this.createGroup(options.group, owner, options.start, options.scope ? new Set(options.scope) : undefined);
    } else if (group.scope) {
      pageIds = fitScope(group.name, group.scope, pageIds, options.fitToScope === true);
    }
    group.idleSince = undefined;
    return group.dispatcher.addConsumer(pageIds, options.maxOutstanding, deliver, onError, options.endWhenStuck === true);
  }

  /** How many groups this owner created (only when one is created: bounded by maxGroups). */
  private ownedBy(owner: string): number {
    let n = 0;
    for (const g of this.groups.values()) if (g.owner === owner) n++;
    return n;
  }

  async listDeadLetters(
    group: string,
    pageIds: ReadonlySet<string> | undefined,
    pageSize: number,
    pageToken: string,
  ): Promise<{ deadLetters: DeadLetter[]; nextPageToken: string }> {
    this.ensureOpen();
    const after = decodeToken(pageToken);
    const g = this.groups.get(group);
    const deadLetters: DeadLetter[] = [];
    let nextPageToken = '';
    if (!g) return { deadLetters, nextPageToken };
    const size = Math.max(1, Math.floor(pageSize));
    let last = after;
    for (const p of g.parked.values()) {
      if (p.parkSeq <= after) continue;
      if (pageIds && !pageIds.has(p.stored.event.pageId)) continue;
      if (deadLetters.length === size) {
        nextPageToken = encodeToken(last);
        break;
      }
      deadLetters.push({ event: p.stored.event, deliveryAttempts: p.deliveries, parkedAt: p.parkedAt });
      last = p.parkSeq;
    }
    return { deadLetters, nextPageToken };
  }

  async replayDeadLetters(group: string, pageIds: ReadonlySet<string> | undefined, eventIds: readonly string[]): Promise<number> {
    this.ensureOpen();
    const g = this.groups.get(group);
    if (!g) return 0;
    // Replayed events go after everything the group has yet to take of their conversations.
    this.catchUp(g, Infinity);
    const wanted = eventIds.length > 0 ? new Set(eventIds) : undefined;
    let replayed = 0;
    for (const p of [...g.parked.values()]) {
      const ev = p.stored.event;
      if (wanted && !wanted.has(ev.eventId)) continue;
      if (pageIds && !pageIds.has(ev.pageId)) continue;
      g.parked.delete(p.parkSeq);
      p.stored.parked.delete(p);
      this.enqueue(g, p.stored);
      this.classify(p.stored);
      replayed++;
    }
    return replayed;
  }

  async stats(): Promise<GroupStats[]> {
    const now = Date.now();
    const out: GroupStats[] = [];
    for (const g of this.groups.values()) {
      let oldest = Infinity;
      // A replayed event sits at the end of its conversation and may be its oldest.
      for (const conv of g.dispatcher.convs.values()) for (const e of conv.queue) if (e.stored.storedAt < oldest) oldest = e.stored.storedAt;
      if (g.behind > 0) {
        for (let i = this.logIndex(g.cursor); i < this.log.length; i++) {
          const s = this.log[i];
          if (s.live && wants(g, s)) {
            oldest = Math.min(oldest, s.storedAt);
            break;
          }
        }
      }
      out.push({ group: g.name, lag: g.open + g.behind, oldestUnackedMs: oldest === Infinity ? 0 : Math.max(0, now - oldest) });
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.deadlines.stop();
    clearInterval(this.holdSweep);
    this.holdSweep = undefined;
    if (this.dispatchScheduled) clearImmediate(this.dispatchScheduled);
    this.dispatchScheduled = undefined;
    const groups = [...this.groups.values()];
    this.groups.clear();
    this.events.clear();
    this.log = [];
    this.logDead = 0;
    this.free.clear();
    this.parkedOnly.clear();
    this.dedup.clear();
    this.dirty.clear();
    const closed = new StoreUnavailableError('the event store was closed');
    for (const g of groups) g.dispatcher.end(closed);
  }

  // --- groups and conversations ---

  private createGroup(name: string, owner: string | undefined, start: StartAt, scope: ReadonlySet<string> | undefined): Group {
    const g: Group = {
      name,
      owner,
      acked: false,
      fromTime: start.kind === 'time' ? start.epochMs : -Infinity,
      scope,
      cursor: start.kind === 'latest' ? this.seq + 1 : 0,
      behind: 0,
      idleSince: undefined,
      dispatcher: new Dispatcher<Entry>(
        {
          wake: () => this.markDirty(g),
          park: (entry) => this.park(entry),
          removed: (entry) => this.removed(entry),
          left: () => this.left(g),
          firstAck: () => {
            g.acked = true;
          },
        },
        this.deadlines,
        this.options,
      ),
      parked: new Map(),
      open: 0,
    };
    this.groups.set(name, g);
    if (start.kind !== 'latest') {
      // What is retained becomes the group's: taken lazily, like new events.
      for (const s of this.log) {
        if (!s.live || !wants(g, s)) continue;
        s.pending++;
        g.behind++;
        this.classify(s);
      }
    }
    return g;
  }

  /** Takes up to `budget` log events at the cursor into the group's conversations; returns how many it looked at. */
  private catchUp(g: Group, budget: number): number {
    if (g.cursor > this.seq) return 0;
    let looked = 0;
    let i = this.logIndex(g.cursor);
    while (i < this.log.length && looked < budget) {
      const s = this.log[i++];
      looked++;
      g.cursor = s.seq + 1;
      if (!s.live || !wants(g, s)) continue;
      s.pending--;
      g.behind--;
      this.enqueue(g, s);
    }
    if (i >= this.log.length) g.cursor = this.seq + 1;
    return looked;
  }

  /** Index of the first log event with seq >= `seq`. */
  private logIndex(seq: number): number {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.log[mid].seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Groups with no consumer for longer than the retention go, with what they still hold; groups
   * no consumer ever acked anything of, after `neverAckedGroupMs`.
   */
  private deleteAbandonedGroups(now: number): void {
    for (const g of [...this.groups.values()]) {
      if (g.dispatcher.consumers.length > 0 || g.idleSince === undefined) continue;
      if (now - g.idleSince > (g.acked ? this.options.retentionMs : Math.min(this.options.retentionMs, this.options.neverAckedGroupMs))) this.deleteGroup(g);
    }
  }

  private deleteGroup(g: Group): void {
    this.groups.delete(g.name);
    this.dirty.delete(g);
    for (const conv of g.dispatcher.convs.values()) {
      for (const entry of conv.queue) {
        entry.stored.open.delete(entry);
        this.classify(entry.stored);
      }
    }
    g.dispatcher.end(undefined);
    g.open = 0;
    for (const p of g.parked.values()) {
      p.stored.parked.delete(p);
      this.classify(p.stored);
    }
    g.parked.clear();
    if (g.behind > 0) {
      for (let i = this.logIndex(g.cursor); i < this.log.length; i++) {
        const s = this.log[i];
        if (!s.live || !wants(g, s)) continue;
        s.pending--;
        this.classify(s);
      }
      g.behind = 0;
    }
  }

  /** Puts the event at the end of its conversation in the group. */
  private enqueue(g: Group, stored: Stored): void {
    const d = g.dispatcher;
    const conv = d.conversation(stored.conversation, stored.event.pageId);
    const entry: Entry = { stored, group: g, event: stored.event, conv, deliveries: 0, state: 'queued', holder: undefined, token: 0, settlesAtDelivery: 0 };
    stored.open.add(entry);
    g.open++;
    d.enqueue(entry);
  }

  /** An entry left its conversation (acked, parked or dropped): the group no longer holds the event. */
  private removed(entry: Entry): void {
    entry.stored.open.delete(entry);
    entry.group.open--;
    this.classify(entry.stored);
  }

  /** Parked at once: nothing for the dispatcher to wait for. */
  private park(entry: Entry): undefined {
    const g = entry.group;
    const p: Parked = { stored: entry.stored, group: g, parkSeq: ++this.parkSeq, parkedAt: Date.now(), deliveries: entry.deliveries };
    g.parked.set(p.parkSeq, p);
    entry.stored.parked.add(p);
    g.dispatcher.remove(entry);
    return undefined;
  }

  /** A consumer closed: with it the last, the group is idle from now. */
  private left(g: Group): void {
    if (g.dispatcher.consumers.length > 0) return;
    g.idleSince = Date.now();
    this.scheduleHousekeeping(g.idleSince);
  }

  // --- delivery ---

  private markDirty(g: Group): void {
    if (this.closed) return;
    this.dirty.add(g);
    // Deliveries happen on their own turn, never inside the call that made them possible.
    this.dispatchScheduled ??= setImmediate(() => {
      this.dispatchScheduled = undefined;
      const groups = [...this.dirty];
      this.dirty.clear();
      // Catching up is bounded per turn, so a large batch never holds the event loop for long.
      let budget = CATCH_UP_PER_TURN;
      const unfinished: Group[] = [];
      for (const group of groups) {
        if (this.closed) return;
        if (group.dispatcher.consumers.length > 0 && group.cursor <= this.seq) {
          if (budget > 0) budget -= this.catchUp(group, budget);
          if (group.cursor <= this.seq) unfinished.push(group);
        }
        group.dispatcher.dispatch();
      }
      for (const group of unfinished) this.markDirty(group);
    });
  }

  // --- bounds ---

  /** Which eviction class an event is in now. */
  private classify(s: Stored): void {
    if (!s.live || s.open.size > 0 || s.pending > 0) {
      this.free.delete(s);
      this.parkedOnly.delete(s);
    } else if (s.parked.size === 0) {
      this.parkedOnly.delete(s);
      this.free.add(s);
    } else {
      this.free.delete(s);
      this.parkedOnly.add(s);
    }
  }

  /** Makes room for `n` events: acked ones first, then ones only parked. */
  private evict(n: number): void {
    for (const pool of [this.free, this.parkedOnly]) {
      for (const s of pool) {
        if (n <= 0) return;
        this.drop(s);
        n--;
      }
    }
  }

  /** Events past retention go, acked or not (the retention is the promise). */
  private dropExpired(now: number): void {
    const cutoff = now - this.options.retentionMs;
    for (const s of this.events.values()) {
      if (s.storedAt >= cutoff) break;
      this.drop(s);
    }
  }

  /**
   * The oldest `n` events held only by idle groups (no consumer for `groupIdleMs`), none of them
   * free or only parked; undefined when there are not that many.
   */
  private idleVictims(n: number, now: number): Stored[] | undefined {
    const idle = (g: Group) => g.dispatcher.consumers.length === 0 && g.idleSince !== undefined && now - g.idleSince >= this.options.groupIdleMs;
    const active = [...this.groups.values()].filter((g) => !idle(g));
    const activeBehind = active.filter((g) => g.behind > 0);
    const out: Stored[] = [];
    for (const s of this.log) {
      if (!s.live || (s.open.size === 0 && s.pending === 0)) continue;
      let pinned = false;
      for (const e of s.open) {
        if (!idle(e.group)) {
          pinned = true;
          break;
        }
      }
      if (!pinned && s.pending > 0) for (const g of activeBehind) if (g.cursor <= s.seq && wants(g, s)) pinned = true;
      if (pinned) continue;
      out.push(s);
      if (out.length >= n) return out;
    }
    return undefined;
  }

  /** Drops events idle groups gave up, counted per group. */
  private giveUp(victims: readonly Stored[]): void {
    if (victims.length === 0) return;
    const counts = new Map<string, number>();
    const count = (g: Group) => counts.set(g.name, (counts.get(g.name) ?? 0) + 1);
    for (const s of victims) {
      for (const e of s.open) count(e.group);
      if (s.pending > 0) for (const g of this.groups.values()) if (g.cursor <= s.seq && wants(g, s)) count(g);
      this.drop(s);
    }
    for (const [group, n] of counts) {
      try {
        this.hooks.onDropped?.(group, n);
      } catch {
        // A reporting hook must not break an append.
      }
    }
  }

  /** Forgets an event everywhere: the groups' entries, the groups yet to take it, their dead letters. */
  private drop(s: Stored): void {
    this.events.delete(s.seq);
    this.free.delete(s);
    this.parkedOnly.delete(s);
    s.live = false;
    if (s.pending > 0) {
      for (const g of this.groups.values()) if (g.cursor <= s.seq && wants(g, s)) g.behind--;
      s.pending = 0;
    }
    if (++this.logDead > 1024 && this.logDead * 2 > this.log.length) {
      this.log = this.log.filter((e) => e.live);
      this.logDead = 0;
    }
    for (const entry of [...s.open]) entry.group.dispatcher.discard(entry);
    for (const p of s.parked) p.group.parked.delete(p.parkSeq);
    s.parked.clear();
  }

  private remember(key: string, now: number): void {
    this.dedup.set(key, now + this.options.dedupWindowMs);
    if (this.dedup.size > this.maxDedupKeys) {
      const oldest = this.dedup.keys().next().value;
      if (oldest !== undefined) this.dedup.delete(oldest);
    }
  }

  private sweepDedup(now: number): void {
    for (const [key, until] of this.dedup) {
      if (until > now) break;
      this.dedup.delete(key);
    }
  }

  // --- housekeeping, on the deadlines' timer ---

  private scheduleHousekeeping(now: number): void {
    if (this.nextHousekeeping !== Infinity) return;
    this.nextHousekeeping = now + this.housekeepingMs;
    this.deadlines.arm(this.nextHousekeeping);
  }

  private housekeep(now: number): void {
    if (now >= this.nextHousekeeping) {
      this.nextHousekeeping = Infinity;
      this.sweepDedup(now);
      this.dropExpired(now);
      this.deleteAbandonedGroups(now);
      if (this.events.size > 0 || this.dedup.size > 0 || [...this.groups.values()].some((g) => g.dispatcher.consumers.length === 0)) this.scheduleHousekeeping(now);
    }
    if (this.nextHousekeeping !== Infinity) this.deadlines.arm(this.nextHousekeeping);
  }

  private ensureOpen(): void {
    if (this.closed) throw new StoreUnavailableError('the event store is closed');
  }
}

/** Whether the group takes this event (its page is in scope, stored at or after the group's start time). */
function wants(g: Group, s: Stored): boolean {
  return s.storedAt >= g.fromTime && (!g.scope || g.scope.has(s.event.pageId));
}

function encodeToken(parkSeq: number): string {
  return Buffer.from(`${TOKEN_PREFIX}${parkSeq}`).toString('base64url');
}

function decodeToken(token: string): number {
  if (!token) return 0;
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const n = text.startsWith(TOKEN_PREFIX) ? Number(text.slice(TOKEN_PREFIX.length)) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || encodeToken(n) !== token) throw new InvalidPageTokenError('the page token was not handed out by this store');
  return n;
}
