/**
 * The Lua scripts of the Redis event store. Each runs atomically on the server; every step that
 * must not be split (dedup and XADD, a lease check and the read or claim it guards) is one script.
 * The `#!lua` shebang makes Redis refuse a script at its start when it is out of memory, so a
 * refused append has written nothing of the batch.
 */
import { RedisScript } from '../store/redis-script';

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
 * Group records (the groups hash: one JSON value per group, `{start, scope, owner, fresh, seen, live}`):
 * `scope` the pages it takes (absent: every page), `owner` the caller that created it (absent:
 * nobody's), `fresh` 1 until a consumer first acks (absent, as in records of older versions:
 * used), `seen` when a replica last had a consumer of it (epoch ms, refreshed by every replica's
 * heartbeat while it has one, and when the last one leaves), `live` until when a replica is
 * known to have one (0 once the last one left).
 */
const GROUPS = `
local function record(raw)
  local ok, r = pcall(cjson.decode, raw)
  if not ok or type(r) ~= 'table' then r = {} end
  if r['live'] == nil then r['live'] = 0 end
  return r
end
local function scopeset(r)
  if type(r['scope']) ~= 'table' then return false end
  local s = {}
  for _, p in ipairs(r['scope']) do s[p] = true end
  return s
end
-- A record without \`seen\` (written by an older version) is never idle: sweeps start its clock.
local function idle(r, now, idleMs)
  return r['seen'] ~= nil and tonumber(r['live']) <= now and now - tonumber(r['seen']) >= idleMs
end
-- A group no consumer ever acked of goes after neverAcked (never later than the retention), the others after the retention.
local function sweep(groupsKey, streams, now, retention, neverAcked)
  local deleted = {}
  local flat = redis.call('HGETALL', groupsKey)
  for j = 1, #flat, 2 do
    local r = record(flat[j + 1])
    local after = retention
    if r['fresh'] == 1 then after = math.min(neverAcked, retention) end
    if r['seen'] == nil then
      r['seen'] = now
      redis.call('HSET', groupsKey, flat[j], cjson.encode(r))
    elseif idle(r, now, after + 1) then
      for _, s in ipairs(streams) do redis.pcall('XGROUP', 'DESTROY', s, flat[j]) end
      redis.call('HDEL', groupsKey, flat[j])
      deleted[#deleted + 1] = flat[j]
    end
  end
  return deleted
end
local function streamsOf(from)
  local s = {}
  for i = from, #KEYS do s[#s + 1] = KEYS[i] end
  return s
end
`;

/**
 * Append a batch. KEYS: the n dedup keys, then every partition stream (P), then the groups hash,
 * then the sequence counter. ARGV: n, P, dedupWindowMs, retentionMs, maxEvents, channel,
 * groupIdleMs, then per event: partition index (0-based), encoded event, conversation, page id.
 * Checks everything first (dedup keys, room), then writes: all of the batch or nothing.
 *
 * Room: the partitions together hold at most maxEvents. Past it, events no group needs go
 * first (acked by every group that takes them, or outside every group's scope; parked ones are
 * acked, their copy is in the dead-letter stream), then the oldest needed only by idle groups
 * (given up by them: XACKed if pending, XDELed either way). An event a group with a consumer
 * (or idle for less than groupIdleMs) needs is never removed.
 * Returns {stored, duplicates, {group, given up, ...}} or {-1} when there is no such room.
 */
