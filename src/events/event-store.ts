/**
 * The contract of the event store behind StreamEvents: store once (Meta's retries removed),
 * deliver at least once per consumer group, per-conversation order, ack deadlines, nacks,
 * dead letters. Implementations: memory (embedded default, bounded) and Redis Streams (many
 * replicas). Both pass test/events/event-store-suite.ts.
 */
import type { Event } from '../../gen/messenger/v1/events';

/** One event to store, as the webhook parser made it. */
export interface NewEvent {
  event: Event;
  /** What Meta's retries share: `message:<mid>`, `echo:<mid>`, `edit:<mid>:<n>`, `deleted:<mid>`, else a hash of page, sender, kind and item. */
  dedupKey: string;
  /** Platform, account and person (conversation-key.ts): the unit of ordering. */
  conversation: string;
}

export interface AppendResult {
  /** Events newly stored (each got `receivedTime`). */
  stored: number;
  /** Events already stored within the dedup window: not stored again. */
  duplicates: number;
}

/** What goes through a hold: history, and a backfill's own start and end markers (which frame it). */
export function passesHold(event: Event): boolean {
  return event.historical || event.kind?.$case === 'backfillStarted' || event.kind?.$case === 'backfillEnded';
}

/** Live events one held conversation may keep waiting; past it the webhook answers 503 and Meta retries later. */
export const MAX_HELD_PER_CONVERSATION = 10_000;
/** Held events a release appends per step (one script each on Redis): a long hold never blocks the store for long. */
export const HOLD_RELEASE_BATCH = 500;
/** How often a store looks for holds whose every holder let them expire (and releases them). */
export const HOLD_SWEEP_MS = 30_000;

/** Why an append for a held conversation was refused: its hold list is full. */
export function heldFullMessage(held: number): string {
  return `a backfill holds ${held} live events of this conversation already (at most ${MAX_HELD_PER_CONVERSATION}): the batch is refused until it ends`;
}

/** The store is at its bound: nothing of the batch was stored (the webhook answers 503, Meta retries). */
export class EventStoreFullError extends Error {
  override readonly name = 'EventStoreFullError';
}

/**
 * Subscribing would create a group past `maxGroups`, or past its owner's `maxGroupsPerCaller`
 * (the RPC answers RESOURCE_EXHAUSTED, TOO_MANY_CONSUMER_GROUPS).
 */
export class TooManyGroupsError extends Error {
  override readonly name = 'TooManyGroupsError';
  constructor(
    message: string,
    /** The owner's own groups and its bound, when that bound was hit; undefined when the store's was. */
    readonly share?: { held: number; bound: number },
  ) {
    super(message);
  }
}

/**
 * Told to a consumer that asked for it (`endWhenStuck`): it let `maxOutstanding` deliveries pass
 * their ack deadline without acking or nacking any, so it is not reading (the stream ends CONSUMER_NOT_READING).
 */
export class ConsumerStuckError extends Error {
  override readonly name = 'ConsumerStuckError';
}

/**
 * The group exists with a page scope that does not cover what this consumer asked for (the RPC
 * answers FAILED_PRECONDITION, CONSUMER_GROUP_PAGES_MISMATCH): a group's scope is fixed when it is created.
 */
export class GroupScopeError extends Error {
  override readonly name = 'GroupScopeError';
  constructor(
    message: string,
    /** The pages asked for that are outside the group's scope (empty: none of the asked pages is inside it). */
    readonly outside: readonly string[],
  ) {
    super(message);
  }
}

/** A `pageToken` this store did not hand out (the RPC answers INVALID_ARGUMENT). */
export class InvalidPageTokenError extends Error {
  override readonly name = 'InvalidPageTokenError';
}

export type StartAt = { kind: 'latest' } | { kind: 'earliest' } | { kind: 'time'; epochMs: number };

export interface ConsumerOptions {
  /** The group's key (the RPC makes it from the caller and the name it asked for). Groups outlive their consumers. */
  group: string;
  /**
   * Who creates the group (an authenticated caller): its groups count against
   * `maxGroupsPerCaller`. Undefined: nobody's (no callers configured), only `maxGroups` holds.
   * Ignored when the group exists.
   */
  owner?: string;
  /**
   * End this consumer (onError with ConsumerStuckError) once `maxOutstanding` of its deliveries
   * passed their ack deadline with no ack or nack from it in between. Default false: it keeps
   * getting them again.
   */
  endWhenStuck?: boolean;
  /** Only events of these pages (within the group's scope); undefined: every page of the group's scope. */
  pageIds: ReadonlySet<string> | undefined;
  /**
   * The pages a group created by this call takes, fixed for its life (events of other pages are
   * never stored for it); omitted: every page. Ignored when the group exists.
   */
  scope?: ReadonlySet<string>;
  /**
   * How `pageIds` meet an existing group's scope. false (default): they were asked for, and
   * any outside the scope is refused (GroupScopeError). true: they are what the caller may
   * receive (or undefined: every page), and are narrowed to the scope; refused only when nothing is left.
   */
  fitToScope?: boolean;
  /** Most events delivered to this consumer and neither acked nor nacked (at least 1). */
  maxOutstanding: number;
  /** Where a group that does not exist yet starts. */
  start: StartAt;
}

