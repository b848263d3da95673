/**
 * The event store of many replicas: Redis Streams, on one Redis or a Redis Cluster. Events are
 * XADDed to one of `partitions` streams chosen by a hash of their conversation. Every key of a
 * partition (its stream, dedup keys, eviction cursor, each group's lease and dead letters) is
 * under the partition's hash tag, so each script touches one Cluster slot; the group registry
 * and heartbeats share the `{groups}` tag. An append is one script per partition it touches
 * (dedup and XADD of that part together), and succeeds only when every part is stored. Every
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
 * Acks are XACKs, run in the same script (one per partition) as the deliveries they free and
 * before them: a conversation's next event reaches a consumer only once its head's ack is in
 * Redis. Dead letters are XADDed to the group's dead-letter stream of the partition and XACKed in
 * one script; a replay re-XADDs them into their partition, marked for that group only.
 *
 * Groups: a record per group in the registry (start, page scope, owner, never acked yet, last
 * heartbeat) bounds them (maxGroups and the owner's maxGroupsPerCaller, checked in the creating
 * script) and fixes their scope; entries outside it are XACKed after a read, never delivered.
 * At maxEvents (all partitions together, as this replica last saw their lengths) room is made in
 * bounded windows: events no group needs (the append's own partition in its script, then the
 * others), then the oldest over all partitions needed only by groups idle for groupIdleMs
 * (given up by them, reported through `onDropped`); groups with no consumer for longer than the
 * retention (than neverAckedGroupMs when none of their consumers ever acked) are deleted by a
 * periodic sweep.
 *
 * Holds (a backfill's, event-store.ts `hold`): a partition's held conversations are a sorted set
 * under its hash tag, each with a list of its held live events; the append script checks the set
 * (one EXISTS when it is empty) and puts such events in the list instead of the stream. A release
 * moves them to the stream in bounded steps, one script each, the last one ending the hold.
 */
