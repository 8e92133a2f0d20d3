
-- What the console shows beside the working API (docs/api.md, "The
-- console"): the team by name with its routing state (an agent picker and
-- authors by name for every role), and the supervisor dashboard's figures
-- for its charts. Both only read. After routing's part: rx.agent_state.

local STATS_MAX_TICKETS = 20000	-- tickets read per call, newest first
local STATS_MAX_LOG = 1000	-- log entries read per ticket for the day
local HOUR, DAY = 3600000, 86400000

-- FCALL rx_console_team 0 <prefix> {}: {"items":[{id,name,roles,state,
-- load:{voice,chat,mail}}]} for every agent not disabled, by id. No email.
local function team(keys, argv)
  local p = argv[1]
  local ids = redis.call('SMEMBERS', p .. 'agents')
  table.sort(ids, function(x, y) return (tonumber(x) or 0) < (tonumber(y) or 0) end)
  local items = {}
  for _, id in ipairs(ids) do
    local f = redis.call('HMGET', p .. 'a:' .. id, 'name', 'roles', 'disabled')
    if f[1] and f[3] ~= '1' then
      local roles = {}
      for w in string.gmatch(f[2] or '', '[^,]+') do roles[#roles + 1] = w end
      local r = rx.agent_state(p, id)
      items[#items + 1] = { id = id, name = f[1], roles = rx.list(roles), state = r.state,
        load = { voice = r.load_voice, chat = r.load_chat, mail = r.load_mail } }
    end
  end
  return rx.encode({ items = rx.list(items) })
end

local function zeros(n)
  local t = {}
  for i = 1, n do t[i] = 0 end
  return t
end

local function has_flag(flags, cat, f)
  return cat == f or string.find(',' .. (flags or '') .. ',', ',' .. f .. ',', 1, true) ~= nil
end

-- Inbound messages of ticket N since FROM, counted by channel and hour.
local function count_messages(p, n, from, s)
  local entries = redis.call('XRANGE', p .. 't:' .. n .. ':log', tostring(from), '+',
    'COUNT', STATS_MAX_LOG)
  for _, e in ipairs(entries) do
    local ms = tonumber(string.match(e[1], '^(%d+)')) or 0
    local f = {}
    for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end
    local h = math.floor((ms - from) / HOUR) + 1
    if f.type == 'message' and f.direction == 'in' and h >= 1 and h <= s.hours then
      local ch = f.channel or 'other'
      s.channels[ch] = s.channels[ch] or zeros(s.hours)
      s.channels[ch][h] = s.channels[ch][h] + 1
    end
  end
end

-- One ticket's part of the figures: created on the day (first response and
-- its SLA, by the hour it was created), flagged on one of the days.
local function count_ticket(p, n, a, s, now)
  local f = redis.call('HMGET', p .. 't:' .. n, 'created', 'first_response',
    'first_response_due', 'flags', 'category')
  local created = tonumber(f[1]) or 0
  if created >= a.since then
    local d = math.floor((created - a.since) / DAY) + 1
    if d <= a.days then
      if has_flag(f[4], f[5], 'ae') then s.ae[d] = s.ae[d] + 1 end
      if has_flag(f[4], f[5], 'complaint') then s.complaint[d] = s.complaint[d] + 1 end
    end
  end
  local h = math.floor((created - a.from) / HOUR) + 1
  if created < a.from or h > s.hours then return end
  s.created[h] = s.created[h] + 1
  local fr, due = tonumber(f[2]), tonumber(f[3])
  if fr then
    s.frt_n[h] = s.frt_n[h] + 1
    s.frt_sum_s[h] = s.frt_sum_s[h] + math.floor((fr - created) / 1000)
  end
  if due then
    if fr and fr <= due then s.sla_met[h] = s.sla_met[h] + 1
    elseif (fr and fr > due) or (not fr and now > due) then s.sla_breached[h] = s.sla_breached[h] + 1 end
  end
end

