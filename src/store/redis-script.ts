import { createHash } from 'node:crypto';
import { Cluster } from 'ioredis';
import type { RedisConnection } from './redis-connection';

/** A Lua script run by its SHA1 (EVALSHA), loaded with EVAL the first time a server lacks it. */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script atomically on the server with these keys and arguments. */
  async run(redis: RedisConnection, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    return (await this.runTracked(redis, keys, args)).reply;
  }

  /**
   * `run`, saying whether the script had to be sent again (EVAL after NOSCRIPT): that second
   * command went out later than the EVALSHA, after whatever was sent behind it.
   */
  async runTracked(redis: RedisConnection, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<{ reply: unknown; reloaded: boolean }> {
    try {
      return { reply: await redis.evalsha(this.sha, keys.length, ...keys, ...args), reloaded: false };
    } catch (err) {
      // A restarted or flushed server forgets its script cache: EVAL loads it again.
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return { reply: await redis.eval(this.source, keys.length, ...keys, ...args), reloaded: true };
    }
  }

  /**
   * Runs the script once per call, together; resolves their replies in order, or rejects with the
   * first failure. On one Redis (or through Sentinel) they go out as one pipeline: one socket
   * write and one wake-up of the server for the lot, where separate commands cost one each. On a
   * Cluster each goes alone: a pipeline may hold only one slot's keys.
   */
  async runEach(redis: RedisConnection, calls: ReadonlyArray<readonly [keys: readonly string[], args: ReadonlyArray<string | number>]>): Promise<unknown[]> {
    if (calls.length <= 1 || redis instanceof Cluster) return Promise.all(calls.map(([keys, args]) => this.run(redis, keys, args)));
    const pipeline = redis.pipeline();
    for (const [keys, args] of calls) pipeline.evalsha(this.sha, keys.length, ...keys, ...args);
    let results = await pipeline.exec();
    if (results?.some(([err]) => err instanceof Error && err.message.startsWith('NOSCRIPT'))) {
      // A restarted or flushed server forgot the script: it failed all of them alike.
      const again = redis.pipeline();
      for (const [keys, args] of calls) again.eval(this.source, keys.length, ...keys, ...args);
      results = await again.exec();
    }
    if (!results || results.length !== calls.length) throw new Error('a pipeline of scripts was not answered');
    return results.map(([err, reply]) => {
      if (err) throw err;
      return reply;
    });
  }

  /**
   * Runs the script and `WAIT replicas timeoutMs` in one pipeline (one round trip); resolves the
   * script's reply and how many replicas confirmed the connection's writes so far.
   */
  async runAndWait(redis: RedisConnection, keys: readonly string[], args: ReadonlyArray<string | number>, replicas: number, timeoutMs: number): Promise<{ reply: unknown; confirmed: number }> {
    let results = await redis.pipeline().evalsha(this.sha, keys.length, ...keys, ...args).wait(replicas, timeoutMs).exec();
    const first = results?.[0]?.[0];
    if (first instanceof Error && first.message.startsWith('NOSCRIPT')) {
      results = await redis.pipeline().eval(this.source, keys.length, ...keys, ...args).wait(replicas, timeoutMs).exec();
    }
    if (!results || results.length !== 2) throw new Error('the pipeline of a script and WAIT was not answered');
    const [[scriptError, reply], [waitError, confirmed]] = results as [[Error | null, unknown], [Error | null, unknown]];
    if (scriptError) throw scriptError;
    if (waitError) throw waitError;
    return { reply, confirmed: Number(confirmed) };
  }
}
