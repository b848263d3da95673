import { applyUpdate, emptyRecord, SELF, type ConversationRecord, type RecordUpdate } from './conversation-record';
import { standardWindowEnd } from './conversation-state';
import { RECORD_TTL_MS, recordKey, type ConversationRecords } from './conversation-records';

interface Entry extends ConversationRecord {
  touchedMs: number;
}

/**
 * The records of one gateway process. A Map in least-recently-touched order: a fact moves its
 * record to the end, the bound drops from the front, and records past their time are dropped
 * from the front as facts arrive (and when read).
 */
export class MemoryConversationRecords implements ConversationRecords {
  private readonly records = new Map<string, Entry>();
  private readonly pages = new Map<string, { since: number; selfAppId: string }>();

  /** `selfAppId`: this app's id when known from the start (the sandbox's); else learned from a pass to it. */
  constructor(
    private readonly maxRecords: number,
    private readonly selfAppId = '',
  ) {}

  apply(updates: readonly RecordUpdate[], nowMs: number): void {
    for (const u of updates) {
      const page = this.page(u.pageId);
      if (u.selfAppId) page.selfAppId = u.selfAppId;
      const key = recordKey(u.pageId, u.person);
      let entry = this.records.get(key);
      if (entry) this.records.delete(key);
      else entry = { ...emptyRecord(), touchedMs: 0 };
      if (u.ownerIfSelfKnown && !page.selfAppId) {
        if (entry.touchedMs !== 0) this.records.set(key, entry);
        continue;
      }
      applyUpdate(entry, u.owner !== undefined && u.owner === page.selfAppId ? { ...u, owner: SELF } : u);
      entry.touchedMs = nowMs;
      this.records.set(key, entry);
    }
    this.trim(nowMs);
  }

  get(pageId: string, person: string, nowMs: number): ConversationRecord | undefined {
    const key = recordKey(pageId, person);
    const entry = this.records.get(key);
    if (entry === undefined) return undefined;
    if (entry.touchedMs + RECORD_TTL_MS <= nowMs) {
      this.records.delete(key);
      return undefined;
    }
    return entry;
  }

  receivingSince(pageId: string): number {
    return this.pages.get(pageId)?.since ?? 0;
  }

  markReceiving(pageIds: readonly string[], nowMs: number): void {
    for (const p of pageIds) {
      const page = this.page(p);
      if (page.since === 0) page.since = nowMs;
    }
  }

  closingWithin(withinMs: number, nowMs: number): Promise<ReadonlyMap<string, number>> {
    const counts = new Map<string, number>();
    for (const [key, r] of this.records) {
      const end = standardWindowEnd(r);
      if (end <= nowMs || end > nowMs + withinMs) continue;
      const page = key.slice(0, key.indexOf('\u0000'));
      counts.set(page, (counts.get(page) ?? 0) + 1);
    }
    return Promise.resolve(counts);
  }

  size(): Promise<number> {
    return Promise.resolve(this.records.size);
  }

  close(): Promise<void> {
    this.records.clear();
    return Promise.resolve();
  }

  /** A Page's facts; `since` stays 0 until a webhook of the Page is stored (a send is no sign of receiving). */
  private page(pageId: string): { since: number; selfAppId: string } {
    let page = this.pages.get(pageId);
    if (!page) {
      // Pages are few (the configured ones, or the sandbox's demo pages); a bound all the same.
      if (this.pages.size >= MAX_PAGES) this.pages.delete(this.pages.keys().next().value!);
      page = { since: 0, selfAppId: this.selfAppId };
      this.pages.set(pageId, page);
    }
    return page;
  }

  private trim(nowMs: number): void {
    for (const [key, entry] of this.records) {
      if (this.records.size <= this.maxRecords && entry.touchedMs + RECORD_TTL_MS > nowMs) break;
      this.records.delete(key);
    }
  }
}

const MAX_PAGES = 10_000;
