-- Tickets: the model helpers and rx_ingest, one interaction in one atomic
-- call (docs/datamodel.md, Tickets). ticket_ops.lua holds what agents do.

rx.STATUSES = { new = 1, open = 1, pending = 1, resolved = 1, closed = 1 }
-- The filter sets rx:tix:<field>:<value> exist for these hash fields.
local INDEXED = { status = 1, queue = 1, category = 1, agent = 1 }
local DEDUP_TTL = 30 * 24 * 3600

rx.tkey = function(p, n) return p .. 't:' .. n end

-- The ticket hash as a table, or nil.
rx.ticket_load = function(p, n)
  n = tonumber(n)
  if not n or n < 1 or n ~= math.floor(n) then return nil end
  local t = rx.hgetall(rx.tkey(p, n))
  if not t.n then return nil end
  return t
end

-- "a,b" <-> {"a","b"}; empty parts dropped.
rx.split = function(s)
  local out = {}
  for part in string.gmatch(s or '', '[^,]+') do
    part = string.match(part, '^%s*(.-)%s*$')
    if part ~= '' then out[#out + 1] = part end
  end
  return out
end

local function has(list, x)
  for _, v in ipairs(list) do if v == x then return true end end
  return false
end

local function index_move(p, n, field, old, new)
  if not INDEXED[field] then return end
  if old and old ~= '' then redis.call('SREM', p .. 'tix:' .. field .. ':' .. old, n) end
  if new and new ~= '' then redis.call('SADD', p .. 'tix:' .. field .. ':' .. new, n) end
end

-- Set FIELD of ticket T (number N) to NEW: hash, filter sets, audit and the
-- ticket log. Returns true when the value changed.
rx.ticket_set = function(p, n, t, field, new, actor, now)
  new = tostring(new or '')
  local old = t[field] or ''
  if old == new then return false end
  redis.call('HSET', rx.tkey(p, n), field, new)
  index_move(p, n, field, old, new)
  rx.audit(p, actor, 'ticket:' .. n, field, old, new, now)
  redis.call('XADD', rx.tkey(p, n) .. ':log', '*', 'type', 'event', 'author', actor,
    'field', field, 'old', old, 'new', new, 'ts', now)
  t[field] = new
  return true
end

-- Priority and its number (prio, for sorting) change together.
rx.ticket_priority = function(p, n, t, priority, actor, now)
  if not rx.ticket_set(p, n, t, 'priority', priority, actor, now) then return false end
  t.prio = tostring(rx.PRIORITIES[priority])
  redis.call('HSET', rx.tkey(p, n), 'prio', t.prio)
  rx.route_rescore(p, n, t, now)	-- a waiting ticket's rank follows at once
  return true
end

-- cjson in Redis encodes every empty table as {}: lists that may be empty
-- go through rx.list and documents through rx.encode, which writes [].
local EMPTY_LIST = '\1rx-empty-list\1'
rx.list = function(t)
  if #t == 0 then return EMPTY_LIST end
  return t
end
rx.encode = function(v)
  return (string.gsub(cjson.encode(v), '"\\u0001rx%-empty%-list\\u0001"', '[]'))
end

-- Raise a clean error: "CODE: message" (BADARG, NOTFOUND, CONFLICT).
rx.fail = function(code, msg)
  error({ err = code .. ': ' .. msg })
end

-- Move T to the top of rx:tickets.
rx.ticket_touch = function(p, n, t, now)
  t.updated = tostring(now)
  redis.call('HSET', rx.tkey(p, n), 'updated', now)
  redis.call('ZADD', p .. 'tickets', now, n)
end

-- AE and complaint tickets are for safety staff.
rx.ticket_restricted = function(t)
  local flags = rx.split(t.flags)
  return t.category == 'ae' or t.category == 'complaint' or has(flags, 'ae')
    or has(flags, 'complaint')
end

-- WHO = {agent="5", roles="agent,safety"}, or nil for the system.
-- Agents see general tickets, safety staff AE and complaint tickets, both
-- what is assigned to them; supervisors and admins everything.
rx.ticket_visible = function(t, who)
  if who == nil then return true end
  local roles = rx.split(who.roles)
  if has(roles, 'supervisor') or has(roles, 'admin') then return true end
  if who.agent and who.agent ~= '' and t.agent == tostring(who.agent) then return true end
  if rx.ticket_restricted(t) then return has(roles, 'safety') end
  return has(roles, 'agent')
end

-- The ticket as the API shows it.
rx.ticket_public = function(t)
  local o = {}
  for k, v in pairs(t) do o[k] = v end
  o.token = nil
  o.id = tonumber(t.n)
  o.n = nil
  o.number = 'RX-' .. t.n
  o.tags = rx.list(rx.split(t.tags))
  o.flags = rx.list(rx.split(t.flags))
  for _, k in ipairs({ 'prio', 'created', 'updated', 'first_response_due',
      'resolution_due', 'first_response', 'resolved_at', 'last_in', 'last_out' }) do
    if o[k] then o[k] = tonumber(o[k]) end
  end
  if o.linked == '' then o.linked = nil end
  if o.linked then o.linked = tonumber(o.linked) end
  return o
end

-- Hand a waiting ticket to routing (route.lua, a hook of head.lua).
rx.ticket_enqueue = function(p, n, t, now)
  return rx.route_enqueue(p, n, t, now)
end

-- A reopened ticket waits in its queue again, or, when it has an agent, is
-- their work again if they have room (routing decides: rx.route_resume).
rx.ticket_reopened = function(p, n, t, actor, now)
  if t.agent == '' then return rx.ticket_enqueue(p, n, t, now) end
  rx.route_resume(p, n, t, actor, now)
end

local function str(v, field, max)
  if v == nil or v == cjson.null then return '' end
  if type(v) ~= 'string' and type(v) ~= 'number' then
    rx.fail('BADARG', field .. ' must be a string')
  end
  v = tostring(v)
  if #v > max then rx.fail('BADARG', field .. ' is longer than ' .. max .. ' bytes') end
  return v
end

-- The validated interaction: unknown enum values are refused, not guessed.
-- BLOBS are the call's byte arguments that travel with it (attachments and
-- the raw message); the JSON names them by position, 1 first.
local function ingest_args(json, blobs)
  local ok, a = pcall(cjson.decode, json or 'null')
  if not ok or type(a) ~= 'table' then rx.fail('BADARG', 'the interaction is not a JSON object') end
  local i = {}
  i.channel = str(a.channel, 'channel', 16)
  if not rx.CHANNELS[i.channel] then rx.fail('BADARG', 'unknown channel "' .. i.channel .. '"') end
  i.kind = str(a.kind, 'kind', 16)
  if i.kind == '' then i.kind = rx.CHANNELS[i.channel] end
  if not rx.KINDS[i.kind] then rx.fail('BADARG', 'unknown routing kind "' .. i.kind .. '"') end
  i.direction = a.direction == 'out' and 'out' or 'in'
  i.category = str(a.category, 'category', 16)
  if i.category == '' then i.category = 'general' end
  if not rx.CATEGORIES[i.category] then rx.fail('BADARG', 'unknown category "' .. i.category .. '"') end
  i.priority = str(a.priority, 'priority', 16)
  if i.priority == '' then i.priority = 'normal' end
  if not rx.PRIORITIES[i.priority] then rx.fail('BADARG', 'unknown priority "' .. i.priority .. '"') end
  i.queue = str(a.queue, 'queue', 64)
  if i.queue == '' then i.queue = 'general' end
  if not string.match(i.queue, '^[%w_.-]+$') then rx.fail('BADARG', 'bad queue name') end
  for _, k in ipairs({ 'dedup', 'subject', 'text', 'summary', 'msgid', 'lang', 'token',
      'author', 'agent', 'source' }) do
    i[k] = str(a[k], k, k == 'text' and 16777216 or 4096)
  end
  -- a key derived by the channel holds for its window only (docs/forms.md)
  local ttl = tonumber(a.dedup_ttl)
  i.dedup_ttl = (ttl and ttl >= 1 and ttl < DEDUP_TTL) and math.floor(ttl) or DEDUP_TTL
  i.flags = type(a.flags) == 'table' and a.flags or rx.split(str(a.flags, 'flags', 256))
  i.ident = type(a.ident) == 'table' and a.ident or {}
  i.thread = type(a.thread) == 'table' and a.thread or {}
  i.attachments = {}
  for _, att in ipairs(type(a.attachments) == 'table' and a.attachments or {}) do
    local b = type(att) == 'table' and blobs[tonumber(att.blob) or 0]
    if not b then rx.fail('BADARG', 'an attachment names no blob of the call') end
    i.attachments[#i.attachments + 1] = { name = str(att.name, 'attachment name', 1024),
      type = str(att.type, 'attachment type', 256), data = b }
  end
  if a.raw_blob ~= nil then
    i.raw = blobs[tonumber(a.raw_blob) or 0]
    if not i.raw then rx.fail('BADARG', 'raw_blob names no blob of the call') end
  end
  i.ticket = tonumber(a.ticket)
  local win = tonumber(a.continue_open)
  i.continue_open = (win and win >= 1) and math.floor(win) or nil
  i.received_at = tonumber(a.received_at)
  i.fields = type(a.fields) == 'table' and a.fields or nil
  i.screening = type(a.screening) == 'table' and a.screening or nil
  i.first_response_due = tonumber(a.first_response_due)
  i.resolution_due = tonumber(a.resolution_due)
  return i
