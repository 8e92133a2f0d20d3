-- SLA timers and the sweep every node runs: deadlines in business or plain
-- hours, kept in one sorted set that any node may claim from (a member is
-- removed in the same atomic call that acts on it, so it fires once), plus
-- wrap-up ends, sticky holds, presence expiry and overflow timeouts.

local DAY = 86400000
local RISK = 0.8			-- at-risk once this share of the time is used
local SWEEP_MAX = 200			-- timers handled per sweep call at most
local CAL_DAYS = 400			-- a deadline is at most this many days out
local WEEKDAYS = { 'mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun' }
local PRIO_NAMES = { [0] = 'low', 'normal', 'high', 'urgent' }

-- Days since 1970-01-01 -> "YYYY-MM-DD" (H. Hinnant's civil_from_days).
local function civil(days)
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524)
    - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400 + (m <= 2 and 1 or 0)
  return string.format('%04d-%02d-%02d', y, m, d)
end

local function hhmm(s)
  local h, m = string.match(s or '', '^(%d%d?):(%d%d)$')
  if not h then return nil end
  return (tonumber(h) * 60 + tonumber(m)) * 60000
end

-- A calendar: {tz = minutes east of UTC, hours = {mon = "09:00-18:00"},
-- holidays = {"2026-12-25"}}; nil when the queue counts plain hours.
local function calendar(d)
  if not d.calendar or d.calendar == '' then return nil end
  local ok, c = pcall(cjson.decode, d.calendar)
  if not ok or type(c) ~= 'table' then return nil end
  local cal = { tz = (tonumber(c.tz) or 0) * 60000, open = {}, holidays = {} }
  for i, wd in ipairs(WEEKDAYS) do
    local a, b = string.match(type(c.hours) == 'table' and c.hours[wd] or '', '^(.-)%-(.-)$')
    if a and hhmm(a) and hhmm(b) then cal.open[i] = { hhmm(a), hhmm(b) } end
  end
  for _, h in ipairs(type(c.holidays) == 'table' and c.holidays or {}) do cal.holidays[h] = true end
  return cal
end

-- NOW plus MS of business time in CAL (or plain time without one).
rx.sla_add = function(cal, now, ms)
  if not cal then return now + ms end
  local lt = now + cal.tz
  local day = math.floor(lt / DAY)
  for _ = 1, CAL_DAYS do
    local wd = (day + 3) % 7 + 1		-- 1970-01-01 was a Thursday
    local win = cal.open[wd]
    if win and not cal.holidays[civil(day)] then
      local from = math.max(lt, day * DAY + win[1])
      local to = day * DAY + win[2]
      if from < to then
        if from + ms <= to then return from + ms - cal.tz end
        ms = ms - (to - from)
      end
    end
    day = day + 1
    lt = day * DAY
  end
  return now + ms
end

-- The SLA of queue D for a priority: {first, next, resolution} in seconds.
local function sla_of(d, priority)
  if not d.sla or d.sla == '' then return nil end
  local ok, s = pcall(cjson.decode, d.sla)
  if not ok or type(s) ~= 'table' then return nil end
  local v = s[priority] or s['*']
  return type(v) == 'table' and v or nil
end

local function schedule(p, n, kind, now, due)
  redis.call('ZADD', p .. 'sla', now + math.floor((due - now) * RISK), n .. '|' .. kind .. '|risk')
  redis.call('ZADD', p .. 'sla', due, n .. '|' .. kind .. '|breach')
end

