/**
 * The Lua scripts of the Redis event store. Each runs atomically on the server; every step that
 * must not be split (dedup and XADD, a lease check and the read or claim it guards) is one script.
 * Every script touches the keys of one partition (one hash tag, so one Redis Cluster slot) or one
 * key of its own (the groups hash, a group's members): none spans slots. None walks more than a
 * bounded window of a stream, so no script holds Redis for long whatever the store holds.
 * The `#!lua` shebang makes Redis refuse a script at its start when it is out of memory, so a
 * refused append has written nothing of its part.
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
 * What a window of a partition's entries is to the groups of its stream. Group info comes from
 * the gateway (ARGV: count, then per group name, idle 0/1, page count, pages; a group without a
 * page list takes every page); a group it does not name takes every page and is never idle, so a
 * script without group info never removes what someone may need. A group that has read past the
 * window and holds nothing pending in it is left out before the window is walked: a window of
 * acked events costs one XPENDING per group, not one look per event and group.
 */
const WINDOW = `
local function groupinfo(from)
  local info = {}
  local count = tonumber(ARGV[from])
  local j = from + 1
  for _ = 1, count do
    local name, idle, pages = ARGV[j], ARGV[j + 1] == '1', tonumber(ARGV[j + 2])
    local scope = false
    if pages >= 0 then
      scope = {}
      for k = 1, pages do scope[ARGV[j + 2 + k]] = true end
    end
    info[name] = {idle = idle, scope = scope}
    j = j + 3 + math.max(pages, 0)
  end
  return info
end
-- The groups that may need an entry of the window [first, last] (n entries), and what decides
-- it in O(1) per entry for groups of every page: the earliest last-delivered id among them.
local function holdersOf(key, info, first, last, n)
  local lm, ls = split(last)
  local h = {byname = {}, pels = {}, scoped = {}, iscoped = {}, idles = {}, floor = false, ifloor = false}
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', key)) do
    local f = fields(g)
    local rec = info[f['name']] or {idle = false, scope = false}
    local m, q = split(f['last-delivered-id'])
    local x = {name = f['name'], ldm = m, lds = q, pel = {}, idle = rec.idle, scope = rec.scope}
    local any = false
    if tonumber(f['pending']) > 0 then
      for _, pe in ipairs(redis.call('XPENDING', key, f['name'], first, last, n)) do
        x.pel[pe[1]] = true
        any = true
      end
    end
    if any then h.pels[#h.pels + 1] = x end
    h.byname[x.name] = x
    if m < lm or (m == lm and q < ls) then
      if x.idle then h.idles[#h.idles + 1] = x end
      if x.scope then
        if x.idle then h.iscoped[#h.iscoped + 1] = x else h.scoped[#h.scoped + 1] = x end
      else
        local fl = x.idle and 'ifloor' or 'floor'
        if not h[fl] or m < h[fl][1] or (m == h[fl][1] and q < h[fl][2]) then h[fl] = {m, q} end
      end
    end
  end
  return h
end
local function newfor(g, em, es, f)
  return (g.ldm < em or (g.ldm == em and g.lds < es)) and (f['g'] == nil or f['g'] == g.name) and (not g.scope or f['p'] == nil or g.scope[f['p']])
end
local function after(fl, em, es)
  return fl and (fl[1] < em or (fl[1] == em and fl[2] < es))
end
-- false: a group that is not idle needs it. Else: whether an idle group needs it, the idle groups
-- holding it pending, and its fields (the gateway counts which idle groups had it unread).
local function classify(e, h)
  local em, es = split(e[1])
  local f = fields(e[2])
  local idleNeeds = false
  if f['g'] ~= nil then
    -- Replayed for one group: only that group may need it.
    local g = h.byname[f['g']]
    if g and newfor(g, em, es, f) then
      if not g.idle then return false end
      idleNeeds = true
    end
  else
    if after(h.floor, em, es) then return false end
    for _, g in ipairs(h.scoped) do
      if newfor(g, em, es, f) then return false end
    end
    if after(h.ifloor, em, es) then idleNeeds = true end
    if not idleNeeds then
      for _, g in ipairs(h.iscoped) do
        if newfor(g, em, es, f) then
          idleNeeds = true
          break
        end
      end
    end
  end
  local pend = {}
  for _, g in ipairs(h.pels) do
    if g.pel[e[1]] then
      if not g.idle then return false end
      pend[#pend + 1] = g.name
    end
  end
  return idleNeeds or #pend > 0, pend, f
end
-- XDELs up to need entries nobody needs, in a window of at most w entries from the partition's
-- eviction cursor (kept in KEYS[2]: the next call goes on from there, back to the oldest at the end).
local function evictfree(key, curkey, need, w, info)
  local from = redis.call('GET', curkey) or '-'
  local chunk = redis.call('XRANGE', key, from, '+', 'COUNT', w)
  if #chunk == 0 and from ~= '-' then
    from = '-'
    chunk = redis.call('XRANGE', key, from, '+', 'COUNT', w)
  end
  if #chunk == 0 then return 0 end
  local gs = holdersOf(key, info, chunk[1][1], chunk[#chunk][1], #chunk)
  local removed = 0
  local last = nil
  for _, e in ipairs(chunk) do
    last = e[1]
    local held, pend = classify(e, gs)
    if pend and not held then
      redis.call('XDEL', key, e[1])
      removed = removed + 1
      if removed >= need then break end
    end
  end
  if #chunk < w and last == chunk[#chunk][1] then
    redis.call('DEL', curkey)
  else
    redis.call('SET', curkey, '(' .. last)
  end
  return removed
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
-- A record without \`seen\` (written by an older version) is never idle: sweeps start its clock.
local function idle(r, now, idleMs)
  return r['seen'] ~= nil and tonumber(r['live']) <= now and now - tonumber(r['seen']) >= idleMs
end
-- A group no consumer ever acked of goes after neverAcked (never later than the retention), the
-- others after the retention. Only the record goes here: the gateway destroys the group on every
-- partition (other slots) with the names returned.
local function sweep(groupsKey, now, retention, neverAcked)
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
      redis.call('HDEL', groupsKey, flat[j])
      deleted[#deleted + 1] = flat[j]
    end
  end
  return deleted
end
`;