import { randomBytes } from 'node:crypto';
import { duplicateConnection, type RedisConnection } from '../store/redis-connection';
import { Event } from '../../gen/messenger/v1/events';
import type { EventsConfig } from '../config/gateway-config';
import { conversationOf } from './conversation-key';
import { dedupKeyBound } from './dedup-bound';
import { Deadlines } from './deadlines';
import { Dispatcher, type DispatchConsumer, type DispatchEntry, type DispatchHost } from './dispatcher';
import {
  EventStoreFullError,
  HOLD_RELEASE_BATCH,
  HOLD_SWEEP_MS,
  MAX_HELD_PER_CONVERSATION,
  heldFullMessage,
  passesHold,
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
import { APPEND, CREATE_GROUP, DELIVER, DROP, ENSURE_GROUP, EVICT, HEARTBEAT, HOLD, LEASE, LEAVE, MARK_ACKED, PARK, READ, RELEASE, RELEASE_HOLD, REPLAY, STATS, SWEEP_GROUPS, TAKEOVER } from './redis-event-scripts';

export interface RedisEventStoreOptions extends Omit<EventsConfig, 'partitions'> {
  /** Prefix of every key (default `mgw:ev:`); with a Redis Cluster it must hold no braces. */
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
/** Entries one eviction call looks at: what bounds the time a script holds Redis at the store's bound. */
const EVICT_WINDOW = 64;
/** Idle groups' events given up per DROP call. */
const DROP_CHUNK = 64;
/** Entries one STATS call walks. */
const STATS_WINDOW = 256;
/** How often the lengths of the other partitions (what an append's room check adds up) are read again. */
const LENGTHS_EVERY_MS = 1_000;
const READ_COUNT = 256;
const TAKEOVER_COUNT = 256;
const DEAD_LETTER_SCAN = 256;
const TOKEN_PREFIX = 'dl2:';
const TOKEN_BODY = /^(\d{1,20}-\d{1,20})\/(\d{1,3})$/;
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
  /**
   * Each partition's length as last seen (its appends' replies, and a read of all every second):
   * an append's room check adds up the others', since no script may read another partition's
   * stream (another slot of a Redis Cluster).
   */
  private readonly lengths: number[];
  private roomQueue: Promise<unknown> = Promise.resolve();
  private parkMs = 0;
  private parkSeq = 0;
  private sub: RedisConnection | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private lengthsTimer: NodeJS.Timeout | undefined;
  private holdTimer: NodeJS.Timeout | undefined;
  private readonly holdKeys: readonly string[];
  private readonly holdPrefixes: readonly string[];
  private closed = false;

  private constructor(
    readonly redis: RedisConnection,
    readonly options: RedisEventStoreOptions,
    private readonly hooks: EventStoreHooks,
  ) {
    this.partitions = options.partitions ?? DEFAULT_PARTITIONS;
    checkEventsConfig({ ...options, partitions: this.partitions });
    this.prefix = options.keyPrefix ?? 'mgw:ev:';
    this.leaseMs = options.leaseMs ?? Math.min(10_000, Math.max(1_000, Math.floor(options.ackDeadlineMs / 2)));
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.lengths = new Array<number>(this.partitions).fill(0);
    // Every append names them: made once, not per append.
    this.holdKeys = this.indices().map((i) => `${this.tag(i)}holds`);
    this.holdPrefixes = this.indices().map((i) => `${this.tag(i)}hl:`);
  }

  /**
   * A store over this connection (the caller's: it closes it after the store); subscribes to
   * append notices and sweeps abandoned groups (no consumer for longer than the retention).
   */
  static async open(redis: RedisConnection, options: RedisEventStoreOptions, hooks: EventStoreHooks = {}): Promise<RedisEventStore> {
    const store = new RedisEventStore(redis, options, hooks);
    await redisCall('subscribe', () => store.subscribe());
    await redisCall('reading partition lengths', () => store.readLengths());
    const every = Math.min(MAX_SWEEP_MS, Math.max(MIN_SWEEP_MS, Math.min(options.retentionMs, options.neverAckedGroupMs) / 4));
    store.sweepTimer = setInterval(() => void store.sweepGroups().catch(() => undefined), every);
    store.sweepTimer.unref();
    store.lengthsTimer = setInterval(() => void store.readLengths().catch(() => undefined), LENGTHS_EVERY_MS);
    store.lengthsTimer.unref();
    store.holdTimer = setInterval(() => void store.releaseExpiredHolds().catch(() => undefined), HOLD_SWEEP_MS);
    store.holdTimer.unref();
    return store;
  }

  // --- keys: a partition's under its hash tag `{p<i>}` (one Cluster slot); the group registry's under `{groups}` ---
  private tag(i: number): string {
    return `${this.prefix}{p${i}}:`;
  }
  stream(i: number): string {
    return `${this.tag(i)}s`;
  }
  dedup(i: number, dedupKey: string): string {
    return `${this.tag(i)}d:${dedupKey}`;
  }
  /** The partition's held conversations (HOLD): what an append checks first, one EXISTS when none is. */
  holds(i: number): string {
    return this.holdKeys[i]!;
  }
  /** Where a held conversation's live events wait (the prefix the append script adds the conversation to). */
  holdListPrefix(i: number): string {
    return this.holdPrefixes[i]!;
  }
  holders(i: number, conversation: string): string {
    return `${this.tag(i)}ho:${conversation}`;
  }
  /** The partition's dedup keys, oldest first: what bounds them by count (APPEND's DEDUP_BOUND). */
  dedupOrder(i: number): string {
    return `${this.tag(i)}dedup-order`;
  }
  /** Most dedup keys one partition keeps: the store's bound (dedup-bound.ts) shared by the partitions. */
  get dedupCap(): number {
    return Math.ceil(dedupKeyBound(this.options.maxEvents) / this.partitions);
  }
  /** Where the partition's eviction window goes on from. */
  evictCursor(i: number): string {
    return `${this.tag(i)}evict`;
  }
  lease(group: string, i: number): string {
    return `${this.tag(i)}g:${group}:l`;
  }
  deadLetters(group: string, i: number): string {
    return `${this.tag(i)}g:${group}:dl`;
  }
  /** A group's replicas with consumers (their heartbeats): beside the registry, in its slot, so one script updates both. */
  members(group: string): string {
    return `${this.prefix}{groups}:m:${group}`;
  }
  /** The registry of groups (one record each): one key, read by single-key scripts and, at the bound, by the gateway. */
  get groupsKey(): string {
    return `${this.prefix}{groups}:registry`;
  }
  private get channel(): string {
    return `${this.prefix}notify`;
  }
  /** Most entries a group's dead letters of one partition hold: maxEvents shared by the partitions. */
  get partitionCap(): number {
    return Math.max(1, Math.ceil(this.options.maxEvents / this.partitions));
  }
  private indices(): number[] {
    return Array.from({ length: this.partitions }, (_, i) => i);
  }

  private async subscribe(): Promise<void> {
    const sub = duplicateConnection(this.redis);
    sub.on('error', () => {});
    this.sub = sub;
    sub.on('message', (_channel: string, message: string) => {
      const parts = new Set(message.split(',').map(Number));
      for (const w of this.workers.values()) w.notify(parts);
    });
    await sub.subscribe(this.channel);
  }

  private async readLengths(): Promise<void> {
    if (this.closed) return;
    const lens = await Promise.all(this.indices().map((i) => this.redis.xlen(this.stream(i))));
    lens.forEach((n, i) => (this.lengths[i] = n));
  }

  private othersThan(i: number): number {
    let sum = 0;
    for (let j = 0; j < this.partitions; j++) if (j !== i) sum += this.lengths[j]!;
    return sum;
  }

  async append(batch: readonly NewEvent[]): Promise<AppendResult> {
    this.ensureOpen();
    const seen = new Set<string>();
    const byPart = new Map<number, Array<string | number>>();
    const dedupKeys = new Map<number, string[]>();
    let duplicates = 0;
    const now = new Date();
    const ms = now.getTime();
    let index = 0;
    for (const ne of batch) {
      if (seen.has(ne.dedupKey)) {
        duplicates++;
        continue;
      }
      seen.add(ne.dedupKey);
      const p = partitionOf(ne.conversation, this.partitions);
      const event = ne.event.receivedTime ? ne.event : { ...ne.event, receivedTime: now };
      let args = byPart.get(p);
      if (!args) {
        args = [];
        byPart.set(p, args);
        dedupKeys.set(p, []);
      }
      // The order across partitions: this gateway's clock, then the position in the batch.
      args.push(Buffer.from(Event.encode(event).finish()).toString('base64'), ne.conversation, ne.event.pageId, `${ms}-${index++}`, passesHold(ne.event) ? 1 : 0);
      dedupKeys.get(p)!.push(this.dedup(p, ne.dedupKey));
    }
    if (byPart.size === 0) return { stored: 0, duplicates };
    // Past the bound as last seen: room for the whole batch first, so that its parts do not each
    // make room for themselves from the same candidates.
    const over = this.lengths.reduce((a, b) => a + b, 0) + seen.size - this.options.maxEvents;
    if (over > 0 && !(await redisCall('making room', () => this.makeRoom(-1, over)))) throw this.fullError(seen.size);
    // One script per partition; 200 only when every part is stored (a part stored before another
    // failed is deduplicated when Meta retries the batch).
    // Each part counts the batch's other parts as stored, so that parts running together stay within the bound.
    const parts = [...byPart].map(([p, perEvent]) => this.appendPart(p, dedupKeys.get(p)!, perEvent, seen.size - dedupKeys.get(p)!.length));
    const settled = await Promise.allSettled(parts);
    let stored = 0;
    let failure: unknown;
    for (const r of settled) {
      if (r.status === 'fulfilled') {
        stored += r.value.stored;
        duplicates += r.value.duplicates;
      } else if (failure === undefined || r.reason instanceof StoreUnavailableError) {
        failure = r.reason;
      }
    }
    if (failure !== undefined) throw failure;
    return { stored, duplicates };
  }

  /**
   * One partition's part of a batch. With replicas to wait for, through the replica wait: the
   * parts of a body go out in the same turn and share its one WAIT (on a Cluster each part has
   * its own, pipelined: each master confirms its own writes).
   */
  private async appendPart(p: number, keys: string[], perEvent: Array<string | number>, siblings: number): Promise<AppendResult> {
    const o = this.options;
    const wait = o.replicaWait;
    // A refused part (-1, -2) wrote nothing: it needs no replica's word.
    const script = (k: string[], a: Array<string | number>) => (wait ? wait.run(APPEND, k, a, (r) => Number((r as number[])[0]) >= 0) : APPEND.run(this.redis, k, a));
    const run = () =>
      redisCall('append', () =>
        script(
          [this.stream(p), this.evictCursor(p), ...keys, this.holds(p), this.dedupOrder(p)],
          [keys.length, this.othersThan(p) + siblings, Math.ceil(o.dedupWindowMs), Math.ceil(o.retentionMs), o.maxEvents, this.channel, p, EVICT_WINDOW, this.holdListPrefix(p), MAX_HELD_PER_CONVERSATION, ...perEvent, this.dedupCap],
        ),
      ) as Promise<number[]>;
    let reply = await run();
    if (Number(reply[0]) === -2) {
      this.lengths[p] = Number(reply[2]);
      throw new EventStoreFullError(heldFullMessage(Number(reply[3])));
    }
    if (Number(reply[0]) === -1) {
      this.lengths[p] = Number(reply[2]);
      if (await redisCall('making room', () => this.makeRoom(p, Number(reply[3])))) reply = await run();
    }
    this.lengths[p] = Number(reply[2]);
    if (Number(reply[0]) === -1) throw this.fullError(keys.length);
    return { stored: Number(reply[0]), duplicates: Number(reply[1]) };
  }

  async hold(conversation: string, holder: string, ttlMs: number): Promise<void> {
    this.ensureOpen();
    const p = partitionOf(conversation, this.partitions);
    await redisCall('holding a conversation', () => HOLD.run(this.redis, [this.holds(p), this.holders(p, conversation)], [conversation, holder, Math.ceil(ttlMs)]));
  }

  async release(conversation: string, holder: string): Promise<void> {
    this.ensureOpen();
    await this.releaseSteps(conversation, holder);
  }

  /** RELEASE_HOLD steps until the hold ended (true) or another holder keeps it (false). */
  private async releaseSteps(conversation: string, holder: string): Promise<boolean> {
    const p = partitionOf(conversation, this.partitions);
    const keys = [this.stream(p), this.holds(p), this.holders(p, conversation), this.holdListPrefix(p) + conversation];
    for (let first = true; ; first = false) {
      const reply = (await redisCall('releasing a held conversation', () => RELEASE_HOLD.run(this.redis, keys, [conversation, first ? holder : '', HOLD_RELEASE_BATCH, this.channel, p]))) as number[];
      if (Number(reply[2]) === 1) return false;
      if (Number(reply[1]) === 0) return true;
    }
  }

  /**
   * Releases holds whose holders all let them expire, or whose release stopped half-way (its
   * gateway died): a hold nobody releases never keeps its events. A hold's time is Redis's clock;
   * this gateway's may differ by a little, against a time to live of minutes.
   */
  async releaseExpiredHolds(): Promise<number> {
    if (this.closed) return 0;
    const now = Date.now();
    const due = await Promise.all(this.indices().map((i) => redisCall('reading held conversations', () => this.redis.zrangebyscore(this.holds(i), '-inf', now, 'LIMIT', 0, 100))));
    let released = 0;
    for (const conversations of due) {
      for (const c of conversations) if (await this.releaseSteps(c, '')) released++;
    }
    return released;
  }

  private fullError(batch: number): EventStoreFullError {
    const o = this.options;
    return new EventStoreFullError(
      `the event store holds at most ${o.maxEvents} events and too many of them are not yet acked by a group with a consumer (or idle for less than ${o.groupIdleMs} ms): the batch of ${batch} is refused`,
    );
  }

  /**
   * The id of the next dead letter parked here, `<ms>-<n>`: n counts this replica's parks within
   * the millisecond, so that dead letters parked one after the other in different partitions
   * list in that order (a stream's own ids restart at 0 each millisecond in each stream).
   */
  nextDeadLetterId(): string {
    const ms = Date.now();
    if (ms === this.parkMs) this.parkSeq++;
    else {
      this.parkMs = ms;
      this.parkSeq = 0;
    }
    return `${ms}-${this.parkSeq}`;
  }

  /**
   * Room for `need` more events, an append's own partition having none: events no group needs in
   * the other partitions (fullest first), then the oldest (over every partition) of those needed
   * only by idle groups, given up by them. Every call looks at a bounded window; true when room was made.
   */
  private makeRoom(target: number, need: number): Promise<boolean> {
    // One at a time in this replica: two would choose the same oldest events and make room once.
    const run = this.roomQueue.then(() => this.makeRoomNow(target, need));
    this.roomQueue = run.catch(() => false);
    return run;
  }

  private async makeRoomNow(target: number, need: number): Promise<boolean> {
    let left = need;
    const info = await this.groupInfo();
    const order = this.indices().filter((i) => i !== target).sort((a, b) => this.lengths[b]! - this.lengths[a]!);
    for (const i of order) {
      if (left <= 0 || this.lengths[i] === 0) continue;
      const [removed, len] = (await EVICT.run(this.redis, [this.stream(i), this.evictCursor(i)], ['free', left, EVICT_WINDOW, ...info])) as number[];
      this.lengths[i] = Number(len);
      left -= Number(removed);
    }
    if (left <= 0) return true;
    // Idle groups' events: candidates from every partition, the oldest chosen over all of them.
    const scopes = await this.groupScopes();
    const found = await Promise.all(
      this.indices().map(async (i) => {
        const [len, list, behind] = (await EVICT.run(this.redis, [this.stream(i), this.evictCursor(i)], ['idle', left, EVICT_WINDOW, ...info])) as [number, Array<[string, string, string, string, string[]]>, Array<[string, string]>];
        this.lengths[i] = Number(len);
        const idleBehind = behind.map(([name, ld]) => ({ name, ld: orderOf(ld), scope: scopes.get(name) }));
        return list.map(([id, q, page, only, pending]) => {
          const at = orderOf(id);
          // The idle groups that had it unread (those holding it pending are named by the script).
          const unread = idleBehind.filter((g) => compareOrder(g.ld, at) < 0 && (only === '' || only === g.name) && (!g.scope || page === '' || g.scope.has(page)) && !pending.includes(g.name)).map((g) => g.name);
          return { p: i, id, q: orderOf(q), pending, unread };
        });
      }),
    );
    const candidates = found.flat().sort((a, b) => compareOrder(a.q, b.q));
    if (candidates.length < left) return false;
    const chosen = candidates.slice(0, left);
    const dropped = new Map<string, number>();
    for (const i of this.indices()) {
      const mine = chosen.filter((c) => c.p === i);
      for (let k = 0; k < mine.length; k += DROP_CHUNK) {
        const args: Array<string | number> = [Math.min(DROP_CHUNK, mine.length - k)];
        for (const c of mine.slice(k, k + DROP_CHUNK)) {
          args.push(c.id, c.pending.length, ...c.pending);
          for (const g of [...c.pending, ...c.unread]) dropped.set(g, (dropped.get(g) ?? 0) + 1);
        }
        const [, len] = (await DROP.run(this.redis, [this.stream(i)], args)) as number[];
        this.lengths[i] = Number(len);
      }
    }
    for (const [group, count] of dropped) {
      try {
        this.hooks.onDropped?.(group, count);
      } catch {
        // A reporting hook must not break an append.
      }
    }
    return true;
  }

  /** The page scope of every registered group that has one. */
  private async groupScopes(): Promise<Map<string, ReadonlySet<string>>> {
    const scopes = new Map<string, ReadonlySet<string>>();
    for (const [name, raw] of Object.entries(await this.redis.hgetall(this.groupsKey))) {
      try {
        const scope = scopeOf(JSON.parse(raw) as GroupRecord);
        if (scope) scopes.set(name, scope);
      } catch {
        // every page
      }
    }
    return scopes;
  }

  /** Every registered group as the eviction scripts take it: name, idle 0/1, page count (-1: every page), pages. */
  private async groupInfo(): Promise<Array<string | number>> {
    const flat = await this.redis.hgetall(this.groupsKey);
    const now = Date.now();
    const out: Array<string | number> = [0];
    let count = 0;
    for (const [name, raw] of Object.entries(flat)) {
      let r: GroupRecord = {};
      try {
        r = JSON.parse(raw) as GroupRecord;
      } catch {
        // An unreadable record: every page, never idle (what a script assumes of a group it is not told of).
        continue;
      }
      // As the scripts' `idle`: a record without `seen` (an older version's) is never idle.
      const idle = r.seen !== undefined && (r.live ?? 0) <= now && now - r.seen >= this.options.groupIdleMs;
      const scope = scopeOf(r);
      out.push(name, idle ? 1 : 0, scope ? scope.size : -1, ...(scope ?? []));
      count++;
    }
    out[0] = count;
    return out;
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
      worker = new GroupWorker(this, group, scopeOf(record), startId(record.start ?? options.start));
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

  /**
   * Creates the group (within maxGroups and its owner's share, its scope fixed) or joins it, and
   * makes sure it is on every partition (one call each: they are different slots); returns its record.
   */
  private async createGroup(group: string, owner: string | undefined, start: StartAt, scope: ReadonlySet<string> | undefined): Promise<{ created: boolean; record: GroupRecord }> {
    const wanted: GroupRecord = { start };
    if (scope) wanted.scope = [...scope];
    if (owner !== undefined) wanted.owner = owner;
    const o = this.options;
    const args = [group, JSON.stringify(wanted), o.maxGroups, Math.ceil(o.retentionMs), owner ?? '', o.maxGroupsPerCaller, Math.ceil(o.neverAckedGroupMs)];
    const [code, raw, deleted, count] = (await CREATE_GROUP.run(this.redis, [this.groupsKey], args)) as [number, string, string[], number];
    await this.forgetGroups(deleted);
    if (Number(code) === -2) throw new TooManyGroupsError(ownerBoundMessage(Number(count), o), { held: Number(count), bound: o.maxGroupsPerCaller });
    if (Number(code) === -1) throw new TooManyGroupsError(storeBoundMessage(Number(count), o));
    let record: GroupRecord = {};
    try {
      record = JSON.parse(raw) as GroupRecord;
    } catch {
      // An unreadable record: a group of every page.
    }
    const id = startId(record.start ?? start);
    await Promise.all(this.indices().map((i) => ENSURE_GROUP.run(this.redis, [this.stream(i)], [group, id])));
    return { created: Number(code) === 1, record };
  }

  /**
   * Deletes abandoned groups (no consumer on any replica for longer than the retention), and
   * trims every partition to the retention: an append trims only its own, so a partition nobody
   * appends to would keep expired events (`~` trims whole blocks, at most 10,000 entries a call).
   */
  async sweepGroups(): Promise<void> {
    if (this.closed) return;
    const oldest = Date.now() - Math.ceil(this.options.retentionMs);
    await Promise.all(this.indices().map((i) => this.redis.xtrim(this.stream(i), 'MINID', '~', oldest)));
    const deleted = (await SWEEP_GROUPS.run(this.redis, [this.groupsKey], [Math.ceil(this.options.retentionMs), Math.ceil(this.options.neverAckedGroupMs)])) as string[];
    await this.forgetGroups(deleted);
  }

  /** What deleted groups leave on the partitions: the Redis consumer groups, dead letters, leases; and heartbeats. */
  private async forgetGroups(groups: readonly string[]): Promise<void> {
    if (groups.length === 0) return;
    for (const g of groups) this.heldDelays.delete(g);
    const calls: Array<Promise<unknown>> = [];
    for (const g of groups) {
      calls.push(this.redis.del(this.members(g)));
      for (const i of this.indices()) {
        calls.push(this.redis.xgroup('DESTROY', this.stream(i), g).catch(() => 0));
        calls.push(this.redis.del(this.deadLetters(g, i), this.lease(g, i)));
      }
    }
    await Promise.all(calls);
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
    const after = decodeToken(pageToken, this.partitions);
    const size = Math.max(1, Math.floor(pageSize));
    const found: Array<{ at: DeadLetterAt; dl: DeadLetter }> = [];
    await this.scanDeadLetters(group, after, (at, dl) => {
      if (pageIds && !pageIds.has(dl.event.pageId)) return true;
      found.push({ at, dl });
      return found.length <= size;
    });
    const page = found.slice(0, size);
    return { deadLetters: page.map((f) => f.dl), nextPageToken: found.length > size ? encodeToken(page[page.length - 1]!.at) : '' };
  }

  async replayDeadLetters(group: string, pageIds: ReadonlySet<string> | undefined, eventIds: readonly string[]): Promise<number> {
    this.ensureOpen();
    const wanted = eventIds.length > 0 ? new Set(eventIds) : undefined;
    const chosen = new Map<number, string[]>();
    await this.scanDeadLetters(group, FIRST_DEAD_LETTER, (at, dl) => {
      if (wanted && !wanted.has(dl.event.eventId)) return true;
      if (pageIds && !pageIds.has(dl.event.pageId)) return true;
      // A dead letter lies in its conversation's partition: the replay stays in that slot.
      chosen.set(at.p, [...(chosen.get(at.p) ?? []), at.id]);
      return true;
    });
    let replayed = 0;
    for (const [p, ids] of chosen) {
      for (let i = 0; i < ids.length; i += 100) {
        const args: Array<string | number> = [group, this.channel, p, Date.now(), ...ids.slice(i, i + 100)];
        replayed += Number(await redisCall('replaying dead letters', () => REPLAY.run(this.redis, [this.deadLetters(group, p), this.stream(p)], args)));
      }
    }
    return replayed;
  }

  /**
   * Walks the group's dead letters after `after`, oldest first over every partition (by id, then
   * partition), while `visit` says go on. Each round reads a slice of every partition's; only what
   * is surely next (up to the earliest last entry of a full slice) is visited before the next round.
   */
  private async scanDeadLetters(group: string, after: DeadLetterAt, visit: (at: DeadLetterAt, dl: DeadLetter) => boolean): Promise<void> {
    let cursor = after;
    for (;;) {
      const slices = await Promise.all(
        this.indices().map(async (p) => {
          // Entries with the cursor's id come after it only in later partitions.
          const from = cursor.id === '0-0' ? '-' : p > cursor.p ? cursor.id : `(${cursor.id}`;
          const entries = (await redisCall('listing dead letters', () => this.redis.xrange(this.deadLetters(group, p), from, '+', 'COUNT', DEAD_LETTER_SCAN))) as Array<[string, string[]]>;
          return { p, entries };
        }),
      );
      let limit: DeadLetterAt | undefined;
      for (const s of slices) {
        if (s.entries.length < DEAD_LETTER_SCAN) continue;
        const last = { id: s.entries[s.entries.length - 1]![0], p: s.p };
        if (!limit || compareAt(last, limit) < 0) limit = last;
      }
      const merged = slices.flatMap((s) => s.entries.map(([id, list]) => ({ at: { id, p: s.p }, list }))).sort((a, b) => compareAt(a.at, b.at));
      for (const { at, list } of merged) {
        if (limit && compareAt(at, limit) > 0) break;
        cursor = at;
        const f = fieldsOf(list);
        const dl: DeadLetter = { event: decodeEvent(f.e), deliveryAttempts: Number(f.n), parkedAt: idMs(at.id) };
        if (!visit(at, dl)) return;
      }
      if (!limit) return;
    }
  }

  async stats(): Promise<GroupStats[]> {
    if (this.closed) return [];
    const flat = await redisCall('stats', () => this.redis.hgetall(this.groupsKey));
    const now = Date.now();
    const out: GroupStats[] = [];
    // A group at a time (its partitions together): a metrics read never floods the connection.
    for (const [group, raw] of Object.entries(flat)) {
      if (this.closed) break;
      out.push(
        await (async () => {
        let record: GroupRecord = {};
        try {
          record = JSON.parse(raw) as GroupRecord;
        } catch {
          // every page
        }
        const scope = scopeOf(record);
        const scopeArgs = scope ? [scope.size, ...scope] : [-1];
        let lag = 0;
        let oldest = 0;
        const older = (ms: number) => {
          if (ms > 0 && (oldest === 0 || ms < oldest)) oldest = ms;
        };
        await Promise.all(
          this.indices().map(async (i) => {
            // A window per call: a group far behind costs more calls, never a long one.
            let after = '';
            do {
              const r = (await redisCall('stats', () => STATS.run(this.redis, [this.stream(i)], [group, after, STATS_WINDOW, ...scopeArgs]))) as [number, string?, number?, string?, string?];
              if (Number(r[0]) === -1) return;
              lag += Number(r[0]) + Number(r[2]);
              older(Number(r[1]));
              older(Number(r[3]));
              after = r[4] ?? '';
            } while (after !== '' && !this.closed);
          }),
        );
        return { group, lag, oldestUnackedMs: lag > 0 && oldest > 0 ? Math.max(0, now - oldest) : 0 };
        })(),
      );
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.lengthsTimer) clearInterval(this.lengthsTimer);
    clearInterval(this.holdTimer);
    this.sweepTimer = undefined;
    this.lengthsTimer = undefined;
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
  /** Partitions that may hold entries not read here yet (appended since, or never read): the next READ's. */
  private readonly unread = new Set<number>();
  /** The acks of the ack being handled, for the dispatch turn it runs (`record`). */
  private acking: Map<number, string[]> | undefined;
  /** That turn's scripts, once `record` sent them. */
  private ackTurn: Promise<void> | undefined;
  private ended = false;

  constructor(
    private readonly store: RedisEventStore,
    readonly group: string,
    /** The group's page scope (fixed for its life; undefined: every page): entries outside it are acked unread. */
    private readonly scope: ReadonlySet<string> | undefined,
    /** Where the group starts on a partition that lacks it. */
    private readonly startId: string,
  ) {
    this.dispatcher = new Dispatcher<Entry>(this, this.deadlines, store.options);
  }

  private get redis(): RedisConnection {
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
    let any = false;
    for (const p of parts) {
      if (this.parts.get(p)?.state === 'active') {
        this.unread.add(p);
        any = true;
      }
    }
    // Notices arrive in bursts (one per append, several per socket read): one READ for the burst.
    if (any && !this.readScheduled) {
      this.readScheduled = setImmediate(() => {
        this.readScheduled = undefined;
        this.read();
      });
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
    const me = this.store.me;
    const ttl = this.store.leaseMs;
    const share = Number(await HEARTBEAT.run(this.redis, [this.store.groupsKey, this.store.members(this.group)], [me, ttl, this.group, n]));
    if (this.ended) return;
    if (share === -1) throw new StoreUnavailableError(`consumer group ${this.group} was deleted (no consumer for longer than the retention): subscribe again`);
    // Each lease is its partition's (another slot): renew what is mine, see what is free, then take free ones up to the share.
    const states = (await Promise.all(Array.from({ length: n }, (_, i) => LEASE.run(this.redis, [this.store.lease(this.group, i)], [me, ttl, 0])))).map(Number);
    const held: number[] = [];
    const free: number[] = [];
    states.forEach((v, i) => (v === 1 ? held.push(i) : v === 0 ? free.push(i) : undefined));
    const wanted = free.slice(0, Math.max(0, share - held.length));
    const taken = await Promise.all(wanted.map((i) => LEASE.run(this.redis, [this.store.lease(this.group, i)], [me, ttl, 1])));
    wanted.forEach((i, k) => Number(taken[k]) === 1 && held.push(i));
    if (this.ended) return;
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
    // Every partition, whatever the notices said: a notice may have been lost (pub/sub is not kept).
    for (const p of this.parts.keys()) this.unread.add(p);
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
    this.unread.delete(index);
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

  /** One READ over the active partitions that may hold unread entries; true when there may be more. */
  private async readOnce(): Promise<boolean> {
    const room = this.store.maxBuffered - this.buffered;
    const now = Date.now();
    const active = [...this.parts.values()].filter((p) => p.state === 'active' && p.validUntil > now && this.unread.has(p.index));
    if (room <= 0) this.starved = true;
    if (room <= 0 || active.length === 0) return false;
    for (const p of active) this.unread.delete(p.index);
    const count = Math.max(1, Math.min(READ_COUNT, Math.ceil(room / active.length)));
    // One READ per partition (each its own slot), together (one pipeline on one Redis); their entries merged below.
    const replies = (await READ.runEach(
      this.redis,
      active.map((p) => [[this.store.stream(p.index), this.store.lease(this.group, p.index)], [this.group, this.store.me, count, this.startId]] as const),
    )) as Array<0 | Array<[string, string[]]>>;
    if (this.ended) return false;
    let more = false;
    const read: Array<{ p: number; id: string; list: string[]; q: Order }> = [];
    const foreign: Array<Promise<unknown>> = [];
    replies.forEach((r, i) => {
      const p = active[i]!;
      if (this.parts.get(p.index) !== p) return;
      if (r === 0) {
        this.dropPartition(p.index);
        return;
      }
      if (r.length >= count) {
        more = true;
        this.unread.add(p.index);
      }
      const notOurs: string[] = [];
      // Within a partition the stream's order holds: an entry never sorts before the one read before it.
      let floor: Order = [0, 0];
      for (const [id, list] of r) {
        const f = fieldsOf(list);
        if ((f.g !== undefined && f.g !== this.group) || (this.scope && f.p !== undefined && !this.scope.has(f.p))) {
          notOurs.push(id);
          continue;
        }
        const q = orderOf(f.q ?? '0-0');
        if (compareOrder(q, floor) < 0) Object.assign(q, floor);
        floor = q;
        read.push({ p: p.index, id, list, q });
      }
      // Not the group's (a page outside its scope, a dead letter replayed for another group): never delivered nor counted as unacked.
      if (notOurs.length > 0) foreign.push(this.redis.xack(this.store.stream(p.index), this.group, ...notOurs));
    });
    await Promise.all(foreign);
    if (this.ended) return false;
    // Across partitions, in the order they were stored (within one, the stream's order holds).
    read.sort((a, b) => compareOrder(a.q, b.q));
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
    const conv = this.dispatcher.conversation(f.c ?? conversationOf(event), f.p ?? event.pageId);
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
    const acks = this.acking;
    this.acking = undefined;
    const turn = this.settle(acks, handedOut);
    if (acks) this.ackTurn = turn;
    else turn.catch(() => undefined);
  }

  /**
   * One delivery turn: per partition (each its own slot), together (one pipeline on one Redis),
   * one DELIVER that XACKs these acks and then records these hand-outs (the attempt is in the PEL
   * before the consumer sees the event). A failure fails the worker: acked entries already left their conversations here,
   * so only a takeover (which claims what is still pending, heads first) may serve them again.
   */
  private async settle(acks: ReadonlyMap<number, string[]> | undefined, handedOut: readonly Entry[]): Promise<void> {
    const byPart = new Map<number, { acks: readonly string[]; list: Entry[] }>();
    if (acks) for (const [p, ids] of acks) byPart.set(p, { acks: ids, list: [] });
    for (const e of handedOut) {
      const part = byPart.get(e.partition);
      if (part) part.list.push(e);
      else byPart.set(e.partition, { acks: [], list: [e] });
    }
    const parts = [...byPart];
    const tokens = parts.map(([, x]) => x.list.map((e) => e.token));
    let replies: Array<number | number[]>;
    try {
      replies = (await DELIVER.runEach(
        this.redis,
        parts.map(([p, x]) => {
          const args: Array<string | number> = [this.group, this.store.me, x.acks.length, ...x.acks];
          for (const e of x.list) args.push(e.id, e.deliveries);
          return [[this.store.stream(p), this.store.lease(this.group, p)], args] as const;
        }),
      )) as Array<number | number[]>;
    } catch (err) {
      this.fail(err);
      throw err;
    }
    if (this.ended) return;
    parts.forEach(([p, x], k) => {
      const reply = replies[k]!;
      x.list.forEach((e, i) => {
        if (e.token !== tokens[k]![i] || e.state !== 'sending' || !e.holder) return;
        // -1: the lease was lost (handled below); 0: acked by another replica, or trimmed away by retention.
        if (!Array.isArray(reply)) return;
        if (Number(reply[i]) === 0) this.dispatcher.discard(e);
        else this.dispatcher.deliver(e);
      });
      if (!Array.isArray(reply)) this.dropPartition(p);
    });
  }

  async ack(c: DispatchConsumer<Entry>, ids: readonly string[]): Promise<void> {
    const entries = ids.map((id) => c.outstanding.get(id)).filter((e): e is Entry => e !== undefined);
    if (entries.length === 0) return;
    const acks = new Map<number, string[]>();
    for (const e of entries) {
      const list = acks.get(e.partition);
      if (list) list.push(e.id);
      else acks.set(e.partition, [e.id]);
    }
    // Out of their conversations now, and what that frees handed out at once: the acks and those
    // deliveries go in the same scripts, acks first, so no consumer sees a conversation's next
    // event before its head's ack is in Redis.
    for (const e of entries) if (e.conv.queue.includes(e)) this.dispatcher.discard(e);
    this.acking = acks;
    this.dispatcher.dispatch();
    const turn = this.ackTurn ?? this.settle(acks, []);
    this.acking = undefined;
    this.ackTurn = undefined;
    await redisCall('ack', () => turn);
    if ([...this.parts.values()].some((p) => p.state === 'draining')) await redisCall('releasing a lease', () => this.releaseDrained());
  }

  async park(entry: Entry): Promise<void> {
    this.dispatcher.hold(entry);
    const p = entry.partition;
    let code: number;
    try {
      code = Number(
        await redisCall('parking a dead letter', () =>
          PARK.run(this.redis, [this.store.stream(p), this.store.lease(this.group, p), this.store.deadLetters(this.group, p)], [this.group, this.store.me, entry.id, entry.deliveries, this.store.partitionCap, Math.ceil(this.opts.retentionMs), this.store.nextDeadLetterId()]),
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
    const me = this.store.me;
    await Promise.all([
      LEAVE.run(this.redis, [this.store.groupsKey, this.store.members(this.group)], [me, this.group]),
      ...Array.from({ length: this.store.partitions }, (_, i) => RELEASE.run(this.redis, [this.store.lease(this.group, i)], [me])),
    ]).catch(() => undefined);
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

/** Where a dead letter is: its id in its partition's dead-letter stream. */
interface DeadLetterAt {
  id: string;
  p: number;
}

const FIRST_DEAD_LETTER: DeadLetterAt = { id: '0-0', p: -1 };

function compareAt(a: DeadLetterAt, b: DeadLetterAt): number {
  const [am, as] = orderOf(a.id);
  const [bm, bs] = orderOf(b.id);
  return am - bm || as - bs || a.p - b.p;
}

function encodeToken(at: DeadLetterAt): string {
  return Buffer.from(`${TOKEN_PREFIX}${at.id}/${at.p}`).toString('base64url');
}

function decodeToken(token: string, partitions: number): DeadLetterAt {
  if (!token) return FIRST_DEAD_LETTER;
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const m = text.startsWith(TOKEN_PREFIX) ? TOKEN_BODY.exec(text.slice(TOKEN_PREFIX.length)) : null;
  const at = m ? { id: m[1]!, p: Number(m[2]) } : undefined;
  if (!at || at.p >= partitions || encodeToken(at) !== token) throw new InvalidPageTokenError('the page token was not handed out by this store');
  return at;
}

/** An order across partitions, `<ms>-<n>` (a stream id, or the gateway's time and index in its batch), as two numbers. */
type Order = [number, number];

function orderOf(text: string): Order {
  const dash = text.indexOf('-');
  return dash < 0 ? [Number(text) || 0, 0] : [Number(text.slice(0, dash)) || 0, Number(text.slice(dash + 1)) || 0];
}

function compareOrder(a: Order, b: Order): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** The id a Redis consumer group starts at: `$` (latest), `0` (earliest), or just before a time. */
function startId(start: StartAt): string {
  return start.kind === 'latest' ? '$' : start.kind === 'earliest' || start.epochMs <= 0 ? '0' : `${Math.floor(start.epochMs) - 1}-18446744073709551615`;
}

function scopeOf(record: GroupRecord): ReadonlySet<string> | undefined {
  const s = record.scope;
  if (s === undefined || s === null) return undefined;
  return new Set(Array.isArray(s) ? s : []);
}