end

-- Is ticket T the customer CID's (a merged-away owner counts as its survivor)?
local function owned_by(p, t, cid)
  return t and (t.customer == cid or rx.customer_live(p, t.customer) == cid)
end

local OPEN = { new = 1, open = 1, pending = 1 }
local RECENT_MAX = 20	-- the customer's newest tickets looked at

-- continue_open: the customer's newest open ticket of the interaction's
-- routing kind (a repeat call goes on the call's ticket, not a mail's or a
-- call-back task's) active within the window; nil if none.
local function ingest_recent(p, i, cid)
  local since = rx.now() - i.continue_open * 1000
  for _, n in ipairs(redis.call('ZREVRANGE', p .. 'c:' .. cid .. ':tickets', 0, RECENT_MAX - 1)) do
    local t = rx.ticket_load(p, n)
    if t and OPEN[t.status] and (t.kind or rx.CHANNELS[t.channel]) == i.kind
        and (tonumber(t.updated) or 0) >= since then
      return t
    end
  end
  return nil
end

-- The ticket this interaction continues (docs/datamodel.md, rx_ingest).
local function ingest_find(p, i, cid)
  if i.ticket then
    local t = rx.ticket_load(p, i.ticket)
    if owned_by(p, t, cid) then return t end
  end
  local tok = i.thread.token
  if type(tok) == 'string' and tok ~= '' then
    local n = redis.call('GET', p .. 'tok:' .. tok)
    if n then return rx.ticket_load(p, n) end
  end
  for _, m in ipairs(type(i.thread.msgids) == 'table' and i.thread.msgids or {}) do
    local n = type(m) == 'string' and redis.call('GET', p .. 'msgid:' .. m)
    if n then return rx.ticket_load(p, n) end
  end
  local tag = tonumber(i.thread.tag)
  if tag then
    local t = rx.ticket_load(p, tag)
    if owned_by(p, t, cid) then return t end
  end
  if i.continue_open then return ingest_recent(p, i, cid) end
  return nil
end

local function ticket_open(p, i, cid, linked, now)
  local n = redis.call('INCR', p .. 'seq:t')
  local token = i.token
  if token == '' then
    -- C passes a random token; this fallback serves direct FCALL users.
    local t = redis.call('TIME')
    token = redis.sha1hex(p .. n .. ':' .. t[1] .. ':' .. t[2] .. ':' .. i.text)
  end
  local t = {
    n = tostring(n), customer = cid, channel = i.channel, kind = i.kind,
    subject = i.subject ~= '' and i.subject or string.sub(i.summary ~= '' and i.summary or i.text, 1, 120),
    status = 'new', category = i.category, priority = i.priority,
    prio = tostring(rx.PRIORITIES[i.priority]), queue = i.queue, agent = '',
    tags = '', flags = table.concat(i.flags, ','), lang = i.lang,
    created = tostring(now), updated = tostring(now), token = token,
    linked = linked or '', first_response_due = i.first_response_due,
    resolution_due = i.resolution_due,
  }
  -- What ingest_append and ticket_touch would write next, in this HSET.
  t[i.direction == 'in' and 'last_in' or 'last_out'] = tostring(now)
  if i.direction == 'in' and i.msgid ~= '' then t.last_msgid = i.msgid end
  -- Routing queues it now (rx.route_queue writes queued_at only if other).
  if i.agent == '' then t.queued_at = tostring(now) end
  rx.hset(rx.tkey(p, n), t)
  redis.call('SET', p .. 'tok:' .. token, n)
  redis.call('ZADD', p .. 'c:' .. cid .. ':tickets', now, n)
  redis.call('ZADD', p .. 'tickets', now, n)
  for f in pairs(INDEXED) do index_move(p, n, f, nil, t[f]) end
  if i.agent ~= '' then rx.ticket_set(p, n, t, 'agent', i.agent, 'system', now) end
  return t
end

-- A follow-up can raise what triage found, never lower it.
local function ingest_escalate(p, n, t, i, now)
  local flags = rx.split(t.flags)
  local grew = false
  for _, f in ipairs(i.flags) do
    if not has(flags, f) then flags[#flags + 1] = f; grew = true end
  end
  if grew then rx.ticket_set(p, n, t, 'flags', table.concat(flags, ','), 'system', now) end
  if rx.PRIORITIES[i.priority] > (tonumber(t.prio) or 1) then
    rx.ticket_priority(p, n, t, i.priority, 'system', now)
  end
  local rank = { ae = 2, complaint = 1 }
  if (rank[i.category] or 0) > (rank[t.category] or 0) then
    rx.ticket_set(p, n, t, 'category', i.category, 'system', now)
  end
end

-- The attachments and the raw message, under ids taken here: their bytes
-- came in this call, so nothing is written for a duplicate and nothing is
-- left without a ticket. Returns the attachments as the log lists them.
local function ingest_blobs(p, n, i, now)
  local count = #i.attachments + (i.raw and 1 or 0)
  if count == 0 then return {} end
  local id = redis.call('INCRBY', p .. 'seq:att', count) - count
  local atts = {}
  for _, a in ipairs(i.attachments) do
    id = id + 1
    local ty = a.type ~= '' and a.type or 'application/octet-stream'
    redis.call('HSET', p .. 'att:' .. id, 'name', a.name, 'type', ty, 'size', #a.data,
      'data', a.data, 'ticket', n, 'created', now, 'source', i.source)
    redis.call('RPUSH', rx.tkey(p, n) .. ':att', id)
    atts[#atts + 1] = { id = tostring(id), name = a.name, type = ty, size = #a.data }
  end
  if i.raw then
    i.raw_key = p .. 'raw:' .. (id + 1)
    redis.call('SET', i.raw_key, i.raw)
  end
  return atts
end

-- The message on the ticket's log; returns the entry's id.
local function ingest_log(p, n, i, cid, atts, now)
  local author = i.direction == 'in' and ('c:' .. cid) or (i.author ~= '' and i.author or 'system')
  local entry = { 'type', 'message', 'direction', i.direction, 'channel', i.channel,
    'author', author, 'text', i.text, 'subject', i.subject, 'ts', now }
  if i.msgid ~= '' then
    entry[#entry + 1] = 'msgid'; entry[#entry + 1] = i.msgid
    redis.call('SET', p .. 'msgid:' .. i.msgid, n)
  end
  if #atts > 0 then
    entry[#entry + 1] = 'attachments'; entry[#entry + 1] = cjson.encode(atts)
  end
  if i.fields then
    entry[#entry + 1] = 'fields'; entry[#entry + 1] = cjson.encode(i.fields)
  end
  if i.screening then
    entry[#entry + 1] = 'screening'; entry[#entry + 1] = cjson.encode(i.screening)
  end
  if i.raw_key then entry[#entry + 1] = 'raw'; entry[#entry + 1] = i.raw_key end
  return redis.call('XADD', rx.tkey(p, n) .. ':log', '*', unpack(entry))
end

-- A continued ticket: last_in/last_out and "updated" in one HSET, and to
-- the top of rx:tickets (a fresh one got them in ticket_open's HSET).
local function ingest_touch(p, n, t, i, now)
  local f = { i.direction == 'in' and 'last_in' or 'last_out', now, 'updated', now }
  if i.direction == 'in' and i.msgid ~= '' then
    f[#f + 1] = 'last_msgid'; f[#f + 1] = i.msgid
    t.last_msgid = i.msgid
  end
  redis.call('HSET', rx.tkey(p, n), unpack(f))
  t[f[1]] = tostring(now)
  t.updated = tostring(now)
  redis.call('ZADD', p .. 'tickets', now, n)
end

local function ingest_append(p, n, t, i, cid, now, fresh)
  local atts = ingest_blobs(p, n, i, now)
  local id = ingest_log(p, n, i, cid, atts, now)
  if not fresh then ingest_touch(p, n, t, i, now) end
  local summary = i.summary ~= '' and i.summary or string.sub(i.text, 1, 200)
  rx.customer_history_add(p, cid, { channel = i.channel, direction = i.direction, ticket = n,
    summary = summary, ts = now, kind = 'message' })
  return id
end

-- Which ticket the interaction goes to: continued (escalated, reopened) or
-- a fresh one. Returns T, fresh, reopened, linked.
local function ingest_ticket(p, i, cid, now)
  local t = ingest_find(p, i, cid)
  local linked
  if t and t.status == 'closed' then linked, t = t.n, nil end
  if not t then return ticket_open(p, i, cid, linked, now), true, false, linked end
  ingest_escalate(p, t.n, t, i, now)
  local reopened = false
  if i.direction == 'in' and (t.status == 'resolved' or t.status == 'pending') then
    reopened = t.status == 'resolved'
    rx.ticket_set(p, t.n, t, 'status', 'open', 'system', now)
  end
  return t, false, reopened, linked
end

-- Routing's part: a fresh ticket waits in its queue (or goes to a free
-- agent), a reopened one too, a follow-up restarts the next-response clock.
local function ingest_route(p, n, t, i, now, fresh, reopened)
  if fresh and t.agent == '' then
    rx.ticket_enqueue(p, n, t, now)
  elseif reopened then
    rx.ticket_reopened(p, n, t, 'system', now)
  elseif not fresh and i.continue_open and i.direction == 'in' then
    -- a repeat call rings like a new one (rx.route_ring)
    rx.route_ring(p, n, t, now)
    rx.route_message(p, n, t, now)
  elseif not fresh and i.direction == 'in' then
    -- an answer to a pending ticket whose place was freed: the agent's again
    if t.agent ~= '' then rx.route_resume(p, n, t, 'system', now) end
    rx.route_message(p, n, t, now)
  end
end

-- A bot's submission (the form's honeypot): it gets a real ticket number,
-- burnt from the sequence, and nothing else is written.
local function ingest_discard(p)
  local n = redis.call('INCR', p .. 'seq:t')
  return rx.encode({ ticket = n, number = 'RX-' .. n, discarded = true, duplicate = false,
    matched = false, ticket_new = true })
end

-- One interaction: JSON is its description, BLOBS its byte arguments.
local function ingest_one(p, json, blobs)
  local i = ingest_args(json, blobs)
  if i.dedup ~= '' then
    local first = redis.call('GET', p .. 'dedup:' .. i.dedup)
    if first then
      local ans = cjson.decode(first)
      ans.duplicate = true
      return cjson.encode(ans)
    end
  end
  local now = rx.now()
  local cid, matched, created = rx.customer_identify(p, i.ident, now)
  local t, fresh, reopened, linked = ingest_ticket(p, i, cid, now)
  local n = t.n
  local logid = ingest_append(p, n, t, i, cid, now, fresh)
  ingest_route(p, n, t, i, now, fresh, reopened)
  -- T is current: every change above went through it (rx.ticket_set).
  local ack
  if fresh then ack = rx.outbox_ack(p, n, t, i, now) end
  -- an ae-report form opens its case at once (case.lua, docs/safety.md)
  if fresh and i.source == 'ae-report' then rx.case_intake(p, n, now) end
  local ans = { customer = cid, customer_new = created, matched = matched,
    ticket = tonumber(n), number = 'RX-' .. n, ticket_new = fresh, reopened = reopened,
    duplicate = false, status = t.status, queue = t.queue, agent = t.agent,
    linked = tonumber(linked), log = logid, ack = ack }
  local text = rx.encode(ans)
  if i.dedup ~= '' then
    redis.call('SET', p .. 'dedup:' .. i.dedup, text, 'EX', i.dedup_ttl)
  end
  rx.publish(p, { type = fresh and 'ticket.new' or 'ticket.message', ticket = tonumber(n),
    customer = cid, channel = i.channel, direction = i.direction, queue = t.queue,
    agent = t.agent, category = t.category, priority = t.priority, status = t.status,
    reopened = reopened, log = logid,
    -- a chat message is live: its agent reads it from the event (docs/chat.md)
    text = i.channel == 'chat' and i.direction == 'in' and i.text or nil })
  return text
end

-- FCALL rx_ingest 0 <prefix> <json> [<blob>...]: one interaction.
local function ingest(keys, argv)
  local blobs = {}
  for k = 3, #argv do blobs[#blobs + 1] = argv[k] end
  return ingest_one(argv[1], argv[2], blobs)
end

-- FCALL rx_ingest_batch 0 <prefix> <n> then, n times, <json> <nblobs>
-- <blob>...: several interactions in one call, each validated and stored
-- on its own; the answer is an array with each one's JSON or error.
local function ingest_batch(keys, argv)
  local p, n, k = argv[1], tonumber(argv[2]), 3
  if not n or n < 1 then rx.fail('BADARG', 'the batch count is missing') end
  local out = {}
  for _ = 1, n do
    local json, nb = argv[k], tonumber(argv[k + 1])
    if not json or not nb or k + 1 + nb > #argv then rx.fail('BADARG', 'the batch is cut short') end
    local blobs = {}
    for b = 1, nb do blobs[b] = argv[k + 1 + b] end
    k = k + 2 + nb
    local ok, res
    if json == 'discard' then
      ok, res = true, ingest_discard(p)
    else
      ok, res = pcall(ingest_one, p, json, blobs)
    end
    if ok then out[#out + 1] = res
    else out[#out + 1] = { err = type(res) == 'table' and res.err or tostring(res) } end
  end
  return out
end

redis.register_function { function_name = 'rx_ingest', callback = ingest }
redis.register_function { function_name = 'rx_ingest_batch', callback = ingest_batch }