/**
 * The dedup keys' bound by count (their TTL bounds them by time), a part of APPEND: each new key
 * (of a stored or a held event)
 * is listed, oldest first, in the partition's dedup order (the last KEYS), and past the
 * partition's cap (the last ARGV) the oldest listed keys are deleted. At most #fresh + 8 per
 * call, so that no call does unbounded work: over a few appends the list drains back to the cap
 * (after a lower cap, too). Every live dedup key is listed, so the keys are at most the list's
 * length. The list lives as long as its newest key. A key set again after its TTL ran out (an
 * item retried past the window) is listed twice, and its older entry forgets it early: a cost
 * taken over a per-key index the size of the keys themselves.
 */
const DEDUP_BOUND = `
local order, cap = KEYS[#KEYS], tonumber(ARGV[#ARGV])
for _, i in ipairs(fresh) do redis.call('RPUSH', order, KEYS[i + 2]) end
for _, i in ipairs(held) do redis.call('RPUSH', order, KEYS[i + 2]) end
local excess = redis.call('LLEN', order) - cap
if excess > 0 then
  for _, k in ipairs(redis.call('LPOP', order, math.min(excess, #fresh + #held + 8))) do redis.call('DEL', k) end
end
redis.call('PEXPIRE', order, window)`;

/**
 * Append one partition's part of a batch. KEYS: the stream, its eviction cursor, then the n
 * dedup keys, then the partition's held conversations, last the partition's dedup order (see
 * DEDUP_BOUND); all under the partition's hash tag. ARGV: n, others (events in the other
 * partitions, as the gateway last saw them), dedupWindowMs, retentionMs, maxEvents, channel,
 * partition index, eviction window, the partition's hold-list key prefix, most events one hold
 * list keeps, then per event: encoded event, conversation, page id, order (`<ms>-<index in
 * batch>`, the gateway's, to order events across partitions), 1 when it passes holds
 * (historical, or a backfill's marker); last the partition's cap of dedup keys.
 * Checks the dedup keys; a live event of a held conversation (HOLD) goes to its hold list instead
 * of the stream (when none is held, one EXISTS is all this costs). Then trims the partition to the
 * retention and makes room within it (events no group needs, a bounded window from the eviction
 * cursor); stores (or holds) all of its part or nothing.
 * Returns {stored and held, duplicates, partition length}, {-1, duplicates, partition length,
 * still over}, or {-2, duplicates, partition length, events in the full hold list}.
 */