export const APPEND = new RedisScript(`#!lua
${IDS}
${GROUPS}
local n = tonumber(ARGV[1])
local P = tonumber(ARGV[2])
local window = ARGV[3]
local retention = tonumber(ARGV[4])
local maxEvents = tonumber(ARGV[5])
local channel = ARGV[6]
local idleMs = tonumber(ARGV[7])
local H = 7
local GK = KEYS[n + P + 1]
local SK = KEYS[n + P + 2]
local now = nowms()
local fresh = {}
local dups = 0
for i = 1, n do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    dups = dups + 1
  else
    fresh[#fresh + 1] = i
  end
end
if #fresh == 0 then
  -- Still one write (the TTL a dedup key has): a WAIT after this script then confirms
  -- everything before it, the first copy of these events included, whoever wrote it.
  local t = redis.call('PTTL', KEYS[n])
  if t > 0 then redis.call('PEXPIRE', KEYS[n], t) end
  return {0, dups, {}}
end
local total = 0
local lens = {}
for j = 1, P do
  local key = KEYS[n + j]
  redis.call('XTRIM', key, 'MINID', '~', now - retention)
  lens[j] = redis.call('XLEN', key)
  total = total + lens[j]
end
local over = total + #fresh - maxEvents
local dropped = {}
if over > 0 then
  local recs = {}
  local flat = redis.call('HGETALL', GK)
  for j = 1, #flat, 2 do
    local r = record(flat[j + 1])
    recs[flat[j]] = {scope = scopeset(r), idle = idle(r, now, idleMs)}
  end
  local free = {}
  local idles = {}
  for j = 1, P do
    if #free >= over then break end
    local key = KEYS[n + j]
    if lens[j] > 0 then
      local gs = {}
      for _, g in ipairs(redis.call('XINFO', 'GROUPS', key)) do
        local f = fields(g)
        -- A group made by hand (not in the hash): every page, never idle.
        local rec = recs[f['name']] or {scope = false, idle = false}
        local pel = {}
        local pending = tonumber(f['pending'])
        if pending > 0 then
          for _, pe in ipairs(redis.call('XPENDING', key, f['name'], '-', '+', pending)) do pel[pe[1]] = true end
        end
        gs[#gs + 1] = {name = f['name'], ld = f['last-delivered-id'], pel = pel, scope = rec.scope, idle = rec.idle}
      end
      local cursor = '-'
      local done = false
      while not done do
        local chunk = redis.call('XRANGE', key, cursor, '+', 'COUNT', 512)
        if #chunk < 512 then done = true end
        for _, e in ipairs(chunk) do
          cursor = '(' .. e[1]
          local f = fields(e[2])
          local pinned = false
          local holders = {}
          for _, g in ipairs(gs) do
            local needs = false
            if g.pel[e[1]] then
              needs = 'pel'
            elseif before(g.ld, e[1]) and (f['g'] == nil or f['g'] == g.name) and (not g.scope or f['p'] == nil or g.scope[f['p']]) then
              needs = 'new'
            end
            if needs then
              if not g.idle then
                pinned = true
                break
              end
              holders[#holders + 1] = {g.name, needs}
            end
          end
          if not pinned then
            if #holders == 0 then
              free[#free + 1] = {key, e[1]}
              if #free >= over then
                done = true
                break
              end
            else
              idles[#idles + 1] = {key = key, id = e[1], q = tonumber(f['q'] or '0'), holders = holders}
            end
          end
        end
      end
    end
  end
  local victims = {}
  for j = 1, math.min(over, #free) do victims[#victims + 1] = free[j] end
  local need = over - #victims
  if need > 0 then
    if #idles < need then return {-1} end
    table.sort(idles, function(a, b)
      if a.q ~= b.q then return a.q < b.q end
      return before(a.id, b.id)
    end)
    for j = 1, need do
      local v = idles[j]
      for _, h in ipairs(v.holders) do
        if h[2] == 'pel' then redis.call('XACK', v.key, h[1], v.id) end
        dropped[h[1]] = (dropped[h[1]] or 0) + 1
      end
      victims[#victims + 1] = {v.key, v.id}
    end
  end
  for _, v in ipairs(victims) do redis.call('XDEL', v[1], v[2]) end
end
local q = redis.call('INCRBY', SK, #fresh) - #fresh
local touched = {}
for _, i in ipairs(fresh) do
  local b = H + (i - 1) * 4
  local part = tonumber(ARGV[b + 1])
  q = q + 1
  redis.call('SET', KEYS[i], '1', 'PX', window)
  redis.call('XADD', KEYS[n + part + 1], '*', 'e', ARGV[b + 2], 'c', ARGV[b + 3], 'p', ARGV[b + 4], 'q', q)
  touched[part] = true
end
local parts = {}
for part in pairs(touched) do parts[#parts + 1] = part end
redis.call('PUBLISH', channel, table.concat(parts, ','))
local out = {}
for g, k in pairs(dropped) do
  out[#out + 1] = g
  out[#out + 1] = k
end
return {#fresh, dups, out}
`);

/**
 * Create a group on every partition (MKSTREAM) unless it is registered; joining refreshes its
 * heartbeat. KEYS: the groups hash, then every partition stream. ARGV: group, start id, record
 * JSON (start, scope, owner, fresh), maxGroups, retentionMs, owner ('' for nobody),
 * maxGroupsPerCaller, neverAckedGroupMs. At a bound, abandoned groups are deleted first (their
 * names returned, for their other keys).
 * Returns {1 created | 0 joined | -1 too many groups | -2 too many of the owner's, the group's
 * record JSON, {deleted...}, the count of the bound hit (the owner's for -2)}.
 */