-- FCALL rx_console_stats 0 <prefix> {from, days}: the day from FROM (the
-- caller's midnight, ms) in 24 hours, and DAYS days ending with it. Reads
-- the tickets updated since the first day, newest first, at most
-- STATS_MAX_TICKETS (then "truncated").
local function stats(keys, argv)
  local p, a, now = argv[1], rx.args(argv, 2), rx.now()
  a.from = math.floor(tonumber(a.from) or 0)
  a.days = math.floor(tonumber(a.days) or 14)
  if a.from <= 0 then rx.fail('BADARG', 'from: a time in ms') end
  if a.days < 1 or a.days > 92 then rx.fail('BADARG', 'days: 1..92') end
  a.since = a.from - (a.days - 1) * DAY
  local s = { hours = 24, channels = {}, created = zeros(24), frt_n = zeros(24),
    frt_sum_s = zeros(24), sla_met = zeros(24), sla_breached = zeros(24),
    ae = zeros(a.days), complaint = zeros(a.days) }
  local ns = redis.call('ZREVRANGEBYSCORE', p .. 'tickets', '+inf', a.since,
    'LIMIT', 0, STATS_MAX_TICKETS + 1)
  for i, n in ipairs(ns) do
    if i > STATS_MAX_TICKETS then break end
    count_ticket(p, n, a, s, now)
    if tonumber(redis.call('ZSCORE', p .. 'tickets', n)) >= a.from then
      count_messages(p, n, a.from, s)
    end
  end
  s.from, s.since, s.days, s.now = a.from, a.since, a.days, now
  s.scanned = math.min(#ns, STATS_MAX_TICKETS)
  s.truncated = #ns > STATS_MAX_TICKETS
  return cjson.encode(s)
end

-- Who has a ticket open (the console's collision notice, docs/live.md):
-- <prefix>t:<n>:viewers hash, agent -> {"s":state,"u":until ms,"name":...}.
-- Each entry lapses at its own "u" (the node refreshes it while the socket
-- lives), the key with the newest; a node that dies leaves nothing behind
-- for longer than the bound. The event carries no ticket content, so it
-- is never "restricted": a follower already passed rx_ticket_get.
local VIEW_STATES = { viewing = 1, replying = 1, left = 1 }
local VIEW_TTL_MAX = 300	-- seconds

-- The live entries of KEY as a list without agent SKIP; lapsed ones go.
local function viewers_live(key, now, skip)
  local f, out = redis.call('HGETALL', key), {}
  for i = 1, #f, 2 do
    local ok, v = pcall(cjson.decode, f[i + 1])
    if not ok or type(v) ~= 'table' or (tonumber(v.u) or 0) <= now then
      redis.call('HDEL', key, f[i])
    elseif f[i] ~= skip then
      out[#out + 1] = { agent = f[i], name = v.name, state = v.s }
    end
  end
  table.sort(out, function(x, y) return x.agent < y.agent end)
  return out
end

-- FCALL rx_console_viewing 0 <prefix> {ticket, agent, name, state, ttl,
-- quiet} -> {"viewers":[{agent,name,state}]}, the others who have it open.
-- state viewing|replying records the agent for ttl seconds and publishes
-- {"type":"viewing",ticket,agent,name,state}; left removes them and says
-- so; quiet (the node's heartbeat) refreshes without an event.
local function viewing(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local n = tonumber(a.ticket)
  if not n or n < 1 or n ~= math.floor(n) then rx.fail('BADARG', 'bad ticket') end
  local id, name = tostring(a.agent or ''), tostring(a.name or '')
  if not string.match(id, '^[%w_.-]+$') or #id > 64 then rx.fail('BADARG', 'bad agent id') end
  if not VIEW_STATES[a.state] then rx.fail('BADARG', 'bad state') end
  if #name > 200 then name = string.sub(name, 1, 200) end
  local ttl = math.max(1, math.min(tonumber(a.ttl) or 30, VIEW_TTL_MAX))
  n = string.format('%d', n)
  if redis.call('EXISTS', p .. 't:' .. n) == 0 then rx.fail('NOTFOUND', 'no ticket ' .. n) end
  local key, now = p .. 't:' .. n .. ':viewers', rx.now()
  if a.state == 'left' then
    redis.call('HDEL', key, id)
  else
    redis.call('HSET', key, id, cjson.encode({ s = a.state, u = now + ttl * 1000, name = name }))
    redis.call('PEXPIRE', key, ttl * 1000, 'GT')
    if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ttl * 1000) end
  end
  if not a.quiet then
    rx.publish(p, { type = 'viewing', ticket = tonumber(n), agent = id, name = name,
      state = a.state, restricted = false })
  end
  return cjson.encode({ viewers = rx.array(viewers_live(key, now, id)) })
end

redis.register_function { function_name = 'rx_console_team', callback = team,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_console_stats', callback = stats,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_console_viewing', callback = viewing }
