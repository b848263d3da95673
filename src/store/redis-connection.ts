import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** One connection to the store, whichever the topology: the commands of both are the same. */
export type RedisConnection = Redis | Cluster;

/**
 * Where the store is. `single`: one Redis (its URL may carry user, password and `rediss://`).
 * `cluster`: Redis Cluster, reached through any of its nodes (every node URL carries the same
 * credentials and scheme; the cluster tells the client the rest). `sentinel`: a primary found
 * through Sentinel, which fails it over to a replica (`name` is the master name the sentinels
 * monitor; `nodes` the sentinels, `redis://host:port`; `password` the Redis servers',
 * `sentinelPassword` the sentinels').
 */
export type RedisTopology = { kind: 'single'; url: string } | { kind: 'cluster'; nodes: readonly string[] } | ({ kind: 'sentinel' } & SentinelTopology);

export interface SentinelTopology {
  name: string;
  nodes: readonly string[];
  password?: string;
  sentinelPassword?: string;
}

/** The topology of a `store.redis` config block: its `cluster` or `sentinel` when it has one, else its `url`. */
export function redisTopology(config: { url: string; cluster?: { nodes: readonly string[] }; sentinel?: SentinelTopology }): RedisTopology {
  if (config.cluster) return { kind: 'cluster', nodes: config.cluster.nodes };
  if (config.sentinel) return { kind: 'sentinel', ...config.sentinel };
  return { kind: 'single', url: config.url };
}

/** Every URL the topology names (for redaction and for messages that must not show credentials). */
export function topologyUrls(topology: RedisTopology): readonly string[] {
  return topology.kind === 'single' ? [topology.url] : topology.nodes;
}

/** Connection tuning; the defaults make a dead Redis fail calls within about two seconds. */
export interface RedisConnectionOptions {
  /** Longest one connection attempt may take (default 2 s). */
  connectTimeoutMs?: number;
  /** Longest one command may wait for its reply (default 2 s). */
  commandTimeoutMs?: number;
  /** Errors of the background connection (reconnects); ioredis logs them to stderr when nobody listens. */
  onError?: (err: Error) => void;
}

/**
 * Connects to Redis and resolves once the connection answers, or rejects (a gateway configured with
 * Redis must not start without it).
 *
 * Failing fast is deliberate: with Redis gone the gateway cannot tell whether a key was already sent,
 * so calls must fail (the service answers UNAVAILABLE) rather than hang until the caller's deadline or
 * send without the guarantee. Hence a bounded connect timeout, a command timeout, and at most one
 * retry of a queued command while ioredis reconnects in the background.
 */
export async function connectRedis(url: string, options?: RedisConnectionOptions): Promise<Redis>;
export async function connectRedis(topology: RedisTopology, options?: RedisConnectionOptions): Promise<RedisConnection>;
export async function connectRedis(target: string | RedisTopology, options: RedisConnectionOptions = {}): Promise<RedisConnection> {
  const topology: RedisTopology = typeof target === 'string' ? { kind: 'single', url: target } : target;
  const tuning: RedisOptions = {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    maxRetriesPerRequest: 1,
    // Reconnect forever in the background, but never faster than every 100 ms nor slower than 2 s.
    retryStrategy: (times) => Math.min(100 * times, 2_000),
  };
  const redis: RedisConnection =
    topology.kind === 'single' ? new Redis(topology.url, tuning) : topology.kind === 'cluster' ? clusterClient(topology.nodes, tuning) : new Redis({ ...tuning, ...sentinelOptions(topology) });
  // ioredis reports a refused AUTH as an 'error' event and rejects connect() with only
  // "Connection is closed.": the refusal is kept so that the caller hears the real reason.
  let refused: RedisAuthError | undefined;
  let last: Error | undefined;
  const onError = options.onError ?? (() => {});
  redis.on('error', (err: Error) => {
    refused ??= authRefusal(err);
    last = err;
    onError(err);
  });
  // A Cluster client reports each node's failures as 'node error' (a refused AUTH among them) and
  // rejects connect() with only "None of startup nodes is available".
  if (redis instanceof Cluster) redis.on('node error', (err: Error) => (refused ??= authRefusal(err)));
  // Through Sentinel, ioredis keeps asking the sentinels and never rejects connect(): the start
  // is bounded here (one connect timeout for the sentinels, one for the primary, and a PING).
  const startMs = 2 * (options.connectTimeoutMs ?? 2_000) + (options.commandTimeoutMs ?? 2_000);
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(last ?? new Error(`no answer within ${startMs} ms`)), startMs);
      redis
        .connect()
        .then(() => redis.ping())
        .then(() => resolve(), reject);
    });
  } catch (err) {
    redis.disconnect();
    throw refused ?? err;
  } finally {
    clearTimeout(timer);
  }
  return redis;
}

