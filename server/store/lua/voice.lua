-- Calls (docs/voice.md): the call record, the screen pop, missed calls
-- turned into call-back tasks, and each agent's dial identity. A call came
-- in through rx_ingest like any contact (channels/voice.c: channel voice,
-- dedup twilio:<CallSid>:ringing or cti:<callId>:newCall); what happens to
-- it afterwards (answered, ended, recorded) comes here, in any order.
--
-- rx:call:<scheme>:<id> hash: scheme, call, ticket, customer, from, to,
--   queue, agent, ring_at, answer_at, end_at, cause, duration, recording,
--   recording_duration, outcome, final ("1" once the record is complete),
--   popped (the agent, or "*" for a group, the screen pop went to).
-- rx:vix:<identity> -> agent id; the agent hash's voice_identity field.

local DEDUP_TTL = 30 * 24 * 3600
local CALL_TTL = 90 * 24 * 3600
local RECENT = 5		-- history entries in a screen pop
local GROUP_MAX = 50		-- agents one group pop reaches at most
local ENDED = { ended = 1 }

local function ckey(p, scheme, id) return p .. 'call:' .. scheme .. ':' .. id end

local function field(a, k, max)
  local v = a[k]
  if v == nil or v == cjson.null then return '' end
  if type(v) ~= 'string' and type(v) ~= 'number' then rx.fail('BADARG', k .. ' must be a string') end
  v = tostring(v)
  if #v > max then rx.fail('BADARG', k .. ' is longer than ' .. max .. ' bytes') end
  return v
end

-- The call's scheme and id from the arguments, and its record.
local function call_of(p, a)
  local scheme, id = field(a, 'scheme', 16), field(a, 'call', 128)
  if not string.match(scheme, '^%l+$') then rx.fail('BADARG', 'bad scheme') end
  if id == '' then rx.fail('BADARG', 'call is required') end
  local key = ckey(p, scheme, id)
  local rec = rx.hgetall(key)
  rec.scheme, rec.call = scheme, id
  return key, rec
end

-- Set the record's fields that are still unset (an event seen twice, or
-- late, never moves a time already known).
local function fill(key, rec, t)
  for k, v in pairs(t) do
    if v ~= nil and v ~= '' and (rec[k] == nil or rec[k] == '') then
      rec[k] = tostring(v)
      redis.call('HSET', key, k, rec[k])
    end
  end
end

-- The agent a PBX or Twilio names: a dial identity, an agent id or an email.
local function agent_named(p, user)
  if user == nil or user == '' then return nil end
  local id = redis.call('GET', p .. 'vix:' .. user)
  if id then return id end
  if redis.call('EXISTS', p .. 'a:' .. user) == 1 then return user end
  return redis.call('GET', p .. 'ix:agent:' .. string.lower(user)) or nil
end

local function identity_of(p, id)
  if not id or id == '' then return '' end
  return redis.call('HGET', p .. 'a:' .. id, 'voice_identity') or ''
end