export const APPEND = new RedisScript(`#!lua
${IDS}
${WINDOW}
local n = tonumber(ARGV[1])
local others = tonumber(ARGV[2])
local window = ARGV[3]
local retention = tonumber(ARGV[4])
local maxEvents = tonumber(ARGV[5])
local channel = ARGV[6]
local part = ARGV[7]
local w = tonumber(ARGV[8])
local holdPrefix = ARGV[9]
local maxHeld = tonumber(ARGV[10])
local H = 10
local E = 5
local key = KEYS[1]
local holds = KEYS[n + 3]
local now = nowms()
local fresh = {}
local dups = 0
for i = 1, n do
  if redis.call('EXISTS', KEYS[i + 2]) == 1 then
    dups = dups + 1
  else
    fresh[#fresh + 1] = i
  end
end
local held = {}
if #fresh > 0 and redis.call('EXISTS', holds) == 1 then
  local live, isHeld, count = {}, {}, {}
  for _, i in ipairs(fresh) do
    local b = H + (i - 1) * E
    local c = ARGV[b + 2]
    if ARGV[b + 5] == '0' then
      if isHeld[c] == nil then isHeld[c] = redis.call('ZSCORE', holds, c) ~= false end
    end
    if ARGV[b + 5] == '0' and isHeld[c] then
      held[#held + 1] = i
      count[c] = (count[c] or 0) + 1
    else
      live[#live + 1] = i
    end
  end
  for c, k in pairs(count) do
    local already = redis.call('LLEN', holdPrefix .. c)
    if already + k > maxHeld then return {-2, dups, redis.call('XLEN', key), already} end
  end
  fresh = live
end
redis.call('XTRIM', key, 'MINID', '~', now - retention)
local len = redis.call('XLEN', key)
if #fresh == 0 and #held == 0 then
  -- Still one write (the TTL a dedup key has): a WAIT after this script then confirms
  -- everything before it, the first copy of these events included, whoever wrote it.
  local t = redis.call('PTTL', KEYS[n + 2])
  if t > 0 then redis.call('PEXPIRE', KEYS[n + 2], t) end
  return {0, dups, len}
end
local over = others + len + #fresh - maxEvents
if #fresh > 0 and over > 0 then
  local removed = evictfree(key, KEYS[2], over, w, {})
  len = len - removed
  over = over - removed
  if over > 0 then return {-1, dups, len, over} end
end
for _, i in ipairs(held) do
  local b = H + (i - 1) * E
  redis.call('SET', KEYS[i + 2], '1', 'PX', window)
  redis.call('RPUSH', holdPrefix .. ARGV[b + 2], cjson.encode({ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4]}))
end
for _, i in ipairs(fresh) do
  local b = H + (i - 1) * E
  redis.call('SET', KEYS[i + 2], '1', 'PX', window)
  redis.call('XADD', key, '*', 'e', ARGV[b + 1], 'c', ARGV[b + 2], 'p', ARGV[b + 3], 'q', ARGV[b + 4])
end
${DEDUP_BOUND}
if #fresh > 0 then redis.call('PUBLISH', channel, part) end
return {#fresh + #held, dups, len + #fresh}
`);

/**
 * Holds a conversation's live events back (APPEND puts them in its hold list). KEYS: the
 * partition's held conversations (a sorted set: conversation, until when its latest holder counts),
 * the conversation's holders (a hash: holder, until when it counts). ARGV: conversation, holder,
 * ttlMs. A holder already there is renewed.
 */
