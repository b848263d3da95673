import type { CancelSignal } from '../call/bounds';
import type { RedisConnection } from '../store/redis-connection';
import type { ClaimResult, IdempotencyOptions, IdempotencyStore, StoredOutcome, WaitResult } from './delivery-types';
import { RedisScript } from '../store/redis-script';
import { StoreUnavailableError } from '../store/store-unavailable-error';
import { ReplicasShortError, type ReplicaWait } from '../store/replica-wait';

/** Where keys live and how waiting polls; the connection itself is the caller's. */
export interface RedisIdempotencyOptions extends IdempotencyOptions {
  /** Prefix of every key (default `mgw:idem:`), so several gateways or apps can share one Redis. */
  keyPrefix?: string;
  /** First and largest poll interval of `wait` (defaults 10 ms and 100 ms). */
  pollMinMs?: number;
  pollMaxMs?: number;
  /**
   * With `store.redis.minReplicas`: a claim and an outcome count only once that many replicas
   * confirm them (WAIT, pipelined with the script). A claim they do not confirm is released and
   * the call fails before anything is sent; an outcome they do not confirm fails `complete`
   * (the outbox in front of this store keeps it and writes it again until they do).
   */
  replicaWait?: ReplicaWait;
}

// Each key is a hash: s = 'p' (pending, PX claimTtlMs) or 'd' (done, PX windowMs), fp, o = outcome JSON.
// The scripts make every read-then-write one atomic step, so two replicas never both get 'claimed'.

const CLAIM = new RedisScript(`
local cur = redis.call('HMGET', KEYS[1], 's', 'fp', 'o')
if not cur[1] then
  redis.call('HSET', KEYS[1], 's', 'p', 'fp', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'claimed'}
end
if cur[2] ~= ARGV[1] then return {'mismatch'} end
if cur[1] == 'd' then return {'done', cur[3]} end
return {'in-flight'}
`);

// Recorded even when the claim expired meanwhile (the send happened, a repeat must replay it),
// but never over a different request that took the key after the expiry.
const COMPLETE = new RedisScript(`
local fp = redis.call('HGET', KEYS[1], 'fp')
if fp and fp ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 's', 'd', 'fp', ARGV[1], 'o', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`);

const RELEASE = new RedisScript(`
local cur = redis.call('HMGET', KEYS[1], 's', 'fp')
if cur[1] == 'p' and cur[2] == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

// Extends a pending claim of this request (never a finished one, never another request's).
const EXTEND = new RedisScript(`
local cur = redis.call('HMGET', KEYS[1], 's', 'fp')
if cur[1] == 'p' and cur[2] == ARGV[1] and redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);

/**
 * The idempotency store shared by gateway replicas: state lives in Redis (so replays also survive a
 * restart), expiry is Redis's own PX, and claims are Lua scripts. Redis failures reject with
 * StoreUnavailableError. `wait` polls with a growing interval: simpler than pub/sub, and bounded by
 * the deadline, the abort signal and `close`.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly prefix: string;
  private readonly sleeps = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: RedisIdempotencyOptions,
  ) {
    this.prefix = options.keyPrefix ?? 'mgw:idem:';
  }

  async claim(key: string, fingerprint: string): Promise<ClaimResult> {
    return storeCall('claim', async () => {
      const reply = await this.claimOnce(key, fingerprint);
      const [kind, outcome] = reply as [string, string | undefined];
      if (kind === 'claimed' || kind === 'in-flight' || kind === 'mismatch') return { kind };
      return { kind: 'done', outcome: decodeOutcome(outcome) };
    });
  }

  /** The claim script; with replicas to wait for, its claim confirmed by them or let go. */
  private async claimOnce(key: string, fingerprint: string): Promise<unknown> {
    const keys = [this.prefix + key];
    const args = [fingerprint, this.options.claimTtlMs];
    const wait = this.options.replicaWait;
    if (!wait) return CLAIM.run(this.redis, keys, args);
    try {
      // Only a claim writes; a replay, a wait or a mismatch reads what is there.
      return await wait.run(CLAIM, keys, args, (reply) => (reply as [string])[0] === 'claimed');
    } catch (err) {
      // Nothing was sent: a claim a failover could lose is let go, so that the caller's retry
      // claims again instead of waiting out claimTtlMs (if the release fails, it lapses then).
      if (err instanceof ReplicasShortError) await RELEASE.run(this.redis, keys, [fingerprint]).catch(() => undefined);
      throw err;
    }
  }

  async complete(key: string, fingerprint: string, outcome: StoredOutcome): Promise<void> {
    const keys = [this.prefix + key];
    const args = [fingerprint, JSON.stringify(outcome), this.options.windowMs];
    const wait = this.options.replicaWait;
    await storeCall('complete', () => (wait ? wait.run(COMPLETE, keys, args, (reply) => reply === 1) : COMPLETE.run(this.redis, keys, args)));
  }

  async release(key: string, fingerprint: string): Promise<void> {
    await storeCall('release', () => RELEASE.run(this.redis, [this.prefix + key], [fingerprint]));
  }

  async extend(key: string, fingerprint: string, ttlMs: number): Promise<void> {
    await storeCall('extend', () => EXTEND.run(this.redis, [this.prefix + key], [fingerprint, ttlMs]));
  }

  wait(key: string, fingerprint: string, deadline: number, signal?: CancelSignal): Promise<WaitResult> {
    return storeCall('wait', () => this.poll(key, fingerprint, deadline, signal));
  }

  private async poll(key: string, fingerprint: string, deadline: number, signal?: CancelSignal): Promise<WaitResult> {
    let interval = this.options.pollMinMs ?? 10;
    const maxInterval = this.options.pollMaxMs ?? 100;
    for (;;) {
      const [state, fp, outcome] = await this.redis.hmget(this.prefix + key, 's', 'fp', 'o');
      if (state === null) return { kind: 'released' };
      if (fp !== fingerprint) return { kind: 'mismatch' };
      if (state === 'd') return { kind: 'done', outcome: decodeOutcome(outcome ?? undefined) };
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted || this.closed) return { kind: 'timeout' };
      await this.sleep(Math.min(interval, left), signal);
      interval = Math.min(maxInterval, interval * 2);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wake of [...this.sleeps]) wake();
  }

  /** Sleeps `ms`, waking early on abort or close; its timer never outlives it. */
  private sleep(ms: number, signal?: CancelSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        this.sleeps.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      signal?.addEventListener('abort', wake, { once: true });
      this.sleeps.add(wake);
    });
  }
}

function decodeOutcome(json: string | undefined): StoredOutcome {
  // Written only by COMPLETE from a StoredOutcome; a corrupt value is a store failure, not a replay.
  const value: unknown = json === undefined ? undefined : JSON.parse(json);
  if (isOutcome(value)) return value;
  throw new Error('stored outcome is malformed');
}

function isOutcome(value: unknown): value is StoredOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (v.kind === 'response') return typeof v.bytes === 'string';
  if (v.kind === 'failure') {
    const f = v.failure as Record<string, unknown> | null;
    return typeof f === 'object' && f !== null && typeof f.code === 'number' && typeof f.reason === 'number' && typeof f.message === 'string';
  }
  return v.kind === 'error' && typeof v.code === 'number' && typeof v.message === 'string' && typeof v.details === 'string';
}

/** Runs a store operation, turning any failure into a StoreUnavailableError. */
async function storeCall<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw err instanceof StoreUnavailableError ? err : StoreUnavailableError.during('delivery store', operation, err);
  }
}
