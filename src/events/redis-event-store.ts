/**
 * The event store of many replicas: Redis Streams. Events are XADDed to one of `partitions`
 * streams chosen by a hash of their conversation (dedup and XADD in one Lua script). Every
 * consumer group is a Redis consumer group on every partition stream.
 *
 * Per-conversation order across replicas: each partition of a group is leased (SET PX, renewed)
 * to one replica at a time, the replicas of a group sharing the partitions evenly. The holder
 * reads the partition with XREADGROUP (lease checked in the same script) and its Dispatcher
 * (dispatcher.ts, as in the memory store) hands each conversation's head to one of its
 * consumers, the next only once the head is acked or parked. A replica that dies stops
 * renewing: after the lease expires another replica of the group takes the partition and
 * claims its pending entries (XAUTOCLAIM, idle 0: the lease says nobody else serves them), in
 * id order, so a conversation resumes with its unacked head. Delivery attempts live in the PEL's delivery counter, set
 * (XCLAIM RETRYCOUNT) before each delivery, so a takeover counts the earlier deliveries.
 *
 * Acks are XACKs; the next event of a conversation is only handed out once the XACK of its
 * head returned. Dead letters are XADDed to a per-group stream and XACKed in one script; a
 * replay re-XADDs them into their partition, marked for that group only.
 *
 * Groups: a record per group in the groups hash (start, page scope, owner, never acked yet, last
 * heartbeat) bounds them (maxGroups and the owner's maxGroupsPerCaller, checked in the creating
 * script) and fixes their scope; entries outside it are
 * XACKed by the read script, never delivered. At maxEvents (all partitions together) the append
 * script makes room from events no group needs, then from the oldest needed only by groups idle
 * for groupIdleMs (given up by them, reported through `onDropped`); groups with no consumer for
 * longer than the retention (than neverAckedGroupMs when none of their consumers ever acked)
 * are deleted by a periodic sweep.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Event } from '../../gen/messenger/v1/events';
import type { EventsConfig } from '../config/gateway-config';
import { Deadlines } from './deadlines';
import { Dispatcher, type DispatchConsumer, type DispatchEntry, type DispatchHost } from './dispatcher';
import {
  EventStoreFullError,
  InvalidPageTokenError,
  TooManyGroupsError,
  type AppendResult,
  type Consumer,
  type ConsumerOptions,
  type DeadLetter,
  type DeliveredEvent,
  type EventStore,
  type EventStoreHooks,
  type GroupStats,
  type NewEvent,
  type StartAt,
} from './event-store';
import { StoreUnavailableError } from '../store/store-unavailable-error';
import type { ReplicaWait } from '../store/replica-wait';
import { rememberEncoding } from './encoded-event';
import { fitScope } from './group-scope';
import { ownerBoundMessage, storeBoundMessage } from './group-bounds';
import { checkConsumerOptions, checkEventsConfig } from './store-arguments';
import { APPEND, CREATE_GROUP, DELIVER, LEAVE, MARK_ACKED, PARK, READ, REBALANCE, RELEASE, REPLAY, STATS, SWEEP_GROUPS, TAKEOVER } from './redis-event-scripts';

export interface RedisEventStoreOptions extends EventsConfig {
  /** Prefix of every key (default `mgw:ev:`). */
  keyPrefix?: string;
  /** Partition streams (default 16). Every replica sharing the prefix must use the same number. */
  partitions?: number;
  /** How long a replica's lease of a partition lasts without renewal: the failover time (default ackDeadlineMs / 2, within 1-10 s). */
  leaseMs?: number;
  /** Events one replica buffers per group beyond what its consumers hold (default 10,000). */
  maxBuffered?: number;
  /** With `store.redis.minReplicas`: appends count as stored only once that many replicas confirm them (WAIT). */
  replicaWait?: ReplicaWait;
}

const DEFAULT_PARTITIONS = 16;
const READ_COUNT = 256;
const TAKEOVER_COUNT = 256;
const DEAD_LETTER_SCAN = 256;
const TOKEN_PREFIX = 'dl1:';
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
/** Abandoned groups are looked for at most this often, and at least this rarely. */
const MIN_SWEEP_MS = 10;
const MAX_SWEEP_MS = 60_000;

/** A group's record in the groups hash (see redis-event-scripts.ts). */
interface GroupRecord {
  start?: StartAt;
  owner?: string;
  scope?: string[] | Record<string, never>;
  seen?: number;
  live?: number;
}


/** The partition of a conversation: FNV-1a over its UTF-16 code units. */
export function partitionOf(conversation: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < conversation.length; i++) {
    h ^= conversation.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}