export const CREATE_GROUP = new RedisScript(`#!lua
${IDS}
${GROUPS}
local now = nowms()
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then
  local r = record(raw)
  r['seen'] = now
  raw = cjson.encode(r)
  redis.call('HSET', KEYS[1], ARGV[1], raw)
  return {0, raw, {}, redis.call('HLEN', KEYS[1])}
end
local owner = ARGV[6]
local perOwner = tonumber(ARGV[7])
local function owned()
  if owner == '' then return 0 end
  local n = 0
  for _, v in ipairs(redis.call('HVALS', KEYS[1])) do
    if record(v)['owner'] == owner then n = n + 1 end
  end
  return n
end
local deleted = {}
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) or (owner ~= '' and owned() >= perOwner) then
  deleted = sweep(KEYS[1], streamsOf(2), now, tonumber(ARGV[5]), tonumber(ARGV[8]))
end
if owner ~= '' then
  local held = owned()
  if held >= perOwner then return {-2, '', deleted, held} end
end
local count = redis.call('HLEN', KEYS[1])
if count >= tonumber(ARGV[4]) then return {-1, '', deleted, count} end
for i = 2, #KEYS do
  -- BUSYGROUP (a group half made by hand, or by an older version): keep it as it is.
  redis.pcall('XGROUP', 'CREATE', KEYS[i], ARGV[1], ARGV[2], 'MKSTREAM')
end
local r = record(ARGV[3])
r['seen'] = now
r['live'] = 0
r['fresh'] = 1
raw = cjson.encode(r)
redis.call('HSET', KEYS[1], ARGV[1], raw)
return {1, raw, deleted, count + 1}
`);

/**
 * A consumer of the group acked for the first time here: the group is in use (kept for the
 * retention once abandoned). KEYS: the groups hash. ARGV: group.
 */
export const MARK_ACKED = new RedisScript(`#!lua
${GROUPS}
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local r = record(raw)
if r['fresh'] == nil then return 0 end
r['fresh'] = nil
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(r))
return 1
`);

/**
 * Delete the groups with no consumer for longer than the retention (than neverAckedGroupMs for
 * a group none of whose consumers ever acked). KEYS: the groups hash, then every partition
 * stream. ARGV: retentionMs, neverAckedGroupMs. Returns their names.
 */
export const SWEEP_GROUPS = new RedisScript(`#!lua
${IDS}
${GROUPS}
return sweep(KEYS[1], streamsOf(2), nowms(), tonumber(ARGV[1]), tonumber(ARGV[2]))
`);

/**
 * One replica's heartbeat in a group (it has consumers of it), and its leases. KEYS: the groups
 * hash, the members zset, then the lease key of every partition. ARGV: me, lease ms, group.
 * Refreshes the group's record (seen now, live for the lease); renews what it holds, takes free
 * partitions up to its share (ceil(partitions / live members)). Returns {share, {held partition
 * indices}}, or {-1, {}} when the group was deleted meanwhile.
 */
export const REBALANCE = new RedisScript(`#!lua
${IDS}
${GROUPS}
local me = ARGV[1]
local ttl = tonumber(ARGV[2])
local now = nowms()
local raw = redis.call('HGET', KEYS[1], ARGV[3])
if not raw then return {-1, {}} end
local r = record(raw)
r['seen'] = now
r['live'] = math.max(tonumber(r['live']), now + ttl)
redis.call('HSET', KEYS[1], ARGV[3], cjson.encode(r))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], now + ttl, me)
redis.call('PEXPIRE', KEYS[2], ttl * 4)
local share = math.ceil((#KEYS - 2) / redis.call('ZCARD', KEYS[2]))
local held = {}
local free = {}
for i = 3, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v == me then
    redis.call('PEXPIRE', KEYS[i], ttl)
    held[#held + 1] = i - 3
  elseif not v then
    free[#free + 1] = i - 3
  end
end
local j = 1
while #held < share and j <= #free do
  redis.call('SET', KEYS[free[j] + 3], me, 'PX', ttl)
  held[#held + 1] = free[j]
  j = j + 1
end
return {share, held}
`);

/**
 * Leave a group (this replica has no consumer of it left): KEYS: groups hash, members zset,
 * lease keys; ARGV: me, group. Deletes only leases that are mine; the group's record says when
 * it was last connected, and that nobody is once no other replica's heartbeat is live.
 */
export const LEAVE = new RedisScript(`#!lua
${IDS}
${GROUPS}
local now = nowms()
redis.call('ZREM', KEYS[2], ARGV[1])
for i = 3, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
local raw = redis.call('HGET', KEYS[1], ARGV[2])
if raw then
  local r = record(raw)
  r['seen'] = now
  if redis.call('ZCOUNT', KEYS[2], '(' .. now, '+inf') == 0 then r['live'] = 0 end
  redis.call('HSET', KEYS[1], ARGV[2], cjson.encode(r))
end
return 1
`);

