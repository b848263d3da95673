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
  redis.on('error', options.onError ?? (() => {}));
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  return redis;
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
