-- Web chat (channels/chat*.c, docs/chat.md): what a chat needs beyond
-- rx_ingest, which stores every customer message. A chat is a ticket of
-- channel "chat"; <prefix>chat:<token> maps the widget's random token to it.
-- Events published here (docs/chat.md, Events) reach every node: the
-- customer's WebSocket may be on one node, the agent's on another.

local CHAT_TTL = 30 * 24 * 3600
local REPLAY_MAX = 500		-- messages a resume sends at most
local POSITIONS_MAX = 1000	-- tickets one positions call looks at

local function ckey(p, token) return p .. 'chat:' .. token end

local function token_arg(a)
  local tok = type(a.token) == 'string' and a.token or ''
  if not string.match(tok, '^%x+$') or #tok ~= 32 then rx.fail('BADARG', 'bad chat token') end
  return tok
end

-- The chat ticket N, or a NOTFOUND error.
local function chat_ticket(p, n)
  local t = rx.ticket_load(p, n)
  if not t or t.channel ~= 'chat' then rx.fail('NOTFOUND', 'no chat ' .. tostring(n)) end
  return t
end

local function agent_name(p, id, cache)
  if not id or id == '' then return nil end
  if cache and cache[id] then return cache[id] end
  local name = redis.call('HGET', p .. 'a:' .. id, 'name') or ''
  if name == '' then name = 'Agent ' .. id end
  if cache then cache[id] = name end
  return name
end

local function open_status(s) return s ~= 'resolved' and s ~= 'closed' end

