/**
 * The Lua scripts of the Redis event store. Each runs atomically on the server; every step that
 * must not be split (dedup and XADD, a lease check and the read or claim it guards) is one script.
 * The `#!lua` shebang makes Redis refuse a script at its start when it is out of memory, so a
 * refused append has written nothing of the batch.
 */
import { RedisScript } from '../delivery/redis-script';

/** Stream id helpers shared by the scripts. */
const IDS = `
local function split(id)
  local ms, seq = string.match(id, '(%d+)-(%d+)')
  return tonumber(ms), tonumber(seq)
end
local function before(a, b)
  local am, as = split(a)
  local bm, bs = split(b)
  if am ~= bm then return am < bm end
  return as < bs
end
local function nowms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function fields(list)
  local f = {}
  for j = 1, #list, 2 do f[list[j]] = list[j + 1] end
  return f
end
`;

/**
 * Append a batch. KEYS: the n dedup keys, then the m partition streams the batch touches.
 * ARGV: n, m, dedupWindowMs, retentionMs, perPartitionCap, channel, the m partition indices,
 * then per event: slot (1..m), encoded event, conversation, page id.
 * Checks everything first (dedup keys, room), then writes: all of the batch or nothing.
 * Returns {stored, duplicates} or {-1, partition} when a partition is full of events some
 * group has not acked.
 */
export const APPEND = new RedisScript(`#!lua
${IDS}
local n = tonumber(ARGV[1])
local m = tonumber(ARGV[2])
local window = ARGV[3]
local retention = tonumber(ARGV[4])
local cap = tonumber(ARGV[5])
local channel = ARGV[6]
local H = 6 + m
local now = nowms()
local fresh = {}
local need = {}
local dups = 0
for i = 1, n do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    dups = dups + 1
  else
    fresh[#fresh + 1] = i
    local slot = tonumber(ARGV[H + (i - 1) * 4 + 1])
    need[slot] = (need[slot] or 0) + 1
  end
end
if #fresh == 0 then return {0, dups} end
local trims = {}
for slot, k in pairs(need) do
  local key = KEYS[n + slot]
  redis.call('XTRIM', key, 'MINID', '~', now - retention)
  local over = redis.call('XLEN', key) + k - cap
  if over > 0 then
    -- The oldest id some group still needs: its oldest pending entry or its next undelivered one.
    local floor = false
    if redis.call('EXISTS', key) == 1 then
      for _, g in ipairs(redis.call('XINFO', 'GROUPS', key)) do
        local f = fields(g)
        if tonumber(f['pending']) > 0 then
          local pe = redis.call('XPENDING', key, f['name'])
          if not floor or before(pe[2], floor) then floor = pe[2] end
        end
        local nx = redis.call('XRANGE', key, '(' .. f['last-delivered-id'], '+', 'COUNT', 1)
        if #nx > 0 and (not floor or before(nx[1][1], floor)) then floor = nx[1][1] end
      end
    end
    local freeable = 0
    local last = false
    for _, e in ipairs(redis.call('XRANGE', key, '-', '+', 'COUNT', over)) do
      if floor and not before(e[1], floor) then break end
      freeable = freeable + 1
      last = e[1]
    end
    if freeable < over then return {-1, tonumber(ARGV[6 + slot])} end
    trims[slot] = last
  end
end
for slot, last in pairs(trims) do
  local ms, seq = split(last)
  redis.call('XTRIM', KEYS[n + slot], 'MINID', string.format('%d-%d', ms, seq + 1))
end
for _, i in ipairs(fresh) do
  local b = H + (i - 1) * 4
  redis.call('SET', KEYS[i], '1', 'PX', window)
  redis.call('XADD', KEYS[n + tonumber(ARGV[b + 1])], '*', 'e', ARGV[b + 2], 'c', ARGV[b + 3], 'p', ARGV[b + 4])
end
local parts = {}
for slot in pairs(need) do parts[#parts + 1] = ARGV[6 + slot] end
redis.call('PUBLISH', channel, table.concat(parts, ','))
return {#fresh, dups}
`);

