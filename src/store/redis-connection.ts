import { Redis } from 'ioredis';

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
export async function connectRedis(url: string, options: RedisConnectionOptions = {}): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    maxRetriesPerRequest: 1,
    // Reconnect forever in the background, but never faster than every 100 ms nor slower than 2 s.
    retryStrategy: (times) => Math.min(100 * times, 2_000),
  });
  // ioredis reports a refused AUTH as an 'error' event and rejects connect() with only
  // "Connection is closed.": the refusal is kept so that the caller hears the real reason.
  let refused: RedisAuthError | undefined;
  const onError = options.onError ?? (() => {});
  redis.on('error', (err: Error) => {
    refused ??= authRefusal(err);
    onError(err);
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw refused ?? err;
  }
  return redis;
}

/** Redis refused the credentials of the URL (a wrong password or user, or none where one is required). */
export class RedisAuthError extends Error {
  constructor(
    /** `WRONGPASS` or `NOAUTH`, as Redis says it. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RedisAuthError';
  }
}

function authRefusal(err: Error): RedisAuthError | undefined {
  const code = /^(WRONGPASS|NOAUTH)\b/.exec(err.message)?.[1] ?? (/^ERR (invalid password|AUTH)/i.test(err.message) ? 'WRONGPASS' : undefined);
  // Redis's own words name no credential, only that it refused them.
  return code === undefined ? undefined : new RedisAuthError(code, err.message.split('\n')[0]!.slice(0, 200));
}

/** Closes a connection: QUIT lets pending replies arrive; a connection that is down is just dropped. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