-- Where ticket T stands: waiting (position, estimate), with an agent, or
-- done. HANDLE: the seconds one chat takes on average (chat.handle_seconds).
local function chat_state(p, t, handle)
  local st = { ticket = tonumber(t.n), number = 'RX-' .. t.n, status = t.status }
  if not open_status(t.status) then st.state = 'closed'; return st end
  if t.agent ~= '' then
    st.state = 'active'
    st.agent = { id = t.agent, name = agent_name(p, t.agent) }
    return st
  end
  st.state = 'waiting'
  local rank = redis.call('ZRANK', p .. 'q:' .. t.queue, t.n)
  st.position = rank and (rank + 1) or 1
  st.waiting = redis.call('ZCARD', p .. 'q:' .. t.queue)
  -- Agents online (routing's presence set) share the queue ahead.
  local online = redis.call('ZCARD', p .. 'online')
  st.agents = online
  st.estimate_s = math.ceil(st.position * (tonumber(handle) or 180) / math.max(online, 1))
  return st
end

-- {token, ticket, customer, handle} -> state: the chat's token names ticket.
local function chat_open(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local tok = token_arg(a)
  local t = chat_ticket(p, a.ticket)
  redis.call('HSET', ckey(p, tok), 'ticket', t.n, 'customer', t.customer,
    'created', rx.now())
  redis.call('EXPIRE', ckey(p, tok), CHAT_TTL)
  return rx.encode(chat_state(p, t, a.handle))
end

-- A ticket log entry as the widget shows it.
local function replay_entry(p, e, names)
  local f = {}
  for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end
  if f.type ~= 'message' then return nil end
  local m = { id = e[1], text = f.text or '', ts = tonumber(f.ts) }
  if f.direction == 'in' then
    m.from = 'customer'
    local ok, fields = pcall(cjson.decode, f.fields or 'null')
    if ok and type(fields) == 'table' and type(fields.cid) == 'string' then m.cid = fields.cid end
  else
    m.from = 'agent'
    local id = string.match(f.author or '', '^a:(.+)$')
    m.name = agent_name(p, id, names) or 'rxdesk'
  end
  return m
end

-- {token, after, handle} -> state + {messages: [...]}: the customer is back.
-- AFTER: the last log id the widget has ("" for the whole transcript).
local function chat_resume(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local tok = token_arg(a)
  local n = redis.call('HGET', ckey(p, tok), 'ticket')
  if not n then rx.fail('NOTFOUND', 'no chat with this token') end
  local t = chat_ticket(p, n)
  redis.call('EXPIRE', ckey(p, tok), CHAT_TTL)
  local after = type(a.after) == 'string' and a.after or ''
  if after ~= '' and not string.match(after, '^%d+%-%d+$') then rx.fail('BADARG', 'bad "after"') end
  local from = after == '' and '-' or '(' .. after
  local msgs, names = {}, {}
  for _, e in ipairs(redis.call('XRANGE', rx.tkey(p, n) .. ':log', from, '+', 'COUNT', REPLAY_MAX * 4)) do
    local m = replay_entry(p, e, names)
    if m then msgs[#msgs + 1] = m end
    if #msgs >= REPLAY_MAX then break end
  end
  local st = chat_state(p, t, a.handle)
  st.messages = rx.list(msgs)
  st.customer = t.customer
  if open_status(t.status) then
    rx.publish(p, { type = 'chat.customer', ticket = tonumber(n), agent = t.agent, online = true })
  end
  return rx.encode(st)
end

-- {tickets: [n...], handle} -> {n: state}: the waiting positions, one call
-- per node and tick for every customer it holds.
local function chat_positions(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local out = {}
  local list = type(a.tickets) == 'table' and a.tickets or {}
  for i = 1, math.min(#list, POSITIONS_MAX) do
    local t = rx.ticket_load(p, list[i])
    if t and t.channel == 'chat' then out[t.n] = chat_state(p, t, a.handle) end
  end
  return cjson.encode(out)
end

-- {ticket, handle} -> state.
local function chat_get(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  return rx.encode(chat_state(p, chat_ticket(p, a.ticket), a.handle))
end

-- The transcript as plain text, for the mail a customer may ask for.
local function transcript_text(p, n)
  local lines, names = {}, {}
  for _, e in ipairs(redis.call('XRANGE', rx.tkey(p, n) .. ':log', '-', '+', 'COUNT', 5000)) do
    local m = replay_entry(p, e, names)
    if m then
      local who = m.from == 'customer' and 'You' or m.name
      lines[#lines + 1] = '[' .. who .. '] ' .. m.text
    end
  end
  return table.concat(lines, '\n') .. '\n'
end

local function customer_email(p, cid)
  for _, id in ipairs(redis.call('SMEMBERS', p .. 'c:' .. cid .. ':ids')) do
    if string.sub(id, 1, 6) == 'email:' then return string.sub(id, 7) end
  end
  return nil
end

-- The chat on ticket T ends (resolved): it leaves its queue, its agent
-- is free for the next one.
local function chat_end(p, n, t, actor, now)
  if not open_status(t.status) then return false end
  rx.route_qrem(p, t.queue, n)
  rx.route_released(p, n, t, now)
  rx.ticket_set(p, n, t, 'status', 'resolved', actor, now)
  rx.ticket_set(p, n, t, 'resolved_at', now, actor, now)
  return true
end

-- {ticket, token | who, transcript, reason} -> {ticket, closed, transcript}:
-- the customer (by token) or an agent who may see it ends the chat.
local function chat_close(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local t = chat_ticket(p, a.ticket)
  local n, actor, by = t.n, 'system', 'agent'
  if a.token ~= nil then
    if redis.call('HGET', ckey(p, token_arg(a)), 'ticket') ~= n then
      rx.fail('NOTFOUND', 'no chat ' .. n)
    end
    actor, by = 'c:' .. t.customer, 'customer'
  else
    local who = type(a.who) == 'table' and a.who or {}
    if not rx.ticket_visible(t, who) then rx.fail('NOTFOUND', 'no chat ' .. n) end
    actor = 'a:' .. tostring(who.agent or '')
  end
  local now = rx.now()
  local agent = t.agent
  local closed = chat_end(p, n, t, actor, now)
  local job = nil
  if a.transcript == true then
    local to = customer_email(p, t.customer)
    if to then
      job = rx.outbox_add(p, { ticket = n, to = to, kind = 'transcript', auto = '0',
        subject = 'Your chat transcript [RX-' .. n .. ']', text = transcript_text(p, n),
        token = t.token or '', attempt = '0', ts = now, lang = t.lang or '' }, now)
    end
  end
  if closed then
    rx.publish(p, { type = 'chat.closed', ticket = tonumber(n), agent = agent, by = by,
      reason = type(a.reason) == 'string' and a.reason or nil })
  end
  return rx.encode({ ticket = tonumber(n), closed = closed, transcript = job and true or false })
end

-- Has agent TO room for one more chat?
local function chat_room(p, to)
  local load = tonumber(redis.call('HGET', p .. 'ar:' .. to, 'load_chat')) or 0
  local ok, c = pcall(cjson.decode, redis.call('HGET', p .. 'a:' .. to, 'capacity') or '{}')
  local cap = ok and type(c) == 'table' and tonumber(c.chat) or 3
  return load < cap
end

-- {ticket, who, queue | agent} -> state: an agent hands the chat on, to a
-- colleague (who must have room) or to the head of a queue.
local function chat_transfer(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local t = chat_ticket(p, a.ticket)
  local who = type(a.who) == 'table' and a.who or {}
  if not rx.ticket_visible(t, who) then rx.fail('NOTFOUND', 'no chat ' .. t.n) end
  if not open_status(t.status) then rx.fail('CONFLICT', 'RX-' .. t.n .. ' is over') end
  local n, now, actor, from = t.n, rx.now(), 'a:' .. tostring(who.agent or ''), t.agent
  local to = a.agent ~= nil and tostring(a.agent) or nil
  if to then
    if redis.call('EXISTS', p .. 'a:' .. to) == 0 then rx.fail('NOTFOUND', 'no agent ' .. to) end
    if to == from then rx.fail('CONFLICT', 'the chat is already theirs') end
    if not chat_room(p, to) then rx.fail('CONFLICT', 'agent ' .. to .. ' has no room for chat') end
    if from ~= '' then rx.route_released(p, n, t, now) end
    rx.route_assign(p, n, t, to, actor, now)
  else
    local q = type(a.queue) == 'string' and a.queue or ''
    if not string.match(q, '^[%w_.-]+$') or #q > 64 then rx.fail('BADARG', 'bad queue name') end
    if from ~= '' then rx.route_released(p, n, t, now) end
    rx.ticket_set(p, n, t, 'agent', '', actor, now)
    rx.route_qrem(p, t.queue, n)
    rx.ticket_set(p, n, t, 'queue', q, actor, now)
    rx.route_queue(p, n, t, now, now, true)
  end
  t = rx.ticket_load(p, n)
  rx.publish(p, { type = 'chat.transfer', ticket = tonumber(n), agent = t.agent, from = from,
    queue = t.queue, name = agent_name(p, t.agent) })
  return rx.encode(chat_state(p, t, a.handle))
end

-- {tickets: [n...], grace} -> {requeued: [n...]}: chats whose agent has had
-- no live connection (presence key) for GRACE seconds go back to the head
-- of their queue. Each node asks for the chats of its own customers.
local function chat_sweep(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local grace = (tonumber(a.grace) or 30) * 1000
  local now, back = rx.now(), {}
  local list = type(a.tickets) == 'table' and a.tickets or {}
  for i = 1, math.min(#list, POSITIONS_MAX) do
    local t = rx.ticket_load(p, list[i])
    if t and t.channel == 'chat' and t.agent ~= '' and open_status(t.status) then
      local n, id = t.n, t.agent
      if redis.call('EXISTS', p .. 'presence:' .. id) == 1 then
        if t.agent_gone then redis.call('HDEL', rx.tkey(p, n), 'agent_gone') end
      elseif not t.agent_gone then
        redis.call('HSET', rx.tkey(p, n), 'agent_gone', now)
      elseif now - tonumber(t.agent_gone) >= grace then
        redis.call('HDEL', rx.tkey(p, n), 'agent_gone')
        -- Gone for good: offline first, so that routing does not hand the
        -- chat straight back to them (unanswered chats go back with it).
        if rx.agent_state(p, id).state ~= 'offline' then rx.route_agent_set(p, id, 'offline', now) end
        t = rx.ticket_load(p, n)
        if t.agent == id and not rx.route_unassign(p, n, t, id, true, now) then
          rx.ticket_set(p, n, t, 'agent', '', 'system', now)
          rx.route_queue(p, n, t, now, tonumber(t.queued_at) or now, true)
        end
        back[#back + 1] = tonumber(n)
        rx.publish(p, { type = 'chat.requeued', ticket = tonumber(n), from = id,
          queue = t.queue, agent = rx.ticket_load(p, n).agent })
      end
    end
  end
  return rx.encode({ requeued = rx.list(back) })
end

-- {ticket, what, from, who?}: typing, read, the customer gone or back.
-- Nothing is stored: these are notifications.
local SIGNALS = { typing = 1, read = 1, online = 1, offline = 1 }
local function chat_signal(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local t = chat_ticket(p, a.ticket)
  local what = tostring(a.what or '')
  if not SIGNALS[what] then rx.fail('BADARG', 'unknown signal') end
  if a.from == 'agent' then
    if not rx.ticket_visible(t, type(a.who) == 'table' and a.who or {}) then
      rx.fail('NOTFOUND', 'no chat ' .. t.n)
    end
  end
  local ev = { ticket = tonumber(t.n), agent = t.agent, from = a.from == 'agent' and 'agent' or 'customer' }
  if what == 'online' or what == 'offline' then
    ev.type, ev.online = 'chat.customer', what == 'online'
  else
    ev.type = 'chat.' .. what
    if type(a.id) == 'string' and #a.id <= 64 then ev.id = a.id end
  end
  rx.publish(p, ev)
  return cjson.encode({ ok = true })
end

redis.register_function { function_name = 'rx_chat_open', callback = chat_open }
redis.register_function { function_name = 'rx_chat_resume', callback = chat_resume }
redis.register_function { function_name = 'rx_chat_positions', callback = chat_positions,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_chat_get', callback = chat_get,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_chat_close', callback = chat_close }
redis.register_function { function_name = 'rx_chat_transfer', callback = chat_transfer }
redis.register_function { function_name = 'rx_chat_sweep', callback = chat_sweep }
redis.register_function { function_name = 'rx_chat_signal', callback = chat_signal }