/** Any failure to talk to Redis becomes StoreUnavailableError (the webhook answers 503). */
async function redisCall<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof StoreUnavailableError || err instanceof EventStoreFullError || err instanceof TooManyGroupsError) throw err;
    throw new StoreUnavailableError(`event store (Redis) unavailable during ${what}: ${(err as Error).message}`, { cause: err });
  }
}

export class RedisEventStore implements EventStore {
  readonly prefix: string;
  readonly partitions: number;
  readonly leaseMs: number;
  readonly maxBuffered: number;
  /** This store's name in groups (consumer name and lease holder). */
  readonly me = `${process.pid}-${randomBytes(6).toString('hex')}`;
  private readonly workers = new Map<string, GroupWorker>();
  private readonly stopping = new Map<string, Promise<void>>();
  /**
   * Nack delays of groups whose last consumer here left, by group, then `<partition> <entry id>`:
   * epoch ms when due. The delay is held by the replica, not by its worker: the group's next
   * worker here claims those entries back and keeps them waiting (on another replica they come at once).
   */
  private readonly heldDelays = new Map<string, Map<string, number>>();
  private sub: Redis | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private streamKeys: readonly string[] | undefined;

  private constructor(
    readonly redis: Redis,
    readonly options: RedisEventStoreOptions,
    private readonly hooks: EventStoreHooks,
  ) {
    checkEventsConfig(options);
    this.prefix = options.keyPrefix ?? 'mgw:ev:';
    this.partitions = options.partitions ?? DEFAULT_PARTITIONS;
    this.leaseMs = options.leaseMs ?? Math.min(10_000, Math.max(1_000, Math.floor(options.ackDeadlineMs / 2)));
    this.maxBuffered = options.maxBuffered ?? 10_000;
  }

  /**
   * A store over this connection (the caller's: it closes it after the store); subscribes to
   * append notices and sweeps abandoned groups (no consumer for longer than the retention).
   */
  static async open(redis: Redis, options: RedisEventStoreOptions, hooks: EventStoreHooks = {}): Promise<RedisEventStore> {
    const store = new RedisEventStore(redis, options, hooks);
    await redisCall('subscribe', () => store.subscribe());
    const every = Math.min(MAX_SWEEP_MS, Math.max(MIN_SWEEP_MS, Math.min(options.retentionMs, options.neverAckedGroupMs) / 4));
    store.sweepTimer = setInterval(() => void store.sweepGroups().catch(() => undefined), every);
    store.sweepTimer.unref();
    return store;
  }

  // --- keys ---
  stream(i: number): string {
    return `${this.prefix}p:${i}`;
  }
  lease(group: string, i: number): string {
    return `${this.prefix}g:${group}:l:${i}`;
  }
  members(group: string): string {
    return `${this.prefix}g:${group}:m`;
  }
  deadLetters(group: string): string {
    return `${this.prefix}g:${group}:dl`;
  }
  get groupsKey(): string {
    return `${this.prefix}groups`;
  }
  /** The counter that orders events across partitions (which are given up first). */
  get seqKey(): string {
    return `${this.prefix}seq`;
  }
  /** Every partition stream's key, made once: each append passes them all to its script. */
  private allStreams(): readonly string[] {
    this.streamKeys ??= Array.from({ length: this.partitions }, (_, i) => this.stream(i));
    return this.streamKeys;
  }
  private get channel(): string {
    return `${this.prefix}notify`;
  }
  /** Most entries a partition stream holds: maxEvents shared by the partitions. */
  get partitionCap(): number {
    return Math.max(1, Math.ceil(this.options.maxEvents / this.partitions));
  }

  private async subscribe(): Promise<void> {
    const sub = this.redis.duplicate();
    sub.on('error', () => {});
    this.sub = sub;
    sub.on('message', (_channel: string, message: string) => {
      const parts = new Set(message.split(',').map(Number));
      for (const w of this.workers.values()) w.notify(parts);
    });
    await sub.subscribe(this.channel);
  }