/**
 * Create a group on every partition (MKSTREAM) unless it is registered. KEYS: the groups hash,
 * then every partition stream. ARGV: group, start id, start description. Returns 1 if created.
 */
export const CREATE_GROUP = new RedisScript(`#!lua
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
for i = 2, #KEYS do
  -- BUSYGROUP (a group half made by hand, or by an older version): keep it as it is.
  redis.pcall('XGROUP', 'CREATE', KEYS[i], ARGV[1], ARGV[2], 'MKSTREAM')
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`);

/**
 * One replica's heartbeat in a group, and its leases. KEYS: the members zset, then the lease key
 * of every partition. ARGV: me, lease ms. Renews what it holds, takes free partitions up to its
 * share (ceil(partitions / live members)). Returns {share, {held partition indices}}.
 */
export const REBALANCE = new RedisScript(`#!lua
${IDS}
local me = ARGV[1]
local ttl = tonumber(ARGV[2])
local now = nowms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZADD', KEYS[1], now + ttl, me)
redis.call('PEXPIRE', KEYS[1], ttl * 4)
local share = math.ceil((#KEYS - 1) / redis.call('ZCARD', KEYS[1]))
local held = {}
local free = {}
for i = 2, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v == me then
    redis.call('PEXPIRE', KEYS[i], ttl)
    held[#held + 1] = i - 2
  elseif not v then
    free[#free + 1] = i - 2
  end
end
local j = 1
while #held < share and j <= #free do
  redis.call('SET', KEYS[free[j] + 2], me, 'PX', ttl)
  held[#held + 1] = free[j]
  j = j + 1
end
return {share, held}
`);

/** Leave a group: KEYS: members zset, lease keys; ARGV: me. Deletes only leases that are mine. */
export const LEAVE = new RedisScript(`#!lua
redis.call('ZREM', KEYS[1], ARGV[1])
for i = 2, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 1
`);

/**
 * Read new entries of the partitions this replica leases. KEYS: stream, lease pairs. ARGV: group,
 * me, count. The lease is checked in the same step, so nobody reads a partition it does not hold.
 * Read entries get delivery count 0 (they are buffered, not yet given to a consumer).
 * Returns per pair: 0 (lease lost) or the entries read.
 */
export const READ = new RedisScript(`#!lua
local group, me, count = ARGV[1], ARGV[2], ARGV[3]
local out = {}
for i = 1, #KEYS, 2 do
  if redis.call('GET', KEYS[i + 1]) ~= me then
    out[#out + 1] = 0
  else
    local r = redis.call('XREADGROUP', 'GROUP', group, me, 'COUNT', count, 'STREAMS', KEYS[i], '>')
    if r then
      local entries = r[1][2]
      for _, e in ipairs(entries) do redis.call('XCLAIM', KEYS[i], group, me, 0, e[1], 'RETRYCOUNT', 0, 'JUSTID') end
      out[#out + 1] = entries
    else
      out[#out + 1] = {}
    end
  end
end
return out
`);

/**
 * Record deliveries before they are made (so a replica that takes over counts them). KEYS:
 * stream, lease pairs. ARGV: group, me, then triples (pair index, entry id, attempt). Returns per
 * triple: 1 recorded, 0 gone (acked elsewhere or trimmed), -1 lease lost.
 */
export const DELIVER = new RedisScript(`#!lua
local group, me = ARGV[1], ARGV[2]
local leased = {}
local out = {}
for j = 3, #ARGV, 3 do
  local k = tonumber(ARGV[j])
  if leased[k] == nil then leased[k] = redis.call('GET', KEYS[2 * k]) == me end
  if not leased[k] then
    out[#out + 1] = -1
  else
    out[#out + 1] = #redis.call('XCLAIM', KEYS[2 * k - 1], group, me, 0, ARGV[j + 1], 'RETRYCOUNT', ARGV[j + 2], 'JUSTID')
  end
end
return out
`);

/**
 * Take over a newly leased partition: every pending entry of the group (whoever read it) is
 * claimed with XAUTOCLAIM, min idle 0 (the lease says nobody else serves it). KEYS: stream,
 * lease. ARGV: group, me, cursor, count. Returns nil (lease lost) or {next cursor, {id,
 * deliveries, fields}...}; entries trimmed away meanwhile are acked and left out.
 */