export const HOLD = new RedisScript(`#!lua
${IDS}
local until_ = nowms() + tonumber(ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], until_)
local latest = until_
for _, v in ipairs(redis.call('HVALS', KEYS[2])) do
  if tonumber(v) > latest then latest = tonumber(v) end
end
redis.call('ZADD', KEYS[1], latest, ARGV[1])
return 1
`);

/**
 * One step of a release. KEYS: the stream, the partition's held conversations, the conversation's
 * holders, its hold list. ARGV: conversation, holder ('' for none: the sweep), batch, channel,
 * partition index. The holder goes, and so do holders past their time; while another is left,
 * nothing else happens. Otherwise up to `batch` held events are XADDed in the order they came,
 * and the hold ends (list, holders, entry) with the step that empties the list: an append
 * running between two steps is held and comes out in a later step.
 * Returns {appended, left in the list, 1 when another holder keeps it held}.
 */
export const RELEASE_HOLD = new RedisScript(`#!lua
${IDS}
local now = nowms()
if ARGV[2] ~= '' then redis.call('HDEL', KEYS[3], ARGV[2]) end
local latest = 0
local raw = redis.call('HGETALL', KEYS[3])
for j = 1, #raw, 2 do
  local v = tonumber(raw[j + 1])
  if v <= now then redis.call('HDEL', KEYS[3], raw[j]) elseif v > latest then latest = v end
end
if latest > 0 then
  redis.call('ZADD', KEYS[2], latest, ARGV[1])
  return {0, redis.call('LLEN', KEYS[4]), 1}
end
local batch = tonumber(ARGV[3])
local items = redis.call('LRANGE', KEYS[4], 0, batch - 1)
for _, item in ipairs(items) do
  local f = cjson.decode(item)
  redis.call('XADD', KEYS[1], '*', 'e', f[1], 'c', f[2], 'p', f[3], 'q', f[4])
end
if #items > 0 then
  redis.call('LTRIM', KEYS[4], #items, -1)
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end
local left = redis.call('LLEN', KEYS[4])
if left == 0 then
  redis.call('DEL', KEYS[3])
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  -- Being released: a sweep finishes it if this release stops half-way (its gateway dies).
  redis.call('ZADD', KEYS[2], 0, ARGV[1])
end
return {#items, left, 0}
`);

/**
 * Make room in one partition (the gateway's, when an append's own partition had none). KEYS: the
 * stream, its eviction cursor. ARGV: mode, need, window, then group info (see WINDOW).
 * `free`: XDELs up to need events no group needs (window from the cursor); returns {removed, length}.
 * `idle`: lists, oldest first within a window from the start, up to need events that no group that
 * is not idle needs: {length, {id, order, page, replayed for, {idle groups holding it pending}}...,
 * {name, last delivered id} of the idle groups behind (the gateway works out which of them had
 * each unread)}; nothing is removed.
 */
export const EVICT = new RedisScript(`#!lua
${IDS}
${WINDOW}
local key = KEYS[1]
local mode, need, w = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local info = groupinfo(4)
if mode == 'free' then
  local removed = evictfree(key, KEYS[2], need, w, info)
  return {removed, redis.call('XLEN', key)}
end
local out = {}
local behind = {}
local chunk = redis.call('XRANGE', key, '-', '+', 'COUNT', w)
if #chunk > 0 then
  local gs = holdersOf(key, info, chunk[1][1], chunk[#chunk][1], #chunk)
  for _, g in ipairs(gs.idles) do behind[#behind + 1] = {g.name, g.ldm .. '-' .. g.lds} end
  for _, e in ipairs(chunk) do
    local held, pend, f = classify(e, gs)
    if pend then
      out[#out + 1] = {e[1], f['q'] or '0-0', f['p'] or '', f['g'] or '', pend}
      if #out >= need then break end
    end
  end
end
return {redis.call('XLEN', key), out, behind}
`);