  async append(batch: readonly NewEvent[]): Promise<AppendResult> {
    this.ensureOpen();
    const seen = new Set<string>();
    const fresh: NewEvent[] = [];
    let duplicates = 0;
    for (const ne of batch) {
      if (seen.has(ne.dedupKey)) duplicates++;
      else {
        seen.add(ne.dedupKey);
        fresh.push(ne);
      }
    }
    if (fresh.length === 0) return { stored: 0, duplicates };
    const now = new Date();
    const perEvent: Array<string | number> = [];
    for (const ne of fresh) {
      const event = ne.event.receivedTime ? ne.event : { ...ne.event, receivedTime: now };
      perEvent.push(partitionOf(ne.conversation, this.partitions), Buffer.from(Event.encode(event).finish()).toString('base64'), ne.conversation, ne.event.pageId);
    }
    const keys = [...fresh.map((ne) => `${this.prefix}d:${ne.dedupKey}`), ...this.allStreams(), this.groupsKey, this.seqKey];
    const args = [fresh.length, this.partitions, Math.ceil(this.options.dedupWindowMs), Math.ceil(this.options.retentionMs), this.options.maxEvents, this.channel, Math.ceil(this.options.groupIdleMs), ...perEvent];
    const wait = this.options.replicaWait;
    // A refused batch (-1) wrote nothing: it needs no replica's word.
    const reply = (await redisCall('append', () => (wait ? wait.run(APPEND, keys, args, (r) => (r as [number])[0] !== -1) : APPEND.run(this.redis, keys, args)))) as [
      number,
      number?,
      Array<string | number>?,
    ];
    if (reply[0] === -1) {
      throw new EventStoreFullError(
        `the event store holds at most ${this.options.maxEvents} events and too many of them are not yet acked by a group with a consumer (or idle for less than ${this.options.groupIdleMs} ms): the batch of ${fresh.length} is refused`,
      );
    }
    const dropped = reply[2] ?? [];
    for (let i = 0; i + 1 < dropped.length; i += 2) {
      try {
        this.hooks.onDropped?.(String(dropped[i]), Number(dropped[i + 1]));
      } catch {
        // A reporting hook must not break an append.
      }
    }
    return { stored: Number(reply[0]), duplicates: duplicates + Number(reply[1]) };
  }

  async consume(options: ConsumerOptions, deliver: (d: DeliveredEvent) => void, onError: (err: Error) => void): Promise<Consumer> {
    this.ensureOpen();
    checkConsumerOptions(options);
    const group = options.group;
    const { created, record } = await redisCall('creating the group', () => this.createGroup(group, options.owner, options.start, options.scope));
    const asked = options.pageIds ? new Set(options.pageIds) : undefined;
    // The group's scope is fixed when it is created: a later consumer must fit it.
    const pageIds = created ? asked : fitScope(group, scopeOf(record), asked, options.fitToScope === true);
    // A worker that is leaving (its last consumer went) finishes first: leases are let go in order.
    for (let s = this.stopping.get(group); s; s = this.stopping.get(group)) await s;
    this.ensureOpen();
    let worker = this.workers.get(group);
    if (!worker) {
      worker = new GroupWorker(this, group);
      this.workers.set(group, worker);
      try {
        await worker.start();
      } catch (err) {
        worker.fail(err);
        throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError(`event store (Redis) unavailable: ${(err as Error).message}`, { cause: err });
      }
    }
    return worker.addConsumer({ ...options, pageIds }, deliver, onError);
  }

  /** Creates the group (within maxGroups and its owner's share, its scope fixed) or joins it; returns its record. */
  private async createGroup(group: string, owner: string | undefined, start: StartAt, scope: ReadonlySet<string> | undefined): Promise<{ created: boolean; record: GroupRecord }> {
    const id = start.kind === 'latest' ? '$' : start.kind === 'earliest' || start.epochMs <= 0 ? '0' : `${Math.floor(start.epochMs) - 1}-18446744073709551615`;
    const wanted: GroupRecord = { start };
    if (scope) wanted.scope = [...scope];
    if (owner !== undefined) wanted.owner = owner;
    const o = this.options;
    const args = [group, id, JSON.stringify(wanted), o.maxGroups, Math.ceil(o.retentionMs), owner ?? '', o.maxGroupsPerCaller, Math.ceil(o.neverAckedGroupMs)];
    const [code, raw, deleted, count] = (await CREATE_GROUP.run(this.redis, [this.groupsKey, ...this.allStreams()], args)) as [number, string, string[], number];
    await this.forgetGroups(deleted);
    if (Number(code) === -2) throw new TooManyGroupsError(ownerBoundMessage(Number(count), o), { held: Number(count), bound: o.maxGroupsPerCaller });
    if (Number(code) === -1) throw new TooManyGroupsError(storeBoundMessage(Number(count), o));
    let record: GroupRecord = {};
    try {
      record = JSON.parse(raw) as GroupRecord;
    } catch {
      // An unreadable record: a group of every page.
    }
    return { created: Number(code) === 1, record };
  }

  /** Deletes abandoned groups (no consumer on any replica for longer than the retention). */
  async sweepGroups(): Promise<void> {
    if (this.closed) return;
    const deleted = (await SWEEP_GROUPS.run(this.redis, [this.groupsKey, ...this.allStreams()], [Math.ceil(this.options.retentionMs), Math.ceil(this.options.neverAckedGroupMs)])) as string[];
    await this.forgetGroups(deleted);
  }