-- Start the clocks of a ticket entering queue T.queue (new or reopened);
-- a deadline the channel already set is kept. D: the queue's rx.qdef when
-- the caller has it already.
rx.sla_start = function(p, n, t, now, d)
  d = d or rx.qdef(p, t.queue)
  local s = sla_of(d, t.priority or 'normal')
  if not s then return end
  local cal = calendar(d)
  local f = {}
  local first, res = tonumber(s.first), tonumber(s.resolution)
  if first and (t.first_response or '') == '' then
    local due = tonumber(t.first_response_due) or rx.sla_add(cal, now, first * 1000)
    f[#f + 1] = 'first_response_due'; f[#f + 1] = due
    schedule(p, n, 'first', now, due)
  end
  if res then
    local due = tonumber(t.resolution_due)
    if not due or (t.resolved_at or '') ~= '' then due = rx.sla_add(cal, now, res * 1000) end
    f[#f + 1] = 'resolution_due'; f[#f + 1] = due
    schedule(p, n, 'resolution', now, due)
  end
  if #f > 0 then redis.call('HSET', rx.tkey(p, n), unpack(f)) end
end

-- Next-response: the clock restarts at each customer message after a
-- reply. For rx_ingest to call on a customer message to an open ticket.
rx.route_message = function(p, n, t, now)
  if (t.first_response or '') == '' then return end
  if tonumber(t.next_from) and (tonumber(t.last_out) or 0) < tonumber(t.next_from) then
    return
  end
  local d = rx.qdef(p, t.queue)
  local s = sla_of(d, t.priority or 'normal')
  if not s or not tonumber(s.next) then return end
  local due = rx.sla_add(calendar(d), now, tonumber(s.next) * 1000)
  redis.call('HSET', rx.tkey(p, n), 'next_response_due', due, 'next_from', now)
  schedule(p, n, 'next', now, due)
end

local function settled(t, kind)
  if t.status == 'resolved' or t.status == 'closed' then return true end
  if kind == 'first' then return (t.first_response or '') ~= '' end
  if kind == 'next' then
    return (tonumber(t.last_out) or 0) >= (tonumber(t.next_from) or math.huge)
  end
  return false
end

local function list_add(s, x)
  for _, v in ipairs(rx.split(s)) do if v == x then return s end end
  return (s or '') == '' and x or s .. ',' .. x
end

-- A breach: flag, tell supervisors, raise the priority and move a waiting
-- ticket to the overflow queue when the queue says so.
local function breach(p, n, t, kind, now)
  local d = rx.qdef(p, t.queue)
  redis.call('HSET', rx.tkey(p, n), 'sla_breached', list_add(t.sla_breached, kind))
  rx.publish(p, { type = 'sla.breach', ticket = tonumber(n), kind = kind, queue = t.queue,
    agent = t.agent, priority = t.priority, audience = 'supervisor' })
  local waiting = t.agent == '' and redis.call('ZSCORE', p .. 'q:' .. t.queue, n)
  if d.breach_raise == '1' then
    local up = PRIO_NAMES[math.min(3, (tonumber(t.prio) or 1) + 1)]
    if rx.ticket_priority(p, n, t, up, 'system', now) and waiting then
      rx.route_requeue(p, n, t, t.queue, now)
    end
  end
  if d.breach_overflow == '1' and (d.overflow or '') ~= '' and waiting then
    rx.route_requeue(p, n, t, d.overflow, now)
  end
end

local function fire(p, member, now)
  local n, kind, stage = string.match(member, '^(%d+)|(%a+)|(%a+)$')
  local t = n and rx.ticket_load(p, n)
  if not t or settled(t, kind) then return false end
  if stage == 'risk' then
    redis.call('HSET', rx.tkey(p, n), 'sla_risk', list_add(t.sla_risk, kind))
    rx.publish(p, { type = 'sla.at_risk', ticket = tonumber(n), kind = kind, queue = t.queue,
      agent = t.agent, audience = 'supervisor' })
  else
    breach(p, n, t, kind, now)
  end
  return true
end

-- Move waiting ticket N to queue Q (the same queue re-scores it),
-- keeping its place in time.
rx.route_requeue = function(p, n, t, q, now)
  rx.route_qrem(p, t.queue, n)
  if q ~= t.queue then rx.ticket_set(p, n, t, 'queue', q, 'system', now) end
  rx.route_queue(p, n, t, now, tonumber(t.queued_at) or now)
  rx.publish(p, { type = 'queue.changed', queue = q })
end

local function sweep_sla(p, now, out)
  local due = redis.call('ZRANGEBYSCORE', p .. 'sla', '-inf', now, 'LIMIT', 0, SWEEP_MAX)
  for _, m in ipairs(due) do
    redis.call('ZREM', p .. 'sla', m)
    if fire(p, m, now) then out.sla = out.sla + 1 end
  end
end

local function sweep_wrapup(p, now, out)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'wrapup', '-inf', now, 'LIMIT', 0, SWEEP_MAX)) do
    redis.call('ZREM', p .. 'wrapup', id)
    if rx.agent_state(p, id).state == 'wrapup' then
      local r = rx.route_agent_set(p, id, 'available', now)
      out.wrapup = out.wrapup + 1
      out.assigned = out.assigned + #r.assigned
    end
  end
end

-- Sticky holds past their wait: the queue's strategy decides after all.
local function sweep_sticky(p, now, out)
  for _, n in ipairs(redis.call('ZRANGEBYSCORE', p .. 'stkq', '-inf', now, 'LIMIT', 0, SWEEP_MAX)) do
    redis.call('ZREM', p .. 'stkq', n)
    local t = rx.ticket_load(p, n)
    if t then
      if (t.sticky_agent or '') ~= '' then
        redis.call('ZREM', p .. 'stk:' .. t.sticky_agent, n)
        redis.call('HDEL', rx.tkey(p, n), 'sticky_agent')
        t.sticky_agent = nil
      end
      if t.agent == '' then
        redis.call('DEL', p .. 'sticky:' .. t.customer)
        rx.route_requeue(p, n, t, t.queue, now)
        out.sticky = out.sticky + 1
      end
    end
  end
end

