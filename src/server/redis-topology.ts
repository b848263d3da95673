import type { RedisStoreConfig } from '../config/gateway-config';
import { ConfigError } from '../config/load-config';
import { redactSecrets } from '../redaction/secret-redaction';
import { RedisAuthError, type RedisTopology } from '../store/redis-connection';

/** The connection target of the configured Redis: one URL, or a primary found through Sentinel. */
export function redisTopologyOf(redis: RedisStoreConfig): RedisTopology {
  if (redis.sentinel) return { sentinel: redis.sentinel };
  return { url: redis.url ?? '' };
}

/** Every password the Redis config holds (the URL's, the servers' and the sentinels'), to be redacted wherever it could appear. */
export function redisSecrets(redis: RedisStoreConfig): Array<string | undefined> {
  return [redis.url === undefined ? undefined : redisPassword(redis.url), redis.sentinel?.password, redis.sentinel?.sentinelPassword];
}

/** Why Redis could not be used at start, as a config error naming the key; addresses shown without credentials. */
export function redisStartError(redis: RedisStoreConfig | undefined, err: unknown): ConfigError {
  const sentinel = redis?.sentinel;
  const key = sentinel ? 'store.redis.sentinel' : 'store.redis.url';
  const where = sentinel ? `Redis master "${sentinel.name}" through the sentinels at ${sentinel.nodes.map((n) => n.replace(/^redis:\/\//, '')).join(', ')}` : urlWhere(redis?.url ?? '');
  if (err instanceof RedisAuthError) {
    const fix = sentinel
      ? 'put the right passwords in store.redis.sentinel.password (the Redis servers\') and sentinelPassword (the sentinels\')'
      : 'put the right user and password in store.redis.url (redis://user:password@host:port)';
    return new ConfigError(key, `${where} refused the password (${err.code}): ${fix}`);
  }
  const code = (err as { code?: string } | null)?.code;
  const reason = code ?? (err instanceof Error ? redactSecrets(err.message).split('\n')[0]!.slice(0, 160) : 'no answer');
  const fix = sentinel ? 'start the sentinels and their Redis, or correct store.redis.sentinel (name and nodes)' : 'start Redis there, or correct store.redis.url';
  return new ConfigError(key, `${where} did not answer (${reason}): ${fix}`);
}

function urlWhere(url: string): string {
  try {
    const u = new URL(url);
    return `Redis at ${u.protocol}//${u.host}`;
  } catch {
    // the config check parsed it; nothing to show otherwise
    return 'the configured Redis';
  }
}

/** The password of a Redis URL: read from the text, so a URL that does not parse still has it. */
export function redisPassword(url: string): string | undefined {
  const password = /^[a-z][a-z0-9+.-]*:\/\/[^:@/]*:([^@/]*)@/i.exec(url)?.[1];
  if (!password) return undefined;
  try {
    return decodeURIComponent(password);
  } catch {
    return password;
  }
}