  /** The other keys of deleted groups: dead letters, heartbeats, leases. */
  private async forgetGroups(groups: readonly string[]): Promise<void> {
    if (groups.length === 0) return;
    for (const g of groups) this.heldDelays.delete(g);
    const keys = groups.flatMap((g) => [this.deadLetters(g), this.members(g), ...Array.from({ length: this.partitions }, (_, i) => this.lease(g, i))]);
    await this.redis.del(...keys);
  }

  /** A leaving worker's nack delays still running (`<partition> <entry id>` to when due), for the group's next worker here. */
  holdDelays(group: string, delays: Map<string, number>): void {
    const now = Date.now();
    const held = this.heldDelays.get(group);
    if (held) for (const [key, at] of held) if (at > now && !delays.has(key)) delays.set(key, at);
    if (delays.size > 0) this.heldDelays.set(group, delays);
    else this.heldDelays.delete(group);
  }

  /** When a held delay of this entry ends (taken: asked once); undefined when none is held or it is over. */
  takeHeldDelay(group: string, partition: number, id: string): number | undefined {
    const held = this.heldDelays.get(group);
    if (!held) return undefined;
    const key = `${partition} ${id}`;
    const at = held.get(key);
    if (at === undefined) return undefined;
    held.delete(key);
    if (held.size === 0) this.heldDelays.delete(group);
    return at > Date.now() ? at : undefined;
  }

  /** Called by a worker when it stopped (last consumer gone, lease work done). */
  workerStopped(worker: GroupWorker, done: Promise<void>): void {
    if (this.workers.get(worker.group) === worker) this.workers.delete(worker.group);
    const tracked = done.finally(() => {
      if (this.stopping.get(worker.group) === tracked) this.stopping.delete(worker.group);
    });
    this.stopping.set(worker.group, tracked);
  }

  /** A worker that failed is forgotten at once (its leases expire or are taken over by the next one). */
  workerFailed(worker: GroupWorker): void {
    if (this.workers.get(worker.group) === worker) this.workers.delete(worker.group);
  }

  async listDeadLetters(group: string, pageIds: ReadonlySet<string> | undefined, pageSize: number, pageToken: string): Promise<{ deadLetters: DeadLetter[]; nextPageToken: string }> {
    this.ensureOpen();
    const after = decodeToken(pageToken);
    const size = Math.max(1, Math.floor(pageSize));
    const found: Array<{ id: string; dl: DeadLetter }> = [];
    await this.scanDeadLetters(group, after, (id, dl) => {
      if (pageIds && !pageIds.has(dl.event.pageId)) return true;
      found.push({ id, dl });
      return found.length <= size;
    });
    const page = found.slice(0, size);
    return { deadLetters: page.map((f) => f.dl), nextPageToken: found.length > size ? encodeToken(page[page.length - 1].id) : '' };
  }

  async replayDeadLetters(group: string, pageIds: ReadonlySet<string> | undefined, eventIds: readonly string[]): Promise<number> {
    this.ensureOpen();
    const wanted = eventIds.length > 0 ? new Set(eventIds) : undefined;
    const chosen: Array<{ id: string; partition: number }> = [];
    await this.scanDeadLetters(group, '0-0', (id, dl, conversation) => {
      if (wanted && !wanted.has(dl.event.eventId)) return true;
      if (pageIds && !pageIds.has(dl.event.pageId)) return true;
      chosen.push({ id, partition: partitionOf(conversation, this.partitions) });
      return true;
    });
    let replayed = 0;
    for (let i = 0; i < chosen.length; i += 100) {
      const part = chosen.slice(i, i + 100);
      const streams = [...new Set(part.map((c) => c.partition))];
      const keys = [this.deadLetters(group), this.seqKey, ...streams.map((p) => this.stream(p))];
      const args: Array<string | number> = [group, this.channel];
      for (const c of part) args.push(c.id, streams.indexOf(c.partition) + 3, c.partition);
      replayed += Number(await redisCall('replaying dead letters', () => REPLAY.run(this.redis, keys, args)));
    }
    return replayed;
  }

