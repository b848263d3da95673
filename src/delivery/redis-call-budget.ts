import type { RedisConnection } from '../store/redis-connection';
import { RedisScript } from '../store/redis-script';
import { StoreUnavailableError } from '../store/store-unavailable-error';
import type { BudgetAnswer, BudgetLimit, CallBudget } from './call-budget';

// A sliding-window log in a sorted set (score: the call's time on the Redis server's clock, so
// replicas with skewed clocks share one window). Takes ARGV[3] calls or none. Replies
// {1, remaining} taken; {0, ms, remaining} ms until enough are free.
// KEYS: the log. ARGV: calls, window ms, n.
const TAKE = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local calls = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = redis.call('ZCARD', KEYS[1])
if used + n > calls then
  if n > calls then return {0, window, calls - used} end
  local freeing = redis.call('ZRANGE', KEYS[1], used + n - calls - 1, used + n - calls - 1, 'WITHSCORES')
  return {0, math.max(1, tonumber(freeing[2]) + window - now), calls - used}
end
for i = 1, n do
  -- Members must differ: the time and a per-log sequence.
  local seq = redis.call('HINCRBY', KEYS[2], 'seq', 1)
  redis.call('ZADD', KEYS[1], now, now .. ':' .. seq)
end
redis.call('PEXPIRE', KEYS[1], window)
redis.call('PEXPIRE', KEYS[2], window)
return {1, calls - used - n}
`);

// KEYS: the log. ARGV: window ms. Reply: calls inside the window.
const COUNT = new RedisScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. (now - tonumber(ARGV[1])), '+inf')
`);

/**
 * A sliding-window budget shared by every replica through Redis. Keys are
 * `<prefix>{<key>}:<name>` (and `:<name>:seq`): the braces are a hash tag, so a script's keys
 * share one Cluster slot, as in redis-rate-limiter.ts.
 */
export class RedisCallBudget implements CallBudget {
  constructor(
    private readonly redis: RedisConnection,
    private readonly limit: BudgetLimit,
    private readonly prefix = 'mgw:budget:',
  ) {
    if (!(limit.calls > 0) || !(limit.windowMs > 0)) throw new RangeError('a budget needs calls > 0 and windowMs > 0');
  }

  async take(key: string, n = 1): Promise<BudgetAnswer> {
    let reply: number[];
    try {
      reply = (await TAKE.run(this.redis, [this.logKey(key), `${this.logKey(key)}:seq`], [this.limit.calls, this.limit.windowMs, n])) as number[];
    } catch (err) {
      throw StoreUnavailableError.during('budget store', `${this.limit.name} budget`, err);
    }
    if (reply[0] === 1) return { ok: true, remaining: reply[1]! };
    return { ok: false, retryAfterMs: reply[1]!, remaining: reply[2]! };
  }

  async remaining(key: string): Promise<number> {
    try {
      return this.limit.calls - ((await COUNT.run(this.redis, [this.logKey(key)], [this.limit.windowMs])) as number);
    } catch (err) {
      throw StoreUnavailableError.during('budget store', `${this.limit.name} budget`, err);
    }
  }

  private logKey(key: string): string {
    return `${this.prefix}{${encodeURIComponent(key)}}:${this.limit.name}`;
  }
}
