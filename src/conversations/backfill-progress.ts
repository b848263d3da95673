import { StoreUnavailableError } from '../store/store-unavailable-error';
import type { RedisConnection } from '../store/redis-connection';

/**
 * How far one backfill is, kept where the gateway keeps its other state (memory, or Redis for
 * every replica and across restarts): a gateway that starts finds the backfills still running
 * and resumes each from its `resume` point (appends are deduplicated by event id, so redoing the
 * last page of work stores nothing twice).
 */
export interface BackfillRecord {
  id: string;
  pageId: string;
  /** The person, for a conversation backfill; '' for a Page-wide one. */
  person: string;
  /** Only messages at or after this time (epoch ms; 0: all). */
  sinceMs: number;
  state: 'running' | 'done' | 'failed';
  conversationsDone: number;
  messagesStored: number;
  messagesDuplicate: number;
  graphCalls: number;
  error: string;
  historyLimited: boolean;
  /** Conversations cut by Instagram's 20-message limit (absent in records saved before it was counted). */
  conversationsLimited?: number;
  /** Page-wide: Meta's cursor of the conversations page being worked through ('' : the first). */
  resume: string;
  startedMs: number;
  updatedMs: number;
}

export interface BackfillProgress {
  /** Saves the record (creating it). Rejects with StoreUnavailableError when Redis fails. */
  save(record: BackfillRecord): Promise<void>;
  get(id: string): Promise<BackfillRecord | undefined>;
  /** The backfills still running (to resume at start). */
  running(): Promise<BackfillRecord[]>;
}

/** One process's backfills (the memory store's gateway: nothing survives a restart there anyway). */
export class MemoryBackfillProgress implements BackfillProgress {
  private readonly records = new Map<string, BackfillRecord>();

  save(record: BackfillRecord): Promise<void> {
    this.records.set(record.id, { ...record });
    return Promise.resolve();
  }

  get(id: string): Promise<BackfillRecord | undefined> {
    const r = this.records.get(id);
    return Promise.resolve(r ? { ...r } : undefined);
  }

  running(): Promise<BackfillRecord[]> {
    return Promise.resolve([...this.records.values()].filter((r) => r.state === 'running').map((r) => ({ ...r })));
  }
}

// Finished backfills are kept this long for BackfillStatus, then Redis forgets them.
const DONE_TTL_SECONDS = 7 * 24 * 3600;

/** Backfills in Redis: `<prefix>{bf}:<id>` (JSON) and the set `<prefix>{bf}:running`, under one hash tag. */
export class RedisBackfillProgress implements BackfillProgress {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}{bf}:${id}`;
  }

  private async guard<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw StoreUnavailableError.during('backfill store', what, err);
    }
  }

  save(record: BackfillRecord): Promise<void> {
    return this.guard('saving a backfill', async () => {
      const multi = this.redis.multi();
      if (record.state === 'running') multi.set(this.key(record.id), JSON.stringify(record)).sadd(`${this.prefix}{bf}:running`, record.id);
      else multi.set(this.key(record.id), JSON.stringify(record), 'EX', DONE_TTL_SECONDS).srem(`${this.prefix}{bf}:running`, record.id);
      await multi.exec();
    });
  }

  get(id: string): Promise<BackfillRecord | undefined> {
    return this.guard('reading a backfill', async () => {
      const text = await this.redis.get(this.key(id));
      return text === null ? undefined : (JSON.parse(text) as BackfillRecord);
    });
  }

  running(): Promise<BackfillRecord[]> {
    return this.guard('listing backfills', async () => {
      const ids = await this.redis.smembers(`${this.prefix}{bf}:running`);
      const out: BackfillRecord[] = [];
      for (const id of ids) {
        const r = await this.get(id);
        if (r?.state === 'running') out.push(r);
      }
      return out;
    });
  }
}