/**
 * Give up events of idle groups (chosen by the gateway, oldest first over every partition).
 * KEYS: the stream. ARGV: count, then per event: id, count of the groups holding it pending, those groups.
 * XACKs it for them, XDELs every one still there. Returns {removed, length}.
 */
export const DROP = new RedisScript(`#!lua
local removed = 0
local j = 2
for _ = 1, tonumber(ARGV[1]) do
  local id, holders = ARGV[j], tonumber(ARGV[j + 1])
  for k = 1, holders do redis.call('XACK', KEYS[1], ARGV[j + 1 + k], id) end
  removed = removed + redis.call('XDEL', KEYS[1], id)
  j = j + 2 + holders
end
return {removed, redis.call('XLEN', KEYS[1])}
`);

/**
 * Register a group unless it is registered; joining refreshes its heartbeat. KEYS: the groups
 * hash. ARGV: group, record JSON (start, scope, owner), maxGroups, retentionMs, owner ('' for
 * nobody), maxGroupsPerCaller, neverAckedGroupMs. At a bound, abandoned groups are deleted first
 * (their names returned, for their keys on the partitions). The gateway then makes the Redis
 * consumer group on every partition (ENSURE_GROUP).
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
local owner = ARGV[5]
local perOwner = tonumber(ARGV[6])
local function owned()
  if owner == '' then return 0 end
  local n = 0
  for _, v in ipairs(redis.call('HVALS', KEYS[1])) do
    if record(v)['owner'] == owner then n = n + 1 end
  end
  return n
end
local deleted = {}
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) or (owner ~= '' and owned() >= perOwner) then
  deleted = sweep(KEYS[1], now, tonumber(ARGV[4]), tonumber(ARGV[7]))
end
if owner ~= '' then
  local held = owned()
  if held >= perOwner then return {-2, '', deleted, held} end
end
local count = redis.call('HLEN', KEYS[1])
if count >= tonumber(ARGV[3]) then return {-1, '', deleted, count} end
local r = record(ARGV[2])
r['seen'] = now
r['live'] = 0
r['fresh'] = 1
raw = cjson.encode(r)
redis.call('HSET', KEYS[1], ARGV[1], raw)
return {1, raw, deleted, count + 1}
`);

/**
 * The Redis consumer group on one partition, made if missing (MKSTREAM; BUSYGROUP, a group
 * already there, is kept as it is). KEYS: the stream. ARGV: group, start id.
 */
export const ENSURE_GROUP = new RedisScript(`#!lua
redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], ARGV[2], 'MKSTREAM')
return 1
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
 * Delete the records of groups with no consumer for longer than the retention (than
 * neverAckedGroupMs for a group none of whose consumers ever acked). KEYS: the groups hash.
 * ARGV: retentionMs, neverAckedGroupMs. Returns their names (the gateway destroys them on every partition).
 */
export const SWEEP_GROUPS = new RedisScript(`#!lua
${IDS}
${GROUPS}
return sweep(KEYS[1], nowms(), tonumber(ARGV[1]), tonumber(ARGV[2]))
`);

/**
 * One replica's heartbeat in a group (it has consumers of it). KEYS: the groups hash, the
 * members zset. ARGV: me, lease ms, group, partitions. Refreshes the group's record (seen now,
 * live for the lease) and this replica's membership. Returns its share of partitions
 * (ceil(partitions / live members)), or -1 when the group was deleted meanwhile.
 */
export const HEARTBEAT = new RedisScript(`#!lua
${IDS}
${GROUPS}
local me = ARGV[1]
local ttl = tonumber(ARGV[2])
local now = nowms()
local raw = redis.call('HGET', KEYS[1], ARGV[3])
if not raw then return -1 end
local r = record(raw)
r['seen'] = now
r['live'] = math.max(tonumber(r['live']), now + ttl)
redis.call('HSET', KEYS[1], ARGV[3], cjson.encode(r))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], now + ttl, me)
redis.call('PEXPIRE', KEYS[2], ttl * 4)
return math.ceil(tonumber(ARGV[4]) / redis.call('ZCARD', KEYS[2]))
`);

/**
 * One partition's lease of a group. KEYS: the lease. ARGV: me, lease ms, take (1: take it if
 * free). Renews it when it is mine. Returns 1 mine (renewed or taken), 0 free, -1 another's.
 */
export const LEASE = new RedisScript(`#!lua
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if v then return -1 end
if ARGV[3] == '1' then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`);

/**
 * Leave a group (this replica has no consumer of it left): KEYS: groups hash, members zset;
 * ARGV: me, group. The group's record says when it was last connected, and that nobody is once
 * no other replica's heartbeat is live. The leases are given up one by one (RELEASE).
 */
export const LEAVE = new RedisScript(`#!lua
${IDS}
${GROUPS}
local now = nowms()
redis.call('ZREM', KEYS[2], ARGV[1])
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
 * Read new entries of a partition this replica leases. KEYS: stream, lease. ARGV: group, me,
 * count, start id (a partition where the group is missing gets it, from there). The lease is
 * checked in the same step, so nobody reads a partition it does not hold. Entries get delivery
 * count 0 (they are buffered, not yet given to a consumer); the gateway XACKs those that are not
 * the group's (a page outside its scope, a dead letter replayed for another group).
 * Returns 0 (lease lost) or the entries read.
 */
