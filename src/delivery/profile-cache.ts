import type { RedisConnection } from '../store/redis-connection';

/**
 * User profiles kept per Page and person, so that a bot greeting every message by name does not
 * spend the Page's rate on the same lookup (Meta counts each against the Page). Entries are the
 * encoded response bytes; a miss is `undefined`. A cache never fails a call: a Redis error is a
 * miss (and a write that did not happen), the lookup then simply goes to Graph.
 */
export interface ProfileCache {
  get(key: string): Promise<Uint8Array | undefined>;
  set(key: string, value: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface ProfileCacheOptions {
  /** How long an entry is served; 0: nothing is cached. */
  ttlMs: number;
  /** Memory only: at most this many entries, the oldest dropped first. */
  maxEntries: number;
}

/** The key of one person's profile with one set of fields, for one Page. */
export function profileCacheKey(pageId: string, psid: string, fields: readonly string[]): string {
  return `${pageId}:${psid}:${[...fields].sort().join(',')}`;
}

/** In this process: one replica, or no Redis configured. */
export class MemoryProfileCache implements ProfileCache {
  // A Map iterates in insertion order: the first key is the oldest entry.
  private readonly entries = new Map<string, { value: Uint8Array; expiresAt: number }>();

  constructor(private readonly options: ProfileCacheOptions, private readonly now: () => number = Date.now) {}

  get(key: string): Promise<Uint8Array | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return Promise.resolve(undefined);
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(entry.value);
  }

  set(key: string, value: Uint8Array): Promise<void> {
    if (this.options.ttlMs <= 0) return Promise.resolve();
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.options.ttlMs });
    while (this.entries.size > this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.entries.clear();
    return Promise.resolve();
  }
}

/** In Redis, shared by every replica; Redis expires the entries. */
export class RedisProfileCache implements ProfileCache {
  constructor(private readonly redis: RedisConnection, private readonly options: ProfileCacheOptions & { keyPrefix: string }) {}

  async get(key: string): Promise<Uint8Array | undefined> {
    if (this.options.ttlMs <= 0) return undefined;
    try {
      const value = await this.redis.getBuffer(this.options.keyPrefix + key);
      return value ?? undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: Uint8Array): Promise<void> {
    if (this.options.ttlMs <= 0) return;
    try {
      await this.redis.set(this.options.keyPrefix + key, Buffer.from(value), 'PX', this.options.ttlMs);
    } catch {
      // Not cached: the next lookup asks Graph again, which is all a cache miss costs.
    }
  }

  close(): Promise<void> {
    // The connection belongs to the delivery stores, closed with them.
    return Promise.resolve();
  }
}
