import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { RedisConnection } from '../store/redis-connection';
import { StoreUnavailableError } from '../store/store-unavailable-error';

/**
 * A refreshed Instagram Login token as kept between runs. `origin` is a hash of the configured
 * token it descends from: once the operator configures another token, the kept one is stale and
 * ignored (the configured one wins).
 */
export interface StoredToken {
  accessToken: string;
  /** Epoch ms. */
  expiresAt: number;
  /** Epoch ms of the refresh that produced it. */
  refreshedAt: number;
  origin: string;
}

/** Where one account's refreshed token is kept. */
export interface TokenStore {
  load(): Promise<StoredToken | undefined>;
  save(token: StoredToken): Promise<void>;
}

/** The `origin` of a configured token: a hash, never the token. */
export function tokenOrigin(configuredToken: string): string {
  return createHash('sha256').update(configuredToken).digest('hex').slice(0, 32);
}

/** A JSON file, replaced atomically (written beside it, then renamed), readable by the owner only. */
export function fileTokenStore(path: string): TokenStore {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      return parseStored(text);
    },
    async save(token) {
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(token), { mode: 0o600 });
      await rename(tmp, path);
    },
  };
}

/** A Redis key per account (`{prefix}token:{account}`), shared by every replica. */
export function redisTokenStore(redis: RedisConnection, keyPrefix: string, account: string): TokenStore {
  const key = `${keyPrefix}token:${account}`;
  return {
    async load() {
      try {
        const text = await redis.get(key);
        return text === null ? undefined : parseStored(text);
      } catch (err) {
        throw StoreUnavailableError.during('token store', 'load', err);
      }
    },
    async save(token) {
      try {
        await redis.set(key, JSON.stringify(token));
      } catch (err) {
        throw StoreUnavailableError.during('token store', 'save', err);
      }
    },
  };
}

/** Only in this process: a restart starts again from the configured token. */
export function memoryTokenStore(): TokenStore {
  let kept: StoredToken | undefined;
  return { load: async () => kept, save: async (t) => void (kept = t) };
}

function parseStored(text: string): StoredToken | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.accessToken !== 'string' || typeof o.expiresAt !== 'number' || typeof o.refreshedAt !== 'number' || typeof o.origin !== 'string') return undefined;
  return { accessToken: o.accessToken, expiresAt: o.expiresAt, refreshedAt: o.refreshedAt, origin: o.origin };
}