-- The customer card a screen pop carries: who, and the latest contacts.
local function card(p, cid)
  local f = redis.call('HMGET', p .. 'c:' .. cid, 'name', 'type', 'organisation',
    'specialty', 'region', 'segment', 'language')
  local hist = {}
  for _, e in ipairs(redis.call('XREVRANGE', p .. 'c:' .. cid .. ':hist', '+', '-', 'COUNT', RECENT)) do
    local h = { id = e[1] }
    for i = 1, #e[2], 2 do h[e[2][i]] = e[2][i + 1] end
    h.ticket, h.ts = tonumber(h.ticket), tonumber(h.ts)
    hist[#hist + 1] = h
  end
  return { id = cid, name = f[1] or '', type = f[2] or 'other', organisation = f[3] or '',
    specialty = f[4] or '', region = f[5] or '', segment = f[6] or '', language = f[7] or '',
    identities = rx.list(redis.call('SMEMBERS', p .. 'c:' .. cid .. ':ids')),
    tickets = redis.call('ZCARD', p .. 'c:' .. cid .. ':tickets'),
    history = rx.list(hist) }
end

-- Every available agent with room for a call in queue Q (a PBX ringing a
-- group): the queue's rarest skill's set, as routing keeps it.
local function group_of(p, q)
  local d = rx.qdef(p, q)
  local skill = d.skills[1] or '*'
  return redis.call('ZRANGE', p .. 'av:voice:' .. skill, 0, GROUP_MAX - 1)
end

-- The screen pop: to the routed agent, or to every free agent of the
-- queue, once per agent the call rings.
local function pop(p, key, rec, t)
  local who = t.agent ~= '' and t.agent or '*'
  if rec.popped == who then return end
  rec.popped = who
  redis.call('HSET', key, 'popped', who)
  local ev = { type = 'call.ringing', call = rec.call, scheme = rec.scheme,
    ticket = tonumber(t.n), agent = t.agent, queue = t.queue, from = rec.from or '',
    to = rec.to or '', category = t.category, flags = t.flags,
    customer = card(p, rec.customer) }
  if t.agent == '' then ev.agents = rx.list(group_of(p, t.queue)) end
  rx.publish(p, ev)
end

local OUTCOME = { busy = 'busy', ['no-answer'] = 'no-answer', noAnswer = 'no-answer',
  failed = 'failed', congestion = 'failed', notFound = 'failed', canceled = 'abandoned',
  cancel = 'abandoned' }

local function outcome_of(rec)
  if (rec.answer_at or '') ~= '' then return 'answered' end
  if (rec.recording or '') ~= '' then return 'voicemail' end
  return OUTCOME[rec.cause or ''] or 'abandoned'
end

-- The agent's call is over: their voice place is free again. One who was
-- on the line goes to wrap-up first, as after a chat (rx.route_wrapup);
-- with wrap-up off, straight back to available.
local function release(p, n, id, now)
  if not id or id == '' then return end
  local w = redis.call('HGET', p .. 'aw:' .. id, n)
  if not w or string.sub(w, 1, 6) ~= 'voice:' then return end
  rx.route_unassign(p, n, nil, id, false, now)
  if rx.agent_state(p, id).state == 'oncall' then
    if not rx.route_wrapup(p, id, now) then rx.route_agent_set(p, id, 'available', now) end
  else
    rx.agent_index(p, id)
    if rx.agent_state(p, id).state == 'available' then rx.agent_dispatch(p, id, now) end
  end
end

-- A missed call becomes a call-back task: the ticket waits in its queue
-- as work for any agent (kind mail: it is done later, not on the line).
local function callback(p, n, t, now)
  if t.agent ~= '' then
    rx.route_released(p, n, t, now)	-- the place frees: their next work now
    rx.ticket_set(p, n, t, 'agent', '', 'system', now)
  end
  rx.route_qrem(p, t.queue, n)
  redis.call('HSET', rx.tkey(p, n), 'kind', 'mail')
  t.kind = 'mail'
  rx.ticket_set(p, n, t, 'callback', '1', 'system', now)
  rx.route_queue(p, n, t, now)
end

local RECORD_FIELDS = { 'call', 'scheme', 'from', 'to', 'agent', 'ring_at', 'answer_at', 'end_at',
  'duration', 'outcome', 'recording', 'recording_duration', 'cause', 'queue' }

-- The record as the ticket's log shows it (one "call" entry per change
-- after the end; the newest is the record).
local function log_record(p, n, rec, now)
  local e = { 'type', 'call', 'direction', 'in', 'channel', 'voice', 'author', 'system', 'ts', now }
  for _, k in ipairs(RECORD_FIELDS) do
    if (rec[k] or '') ~= '' then e[#e + 1] = k; e[#e + 1] = rec[k] end
  end
  return redis.call('XADD', rx.tkey(p, n) .. ':log', '*', unpack(e))
end

local function summary_of(rec)
  local s = 'Call ' .. rec.outcome
  if rec.outcome == 'answered' then s = s .. ', ' .. rec.duration .. ' s' end
  if (rec.from or '') ~= '' then s = s .. ' from ' .. rec.from end
  return s
end

-- The call ended and its ticket is known: complete the record, free the
-- agent, and open a call-back task when nobody spoke to the caller. A late
-- event (an answer or a recording after the end) completes it again.
local function finish(p, key, rec, now)
  if (rec.end_at or '') == '' or (rec.ticket or '') == '' then return end
  local n = rec.ticket
  local t = rx.ticket_load(p, n)
  if not t then return end
  local first = rec.final ~= '1'
  local was = rec.outcome
  rec.outcome = outcome_of(rec)
  local talk = 0
  if rec.outcome == 'answered' then
    talk = math.max(0, math.floor((tonumber(rec.end_at) - tonumber(rec.answer_at)) / 1000 + 0.5))
  end
  if (rec.talk or '') ~= '' then talk = tonumber(rec.talk) end
  rec.duration = tostring(talk)
  rec.final = '1'
  redis.call('HSET', key, 'outcome', rec.outcome, 'duration', rec.duration, 'final', '1')
  local logid = log_record(p, n, rec, now)
  if first then
    rx.customer_history_add(p, rec.customer, { channel = 'voice', direction = 'in',
      ticket = n, kind = 'call', summary = summary_of(rec), ts = now, call = rec.call })
    release(p, n, rec.agent ~= '' and rec.agent or t.agent, now)
  end
  if rec.outcome ~= 'answered' and (first or was == 'answered') and t.callback ~= '1' then
    callback(p, n, t, now)
  elseif rec.outcome == 'answered' and t.callback == '1' then
    rx.ticket_set(p, n, t, 'callback', '0', 'system', now)
  end
  rx.publish(p, { type = 'call.ended', call = rec.call, scheme = rec.scheme,
    ticket = tonumber(n), agent = rec.agent or '', outcome = rec.outcome,
    duration = talk, callback = t.callback == '1', queue = t.queue, log = logid })
end

-- FCALL rx_voice_ring 0 <prefix> {scheme, call, ticket, customer, from, to}:
-- the call's ticket is stored (rx_ingest answered); record it, pop the
-- screen and name whom to dial -> {ticket, agent, identity, ended}.
-- Called again for the same call (Twilio's hold loop) it only re-reads.
local function voice_ring(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local key, rec = call_of(p, a)
  local t = rx.ticket_load(p, a.ticket)
  if not t then rx.fail('NOTFOUND', 'no ticket ' .. tostring(a.ticket)) end
  local now = rx.now()
  fill(key, rec, { ticket = t.n, customer = t.customer, from = field(a, 'from', 64),
    to = field(a, 'to', 64), queue = t.queue, ring_at = now })
  redis.call('EXPIRE', key, CALL_TTL)
  redis.call('HSET', rx.tkey(p, t.n), 'call', rec.scheme .. ':' .. rec.call)
  if (rec.end_at or '') ~= '' then
    finish(p, key, rec, now)
    return rx.encode({ ticket = tonumber(t.n), agent = '', identity = '', ended = true })
  end
  if t.agent ~= '' then fill(key, rec, { agent = t.agent }) end
  if t.callback ~= '1' then pop(p, key, rec, t) end
  return rx.encode({ ticket = tonumber(t.n), agent = t.agent,
    identity = identity_of(p, t.agent), ended = false, customer = t.customer })
end

-- An agent answered: the call is theirs (moved to them if the PBX rang a
-- group), and they are on the line.
local function answered(p, key, rec, a, now)
  local id = agent_named(p, field(a, 'user', 256)) or (rec.agent ~= '' and rec.agent) or nil
  fill(key, rec, { answer_at = now })
  if not id then return end
  if (rec.agent or '') ~= id then
    rec.agent = id
    redis.call('HSET', key, 'agent', id)
  end
  local t = (rec.ticket or '') ~= '' and rx.ticket_load(p, rec.ticket)
  if not t or (rec.end_at or '') ~= '' then return end
  if t.agent ~= id then
    if t.agent ~= '' then rx.route_released(p, t.n, t, now) end
    rx.route_assign(p, t.n, t, id, 'system', now)
  end
  redis.call('HSET', p .. 'aw:' .. id, t.n, 'voice:1')
  rx.route_agent_set(p, id, 'oncall', now)
end

-- FCALL rx_voice_event 0 <prefix> {scheme, call, event, dedup, user,
-- cause, talk, recording, recording_duration}: event "answered", "ended",
-- "leg_ended" (the agent's leg: its talk time) or "recording"; others are
-- only deduplicated -> {duplicate, outcome, ticket, agent}.
local function voice_event(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local key, rec = call_of(p, a)
  local ev, dedup = field(a, 'event', 32), field(a, 'dedup', 256)
  if dedup ~= '' and not redis.call('SET', p .. 'dedup:' .. dedup, '1', 'NX', 'EX', DEDUP_TTL) then
    return rx.encode({ duplicate = true, outcome = rec.outcome or '' })
  end
  local now = rx.now()
  if ev == 'answered' then
    answered(p, key, rec, a, now)
  elseif ENDED[ev] then
    fill(key, rec, { end_at = now, cause = field(a, 'cause', 64), talk = field(a, 'talk', 16) })
  elseif ev == 'leg_ended' then
    fill(key, rec, { talk = field(a, 'talk', 16) })
  elseif ev == 'recording' then
    fill(key, rec, { recording = field(a, 'recording', 2048),
      recording_duration = field(a, 'recording_duration', 16) })
  end
  redis.call('EXPIRE', key, CALL_TTL)
  if ev == 'answered' or ENDED[ev] or ev == 'recording' then finish(p, key, rec, now) end
  return rx.encode({ duplicate = false, outcome = rec.outcome or '', ticket = tonumber(rec.ticket),
    agent = rec.agent or '' })
end

-- FCALL rx_voice_identity 0 <prefix> {agent, identity}: what to dial for
-- the agent ("client:ann", "sip:ann@pbx.example.com", "+380441234567" or
-- a PBX extension); "" removes it -> {agent, identity}.
local function voice_identity(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local id, ident = field(a, 'agent', 24), field(a, 'identity', 256)
  if redis.call('EXISTS', p .. 'a:' .. id) == 0 then rx.fail('NOTFOUND', 'no agent ' .. id) end
  if ident ~= '' and not string.match(ident, '^[%w@:+._/%-]+$') then
    rx.fail('BADARG', 'identity: letters, digits and @:+._-/ only')
  end
  local owner = ident ~= '' and redis.call('GET', p .. 'vix:' .. ident)
  if owner and owner ~= id then rx.fail('CONFLICT', 'agent ' .. owner .. ' has that identity') end
  local old = identity_of(p, id)
  if old ~= '' then redis.call('DEL', p .. 'vix:' .. old) end
  if ident == '' then
    redis.call('HDEL', p .. 'a:' .. id, 'voice_identity')
  else
    redis.call('HSET', p .. 'a:' .. id, 'voice_identity', ident)
    redis.call('SET', p .. 'vix:' .. ident, id)
  end
  rx.audit(p, 'system', 'agent:' .. id, 'voice_identity', old, ident, rx.now())
  return rx.encode({ agent = id, identity = ident })
end

-- FCALL rx_voice_call 0 <prefix> {scheme, call}: the record (tests, API).
local function voice_call(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local _, rec = call_of(p, a)
  return rx.encode(rec)
end

redis.register_function { function_name = 'rx_voice_ring', callback = voice_ring }
redis.register_function { function_name = 'rx_voice_event', callback = voice_event }
redis.register_function { function_name = 'rx_voice_identity', callback = voice_identity }
redis.register_function { function_name = 'rx_voice_call', flags = { 'no-writes' },
  callback = voice_call }
