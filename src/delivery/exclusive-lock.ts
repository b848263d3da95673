import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '../store/redis-connection';
import { RedisScript } from '../store/redis-script';
import { StoreUnavailableError } from '../store/store-unavailable-error';

/**
 * A lock one holder at a time may take, for work that must run once across replicas (applying a
 * Page's Messenger Profile at start). It lapses after its TTL, so a replica that dies holding it
 * blocks the others only that long.
 */
export interface ExclusiveLock {
  /** The lock's release, or undefined when someone else holds it. */
  acquire(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}

/** One process: a set of held names with their expiry. */
export class MemoryLock implements ExclusiveLock {
  private readonly held = new Map<string, { token: string; until: number }>();

  acquire(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const now = Date.now();
    const cur = this.held.get(name);
    if (cur && cur.until > now) return Promise.resolve(undefined);
    const token = randomUUID();
    this.held.set(name, { token, until: now + ttlMs });
    return Promise.resolve(async () => {
      if (this.held.get(name)?.token === token) this.held.delete(name);
    });
  }
}

// Deletes the lock only if this holder still has it. KEYS: lock. ARGV: token.
const RELEASE = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** Every replica: `SET key token NX PX ttl`, released by a script that checks the token. */
export class RedisLock implements ExclusiveLock {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix = 'mgw:lock:',
  ) {}

  async acquire(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const key = `${this.prefix}{${encodeURIComponent(name)}}`;
    const token = randomUUID();
    let set: string | null;
    try {
      set = await this.redis.set(key, token, 'PX', ttlMs, 'NX');
    } catch (err) {
      throw StoreUnavailableError.during('lock store', `lock ${name}`, err);
    }
    if (set !== 'OK') return undefined;
    return async () => {
      await RELEASE.run(this.redis, [key], [token]).catch(() => undefined);
    };
  }
}
