-- Routing: queues, agents' availability and load, strategies, sticky
-- routing and assignment, all inside Redis so that no ticket reaches two
-- agents and no agent goes over capacity, whatever the number of nodes
-- (docs/routing.md has the key layout and the model).

local KINDS = { 'voice', 'chat', 'mail' }
local CAP_DEFAULT = { voice = 1, chat = 3, mail = 10 }
local STATES = { available = 1, away = 1, offline = 1, oncall = 1, wrapup = 1 }
local STRATEGIES = { leastrecent = 1, fewestcalls = 1, rrmemory = 1, skillweighted = 1 }
local SCAN_BATCH = 32		-- candidates read per ZRANGE
local SCAN_MAX = 512		-- candidates looked at per assignment at most
local HEAD_SCAN = 64		-- waiting tickets looked at per queue for one agent
local HEAD_FIRST = 4		-- of which read in the first ZRANGE
local LEVEL_WEIGHT = 1e13	-- skill level outweighs any idle time (ms)

-- The ticket's routing kind, set by the core from its channel table
-- (server/core/interaction.c): routing never reads a channel's name.
-- Tickets stored before the kind was kept carry only the channel.
rx.route_kind = function(t) return t.kind or rx.CHANNELS[t.channel] or 'mail' end

-- Routing settings the daemon writes at start (rx_route_config).
rx.route_cfg = function(p)
  local c = rx.hgetall(p .. 'rcfg')
  return { wrapup = tonumber(c.wrapup) or 30, sticky_window = tonumber(c.sticky_window) or 604800,
    presence_grace = tonumber(c.presence_grace) or 30 }
end

-- A queue's definition with defaults filled in.
rx.qdef = function(p, q)
  local d = rx.hgetall(p .. 'qdef:' .. q)
  d.name = q
  d.skills = rx.split(d.skills)
  d.strategy = STRATEGIES[d.strategy or ''] and d.strategy or 'leastrecent'
  d.aging = tonumber(d.aging) or 600
  d.overflow_timeout = tonumber(d.overflow_timeout) or 0
  d.sticky_wait = tonumber(d.sticky_wait) or 0
  d.paused = d.paused == '1'
  d.mail_release = d.mail_release == '1'
  d.pending_release = d.pending_release == '1'
  d.lang_match = d.lang_match == '1'
  return d
end

-- What an agent can do: {skills = {name = level}, cap = {kind = n}}.
local function agent_profile(p, id)
  local a = redis.call('HMGET', p .. 'a:' .. id, 'skills', 'languages', 'capacity', 'roles')
  local skills, cap = {}, {}
  local ok, s = pcall(cjson.decode, a[1] or '{}')
  if ok and type(s) == 'table' then
    for k, v in pairs(s) do skills[tostring(k)] = tonumber(v) or 1 end
  end
  for _, l in ipairs(rx.split(a[2])) do skills['lang:' .. l] = skills['lang:' .. l] or 1 end
  for _, r in ipairs(rx.split(a[4])) do
    if r == 'safety' then skills.safety = skills.safety or 1 end
  end
  skills['*'] = 1
  local okc, c = pcall(cjson.decode, a[3] or '{}')
  for _, k in ipairs(KINDS) do
    cap[k] = okc and type(c) == 'table' and tonumber(c[k]) or CAP_DEFAULT[k]
  end
  return { skills = skills, cap = cap }
end

local function akey(p, id) return p .. 'ar:' .. id end

-- Agent routing state: state, load per kind, idle time, skills as indexed.
rx.agent_state = function(p, id)
  local r = rx.hgetall(akey(p, id))
  r.id = id
  r.state = r.state or 'offline'
  for _, k in ipairs(KINDS) do r['load_' .. k] = tonumber(r['load_' .. k]) or 0 end
  r.idle_since = tonumber(r.idle_since) or 0
  local ok, s = pcall(cjson.decode, r.indexed or '{}')
  r.indexed = ok and type(s) == 'table' and s or {}
  return r
end

local function set_names(p, kind, skill)
  local b = kind .. ':' .. skill
  return p .. 'av:' .. b, p .. 'avl:' .. b, p .. 'avw:' .. b, p .. 'avr:' .. b
end

-- The kinds agent R is indexed under (`indexed_kinds`; every kind for a
-- record written before it was kept).
local function indexed_kinds(r)
  if not r.indexed_kinds then return { voice = true, chat = true, mail = true } end
  local out = {}
  for _, k in ipairs(rx.split(r.indexed_kinds)) do out[k] = true end
  return out
end