-- Agents whose presence key expired go offline (their calls and chats not
-- yet answered go back to the queue). A pick that meets such an agent first
-- takes them out at once (route.lua, rx.route_flush); this is the net.
local function sweep_presence(p, now, out)
  local grace = rx.route_cfg(p).presence_grace * 1000
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'online', '-inf', now, 'LIMIT', 0, SWEEP_MAX)) do
    if redis.call('EXISTS', p .. 'presence:' .. id) == 1 then
      redis.call('ZADD', p .. 'online', now + grace, id)
    else
      local r = rx.route_agent_gone(p, id, now, 'lapsed')
      out.offline = out.offline + 1
      out.requeued = out.requeued + (r and #r.requeued or 0)
    end
  end
end

local function sweep_queues(p, now, out)
  for _, q in ipairs(redis.call('SMEMBERS', p .. 'queues')) do
    local d = rx.qdef(p, q)
    if d.overflow_timeout > 0 and (d.overflow or '') ~= '' and d.overflow ~= q then
      local old = redis.call('ZRANGEBYSCORE', p .. 'qt:' .. q, '-inf', now - d.overflow_timeout * 1000,
        'LIMIT', 0, SWEEP_MAX)
      for _, n in ipairs(old) do
        local t = rx.ticket_load(p, n)
        if t and t.agent == '' then
          rx.route_requeue(p, n, t, d.overflow, now)
          out.overflow = out.overflow + 1
        else
          rx.route_qrem(p, q, n)
        end
      end
    end
    out.assigned = out.assigned + rx.route_dispatch_queue(p, q, now, 16)
  end
end

-- {} -> counts of what this sweep did. Safe to run on every node at once.
local function route_sweep(keys, argv)
  local p = argv[1]
  local now = rx.now()
  local out = { sla = 0, wrapup = 0, sticky = 0, offline = 0, requeued = 0, overflow = 0,
    assigned = 0, released = 0 }
  sweep_wrapup(p, now, out)
  sweep_presence(p, now, out)
  sweep_sticky(p, now, out)
  sweep_queues(p, now, out)
  sweep_sla(p, now, out)
  out.released = rx.route_reconcile(p, now, 8)
  return cjson.encode(out)
end

-- {wrapup, sticky_window, presence_grace}: the daemon's [routing] settings.
local function route_config(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local f = {}
  for _, k in ipairs({ 'wrapup', 'sticky_window', 'presence_grace' }) do
    if tonumber(a[k]) then f[#f + 1] = k; f[#f + 1] = tonumber(a[k]) end
  end
  if #f > 0 then redis.call('HSET', p .. 'rcfg', unpack(f)) end
  return cjson.encode(rx.route_cfg(p))
end

local function queue_figures(p, q, now)
  local d = rx.qdef(p, q)
  local waiting = redis.call('ZCARD', p .. 'q:' .. q)
  local oldest = redis.call('ZRANGE', p .. 'qt:' .. q, 0, 0, 'WITHSCORES')
  local sum, cnt = 0, 0
  for _, n in ipairs(redis.call('ZRANGE', p .. 'qt:' .. q, 0, 999, 'WITHSCORES')) do
    cnt = cnt + 1
    if cnt % 2 == 0 then sum = sum + (now - tonumber(n)) end
  end
  local k = math.floor(cnt / 2)
  local risk, breached = 0, 0
  for _, n in ipairs(redis.call('SMEMBERS', p .. 'tix:queue:' .. q)) do
    local f = redis.call('HMGET', p .. 't:' .. n, 'sla_risk', 'sla_breached', 'status')
    if f[3] ~= 'resolved' and f[3] ~= 'closed' then
      if (f[2] or '') ~= '' then breached = breached + 1
      elseif (f[1] or '') ~= '' then risk = risk + 1 end
    end
  end
  return { queue = q, waiting = waiting, paused = d.paused, strategy = d.strategy,
    oldest_wait_ms = oldest[2] and (now - tonumber(oldest[2])) or 0,
    average_wait_ms = k > 0 and math.floor(sum / k) or 0,
    sla_at_risk = risk, sla_breached = breached }
end

-- {queue?} -> {queues: [...], agents: [...]}: the supervisor's view.
local function route_stats(keys, argv)
  local p = argv[1]
  local a = argv[2] and rx.args(argv, 2) or {}
  local now = rx.now()
  local qs = {}
  local names = a.queue and { tostring(a.queue) } or redis.call('SMEMBERS', p .. 'queues')
  table.sort(names)
  for _, q in ipairs(names) do qs[#qs + 1] = queue_figures(p, q, now) end
  local agents = {}
  local ids = redis.call('SMEMBERS', p .. 'agents')
  table.sort(ids, function(x, y) return (tonumber(x) or 0) < (tonumber(y) or 0) end)
  for _, id in ipairs(ids) do
    local r = rx.agent_state(p, id)
    agents[#agents + 1] = { agent = id, state = r.state, load = { voice = r.load_voice,
      chat = r.load_chat, mail = r.load_mail }, since = tonumber(r.since) or 0 }
  end
  return rx.encode({ queues = rx.list(qs), agents = rx.list(agents) })
end

redis.register_function { function_name = 'rx_route_sweep', callback = route_sweep }
redis.register_function { function_name = 'rx_route_config', callback = route_config }
redis.register_function { function_name = 'rx_route_stats', callback = route_stats,
  flags = { 'no-writes' } }