export const READ = new RedisScript(`#!lua
local group, me, count = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', KEYS[2]) ~= me then return 0 end
local ok, r = pcall(redis.call, 'XREADGROUP', 'GROUP', group, me, 'COUNT', count, 'STREAMS', KEYS[1], '>')
if not ok then
  -- NOGROUP: the group was made while this partition's stream was being deleted, or never here.
  redis.pcall('XGROUP', 'CREATE', KEYS[1], group, ARGV[4], 'MKSTREAM')
  r = redis.call('XREADGROUP', 'GROUP', group, me, 'COUNT', count, 'STREAMS', KEYS[1], '>')
end
if not r then return {} end
local entries = r[1][2]
for _, e in ipairs(entries) do
  redis.call('XCLAIM', KEYS[1], group, me, 0, e[1], 'RETRYCOUNT', 0, 'JUSTID')
end
return entries
`);

/**
 * One delivery turn of a partition: acks, then the deliveries they free, recorded before they
 * are made (so a replica that takes over counts them). The acks come first in the same step, so
 * no replica ever sees a conversation's next event delivered while its head is still pending; a
 * turn is one round trip, not an XACK and then a DELIVER. KEYS: stream, lease. ARGV: group, me,
 * ack count, the acked ids, then pairs (entry id, attempt). Acks hold whoever has the lease (a
 * consumer's ack is valid wherever it was delivered), as a bare XACK would, also when Redis is
 * out of memory (they free it). Returns -1 (lease lost: nothing recorded) or per pair: 1
 * recorded, 0 gone (acked elsewhere or trimmed).
 */
