import { Cluster } from 'ioredis';
import { closeRedis, duplicateConnection, type RedisConnection } from './redis-connection';
import type { RedisScript } from './redis-script';
import { StoreUnavailableError } from './store-unavailable-error';

/**
 * How long one WAIT may block: well inside the connection's 2 s command timeout (the WAIT is sent
 * with its write, and both must answer within it) and the webhook's 4 s answer.
 */
export const REPLICA_WAIT_MS = 1_000;

/** WAITed writes run on their own connections, round robin: a WAIT blocks its connection until the replicas answer. */
const WAIT_CONNECTIONS = 4;

/**
 * Fewer replicas than `store.redis.minReplicas` confirmed a write in time. The write is on the
 * primary, but a failover now may lose it: the caller treats it as not stored (the webhook answers
 * 503 and Meta retries; a claim is released and the send answers UNAVAILABLE; an outcome stays in
 * the local outbox and is written again until replicas confirm it).
 */
export class ReplicasShortError extends StoreUnavailableError {
  constructor(
    readonly confirmed: number,
    readonly wanted: number,
    timeoutMs: number,
  ) {
    super(`the write reached ${confirmed} of the ${wanted} replica(s) store.redis.minReplicas asks for within ${timeoutMs} ms (WAIT)`);
  }
}

/**
 * Writes that count only once `minReplicas` replicas have them (`WAIT minReplicas timeout`). WAIT
 * confirms everything its connection wrote before it, so it runs on the connection that wrote,
 * and these connections carry nothing else: a WAIT blocks its connection, and the stores' other
 * commands (leases, reads, rate limits) must not queue behind it.
 *
 * `run` sends a script, and the WAIT that follows it out in the same turn of the event loop: no
 * extra round trip, and one WAIT for every script of the turn (a webhook body's partitions,
 * concurrent claims and outcomes). On a Cluster each master confirms only its own writes, and a
 * keyless WAIT cannot be aimed at one: there every script gets its own pipelined WAIT.
 */
export class ReplicaWait {
  private next = 0;
  private batch: { via: RedisConnection; confirmed: Promise<number> } | undefined;
  /** Whether each script needs its own WAIT (a Cluster). */
  private readonly perPart: boolean;

  private constructor(
    private readonly connections: readonly RedisConnection[],
    readonly minReplicas: number,
    readonly timeoutMs: number,
  ) {
    this.perPart = connections[0] instanceof Cluster;
  }

  /** Connections of their own, made like `base` (same topology, credentials and timeouts). */
  static over(base: RedisConnection, minReplicas: number, timeoutMs = REPLICA_WAIT_MS): ReplicaWait {
    const connections = Array.from({ length: WAIT_CONNECTIONS }, () => {
      const c = duplicateConnection(base);
      // Failures reach the caller through its command; ioredis would print background ones.
      c.on('error', () => {});
      return c;
    });
    return new ReplicaWait(connections, minReplicas, timeoutMs);
  }

  /**
   * Runs the script and WAITs; resolves its reply. When `wrote(reply)` says the script stored
   * something and fewer than `minReplicas` replicas confirmed it, rejects with ReplicasShortError.
   *
   * Group commit: the scripts of one turn of the event loop go through one connection and share
   * one WAIT, sent after all of them (a WAIT confirms everything its connection wrote before
   * it). Concurrent sends thus cost one WAIT per turn, not one each.
   */
  async run(script: RedisScript, keys: readonly string[], args: ReadonlyArray<string | number>, wrote: (reply: unknown) => boolean = () => true): Promise<unknown> {
    if (this.perPart) {
      const { reply, confirmed } = await this.runOnCluster(script, keys, args);
      if (confirmed < this.minReplicas && wrote(reply)) throw new ReplicasShortError(confirmed, this.minReplicas, this.timeoutMs);
      return reply;
    }
    const batch = this.batch ?? this.openBatch();
    const sent = script.runTracked(batch.via, keys, args);
    // Whichever fails first is the answer; the other's rejection must not go unhandled.
    batch.confirmed.catch(() => undefined);
    const { reply, reloaded } = await sent;
    let confirmed = await batch.confirmed;
    // A server that had lost the script ran it again (EVAL) after the shared WAIT went out.
    if (reloaded) confirmed = Number(await batch.via.wait(this.minReplicas, this.timeoutMs));
    if (confirmed < this.minReplicas && wrote(reply)) throw new ReplicasShortError(confirmed, this.minReplicas, this.timeoutMs);
    return reply;
  }

  /**
   * A script and its WAIT pipelined to the master of the script's slot. ioredis follows MOVED for
   * single commands but not for a pipeline whose WAIT (keyless) was answered: after a failover
   * every pipeline would go on to the old master. A MOVED (the script did not run) refreshes the
   * slot map, and the pipeline goes once more.
   */
  private async runOnCluster(script: RedisScript, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<{ reply: unknown; confirmed: number }> {
    const via = this.connection() as Cluster;
    try {
      return await script.runAndWait(via, keys, args, this.minReplicas, this.timeoutMs);
    } catch (err) {
      if (!(err instanceof Error) || !/^(MOVED|ASK) /.test(err.message)) throw err;
      await new Promise<void>((resolve) => via.refreshSlotsCache(() => resolve()));
      return script.runAndWait(via, keys, args, this.minReplicas, this.timeoutMs);
    }
  }

  /** This turn's connection and WAIT: the WAIT goes out once the turn's scripts have (setImmediate). */
  private openBatch(): { via: RedisConnection; confirmed: Promise<number> } {
    const via = this.connection();
    const confirmed = new Promise<number>((resolve, reject) => {
      setImmediate(() => {
        this.batch = undefined;
        via.wait(this.minReplicas, this.timeoutMs).then((n) => resolve(Number(n)), reject);
      });
    });
    this.batch = { via, confirmed };
    return this.batch;
  }

  /** One of the connections, in turn. */
  private connection(): RedisConnection {
    const c = this.connections[this.next]!;
    this.next = (this.next + 1) % this.connections.length;
    return c;
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map((c) => closeRedis(c)));
  }
}
