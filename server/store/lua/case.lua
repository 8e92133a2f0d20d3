-- Adverse event cases and product complaints (docs/safety.md,
-- docs/datamodel.md "Cases"). rxdeskd builds and checks each case document
-- and seals its patient-identifying values before they come here: this part
-- stores them, keeps the indexes (newest first, open deadlines, tickets,
-- possible duplicates), audits every change and queues the safety
-- mailbox's notice, each in one atomic call.

local function ckey(p, id) return p .. 'case:' .. id end
local OPEN_STATUS = { draft = true, valid = true }
local DUP_WINDOW_MS = 30 * 86400000	-- "close dates" for possible duplicates
local LIST_SCAN_MAX = 5000

-- An ae-report form's new ticket waits here until a node opens its case
-- (rx_case_todo, then rx_case_put with todo = n): nothing is lost when no
-- node is up when the form arrives.
rx.case_intake = function(p, n, now)
  redis.call('ZADD', p .. 'case:todo', now, n)
end

local function case_hash(p, id)
  local h = rx.hgetall(ckey(p, id))
  if not h.doc then return nil end
  return h
end

-- Possible duplicates: the same digest of patient, product and reaction
-- (computed by rxdeskd under the key), received within DUP_WINDOW_MS,
-- not already linked to this case.
local function case_duplicates(p, id, h)
  local out = {}
  if not h.fp or h.fp == '' then return out end
  local created = tonumber(h.created) or 0
  for _, other in ipairs(redis.call('SMEMBERS', p .. 'case:fp:' .. h.fp)) do
    if other ~= tostring(id) then
      local o = redis.call('HMGET', ckey(p, other), 'created', 'master')
      local near = math.abs((tonumber(o[1]) or 0) - created) <= DUP_WINDOW_MS
      if near then out[#out + 1] = tonumber(other) end
    end
  end
  table.sort(out)
  return out
end

-- {ticket, who} -> what a new case starts from: the ticket, its customer's
-- name and contact, the first inbound message's fields and text.
local function case_seed(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local t = rx.ticket_load(p, a.ticket)
  if not t or not rx.ticket_visible(t, a.who) then rx.fail('NOTFOUND', 'no such ticket') end
  local have = redis.call('GET', p .. 'case:t:' .. t.n)
  if have then rx.fail('CONFLICT', 'ticket RX-' .. t.n .. ' already has case CASE-' .. have) end
  local first, received
  for _, e in ipairs(redis.call('XRANGE', rx.tkey(p, t.n) .. ':log', '-', '+', 'COUNT', 200)) do
    local f = {}
    for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end
    if f.type == 'message' and f.direction == 'in' then first = f; break end
  end
  received = tonumber(first and first.ts) or tonumber(t.created)
  local c = rx.hgetall(p .. 'c:' .. (t.customer or ''))
  local email, phone
  for _, ident in ipairs(redis.call('SMEMBERS', p .. 'c:' .. (t.customer or '') .. ':ids')) do
    if not email and string.sub(ident, 1, 6) == 'email:' then email = string.sub(ident, 7) end
    if not phone and string.sub(ident, 1, 6) == 'phone:' then phone = string.sub(ident, 7) end
  end
  return rx.encode({ ticket = tonumber(t.n), channel = t.channel, subject = t.subject or '',
    flags = t.flags or '', category = t.category, received = received,
    latest = tonumber(t.last_in) or received,
    restricted = rx.ticket_restricted(t),
    customer = { id = t.customer, name = c.name or '', type = c.type or '',
      email = email or '', phone = phone or '', organisation = c.organisation or '' },
    fields = first and first.fields or '{}', text = first and first.text or '' })
end

local function index_open(p, id, status, next_due)
  if OPEN_STATUS[status] and tonumber(next_due) then
    redis.call('ZADD', p .. 'cases:open', tonumber(next_due), id)
  else
    redis.call('ZREM', p .. 'cases:open', id)
  end
end

-- Each ticket of the case points at it; a ticket of another case is a
-- CONFLICT (checked before anything is written).
local function claim_tickets(p, id, tickets)
  for _, n in ipairs(tickets or {}) do
    local have = redis.call('GET', p .. 'case:t:' .. n)
    if have and have ~= tostring(id) then
      rx.fail('CONFLICT', 'ticket RX-' .. n .. ' belongs to case CASE-' .. have)
    end
  end
  for _, n in ipairs(tickets or {}) do redis.call('SET', p .. 'case:t:' .. n, id) end
end

local function case_audit(p, id, a, now)
  local object, actor = 'case:' .. id, tostring(a.actor or 'system')
  for _, c in ipairs(a.changes or {}) do
    rx.audit(p, actor, object, tostring(c.field), tostring(c.old or ''), tostring(c.new or ''), now)
  end
  if a.reason and a.reason ~= '' then
    rx.audit(p, actor, object, 'reason', '', tostring(a.reason), now)
  end
end

-- {id?, expect?, doc, index:{status, created, updated, next_due, day0, fp,
-- products, tickets}, changes, actor, reason?, todo?, notice?} ->
-- {id, number, updated, duplicates}
local function case_put(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local x, now, id, old = a.index or {}, rx.now(), a.id, nil
  if type(a.doc) ~= 'string' or a.doc == '' then rx.fail('BADARG', 'doc: missing') end
  if id then
    old = case_hash(p, id)
    if not old then rx.fail('NOTFOUND', 'no such case') end
    if a.expect and tostring(a.expect) ~= old.updated then
      rx.fail('CONFLICT', 'case CASE-' .. id .. ' changed meanwhile; read it again')
    end
  else
    for _, n in ipairs(x.tickets or {}) do
      local have = redis.call('GET', p .. 'case:t:' .. n)
      if have then rx.fail('CONFLICT', 'ticket RX-' .. n .. ' already has case CASE-' .. have) end
    end
    id = redis.call('INCR', p .. 'seq:case')
  end
  claim_tickets(p, id, x.tickets)
  if old and old.fp and old.fp ~= '' and old.fp ~= x.fp then
    redis.call('SREM', p .. 'case:fp:' .. old.fp, id)
  end
  if x.fp and x.fp ~= '' then redis.call('SADD', p .. 'case:fp:' .. x.fp, id) end
  local updated = tostring(x.updated or now)
  redis.call('HSET', ckey(p, id), 'id', id, 'doc', a.doc, 'status', tostring(x.status or 'draft'),
    'created', tostring(x.created or now), 'updated', updated,
    'next_due', tostring(x.next_due or ''), 'day0', tostring(x.day0 or ''),
    'fp', tostring(x.fp or ''), 'products', tostring(x.products or ''),
    'tickets', table.concat(x.tickets or {}, ','))
  redis.call('ZADD', p .. 'cases', tonumber(x.created) or now, id)
  index_open(p, id, x.status, x.next_due)
  if not old then rx.audit(p, tostring(a.actor or 'system'), 'case:' .. id, 'created', '',
    'CASE-' .. id, now) end
  case_audit(p, id, a, now)
  if a.todo then redis.call('ZREM', p .. 'case:todo', tostring(a.todo)) end
  if not old and type(a.notice) == 'table' and a.notice.to and a.notice.to ~= '' then
    rx.outbox_add(p, { ticket = tostring((x.tickets or {})[1] or ''), to = a.notice.to,
      subject = string.gsub(tostring(a.notice.subject or ''), 'CASE%-0', 'CASE-' .. id),
      text = string.gsub(tostring(a.notice.text or ''), 'CASE%-0', 'CASE-' .. id),
      kind = 'notice', auto = '1', ts = now }, now)
  end
  local h = case_hash(p, id)
  return rx.encode({ id = tonumber(id), number = 'CASE-' .. id, updated = tonumber(updated),
    duplicates = rx.list(case_duplicates(p, id, h)) })
end

-- {id} or {ticket} -> {id, doc, updated, duplicates}
local function case_get(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local id = a.id
  if a.ticket then id = redis.call('GET', p .. 'case:t:' .. tostring(a.ticket)) end
  local h = id and case_hash(p, id)
  if not h then rx.fail('NOTFOUND', 'no such case') end
  return rx.encode({ id = tonumber(h.id), doc = h.doc, updated = tonumber(h.updated),
    duplicates = rx.list(case_duplicates(p, h.id, h)) })
end

local function list_match(h, a, now)
  if a.status and a.status ~= '' and h.status ~= a.status then return false end
  if a.product and a.product ~= '' and
      not string.find('|' .. (h.products or '') .. '|', '|' .. rx.lower(a.product) .. '|', 1, true) then
    return false
  end
  if a.due and a.due ~= '' then
    local d = tonumber(h.next_due)
    if not d or not OPEN_STATUS[h.status] then return false end
    if a.due == 'overdue' and d >= now then return false end
    if a.due == 'soon' and (d < now or d > now + (tonumber(a.soon_ms) or 0)) then return false end
  end
  return true
end

-- {status, due (overdue|soon), product, from, to, cursor, limit, soon_ms}
-- -> {items:[{id, doc}], next}: newest first; cursor is an offset.
local function case_list(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local limit = math.max(1, math.min(tonumber(a.limit) or 25, 500))
  local off, now = math.max(0, tonumber(a.cursor) or 0), rx.now()
  local hi, lo = tonumber(a.to) or '+inf', tonumber(a.from) or '-inf'
  local ids = redis.call('ZREVRANGEBYSCORE', p .. 'cases', hi, lo, 'LIMIT', off, LIST_SCAN_MAX)
  local items, pos = {}, off
  for _, id in ipairs(ids) do
    pos = pos + 1
    local h = case_hash(p, id)
    if h and list_match(h, a, now) then
      items[#items + 1] = { id = tonumber(id), doc = h.doc }
      if #items == limit then break end
    end
  end
  local more = #items == limit or #ids == LIST_SCAN_MAX
  return rx.encode({ items = rx.list(items), next = more and tostring(pos) or '' })
end

-- {soon_ms} -> {open, overdue, due_soon}
local function case_stats(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local now, soon = rx.now(), tonumber(a.soon_ms) or 0
  local k = p .. 'cases:open'
  return rx.encode({ open = redis.call('ZCARD', k),
    overdue = redis.call('ZCOUNT', k, '-inf', '(' .. now),
    due_soon = redis.call('ZCOUNT', k, now, now + soon),
    todo = redis.call('ZCOUNT', p .. 'case:todo', '-inf', now) })
end

-- {limit} -> {tickets:[n...]}: ae-report tickets waiting for their case.
-- Each one taken is leased to the caller for TODO_LEASE_MS (its score moves
-- on), so that two nodes sweeping at once do not both open it; one whose
-- node died is taken again when the lease ends.
local TODO_LEASE_MS = 60000
local function case_todo(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local out, now = {}, rx.now()
  for _, n in ipairs(redis.call('ZRANGEBYSCORE', p .. 'case:todo', '-inf', now, 'LIMIT', 0,
      math.max(1, math.min(tonumber(a.limit) or 10, 100)))) do
    if redis.call('EXISTS', p .. 'case:t:' .. n) == 1 then
      redis.call('ZREM', p .. 'case:todo', n)
    else
      redis.call('ZADD', p .. 'case:todo', now + TODO_LEASE_MS, n)
      out[#out + 1] = tonumber(n)
    end
  end
  return rx.encode({ tickets = rx.list(out) })
end

-- {after, count} -> {ids, next}: every case id in order (key rotation).
local function case_ids(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local count = math.max(1, math.min(tonumber(a.count) or 100, 1000))
  local ids = redis.call('ZRANGEBYSCORE', p .. 'cases', '-inf', '+inf')
  local out, after = {}, tonumber(a.after) or 0
  table.sort(ids, function(x, y) return tonumber(x) < tonumber(y) end)
  for _, id in ipairs(ids) do
    if tonumber(id) > after then
      out[#out + 1] = tonumber(id)
      if #out == count then break end
    end
  end
  return rx.encode({ ids = rx.list(out), next = #out == count and tostring(out[#out]) or '' })
end

redis.register_function { function_name = 'rx_case_seed', callback = case_seed,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_case_put', callback = case_put }
redis.register_function { function_name = 'rx_case_get', callback = case_get,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_case_list', callback = case_list,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_case_stats', callback = case_stats,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_case_todo', callback = case_todo }
redis.register_function { function_name = 'rx_case_ids', callback = case_ids,
  flags = { 'no-writes' } }