export const TAKEOVER = new RedisScript(`#!lua
local group, me = ARGV[1], ARGV[2]
if redis.call('GET', KEYS[2]) ~= me then return false end
local r = redis.call('XAUTOCLAIM', KEYS[1], group, me, 0, ARGV[3], 'COUNT', ARGV[4], 'JUSTID')
local out = {}
for _, id in ipairs(r[2]) do
  local e = redis.call('XRANGE', KEYS[1], id, id)
  if #e == 0 then
    redis.call('XACK', KEYS[1], group, id)
  else
    local pe = redis.call('XPENDING', KEYS[1], group, id, id, 1)
    out[#out + 1] = {id, pe[1][4], e[1][2]}
  end
end
return {r[1], out}
`);

/**
 * Park an entry as a dead letter: XADD to the group's dead-letter stream and XACK, in one step.
 * KEYS: stream, lease, dead-letter stream. ARGV: group, me, entry id, attempts, cap, retention ms.
 * Returns 1 parked, 0 gone (acked elsewhere or trimmed), -1 lease lost.
 */
export const PARK = new RedisScript(`#!lua
${IDS}
local group, me, id = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', KEYS[2]) ~= me then return -1 end
local e = redis.call('XRANGE', KEYS[1], id, id)
if redis.call('XACK', KEYS[1], group, id) == 0 or #e == 0 then return 0 end
local f = fields(e[1][2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'e', f['e'], 'c', f['c'], 'p', f['p'], 'n', ARGV[4])
redis.call('XTRIM', KEYS[3], 'MINID', '~', nowms() - tonumber(ARGV[6]))
return 1
`);

/**
 * Replay dead letters at the end of their conversations: re-XADD into the partition stream,
 * marked for this group only (field g; other groups skip and ack it), then XDEL the dead letter.
 * KEYS: dead-letter stream, partition streams. ARGV: group, channel, then triples (dead-letter id,
 * KEYS index of its stream, partition index). Returns how many were replayed.
 */
export const REPLAY = new RedisScript(`#!lua
${IDS}
local replayed = 0
local parts = {}
for j = 3, #ARGV, 3 do
  local e = redis.call('XRANGE', KEYS[1], ARGV[j], ARGV[j])
  if #e > 0 then
    local f = fields(e[1][2])
    redis.call('XADD', KEYS[tonumber(ARGV[j + 1])], '*', 'e', f['e'], 'c', f['c'], 'p', f['p'], 'g', ARGV[1])
    redis.call('XDEL', KEYS[1], ARGV[j])
    replayed = replayed + 1
    parts[#parts + 1] = ARGV[j + 2]
  end
end
if replayed > 0 then redis.call('PUBLISH', ARGV[2], table.concat(parts, ',')) end
return replayed
`);

/**
 * A group's lag (pending plus not yet read) and the ms of its oldest such entry, over every
 * partition. KEYS: partition streams. ARGV: group. Returns {lag, oldest ms or '0'}.
 */
export const STATS = new RedisScript(`#!lua
${IDS}
local lag = 0
local oldest = false
local function older(id)
  local ms = split(id)
  if not oldest or ms < oldest then oldest = ms end
end
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[i])) do
      local f = fields(g)
      if f['name'] == ARGV[1] then
        local pending = tonumber(f['pending'])
        lag = lag + pending
        if pending > 0 then older(redis.call('XPENDING', KEYS[i], ARGV[1])[2]) end
        local after = '(' .. f['last-delivered-id']
        local rest = redis.call('XRANGE', KEYS[i], after, '+', 'COUNT', 1)
        if #rest > 0 then
          older(rest[1][1])
          if f['lag'] then lag = lag + tonumber(f['lag'])
          else lag = lag + #redis.call('XRANGE', KEYS[i], after, '+', 'COUNT', 100000) end
        end
      end
    end
  end
end
return {lag, oldest and string.format('%d', oldest) or '0'}
`);

/** Give up one lease: KEYS: lease; ARGV: me. */
export const RELEASE = new RedisScript(`#!lua
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);