export interface DeliveredEvent {
  event: Event;
  /** 1 the first time the group is given this event, then 2, 3, ... */
  attempt: number;
}

/**
 * One consumer of a group: the events it is given arrive through `deliver` (never from inside
 * `consume`, `ack`, `nack` or `close`: those only change state). Acks and nacks of ids this
 * consumer does not hold (never delivered to it, already settled, or taken back at the ack
 * deadline) are ignored.
 */
export interface Consumer {
  /** Handled: not delivered again to the group. Unknown or foreign ids are ignored. */
  ack(eventIds: readonly string[]): Promise<void>;
  /** Not handled: delivered again after `delayMs` (0: at once); the conversation waits. */
  nack(eventIds: readonly string[], delayMs: number): Promise<void>;
  /** The stream ended or broke: its outstanding events go back to the group at once. */
  close(): Promise<void>;
}

export interface DeadLetter {
  event: Event;
  /** How many times the group was given it before it was parked. */
  deliveryAttempts: number;
  /** When it was parked (epoch ms). */
  parkedAt: number;
}

export interface GroupStats {
  group: string;
  /** Events stored for the group and not yet acked or parked. */
  lag: number;
  /** Age in ms of the oldest of those (0 when none). */
  oldestUnackedMs: number;
}

/** What a store reports besides its answers (memory store). */
export interface EventStoreHooks {
  /** Events an idle group gave up to make room (never a connected group's). */
  onDropped?(group: string, count: number): void;
}

export interface EventStore {
  /**
   * Stores the batch, once per dedup key (within the batch too), all or nothing; throws
   * EventStoreFullError or StoreUnavailableError. Every existing group whose scope has the
   * event's page gets it. When the store is at its bound, events every group has acked make room,
   * then parked ones, then the oldest events held only by idle groups (given up by them); when
   * that is not enough, nothing is stored (EventStoreFullError): a connected group never loses one.
   */
  append(events: readonly NewEvent[]): Promise<AppendResult>;
  /**
   * Holds a conversation's live events back (a backfill of its history runs): from now on, until
   * every holder released it, its appended events not marked `historical` (nor a backfill's markers: passesHold) wait in the
   * conversation's hold list in this store (counted as stored, dedup keys taken) instead of going
   * to the consumers; historical ones go through. At most MAX_HELD_PER_CONVERSATION wait: past
   * that the append is refused (EventStoreFullError). A holder that holds again renews its hold
   * (a resumed backfill takes its dead run's hold over); one that is not renewed within `ttlMs`
   * counts as gone, and a hold with no holder left is released by the store's sweep (HOLD_SWEEP_MS).
   */
  hold(conversation: string, holder: string, ttlMs: number): Promise<void>;
  /**
   * The holder lets go; when no other holder is left, the held events are appended in arrival
   * order (HOLD_RELEASE_BATCH at a time), the hold ending with the last batch, so an append racing
   * with the release is held and appended, or appended after it: never lost, reordered or stored twice.
   */
  release(conversation: string, holder: string): Promise<void>;
  /** Releases the holds none of whose holders renewed in time; the store does it every HOLD_SWEEP_MS by itself. Resolves how many it released. */
  releaseExpiredHolds(): Promise<number>;
  /**
   * Joins (or creates, with `scope`) a consumer group; `onError` reports the store going away (the
   * stream then ends UNAVAILABLE). Throws TooManyGroupsError past `maxGroups` or past the
   * owner's `maxGroupsPerCaller`, GroupScopeError when `pageIds` do not fit an existing group's scope.
   */
  consume(options: ConsumerOptions, deliver: (d: DeliveredEvent) => void, onError: (err: Error) => void): Promise<Consumer>;
  /** The group's parked events of these pages (undefined: all), oldest first, paged by an opaque token. */
  listDeadLetters(group: string, pageIds: ReadonlySet<string> | undefined, pageSize: number, pageToken: string): Promise<{ deadLetters: DeadLetter[]; nextPageToken: string }>;
  /** Puts parked events (these ids, or all; of these pages) back at the end of their conversations; returns how many. */
  replayDeadLetters(group: string, pageIds: ReadonlySet<string> | undefined, eventIds: readonly string[]): Promise<number>;
  /** Lag and oldest unacked age per group, for metrics (asynchronous: a shared store is asked). */
  stats(): Promise<GroupStats[]>;
  /** Stops timers and releases everything; open consumers get `onError` (StoreUnavailableError). */
  close(): Promise<void>;
}