/**
 * Read new entries of the partitions this replica leases. KEYS: the groups hash, then stream,
 * lease pairs. ARGV: group, me, count. The lease is checked in the same step, so nobody reads a
 * partition it does not hold. Entries that are not the group's (a page outside its scope, a dead
 * letter replayed for another group) are XACKed at once, never delivered nor counted as unacked.
 * The others get delivery count 0 (they are buffered, not yet given to a consumer).
 * Returns per pair: 0 (lease lost) or {how many were read, the group's entries}.
 */
export const READ = new RedisScript(`#!lua
${GROUPS}
local group, me, count = ARGV[1], ARGV[2], ARGV[3]
local raw = redis.call('HGET', KEYS[1], group)
local scope = raw and scopeset(record(raw)) or false
local out = {}
for i = 2, #KEYS, 2 do
  if redis.call('GET', KEYS[i + 1]) ~= me then
    out[#out + 1] = 0
  else
    local r = redis.call('XREADGROUP', 'GROUP', group, me, 'COUNT', count, 'STREAMS', KEYS[i], '>')
    if r then
      local entries = r[1][2]
      local mine = {}
      for _, e in ipairs(entries) do
        local p, g = nil, nil
        for j = 1, #e[2], 2 do
          if e[2][j] == 'p' then p = e[2][j + 1] elseif e[2][j] == 'g' then g = e[2][j + 1] end
        end
        if (g ~= nil and g ~= group) or (scope and p ~= nil and not scope[p]) then
          redis.call('XACK', KEYS[i], group, e[1])
        else
          redis.call('XCLAIM', KEYS[i], group, me, 0, e[1], 'RETRYCOUNT', 0, 'JUSTID')
          mine[#mine + 1] = e
        end
      end
      out[#out + 1] = {#entries, mine}
    else
      out[#out + 1] = {0, {}}
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
 * KEYS: dead-letter stream, the sequence counter, partition streams. ARGV: group, channel, then
 * triples (dead-letter id, KEYS index of its stream, partition index). Returns how many were replayed.
 */
export const REPLAY = new RedisScript(`#!lua
${IDS}
local replayed = 0
local parts = {}
for j = 3, #ARGV, 3 do
  local e = redis.call('XRANGE', KEYS[1], ARGV[j], ARGV[j])
  if #e > 0 then
    local f = fields(e[1][2])
    redis.call('XADD', KEYS[tonumber(ARGV[j + 1])], '*', 'e', f['e'], 'c', f['c'], 'p', f['p'], 'g', ARGV[1], 'q', redis.call('INCR', KEYS[2]))
    redis.call('XDEL', KEYS[1], ARGV[j])
    replayed = replayed + 1
    parts[#parts + 1] = ARGV[j + 2]
  end
end
if replayed > 0 then redis.call('PUBLISH', ARGV[2], table.concat(parts, ',')) end
return replayed
`);

/**
 * A group's lag (pending plus not yet read and its own) and the ms of its oldest such entry,
 * over every partition. KEYS: the groups hash, then the partition streams. ARGV: group.
 * Returns {lag, oldest ms or '0'}.
 */
export const STATS = new RedisScript(`#!lua
${IDS}
${GROUPS}
local group = ARGV[1]
local raw = redis.call('HGET', KEYS[1], group)
local scope = raw and scopeset(record(raw)) or false
local lag = 0
local oldest = false
local function older(id)
  local ms = split(id)
  if not oldest or ms < oldest then oldest = ms end
end
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[i])) do
      local f = fields(g)
      if f['name'] == group then
        local pending = tonumber(f['pending'])
        lag = lag + pending
        if pending > 0 then older(redis.call('XPENDING', KEYS[i], group)[2]) end
        local after = '(' .. f['last-delivered-id']
        if scope then
          -- Only the entries the group will take: of its pages, not replayed for another group.
          local done = false
          while not done do
            local chunk = redis.call('XRANGE', KEYS[i], after, '+', 'COUNT', 512)
            if #chunk < 512 then done = true end
            for _, e in ipairs(chunk) do
              after = '(' .. e[1]
              local ef = fields(e[2])
              if (ef['g'] == nil or ef['g'] == group) and (ef['p'] == nil or scope[ef['p']]) then
                lag = lag + 1
                older(e[1])
              end
            end
          end
        else
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
end
return {lag, oldest and string.format('%d', oldest) or '0'}
`);

/** Give up one lease: KEYS: lease; ARGV: me. */
export const RELEASE = new RedisScript(`#!lua
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);
