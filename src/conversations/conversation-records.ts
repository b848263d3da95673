import type { ConversationRecord, RecordUpdate } from './conversation-record';

/**
 * The conversation records, in memory or in Redis (shared by replicas). Bounded
 * (`conversations.maxRecords`, the least recently touched dropped first) and expiring
 * `RECORD_TTL_MS` after a record's last fact.
 */
export interface ConversationRecords {
  /** Folds facts in (the webhook's stored items, the gateway's calls and Graph's answers). */
  apply(updates: readonly RecordUpdate[], nowMs: number): void | Promise<void>;
  /** A conversation's record; the memory store answers at once and hands out its own object (read, never change it). */
  get(pageId: string, person: string, nowMs: number): ConversationRecord | undefined | Promise<ConversationRecord | undefined>;
  /** Since when this Page's webhooks have been recorded (0: never). */
  receivingSince(pageId: string): number | Promise<number>;
  /** Marks the Page as received from at `nowMs`, unless it already was. */
  markReceiving(pageIds: readonly string[], nowMs: number): void | Promise<void>;
  /** Per Page, how many standard windows end within (now, now + withinMs]. */
  closingWithin(withinMs: number, nowMs: number): Promise<ReadonlyMap<string, number>>;
  /** How many records are held (for the bound's tests and the report). */
  size(): Promise<number>;
  close(): Promise<void>;
}

/** A record lives this long after its last fact: the longest window (7 days) and a day's margin. */
export const RECORD_TTL_MS = 8 * 24 * 3_600_000;

/** The conversation's key in the stores: the events' own `<page>\u0000<person>`. */
export function recordKey(pageId: string, person: string): string {
  return `${pageId}\u0000${person}`;
}
