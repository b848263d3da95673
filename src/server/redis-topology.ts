import { ConfigError } from '../config/load-config';
import { redactSecrets } from '../redaction/secret-redaction';
import { RedisAuthError, topologyUrls, type RedisTopology } from '../store/redis-connection';

/** Every password the topology holds (its URLs', and through Sentinel the servers' and the sentinels'), to be redacted wherever it could appear. */
export function redisSecrets(topology: RedisTopology): Array<string | undefined> {
  const fromUrls = topologyUrls(topology).map(redisPassword);
  return topology.kind === 'sentinel' ? [...fromUrls, topology.password, topology.sentinelPassword] : fromUrls;
}

/** Why Redis could not be used at start, as a config error naming the key; addresses shown without credentials. */
export function redisStartError(topology: RedisTopology | undefined, err: unknown): ConfigError {
  const kind = topology?.kind ?? 'single';
  const key = kind === 'cluster' ? 'store.redis.cluster.nodes' : kind === 'sentinel' ? 'store.redis.sentinel' : 'store.redis.url';
  const hosts: string[] = [];
  for (const url of topology ? topologyUrls(topology) : []) {
    try {
      const u = new URL(url);
      hosts.push(`${u.protocol}//${u.host}`);
    } catch {
      // the config check parsed it; nothing to show otherwise
    }
  }
  const listed = `${hosts.slice(0, 3).join(', ')}${hosts.length > 3 ? ', …' : ''}`;
  const where =
    hosts.length === 0
      ? 'the configured Redis'
      : topology?.kind === 'cluster'
        ? `the Redis Cluster at ${listed}`
        : topology?.kind === 'sentinel'
          ? `Redis master "${topology.name}" through the sentinels at ${listed}`
          : `Redis at ${hosts[0]}`;
  if (err instanceof RedisAuthError && err.refusedBy === 'sentinels') {
    return new ConfigError(key, `the sentinels at ${listed} refused store.redis.sentinel.sentinelPassword (${err.code}): put the sentinels' own password (their requirepass) in sentinelPassword, or leave it out for sentinels without one`);
  }
  if (err instanceof RedisAuthError) {
    const fix =
      kind === 'sentinel'
        ? "put the right passwords in store.redis.sentinel.password (the Redis servers') and sentinelPassword (the sentinels')"
        : `put the right user and password in ${key} (redis://user:password@host:port)`;
    return new ConfigError(key, `${where} refused the password (${err.code}): ${fix}`);
  }
  const code = (err as { code?: string } | null)?.code;
  const reason = code ?? (err instanceof Error ? redactSecrets(err.message).split('\n')[0]!.slice(0, 160) : 'no answer');
  const fix = kind === 'sentinel' ? 'start the sentinels and their Redis, or correct store.redis.sentinel (name and nodes)' : `start Redis there, or correct ${key}`;
  return new ConfigError(key, `${where} did not answer (${reason}): ${fix}`);
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