-- Put an available agent in the sets of every kind they have room for:
-- one sorted set per kind, skill and strategy order, so that picking an
-- agent is one ZRANGE (O(log n)). Only what changed is written: sets the
-- agent leaves lose them, the others get their new scores in place.
rx.agent_index = function(p, id)
  local r = rx.agent_state(p, id)
  local prof = agent_profile(p, id)
  local total = r.load_voice + r.load_chat + r.load_mail
  local want, kinds = {}, {}
  if r.state == 'available' then
    for _, k in ipairs(KINDS) do
      if r['load_' .. k] < prof.cap[k] then want[k] = true; kinds[#kinds + 1] = k end
    end
  end
  local skills = #kinds > 0 and prof.skills or {}
  local had = indexed_kinds(r)
  for skill in pairs(r.indexed) do
    for _, k in ipairs(KINDS) do
      if had[k] and not (want[k] and skills[skill]) then
        local a, b, c, d = set_names(p, k, skill)
        redis.call('ZREM', a, id); redis.call('ZREM', b, id)
        redis.call('ZREM', c, id); redis.call('ZREM', d, id)
      end
    end
  end
  for _, k in ipairs(kinds) do
    for skill, level in pairs(skills) do
      local a, b, c, d = set_names(p, k, skill)
      redis.call('ZADD', a, r.idle_since, id)
      redis.call('ZADD', b, total, id)
      redis.call('ZADD', c, -level * LEVEL_WEIGHT + r.idle_since, id)
      if not (had[k] and r.indexed[skill]) then redis.call('ZADD', d, tonumber(id) or 0, id) end
    end
  end
  redis.call('HSET', akey(p, id), 'indexed', cjson.encode(skills),
    'indexed_kinds', table.concat(kinds, ','))
  return prof
end

-- The skills a ticket needs in queue D: the queue's, safety for possible
-- AEs and complaints, the customer's language where the queue asks for it.
local function needs(d, t)
  local req = {}
  for _, s in ipairs(d.skills) do req[#req + 1] = s end
  local flags = rx.split(t.flags)
  for _, f in ipairs(flags) do
    if f == 'ae' or f == 'complaint' then req[#req + 1] = 'safety'; break end
  end
  if d.lang_match and t.lang and t.lang ~= '' then req[#req + 1] = 'lang:' .. t.lang end
  if #req == 0 then req[1] = '*' end
  return req
end

local function qualifies(p, kind, id, req)
  for i = 2, #req do
    if not redis.call('ZSCORE', p .. 'av:' .. kind .. ':' .. req[i], id) then return false end
  end
  return true
end

-- Agents found without a live connection while picking (their heartbeat
-- lapsed before any sweep noticed): taken out of routing at the end of the
-- call that found them (rx.route_flush), never while a set is being walked.
local STALE = {}

-- Does agent ID hold a live connection? The presence key exists while some
-- node keeps refreshing it (docs/datamodel.md, Agent presence).
local function live(p, id)
  if redis.call('EXISTS', p .. 'presence:' .. id) == 1 then return true end
  STALE[id] = true
  return false
end

-- Walk the strategy's order of set KEY from START; the first agent that
-- has every other needed skill and a live connection wins.
local function scan(p, key, kind, req, byscore, min, max)
  local seen = 0
  local offset = 0
  while seen < SCAN_MAX do
    local ids
    if byscore then
      ids = redis.call('ZRANGEBYSCORE', key, min, max, 'LIMIT', offset, SCAN_BATCH)
    else
      ids = redis.call('ZRANGE', key, offset, offset + SCAN_BATCH - 1)
    end
    for _, id in ipairs(ids) do
      if qualifies(p, kind, id, req) and live(p, id) then return id end
    end
    if #ids < SCAN_BATCH then return nil end
    offset = offset + SCAN_BATCH
    seen = seen + SCAN_BATCH
  end
  return nil
end

-- The free agent the queue's strategy picks for ticket T, or nil. The
-- rarest needed skill's set is walked; the others are checked per agent.
local function pick(p, d, t)
  local kind = rx.route_kind(t)
  local req = needs(d, t)
  table.sort(req, function(x, y)
    return redis.call('ZCARD', p .. 'av:' .. kind .. ':' .. x) <
      redis.call('ZCARD', p .. 'av:' .. kind .. ':' .. y)
  end)
  local av, avl, avw, avr = set_names(p, kind, req[1])
  if d.strategy == 'fewestcalls' then return scan(p, avl, kind, req) end
  if d.strategy == 'skillweighted' then return scan(p, avw, kind, req) end
  if d.strategy == 'rrmemory' then
    local last = tonumber(redis.call('GET', p .. 'rr:' .. d.name)) or -1
    return scan(p, avr, kind, req, true, '(' .. last, '+inf') or
      scan(p, avr, kind, req, true, '-inf', last)
  end
  return scan(p, av, kind, req)
end

local function wait_score(d, t, queued_at)
  return queued_at - (tonumber(t.prio) or 1) * d.aging * 1000
end

-- A waiting ticket is in three sorted sets of its queue: q:<q> (rank:
-- priority with aging, then time), qt:<q> (time queued, for waits and
-- overflow) and qk:<q>:<kind> (rank, per kind, so that an agent with room
-- for one kind only finds its next ticket in O(log n)).
rx.route_qrem = function(p, q, n)
  redis.call('ZREM', p .. 'q:' .. q, n)
  redis.call('ZREM', p .. 'qt:' .. q, n)
  for _, k in ipairs(KINDS) do redis.call('ZREM', p .. 'qk:' .. q .. ':' .. k, n) end
end

local function unqueue(p, n, t)
  rx.route_qrem(p, t.queue, n)
  if t.sticky_agent and t.sticky_agent ~= '' then
    redis.call('ZREM', p .. 'stk:' .. t.sticky_agent, n)
    redis.call('ZREM', p .. 'stkq', n)
    redis.call('HDEL', rx.tkey(p, n), 'sticky_agent')
    t.sticky_agent = nil
  end
end

-- Give ticket N to agent ID: the ticket leaves its queue, the agent's load
-- grows and their availability sets follow.
rx.route_assign = function(p, n, t, id, actor, now)
  local kind = rx.route_kind(t)
  unqueue(p, n, t)
  rx.ticket_set(p, n, t, 'agent', id, actor or 'system', now)
  redis.call('HSET', p .. 'aw:' .. id, n, kind .. ':0')
  redis.call('HINCRBY', akey(p, id), 'load_' .. kind, 1)
  redis.call('HINCRBY', akey(p, id), 'assigned', 1)
  redis.call('HSET', akey(p, id), 'last_assigned', now, 'idle_since', now)
  redis.call('SET', p .. 'rr:' .. t.queue, id)
  local cfg = rx.route_cfg(p)
  if t.customer and t.customer ~= '' and cfg.sticky_window > 0 then
    redis.call('SET', p .. 'sticky:' .. t.customer, id, 'EX', cfg.sticky_window)
  end
  rx.agent_index(p, id)
  rx.publish(p, { type = 'ticket.assigned', ticket = tonumber(n), agent = id,
    queue = t.queue, channel = t.channel, priority = t.priority })
end

-- Can agent ID take ticket T of queue D right now?
local function can_take(p, d, t, id)
  local kind = rx.route_kind(t)
  local req = needs(d, t)
  if not redis.call('ZSCORE', p .. 'av:' .. kind .. ':' .. req[1], id) then return false end
  return qualifies(p, kind, id, req) and live(p, id)
end

-- Sticky routing: the agent who served the customer last, if free; if
-- online but busy and the queue allows a wait, hold the ticket for them.
local function sticky(p, d, n, t, now)
  if not t.customer or t.customer == '' then return nil end
  local id = redis.call('GET', p .. 'sticky:' .. t.customer)
  if not id then return nil end
  if can_take(p, d, t, id) then return id, false end
  local st = rx.agent_state(p, id).state
  local skills = agent_profile(p, id).skills
  for _, s in ipairs(needs(d, t)) do
    if not skills[s] then return nil end
  end
  if d.sticky_wait > 0 and st ~= 'offline' and st ~= 'away' then
    local deadline = now + d.sticky_wait * 1000
    redis.call('HSET', rx.tkey(p, n), 'sticky_agent', id)
    t.sticky_agent = id
    redis.call('ZADD', p .. 'stk:' .. id, deadline, n)
    redis.call('ZADD', p .. 'stkq', deadline, n)
    return nil, true
  end
  return nil
end

-- Put ticket N in its queue (at QUEUED_AT, or now) and assign it if an
-- agent is free. Returns the agent's id or nil. D: the queue's rx.qdef
-- when the caller has it already.
local function place(p, n, t, now, queued_at, head, d)
  redis.call('SADD', p .. 'queues', t.queue)
  local score = wait_score(d, t, queued_at)
  if head then
    local first = redis.call('ZRANGE', p .. 'q:' .. t.queue, 0, 0, 'WITHSCORES')
    if first[2] and tonumber(first[2]) <= score then score = tonumber(first[2]) - 1 end
  end
  redis.call('ZADD', p .. 'q:' .. t.queue, score, n)
  redis.call('ZADD', p .. 'qt:' .. t.queue, queued_at, n)
  redis.call('ZADD', p .. 'qk:' .. t.queue .. ':' .. rx.route_kind(t), score, n)
  if t.queued_at ~= tostring(queued_at) then	-- a fresh ticket has it
    redis.call('HSET', rx.tkey(p, n), 'queued_at', queued_at)
    t.queued_at = tostring(queued_at)
  end
end

-- Offer waiting ticket N to an agent: sticky first, then the strategy.
local function offer(p, n, t, now, d)
  if d.paused then return nil end
  local id, held = sticky(p, d, n, t, now)
  if held then return nil end
  id = id or pick(p, d, t)
  if id then rx.route_assign(p, n, t, id, 'system', now) end
  return id
end

rx.route_queue = function(p, n, t, now, queued_at, head, d)
  d = d or rx.qdef(p, t.queue)
  place(p, n, t, now, queued_at or now, head, d)
  local id = offer(p, n, t, now, d)
  rx.route_flush(p, now)
  return id
end

-- A waiting ticket's priority changed: its rank follows at once (its time
-- in the queue is kept). For rx.ticket_priority, a hook of head.lua.
rx.route_rescore = function(p, n, t, now)
  if t.agent ~= '' or not redis.call('ZSCORE', p .. 'q:' .. t.queue, n) then return false end
  local d = rx.qdef(p, t.queue)
  local score = wait_score(d, t, tonumber(t.queued_at) or now)
  redis.call('ZADD', p .. 'q:' .. t.queue, score, n)
  redis.call('ZADD', p .. 'qk:' .. t.queue .. ':' .. rx.route_kind(t), score, n)
  return true
end

-- Called by rx_ingest (server/store/lua/ticket.lua) for a new or reopened
-- ticket without an agent: SLA clocks start, then queue and assign, in the
-- ingest's own atomic call.
rx.route_enqueue = function(p, n, t, now)
  local d = rx.qdef(p, t.queue)		-- read once for both
  rx.sla_start(p, n, t, now, d)
  -- No queue.changed here: the ingest's own ticket.new says it.
  rx.route_queue(p, n, t, now, nil, nil, d)
end

-- The best waiting ticket agent ID can take from queue Q (lowest rank),
-- looking at the heads of the kinds they have room for: {n, t, score} or
-- nil. Entries another path left behind (a ticket assigned or moved by
-- the ticket API) are dropped on the way.
local function best_for(p, q, id, room)
  local d = rx.qdef(p, q)
  if d.paused then return nil end
  local best = nil
  for _, k in ipairs(room) do
    local key = p .. 'qk:' .. q .. ':' .. k
    -- the head's first few first: usually the first one is taken
    local from, to, found, stop = 0, HEAD_FIRST - 1, false, false
    while not found and not stop and from < HEAD_SCAN do
      local head = redis.call('ZRANGE', key, from, to, 'WITHSCORES')
      for i = 1, #head, 2 do
        local n, score = head[i], tonumber(head[i + 1])
        if best and score >= best.score then stop = true; break end
        local t = rx.ticket_load(p, n)
        if not t or t.agent ~= '' or t.queue ~= q then
          redis.call('ZREM', key, n)
        elseif (t.sticky_agent or '') == '' and can_take(p, d, t, id) then
          best = { n = n, t = t, score = score }
          found = true
          break
        end
      end
      if #head < 2 * (to - from + 1) then stop = true end
      from, to = to + 1, HEAD_SCAN - 1
    end
  end
  return best
end

-- The kinds agent ID has room for now (they are in the sets of those).
local function room_of(p, id)
  local room = {}
  for _, k in ipairs(KINDS) do
    if redis.call('ZSCORE', p .. 'av:' .. k .. ':*', id) then room[#room + 1] = k end
  end
  return room
end

-- Agent ID became free: first the tickets held for them, then the best
-- waiting ticket over every queue, until they are full. Returns tickets.
rx.agent_dispatch = function(p, id, now)
  local got = {}
  if not live(p, id) then rx.route_flush(p, now); return got end
  for _, n in ipairs(redis.call('ZRANGEBYSCORE', p .. 'stk:' .. id, now, '+inf')) do
    local t = rx.ticket_load(p, n)
    if t and t.agent == '' and can_take(p, rx.qdef(p, t.queue), t, id) then
      rx.route_assign(p, n, t, id, 'system', now)
      got[#got + 1] = tonumber(n)
    end
  end
  local queues = redis.call('SMEMBERS', p .. 'queues')
  for _ = 1, 1000 do
    local best = nil
    local room = room_of(p, id)
    if #room == 0 then break end
    for _, q in ipairs(queues) do
      local b = best_for(p, q, id, room)
      if b and (not best or b.score < best.score) then best = b end
    end
    if not best then break end
    rx.route_assign(p, best.n, best.t, id, 'system', now)
    got[#got + 1] = tonumber(best.n)
  end
  rx.route_flush(p, now)
  return got
end

-- Take ticket N from agent ID: their load shrinks. Ringing calls and
-- unanswered chats (and mail, when asked) go back to the head of the queue.
rx.route_unassign = function(p, n, t, id, requeue, now)
  local w = redis.call('HGET', p .. 'aw:' .. id, n)
  if not w then return false end
  local kind = string.match(w, '^(%a+)')
  redis.call('HDEL', p .. 'aw:' .. id, n)
  local left = redis.call('HINCRBY', akey(p, id), 'load_' .. kind, -1)
  if left < 0 then redis.call('HSET', akey(p, id), 'load_' .. kind, 0) end
  if requeue and t then
    rx.ticket_set(p, n, t, 'agent', '', 'system', now)
    local qa = tonumber(t.queued_at) or now
    rx.route_queue(p, n, t, now, qa, true)
  end
  return true
end

-- For the ticket functions: ticket N (table T, before the change) stops
-- being the work of its agent (resolved, closed, pending where the queue
-- says so, transferred or handed to someone by hand). The agent's load
-- shrinks and, in the same atomic call, they get waiting work.
rx.route_released = function(p, n, t, now)
  local id = t.agent or ''
  if id == '' or not rx.route_unassign(p, n, nil, id, false, now) then return end
  rx.agent_index(p, id)
  if rx.agent_state(p, id).state == 'available' then rx.agent_dispatch(p, id, now) end
end

-- Ticket N became pending: where its queue says `pending_release`, its
-- agent's place frees now (the agent stays named; rx.route_resume gives
-- it back when the customer answers).
rx.route_pending = function(p, n, t, now)
  if rx.qdef(p, t.queue).pending_release then rx.route_released(p, n, t, now) end
end

-- Agent ID's free room for KIND (capacity minus load).
local function room_for(p, id, kind)
  local load = tonumber(redis.call('HGET', akey(p, id), 'load_' .. kind)) or 0
  return agent_profile(p, id).cap[kind] - load
end

-- Ticket N, released from its named agent (resolved, or pending where
-- released), is open again: their work again when they have room for it,
-- else it waits in its queue like any reopened ticket (sticky routing
-- prefers them). Never counted twice, never over capacity.
rx.route_resume = function(p, n, t, actor, now)
  local id = t.agent or ''
  if id == '' then return rx.route_enqueue(p, n, t, now) end
  if redis.call('HEXISTS', p .. 'aw:' .. id, n) == 1 then return end
  if room_for(p, id, rx.route_kind(t)) > 0 then
    return rx.route_assign(p, n, t, id, actor, now)
  end
  rx.ticket_set(p, n, t, 'agent', '', 'system', now)
  rx.route_enqueue(p, n, t, now)
end

-- Ticket N, continued by a new contact that needs an agent now (a repeat
-- call, rx_ingest's continue_open): it waits and is offered like a fresh
-- one. The agent it names, whose place was freed when the last call ended,
-- is let go of it: sticky routing still gives it to them if they can take
-- it now (available, with room, connected), never to an agent away, in
-- wrap-up or offline. Still held (the agent is on the line): unchanged.
rx.route_ring = function(p, n, t, now)
  local id = t.agent or ''
  if id ~= '' then
    if redis.call('HEXISTS', p .. 'aw:' .. id, n) == 1 then return end
    rx.ticket_set(p, n, t, 'agent', '', 'system', now)
  end
  rx.route_queue(p, n, t, now)
end

-- Agent ID's record changed (capacity, skills, languages, roles): their
-- sets follow, and room that grew is filled at once.
rx.route_agent_changed = function(p, id, now)
  if redis.call('EXISTS', akey(p, id)) == 0 then return end
  rx.agent_index(p, id)
  if rx.agent_state(p, id).state == 'available' then rx.agent_dispatch(p, id, now) end
end

-- Work an agent holds that is no longer theirs to do (the ticket was
-- resolved, closed or re-assigned through a path that did not tell
-- routing): released by the sweep, a few agents per call.
rx.route_reconcile = function(p, now, agents)
  local freed = 0
  for _, id in ipairs(redis.call('SRANDMEMBER', p .. 'agents', agents)) do
    local work = redis.call('HKEYS', p .. 'aw:' .. id)
    for i = 1, math.min(#work, 64) do
      local f = redis.call('HMGET', rx.tkey(p, work[i]), 'agent', 'status')
      if f[1] ~= id or f[2] == 'resolved' or f[2] == 'closed' then
        rx.route_unassign(p, work[i], nil, id, false, now)
        freed = freed + 1
      end
    end
    if freed > 0 then
      rx.agent_index(p, id)
      if rx.agent_state(p, id).state == 'available' then rx.agent_dispatch(p, id, now) end
    end
  end
  return freed
end

local function set_state(p, id, state, now)
  local r = rx.agent_state(p, id)
  local old = r.state
  if old == state then return old end
  local f = { 'state', state, 'since', now }
  if state == 'available' and (old ~= 'available') then
    f[#f + 1] = 'idle_since'; f[#f + 1] = now
  end
  redis.call('HSET', akey(p, id), unpack(f))
  redis.call('ZREM', p .. 'wrapup', id)
  if state == 'offline' then
    redis.call('ZREM', p .. 'online', id)
  else
    redis.call('ZADD', p .. 'online', now + rx.route_cfg(p).presence_grace * 1000, id)
  end
  rx.publish(p, { type = 'agent.presence', agent = id, state = state, old = old })
  return old
end

local DROP_WHY = { left = 'the agent left (last connection closed)',
  lapsed = 'the agent\'s heartbeat lapsed', offline = 'the agent went offline' }

-- The work agent ID gives back on going offline, by the queues' rules:
-- ringing calls and unanswered chats, mail where mail_release says so.
-- Sorted as they stood in their queues (rank, then ticket number).
local function drop_list(p, id)
  local work = redis.call('HGETALL', p .. 'aw:' .. id)
  local back, defs = {}, {}
  for i = 1, #work, 2 do
    local n, kind, accepted = work[i], string.match(work[i + 1], '^(%a+):(%d)')
    local t = rx.ticket_load(p, n)
    if not t then
      redis.call('HDEL', p .. 'aw:' .. id, n)
    else
      defs[t.queue] = defs[t.queue] or rx.qdef(p, t.queue)
      local d = defs[t.queue]
      if (kind ~= 'mail' and accepted == '0') or (kind == 'mail' and d.mail_release) then
        back[#back + 1] = { n = n, t = t, d = d,
          rank = wait_score(d, t, tonumber(t.queued_at) or tonumber(t.created) or 0) }
      end
    end
  end
  table.sort(back, function(x, y)
    if x.rank ~= y.rank then return x.rank < y.rank end
    return tonumber(x.n) < tonumber(y.n)
  end)
  return back
end

-- Say on the ticket's log and to supervisors (and a chat's customer) that
-- ticket B.n was taken back from agent ID.
local function drop_told(p, b, id, why, now)
  redis.call('XADD', rx.tkey(p, b.n) .. ':log', '*', 'type', 'event', 'author', 'system',
    'field', 'requeued', 'old', id, 'new', b.t.queue, 'reason', why,
    'text', 'Handed back to queue ' .. b.t.queue .. ': ' .. (DROP_WHY[why] or why), 'ts', now)
  rx.publish(p, { type = 'ticket.requeued', ticket = tonumber(b.n), from = id,
    queue = b.t.queue, reason = why, audience = 'supervisor' })
  if rx.route_kind(b.t) == 'chat' then
    rx.publish(p, { type = 'chat.requeued', ticket = tonumber(b.n), from = id,
      queue = b.t.queue, agent = '', reason = why })
  end
end

-- An agent went offline: give back what was not yet taken up, in front of
-- each queue's head in the order it stood (so two tickets given back do
-- not come back reversed), then offer each in that order.
local function agent_drop(p, id, now, why)
  local back = drop_list(p, id)
  for _, b in ipairs(back) do
    rx.route_unassign(p, b.n, nil, id, false, now)
    rx.ticket_set(p, b.n, b.t, 'agent', '', 'system', now)
  end
  for i = #back, 1, -1 do
    local b = back[i]
    place(p, b.n, b.t, now, tonumber(b.t.queued_at) or now, true, b.d)
  end
  local out = {}
  for _, b in ipairs(back) do
    drop_told(p, b, id, why or 'offline', now)
    if b.t.agent == '' then offer(p, b.n, b.t, now, b.d) end
    out[#out + 1] = tonumber(b.n)
  end
  return out
end

-- Change agent ID's state; a free agent gets waiting work at once. WHY:
-- what took them offline (left, lapsed; default offline), for the log.
rx.route_agent_set = function(p, id, state, now, why)
  local old = set_state(p, id, state, now)
  local out = { agent = id, state = state, old = old, assigned = {}, requeued = {} }
  rx.agent_index(p, id)
  if state ~= 'offline' or not why then redis.call('HDEL', akey(p, id), 'resume') end
  if state == 'offline' then out.requeued = agent_drop(p, id, now, why) end
  if state == 'available' then out.assigned = rx.agent_dispatch(p, id, now) end
  rx.route_flush(p, now)
  out.assigned = rx.list(out.assigned)
  out.requeued = rx.list(out.requeued)
  return out
end

-- Agent ID has no live connection any more (WHY: "left", their last socket
-- closed on some node; "lapsed", their heartbeat stopped): offline for
-- routing at once, their work handed back by the queues' rules. The state
-- they had is kept in `resume`, restored when a connection comes back.
rx.route_agent_gone = function(p, id, now, why)
  local st = rx.agent_state(p, id).state
  if st == 'offline' then return nil end
  local out = rx.route_agent_set(p, id, 'offline', now, why)
  redis.call('HSET', akey(p, id), 'resume', st == 'away' and 'away' or 'available')
  return out
end

-- A connection of agent ID is (back) up: the state they had before they
-- were taken offline for want of one returns.
rx.route_agent_back = function(p, id, now)
  local f = redis.call('HMGET', akey(p, id), 'state', 'resume')
  if f[1] ~= 'offline' or not f[2] then return nil end
  return rx.route_agent_set(p, id, f[2], now)
end

-- Agents found without a connection during this call leave routing now.
rx.route_flush = function(p, now)
  if next(STALE) == nil then return end
  local ids = STALE
  STALE = {}
  for id in pairs(ids) do
    if redis.call('EXISTS', p .. 'presence:' .. id) == 0 then
      rx.route_agent_gone(p, id, now, 'lapsed')
    end
  end
end

local function agent_arg(p, a)
  local id = tostring(a.agent or '')
  if id == '' or redis.call('EXISTS', p .. 'a:' .. id) == 0 then
    rx.fail('NOTFOUND', 'no agent ' .. id)
  end
  return id
end

-- {agent, state} -> {agent, state, old, assigned, requeued}
local function route_agent(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local id = agent_arg(p, a)
  if not STATES[a.state or ''] then rx.fail('BADARG', 'unknown state "' .. tostring(a.state) .. '"') end
  return rx.encode(rx.route_agent_set(p, id, a.state, rx.now()))
end

-- {agent, ticket}: the agent answered the call or the chat; a call makes
-- the agent "oncall" until it is done.
local function route_accept(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local id = agent_arg(p, a)
  local n = tostring(a.ticket or '')
  local w = redis.call('HGET', p .. 'aw:' .. id, n)
  if not w then rx.fail('NOTFOUND', 'RX-' .. n .. ' is not assigned to agent ' .. id) end
  local kind = string.match(w, '^(%a+)')
  redis.call('HSET', p .. 'aw:' .. id, n, kind .. ':1')
  local now = rx.now()
  if kind == 'voice' then
    set_state(p, id, 'oncall', now)
    rx.agent_index(p, id)
  end
  return rx.encode({ agent = id, ticket = tonumber(n), kind = kind })
end

-- Agent ID finished a call or a chat they were on (available or oncall):
-- wrap-up for routing's `wrapup` seconds, out of every set, until the sweep
-- (sla.lua) makes them available. False when wrap-up is off (0) or they
-- were away or offline: the caller decides what comes instead. For
-- rx_route_done and the end of a call (voice.lua), a hook of head.lua.
rx.route_wrapup = function(p, id, now)
  local r = rx.agent_state(p, id)
  local wrap = rx.route_cfg(p).wrapup
  if wrap <= 0 or (r.state ~= 'available' and r.state ~= 'oncall') then return false end
  set_state(p, id, 'wrapup', now)
  redis.call('HSET', akey(p, id), 'wrapup_until', now + wrap * 1000)
  redis.call('ZADD', p .. 'wrapup', now + wrap * 1000, id)
  rx.agent_index(p, id)
  return true
end

-- {agent, ticket, requeue}: the agent is done with a ticket (or gives it
-- back with requeue=true). After a call or chat comes wrap-up.
local function route_done(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local id = agent_arg(p, a)
  local n = tostring(a.ticket or '')
  local w = redis.call('HGET', p .. 'aw:' .. id, n)
  if not w then rx.fail('NOTFOUND', 'RX-' .. n .. ' is not assigned to agent ' .. id) end
  local now = rx.now()
  local kind = string.match(w, '^(%a+)')
  local t = rx.ticket_load(p, n)
  rx.route_unassign(p, n, t, id, a.requeue == true, now)
  if kind ~= 'mail' and a.requeue ~= true and rx.route_wrapup(p, id, now) then
    return rx.encode({ agent = id, ticket = tonumber(n), state = 'wrapup', assigned = rx.list({}) })
  end
  local out
  local r = rx.agent_state(p, id)
  if r.state == 'oncall' then
    out = rx.route_agent_set(p, id, 'available', now)
  else
    rx.agent_index(p, id)
    out = { state = r.state, assigned = r.state == 'available' and rx.agent_dispatch(p, id, now) or {} }
  end
  return rx.encode({ agent = id, ticket = tonumber(n), state = out.state,
    assigned = rx.list(out.assigned) })
end

local QDEF_FIELDS = { skills = 1, strategy = 1, aging = 1, overflow = 1, overflow_timeout = 1,
  sticky_wait = 1, mail_release = 1, pending_release = 1, lang_match = 1, sla = 1, calendar = 1,
  breach_raise = 1, breach_overflow = 1, paused = 1 }

-- {queue, set:{field: value}}: define or change a queue (config at start,
-- supervisor API at run time). Resuming a queue dispatches its tickets.
local function route_queue_set(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local q = tostring(a.queue or '')
  if not string.match(q, '^[%w._-]+$') or #q > 64 then rx.fail('BADARG', 'bad queue name') end
  local set = type(a.set) == 'table' and a.set or {}
  local flat = {}
  for k, v in pairs(set) do
    if not QDEF_FIELDS[k] then rx.fail('BADARG', 'unknown queue field "' .. k .. '"') end
    if k == 'strategy' and not STRATEGIES[v] then rx.fail('BADARG', 'unknown strategy "' .. tostring(v) .. '"') end
    if type(v) == 'table' then v = cjson.encode(v) end
    if type(v) == 'boolean' then v = v and '1' or '0' end
    flat[#flat + 1] = k; flat[#flat + 1] = tostring(v)
  end
  if #flat > 0 then redis.call('HSET', p .. 'qdef:' .. q, unpack(flat)) end
  redis.call('SADD', p .. 'queues', q)
  local assigned = 0
  if set.paused ~= nil then assigned = rx.route_dispatch_queue(p, q, rx.now(), 1000) end
  rx.publish(p, { type = 'queue.changed', queue = q })
  local d = rx.qdef(p, q)
  d.skills = rx.list(d.skills)
  d.assigned = assigned
  return rx.encode(d)
end

-- Try to assign up to LIMIT waiting tickets of queue Q, oldest-ranked first.
rx.route_dispatch_queue = function(p, q, now, limit)
  local d = rx.qdef(p, q)
  if d.paused then return 0 end
  local done = 0
  local head = redis.call('ZRANGE', p .. 'q:' .. q, 0, limit - 1)
  for _, n in ipairs(head) do
    local t = rx.ticket_load(p, n)
    if not t or t.agent ~= '' then
      rx.route_qrem(p, q, n)
    elseif (t.sticky_agent or '') == '' then
      local id = pick(p, d, t)
      if id then rx.route_assign(p, n, t, id, 'system', now); done = done + 1 end
    end
  end
  rx.route_flush(p, now)
  return done
end

-- {ticket, agent, actor}: a supervisor moves a ticket to another agent
-- (or back to its queue with agent "").
local function route_reassign(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local t = rx.ticket_load(p, a.ticket)
  if not t then rx.fail('NOTFOUND', 'no ticket ' .. tostring(a.ticket)) end
  local n = t.n
  local to = tostring(a.agent or '')
  if to ~= '' and redis.call('EXISTS', p .. 'a:' .. to) == 0 then rx.fail('NOTFOUND', 'no agent ' .. to) end
  if t.status == 'closed' then rx.fail('CONFLICT', 'RX-' .. n .. ' is closed') end
  local now = rx.now()
  local actor = tostring(a.actor or 'system')
  if to ~= '' and to ~= t.agent then
    local kind = rx.route_kind(t)
    local load = tonumber(redis.call('HGET', akey(p, to), 'load_' .. kind)) or 0
    if load >= agent_profile(p, to).cap[kind] then
      rx.fail('CONFLICT', 'agent ' .. to .. ' has no room for ' .. kind)
    end
  end
  if to ~= '' and to == t.agent then return rx.encode({ ticket = tonumber(n), agent = to }) end
  -- the old agent's place frees and takes their next work in this call
  if t.agent ~= '' then rx.route_released(p, n, t, now) end
  if to == '' then
    rx.ticket_set(p, n, t, 'agent', '', actor, now)
    rx.route_queue(p, n, t, now, tonumber(t.queued_at) or now, true)
  else
    rx.route_assign(p, n, t, to, actor, now)
  end
  return rx.encode({ ticket = tonumber(n), agent = rx.ticket_load(p, n).agent })
end

redis.register_function { function_name = 'rx_route_agent', callback = route_agent }
redis.register_function { function_name = 'rx_route_accept', callback = route_accept }
redis.register_function { function_name = 'rx_route_done', callback = route_done }
redis.register_function { function_name = 'rx_route_queue_set', callback = route_queue_set }
redis.register_function { function_name = 'rx_route_reassign', callback = route_reassign }