  /** Walks the group's dead letters after `after`, oldest first, while `visit` says go on. */
  private async scanDeadLetters(group: string, after: string, visit: (id: string, dl: DeadLetter, conversation: string) => boolean): Promise<void> {
    let cursor = after;
    for (;;) {
      const entries = (await redisCall('listing dead letters', () => this.redis.xrange(this.deadLetters(group), `(${cursor}`, '+', 'COUNT', DEAD_LETTER_SCAN))) as Array<[string, string[]]>;
      for (const [id, list] of entries) {
        cursor = id;
        const f = fieldsOf(list);
        const dl: DeadLetter = { event: decodeEvent(f.e), deliveryAttempts: Number(f.n), parkedAt: idMs(id) };
        if (!visit(id, dl, f.c ?? '')) return;
      }
      if (entries.length < DEAD_LETTER_SCAN) return;
    }
  }

  async stats(): Promise<GroupStats[]> {
    if (this.closed) return [];
    const groups = await redisCall('stats', () => this.redis.hkeys(this.groupsKey));
    const keys = [this.groupsKey, ...this.allStreams()];
    const now = Date.now();
    return Promise.all(
      groups.map(async (group) => {
        const [lag, oldest] = (await redisCall('stats', () => STATS.run(this.redis, keys, [group]))) as [number, string];
        const ms = Number(oldest);
        return { group, lag: Number(lag), oldestUnackedMs: Number(lag) > 0 && ms > 0 ? Math.max(0, now - ms) : 0 };
      }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    const workers = [...this.workers.values()];
    this.workers.clear();
    this.heldDelays.clear();
    // Leases are given up so other replicas take over at once (best effort: Redis may be gone).
    await Promise.all(workers.map((w) => w.shutdown(new StoreUnavailableError('the event store was closed'))));
    await Promise.all([...this.stopping.values()]);
    const sub = this.sub;
    this.sub = undefined;
    if (sub) sub.disconnect();
  }

  isClosed(): boolean {
    return this.closed;
  }

  private ensureOpen(): void {
    if (this.closed) throw new StoreUnavailableError('the event store is closed');
  }
}

// --- one group, in this replica ---

/** A stream entry of the group's (its deliveries are the PEL's delivery counter). */
interface Entry extends DispatchEntry<Entry> {
  /** The stream entry id. */
  readonly id: string;
  /** The partition stream it was read from. */
  readonly partition: number;
}

interface Partition {
  readonly index: number;
  /** taking: its pending entries are being claimed; active: read and delivered; draining: no new deliveries, released once nothing is out. */
  state: 'taking' | 'active' | 'draining';
  /** Local time until which the lease is surely ours (renewal time + lease - margin). */
  validUntil: number;
}

class GroupWorker implements DispatchHost<Entry> {
  private readonly parts = new Map<number, Partition>();
  private readonly deadlines = new Deadlines<Entry>();
  private readonly dispatcher: Dispatcher<Entry>;
  private buffered = 0;
  private tick: NodeJS.Timeout | undefined;
  private dispatchScheduled: NodeJS.Immediate | undefined;
  private reading = false;
  private readAgain = false;
  private readScheduled: NodeJS.Immediate | undefined;
  /** A read was skipped for want of room: read again once an entry goes. */
  private starved = false;
  private ended = false;

  constructor(
    private readonly store: RedisEventStore,
    readonly group: string,
  ) {
    this.dispatcher = new Dispatcher<Entry>(this, this.deadlines, store.options);
  }

  private get redis(): Redis {
    return this.store.redis;
  }
  private get opts(): RedisEventStoreOptions {
    return this.store.options;
  }

  async start(): Promise<void> {
    await this.rebalance();
    this.scheduleTick();
  }

  addConsumer(options: ConsumerOptions, deliver: (d: DeliveredEvent) => void, onError: (err: Error) => void): Consumer {
    return this.dispatcher.addConsumer(options.pageIds, options.maxOutstanding, deliver, onError, options.endWhenStuck === true);
  }

  /** The group is in use: its record says so (once per worker; a failure leaves it to the next worker's first ack). */
  firstAck(): void {
    MARK_ACKED.run(this.redis, [this.store.groupsKey], [this.group]).catch(() => undefined);
  }

  /** New entries were appended to these partitions. */
  notify(parts: ReadonlySet<number>): void {
    if (this.readScheduled) return;
    for (const p of parts) {
      if (this.parts.get(p)?.state === 'active') {
        // Notices arrive in bursts (one per append, several per socket read): one READ for the burst.
        this.readScheduled = setImmediate(() => {
          this.readScheduled = undefined;
          this.read();
        });
        return;
      }
    }
  }

  // --- leases ---

  private scheduleTick(): void {
    if (this.ended) return;
    this.tick = setTimeout(() => {
      this.rebalance().then(
        () => this.scheduleTick(),
        (err: unknown) => this.fail(err),
      );
    }, Math.max(50, Math.floor(this.store.leaseMs / 3)));
    this.tick.unref();
  }

  private async rebalance(): Promise<void> {
    const n = this.store.partitions;
    const sentAt = Date.now();
    const keys = [this.store.groupsKey, this.store.members(this.group), ...Array.from({ length: n }, (_, i) => this.store.lease(this.group, i))];
    const [share, held] = (await REBALANCE.run(this.redis, keys, [this.store.me, this.store.leaseMs, this.group])) as [number, number[]];
    if (this.ended) return;
    if (Number(share) === -1) throw new StoreUnavailableError(`consumer group ${this.group} was deleted (no consumer for longer than the retention): subscribe again`);
    const heldSet = new Set(held.map(Number));
    const validUntil = sentAt + this.store.leaseMs - Math.max(100, Math.floor(this.store.leaseMs / 5));
    for (const p of [...this.parts.values()]) if (!heldSet.has(p.index)) this.dropPartition(p.index);
    const taking: Partition[] = [];
    for (const i of heldSet) {
      let p = this.parts.get(i);
      if (!p) {
        p = { index: i, state: 'taking', validUntil };
        this.parts.set(i, p);
        taking.push(p);
      }
      p.validUntil = validUntil;
    }
    // More than our share (another replica joined): drain the least busy ones, then let them go.
    let extra = this.parts.size - Number(share);
    if (extra <= 0) for (const p of this.parts.values()) if (p.state === 'draining') p.state = 'active';
    if (extra > 0) {
      const busy = this.busyByPartition();
      const candidates = [...this.parts.values()].filter((p) => p.state !== 'draining').sort((a, b) => (busy.get(a.index) ?? 0) - (busy.get(b.index) ?? 0));
      extra -= [...this.parts.values()].filter((p) => p.state === 'draining').length;
      for (const p of candidates.slice(0, Math.max(0, extra))) p.state = 'draining';
    }
    await Promise.all(taking.map((p) => this.takeOver(p)));
    await this.releaseDrained();
    this.wake();
    this.read();
  }

  /** Claims every pending entry of a newly leased partition, then reads it. */
  private async takeOver(p: Partition): Promise<void> {
    let cursor = '0-0';
    const toPark: Entry[] = [];
    do {
      const reply = (await TAKEOVER.run(this.redis, [this.store.stream(p.index), this.store.lease(this.group, p.index)], [this.group, this.store.me, cursor, TAKEOVER_COUNT])) as [string, Array<[string, number, string[]]>] | null;
      if (this.ended || this.parts.get(p.index) !== p) return;
      if (!reply) {
        this.dropPartition(p.index);
        return;
      }
      cursor = reply[0];
      for (const [id, count, list] of reply[1]) {
        const e = this.enqueue(p.index, id, list, Number(count));
        if (!e) continue;
        if (e.deliveries >= this.opts.maxDeliveryAttempts) toPark.push(e);
        else {
          // Nacked with a delay here before this group's last consumer left: it still waits.
          const at = this.store.takeHeldDelay(this.group, p.index, id);
          if (at !== undefined) this.dispatcher.delay(e, at);
        }
      }
    } while (cursor !== '0-0');
    if (p.state === 'taking') p.state = 'active';
    // Delivered too often by the replica that had it: parked, as a consumer's give-back would.
    for (const e of toPark) await this.park(e);
  }

  private busyByPartition(): Map<number, number> {
    const busy = new Map<number, number>();
    for (const c of this.dispatcher.consumers) for (const e of c.outstanding.values()) busy.set(e.partition, (busy.get(e.partition) ?? 0) + 1);
    return busy;
  }

  private async releaseDrained(): Promise<void> {
    const busy = this.busyByPartition();
    for (const p of [...this.parts.values()]) {
      if (p.state !== 'draining' || (busy.get(p.index) ?? 0) > 0) continue;
      if ([...this.dispatcher.convs.values()].some((c) => c.queue[0]?.partition === p.index && c.queue[0].state === 'busy')) continue;
      this.dropPartition(p.index);
      await RELEASE.run(this.redis, [this.store.lease(this.group, p.index)], [this.store.me]);
    }
  }

  /** Forgets a partition here: its events stay pending in Redis for the next holder; acks of them from here are ignored. */
  private dropPartition(index: number): void {
    this.parts.delete(index);
    for (const conv of [...this.dispatcher.convs.values()]) if (conv.queue[0]?.partition === index) this.buffered -= this.dispatcher.forget(conv);
    this.wake();
  }

  // --- reading ---

  private read(): void {
    if (this.ended) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    this.readOnce().then(
      (more) => {
        this.reading = false;
        if (more || this.readAgain) {
          this.readAgain = false;
          this.read();
        }
      },
      (err: unknown) => {
        this.reading = false;
        this.fail(err);
      },
    );
  }

  /** One READ over the active partitions; true when there may be more. */
  private async readOnce(): Promise<boolean> {
    const room = this.store.maxBuffered - this.buffered;
    const active = [...this.parts.values()].filter((p) => p.state === 'active' && p.validUntil > Date.now());
    if (room <= 0) this.starved = true;
    if (room <= 0 || active.length === 0) return false;
    const count = Math.max(1, Math.min(READ_COUNT, Math.ceil(room / active.length)));
    const keys = [this.store.groupsKey, ...active.flatMap((p) => [this.store.stream(p.index), this.store.lease(this.group, p.index)])];
    const reply = (await READ.run(this.redis, keys, [this.group, this.store.me, count])) as Array<0 | [number, Array<[string, string[]]>]>;
    if (this.ended) return false;
    let more = false;
    const read: Array<{ p: number; id: string; list: string[]; q: number }> = [];
    reply.forEach((r, i) => {
      const p = active[i];
      if (this.parts.get(p.index) !== p) return;
      if (r === 0) {
        this.dropPartition(p.index);
        return;
      }
      // Entries that are not the group's were acked by the script; only its own come back.
      if (Number(r[0]) >= count) more = true;
      for (const [id, list] of r[1]) read.push({ p: p.index, id, list, q: Number(fieldsOf(list).q ?? 0) });
    });
    // Across partitions, in the order they were stored (within one, the stream's order holds).
    read.sort((a, b) => a.q - b.q);
    for (const x of read) this.enqueue(x.p, x.id, x.list, 0);
    this.wake();
    return more && this.buffered < this.store.maxBuffered;
  }

  private enqueue(partition: number, id: string, list: string[], deliveries: number): Entry | undefined {
    const f = fieldsOf(list);
    let event: Event;
    try {
      event = decodeEvent(f.e);
    } catch {
      return undefined; // not written by this store: never deliverable, left pending
    }
    const conv = this.dispatcher.conversation(f.c ?? `${event.pageId}\u0000${event.senderId}`, f.p ?? event.pageId);
    const entry: Entry = { id, partition, event, conv, deliveries, state: 'queued', holder: undefined, token: 0, settlesAtDelivery: 0 };
    this.buffered++;
    this.dispatcher.enqueue(entry);
    return entry;
  }

  // --- delivery (what the dispatcher asks of Redis) ---

  wake(): void {
    if (this.ended) return;
    this.dispatchScheduled ??= setImmediate(() => {
      this.dispatchScheduled = undefined;
      this.dispatcher.dispatch();
    });
  }

  /** Only while the partition's lease surely holds. */
  mayDeliver(head: Entry, now: number): boolean {
    const p = this.parts.get(head.partition);
    return p !== undefined && p.state === 'active' && p.validUntil > now;
  }

  record(handedOut: Entry[]): void {
    void this.recordDeliveries(handedOut);
  }

  /** DELIVER: the attempt is in the PEL before the consumer sees the event. */
  private async recordDeliveries(batch: Entry[]): Promise<void> {
    const parts = [...new Set(batch.map((e) => e.partition))];
    const keys = parts.flatMap((p) => [this.store.stream(p), this.store.lease(this.group, p)]);
    const args: Array<string | number> = [this.group, this.store.me];
    for (const e of batch) args.push(parts.indexOf(e.partition) + 1, e.id, e.deliveries);
    const tokens = batch.map((e) => e.token);
    let reply: number[];
    try {
      reply = (await DELIVER.run(this.redis, keys, args)) as number[];
    } catch (err) {
      this.fail(err);
      return;
    }
    if (this.ended) return;
    const lost = new Set<number>();
    batch.forEach((e, i) => {
      if (e.token !== tokens[i] || e.state !== 'sending' || !e.holder) return;
      const code = Number(reply[i]);
      if (code === -1) lost.add(e.partition);
      // 0: acked by another replica, or trimmed away by retention.
      else if (code === 0) this.dispatcher.discard(e);
      else this.dispatcher.deliver(e);
    });
    for (const p of lost) this.dropPartition(p);
  }

  async ack(c: DispatchConsumer<Entry>, ids: readonly string[]): Promise<void> {
    const entries = ids.map((id) => c.outstanding.get(id)).filter((e): e is Entry => e !== undefined);
    if (entries.length === 0) return;
    const byPart = new Map<number, string[]>();
    for (const e of entries) byPart.set(e.partition, [...(byPart.get(e.partition) ?? []), e.id]);
    await redisCall('ack', () => Promise.all([...byPart].map(([p, list]) => this.redis.xack(this.store.stream(p), this.group, ...list))));
    // Only now may the conversation move on: the ack is in Redis.
    for (const e of entries) if (e.conv.queue.includes(e)) this.dispatcher.discard(e);
    if ([...this.parts.values()].some((p) => p.state === 'draining')) await redisCall('releasing a lease', () => this.releaseDrained());
  }

  async park(entry: Entry): Promise<void> {
    this.dispatcher.hold(entry);
    const p = entry.partition;
    let code: number;
    try {
      code = Number(
        await redisCall('parking a dead letter', () =>
          PARK.run(this.redis, [this.store.stream(p), this.store.lease(this.group, p), this.store.deadLetters(this.group)], [this.group, this.store.me, entry.id, entry.deliveries, this.store.partitionCap * this.store.partitions, Math.ceil(this.opts.retentionMs)]),
        ),
      );
    } catch (err) {
      this.fail(err);
      throw err;
    }
    if (this.ended || !entry.conv.queue.includes(entry)) return;
    if (code === -1) {
      this.dropPartition(p);
      return;
    }
    this.dispatcher.remove(entry);
  }

  removed(): void {
    this.buffered--;
    if (this.starved && this.buffered < this.store.maxBuffered) {
      this.starved = false;
      this.read();
    }
  }

  async left(givenBack: Promise<void> | undefined): Promise<void> {
    let failure: unknown;
    if (givenBack) await givenBack.catch((err: unknown) => (failure = err));
    if (this.dispatcher.consumers.length === 0 && !this.ended) {
      // The last one here: the group's partitions go to other replicas (or to the next consumer here).
      this.store.holdDelays(this.group, this.runningDelays());
      const done = this.shutdown(undefined);
      this.store.workerStopped(this, done);
      await done;
    }
    if (failure !== undefined) throw failure;
  }

  /** The nack delays still running here, `<partition> <entry id>` to when due. */
  private runningDelays(): Map<string, number> {
    const delays = new Map<string, number>();
    for (const { at, entry } of this.deadlines.current()) if (entry.state === 'delayed') delays.set(`${entry.partition} ${entry.id}`, at);
    return delays;
  }

  /** Ends this worker: consumers get `err` (if any), leases are given up (best effort). */
  async shutdown(err: Error | undefined): Promise<void> {
    if (this.ended) return;
    this.end(err);
    const n = this.store.partitions;
    const keys = [this.store.groupsKey, this.store.members(this.group), ...Array.from({ length: n }, (_, i) => this.store.lease(this.group, i))];
    await LEAVE.run(this.redis, keys, [this.store.me, this.group]).catch(() => undefined);
  }

  /** Redis failed: every consumer here gets onError (their streams end UNAVAILABLE); leases lapse. */
  fail(err: unknown): void {
    if (this.ended) return;
    const e = err instanceof StoreUnavailableError ? err : new StoreUnavailableError(`event store (Redis) unavailable: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    this.end(e);
    this.store.workerFailed(this);
  }

  private end(err: Error | undefined): void {
    this.ended = true;
    if (this.tick) clearTimeout(this.tick);
    if (this.dispatchScheduled) clearImmediate(this.dispatchScheduled);
    if (this.readScheduled) clearImmediate(this.readScheduled);
    this.tick = undefined;
    this.dispatchScheduled = undefined;
    this.readScheduled = undefined;
    this.deadlines.stop();
    this.parts.clear();
    this.dispatcher.end(err);
  }
}

function fieldsOf(list: string[]): Record<string, string | undefined> {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) f[list[i]] = list[i + 1];
  return f;
}

function decodeEvent(b64: string | undefined): Event {
  if (b64 === undefined) throw new Error('an entry without an event');
  const bytes = Buffer.from(b64, 'base64');
  const event = Event.decode(bytes);
  // Delivered as stored: the stream sends these bytes instead of encoding the event again.
  rememberEncoding(event, bytes);
  return event;
}

function idMs(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

function encodeToken(id: string): string {
  return Buffer.from(`${TOKEN_PREFIX}${id}`).toString('base64url');
}

function decodeToken(token: string): string {
  if (!token) return '0-0';
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const id = text.startsWith(TOKEN_PREFIX) ? text.slice(TOKEN_PREFIX.length) : '';
  if (!STREAM_ID.test(id) || encodeToken(id) !== token) throw new InvalidPageTokenError('the page token was not handed out by this store');
  return id;
}

function scopeOf(record: GroupRecord): ReadonlySet<string> | undefined {
  const s = record.scope;
  if (s === undefined || s === null) return undefined;
  return new Set(Array.isArray(s) ? s : []);
}