/**
 * ioredis asks the sentinels for the current primary on every (re)connect. A failover is noticed
 * by the connection to the old primary dropping, by `+switch-master` from the sentinels
 * (failoverDetector), or by a write refused with READONLY (an old primary that came back as a
 * replica): that one reconnects, and the command is answered by the new primary.
 */
function sentinelOptions(s: SentinelTopology): RedisOptions {
  return {
    name: s.name,
    sentinels: s.nodes.map(hostPort),
    password: s.password,
    sentinelPassword: s.sentinelPassword,
    role: 'master',
    failoverDetector: true,
    sentinelRetryStrategy: (times) => Math.min(100 * times, 2_000),
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
  };
}

/** `redis://host:port` (or `host:port`) as ioredis's sentinel address. */
function hostPort(node: string): { host: string; port: number } {
  const u = new URL(node.includes('://') ? node : `redis://${node}`);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 26379) };
}

/**
 * A Cluster client over these seed nodes. Credentials and TLS come from the first node's URL
 * (the config check makes every node's the same); each node's connection gets the same timeouts
 * as a single Redis, so a dead cluster fails calls as fast.
 */
function clusterClient(nodes: readonly string[], tuning: RedisOptions): Cluster {
  const seeds = nodes.map((n) => {
    const u = new URL(n);
    return { host: u.hostname, port: u.port === '' ? 6379 : Number(u.port) };
  });
  const first = new URL(nodes[0]!);
  const redisOptions: RedisOptions = {
    connectTimeout: tuning.connectTimeout,
    commandTimeout: tuning.commandTimeout,
    maxRetriesPerRequest: tuning.maxRetriesPerRequest,
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
  };
  return new Cluster(seeds, {
    lazyConnect: true,
    redisOptions,
    // No auto-pipelining: ioredis 6 refuses a pipeline whose commands are in different slots,
    // which is what the event store's per-partition calls of one turn are.
    enableAutoPipelining: false,
    // A moved slot (resharding, failover) is followed; a cluster that is down fails the call soon.
    maxRedirections: 16,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
    slotsRefreshTimeout: tuning.connectTimeout,
  });
}

/** A second connection like this one (a subscriber): same topology, credentials and tuning. */
export function duplicateConnection(redis: RedisConnection): RedisConnection {
  return redis instanceof Cluster ? redis.duplicate() : redis.duplicate();
}

/** Redis refused the credentials of the URL (a wrong password or user, or none where one is required). */
export class RedisAuthError extends Error {
  constructor(
    /** `WRONGPASS` or `NOAUTH`, as Redis says it. */
    readonly code: string,
    message: string,
    /** Who refused: the Redis servers, or (through Sentinel) the sentinels themselves. */
    readonly refusedBy: 'server' | 'sentinels' = 'server',
  ) {
    super(message);
    this.name = 'RedisAuthError';
  }
}

function authRefusal(err: Error): RedisAuthError | undefined {
  // ioredis wraps a sentinel's refusal: "All sentinels are unreachable. … Last error: WRONGPASS …".
  const sentinel = /Last error: (WRONGPASS|NOAUTH)\b/.exec(err.message)?.[1];
  if (sentinel) return new RedisAuthError(sentinel, `the sentinels refused the password (${sentinel})`, 'sentinels');
  const code = /^(WRONGPASS|NOAUTH)\b/.exec(err.message)?.[1] ?? (/^ERR (invalid password|AUTH)/i.test(err.message) ? 'WRONGPASS' : undefined);
  // Redis's own words name no credential, only that it refused them.
  return code === undefined ? undefined : new RedisAuthError(code, err.message.split('\n')[0]!.slice(0, 200));
}

/** Closes a connection: QUIT lets pending replies arrive; a connection that is down is just dropped. */
export async function closeRedis(redis: RedisConnection): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
