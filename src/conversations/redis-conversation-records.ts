import type { RedisConnection } from '../store/redis-connection';
import { STANDARD_WINDOW_MS } from '../limits/graph-limits';
import { RedisScript } from '../store/redis-script';
import { StoreUnavailableError } from '../store/store-unavailable-error';
import type { ConversationRecord, RecordUpdate } from './conversation-record';
import { RECORD_TTL_MS, type ConversationRecords } from './conversation-records';

/**
 * Folds facts into records, in one call per batch, as `applyUpdate` does (times only move
 * forward; an older owner never replaces a newer one; `other` keeps a known app id; an app id
 * equal to the Page's own becomes `self`). Keeps the index of records by last touch (the bound
 * drops the least recently touched) and of standard window ends (the closing-windows metric).
 * ARGV: now, ttl, max, prefix, then 9 per fact: page, person, inbound, send, owner, owner time,
 * refused, owner-if-self-known, self app id ('' unset).
 */
const APPLY = new RedisScript(`
local now, ttl, max, pre = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local idx, ends = pre .. '{cv}:idx', pre .. '{cv}:end'
local function later(cur, new) if new ~= '' and tonumber(new) > cur then return tonumber(new) end return cur end
for i = 5, #ARGV, 9 do
  local page, person = ARGV[i], ARGV[i + 1]
  local pk = pre .. '{cv}:p:' .. page
  if ARGV[i + 8] ~= '' then redis.call('HSET', pk, 'app', ARGV[i + 8]) end
  local self = redis.call('HGET', pk, 'app') or ''
  if not (ARGV[i + 7] == '1' and self == '') then
    local m = page .. ':' .. person
    local k = pre .. '{cv}:r:' .. m
    local r = redis.call('HMGET', k, 'i', 's', 'o', 'om', 'r')
    local li, ls, o, om, rf = tonumber(r[1]) or 0, tonumber(r[2]) or 0, r[3] or '', tonumber(r[4]) or 0, tonumber(r[5]) or 0
    li, ls, rf = later(li, ARGV[i + 2]), later(ls, ARGV[i + 3]), later(rf, ARGV[i + 6])
    local owner = ARGV[i + 4]
    if owner ~= '' then
      if owner == self then owner = 'self' end
      local nom = tonumber(ARGV[i + 5]) or 0
      if nom >= om then
        if not (owner == 'other' and o ~= '' and o ~= 'self' and o ~= 'other') then o = owner end
        om = nom
      end
    end
    redis.call('HSET', k, 'i', li, 's', ls, 'o', o, 'om', om, 'r', rf)
    redis.call('PEXPIRE', k, ttl)
    redis.call('ZADD', idx, now, m)
    local e = rf
    if li > 0 then
      e = li + ${STANDARD_WINDOW_MS}
      if rf > li and rf < e then e = rf end
    end
    if e > 0 then redis.call('ZADD', ends, e, m) end
  end
end
local n = redis.call('ZCARD', idx)
if n > max then
  local old = redis.call('ZPOPMIN', idx, n - max)
  for j = 1, #old, 2 do
    redis.call('DEL', pre .. '{cv}:r:' .. old[j])
    redis.call('ZREM', ends, old[j])
  end
end
local gone = redis.call('ZRANGEBYSCORE', idx, '-inf', now - ttl, 'LIMIT', 0, 100)
for j = 1, #gone do
  redis.call('ZREM', idx, gone[j])
  redis.call('ZREM', ends, gone[j])
end
return 0
`);

/**
 * The records in Redis, shared by every replica, under `<keyPrefix>{cv}:` (one hash tag: a Cluster keeps every record in one slot, which the one-script fold needs): a hash per
 * conversation (`{cv}:r:<page>:<person>`, expiring 8 days after its last fact), the index by last
 * touch (`{cv}:idx`, the bound), the window ends (`{cv}:end`) and a hash per Page (`{cv}:p:<page>`:
 * since when it is received from, this app's id). A read is one HMGET.
 */
export class RedisConversationRecords implements ConversationRecords {
  constructor(
    private readonly redis: RedisConnection,
    private readonly prefix: string,
    private readonly maxRecords: number,
    private readonly selfAppId = '',
  ) {}

  async apply(updates: readonly RecordUpdate[], nowMs: number): Promise<void> {
    const args: Array<string | number> = [nowMs, RECORD_TTL_MS, this.maxRecords, this.prefix];
    for (const u of updates) {
      args.push(u.pageId, u.person, u.inboundMs ?? '', u.sendMs ?? '', u.owner ?? '', u.ownerMs ?? '', u.windowRefusedMs ?? '', u.ownerIfSelfKnown ? '1' : '', u.selfAppId ?? '');
    }
    try {
      if (this.selfAppId) await this.seedSelf(updates);
      // One declared key: a Cluster routes the script to the slot of `{cv}`, where every record lives.
      await APPLY.run(this.redis, [`${this.prefix}{cv}:idx`], args);
    } catch (err) {
      throw StoreUnavailableError.during('conversation records', 'apply', err);
    }
  }

  async get(pageId: string, person: string): Promise<ConversationRecord | undefined> {
    let r: Array<string | null>;
    try {
      r = await this.redis.hmget(`${this.prefix}{cv}:r:${pageId}:${person}`, 'i', 's', 'o', 'om', 'r');
    } catch (err) {
      throw StoreUnavailableError.during('conversation records', 'read', err);
    }
    if (r[0] === null) return undefined;
    return { lastInboundMs: Number(r[0]), lastSendMs: Number(r[1] ?? 0), owner: r[2] ?? '', ownerMs: Number(r[3] ?? 0), windowRefusedMs: Number(r[4] ?? 0) };
  }

  async receivingSince(pageId: string): Promise<number> {
    try {
      return Number((await this.redis.hget(`${this.prefix}{cv}:p:${pageId}`, 'since')) ?? 0);
    } catch (err) {
      throw StoreUnavailableError.during('conversation records', 'read', err);
    }
  }

  async markReceiving(pageIds: readonly string[], nowMs: number): Promise<void> {
    const multi = this.redis.multi();
    for (const p of pageIds) multi.hsetnx(`${this.prefix}{cv}:p:${p}`, 'since', nowMs);
    try {
      await multi.exec();
    } catch (err) {
      throw StoreUnavailableError.during('conversation records', 'apply', err);
    }
  }

  async closingWithin(withinMs: number, nowMs: number): Promise<ReadonlyMap<string, number>> {
    const members = await this.redis.zrangebyscore(`${this.prefix}{cv}:end`, `(${nowMs}`, nowMs + withinMs, 'LIMIT', 0, 100_000);
    const counts = new Map<string, number>();
    for (const m of members) {
      const page = m.slice(0, m.indexOf(':'));
      counts.set(page, (counts.get(page) ?? 0) + 1);
    }
    return counts;
  }

  size(): Promise<number> {
    return this.redis.zcard(`${this.prefix}{cv}:idx`);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The sandbox's app id, known from the start: set once per Page seen. */
  private readonly seeded = new Set<string>();
  private async seedSelf(updates: readonly RecordUpdate[]): Promise<void> {
    for (const u of updates) {
      if (this.seeded.has(u.pageId) || this.seeded.size >= 10_000) continue;
      this.seeded.add(u.pageId);
      await this.redis.hsetnx(`${this.prefix}{cv}:p:${u.pageId}`, 'app', this.selfAppId);
    }
  }
}