export const DELIVER = new RedisScript(`#!lua flags=allow-oom
local group, me, acks = ARGV[1], ARGV[2], tonumber(ARGV[3])
if acks > 0 then redis.call('XACK', KEYS[1], group, unpack(ARGV, 4, 3 + acks)) end
if redis.call('GET', KEYS[2]) ~= me then return -1 end
local out = {}
for j = 4 + acks, #ARGV, 2 do
  out[#out + 1] = #redis.call('XCLAIM', KEYS[1], group, me, 0, ARGV[j], 'RETRYCOUNT', ARGV[j + 1], 'JUSTID')
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
 * Park an entry as a dead letter: XADD to the group's dead-letter stream of the partition and
 * XACK, in one step. KEYS: stream, lease, dead-letter stream. ARGV: group, me, entry id,
 * attempts, cap, retention ms, the dead letter's id (the gateway's order across partitions; when
 * the stream already has a later one, Redis picks it). Returns 1 parked, 0 gone (acked elsewhere
 * or trimmed), -1 lease lost.
 */
export const PARK = new RedisScript(`#!lua
${IDS}
local group, me, id = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', KEYS[2]) ~= me then return -1 end
local e = redis.call('XRANGE', KEYS[1], id, id)
if redis.call('XACK', KEYS[1], group, id) == 0 or #e == 0 then return 0 end
local f = fields(e[1][2])
local added = redis.pcall('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], ARGV[7], 'e', f['e'], 'c', f['c'], 'p', f['p'], 'n', ARGV[4])
if type(added) == 'table' and added['err'] then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[5], '*', 'e', f['e'], 'c', f['c'], 'p', f['p'], 'n', ARGV[4])
end
redis.call('XTRIM', KEYS[3], 'MINID', '~', nowms() - tonumber(ARGV[6]))
return 1
`);

/**
 * Replay dead letters of one partition at the end of their conversations: re-XADD into the
 * partition stream, marked for this group only (field g; other groups skip and ack it), then
 * XDEL the dead letter. KEYS: dead-letter stream, partition stream. ARGV: group, channel,
 * partition index, order (`<ms>`), then dead-letter ids. Returns how many were replayed.
 */
export const REPLAY = new RedisScript(`#!lua
${IDS}
local replayed = 0
for j = 5, #ARGV do
  local e = redis.call('XRANGE', KEYS[1], ARGV[j], ARGV[j])
  if #e > 0 then
    local f = fields(e[1][2])
    redis.call('XADD', KEYS[2], '*', 'e', f['e'], 'c', f['c'], 'p', f['p'], 'g', ARGV[1], 'q', ARGV[4] .. '-' .. (j - 5))
    redis.call('XDEL', KEYS[1], ARGV[j])
    replayed = replayed + 1
  end
end
if replayed > 0 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return replayed
`);

/**
 * A group's lag in one partition, a window at a time. KEYS: the stream. ARGV: group, after (''
 * on the first call: from the group's last delivered entry), window, then the group's page count
 * (-1: every page) and pages. Returns {pending (first call only), oldest pending ms or '0', counted
 * (entries after `after` that are the group's), oldest of those ms or '0', next `after` or ''
 * when done}; {-1} when the group is not on this partition.
 */
export const STATS = new RedisScript(`#!lua
${IDS}
local group, after, w = ARGV[1], ARGV[2], tonumber(ARGV[3])
local pages = tonumber(ARGV[4])
local scope = false
if pages >= 0 then
  scope = {}
  for k = 1, pages do scope[ARGV[4 + k]] = true end
end
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local pending, oldestPending = 0, '0'
if after == '' then
  local found = false
  for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local f = fields(g)
    if f['name'] == group then
      found = true
      pending = tonumber(f['pending'])
      if pending > 0 then oldestPending = string.format('%d', split(redis.call('XPENDING', KEYS[1], group)[2])) end
      after = '(' .. f['last-delivered-id']
      -- Without a scope, Redis's own count of what the group has not read (nil once entries were deleted) saves the walk.
      if not scope and f['lag'] then
        local rest = redis.call('XRANGE', KEYS[1], after, '+', 'COUNT', 1)
        local first = '0'
        if #rest > 0 then first = string.format('%d', split(rest[1][1])) end
        return {pending, oldestPending, tonumber(f['lag']), first, ''}
      end
    end
  end
  if not found then return {-1} end
end
local chunk = redis.call('XRANGE', KEYS[1], after, '+', 'COUNT', w)
local counted, oldest = 0, '0'
for _, e in ipairs(chunk) do
  local ef = fields(e[2])
  if (ef['g'] == nil or ef['g'] == group) and (not scope or ef['p'] == nil or scope[ef['p']]) then
    counted = counted + 1
    if oldest == '0' then oldest = string.format('%d', split(e[1])) end
  end
end
local nextAfter = ''
if #chunk >= w then nextAfter = '(' .. chunk[#chunk][1] end
return {pending, oldestPending, counted, oldest, nextAfter}
`);

/** Give up one lease: KEYS: lease; ARGV: me. */
export const RELEASE = new RedisScript(`#!lua
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);
