-- What agents do with tickets: read, list, change, note and reply
-- (docs/datamodel.md, Tickets). Every change goes through rx.ticket_set, so
-- it reaches the audit stream with its actor, old and new value.

local STATUS_NEXT = {
  new = { open = 1, pending = 1, resolved = 1, closed = 1 },
  open = { pending = 1, resolved = 1, closed = 1 },
  pending = { open = 1, resolved = 1, closed = 1 },
  resolved = { open = 1, closed = 1 },
  closed = {},
}
local LIST_SMALL = 2000		-- a filter set this small is read whole
local LIST_BUDGET = 20000	-- tickets looked at per list call at most
local MAX_TAGS, MAX_TAG = 32, 64
local MAX_NOTE = 65536
local MAX_REFS = 20

local function has_value(list, x)
  for _, v in ipairs(list) do if v == x then return true end end
  return false
end

local function who_of(a)
  return type(a.who) == 'table' and a.who or nil
end

-- The ticket named by A.ticket that WHO may see, or a NOTFOUND error: a
-- ticket the caller may not see does not exist for them.
local function visible_ticket(p, a)
  local t = rx.ticket_load(p, a.ticket)
  if not t or not rx.ticket_visible(t, who_of(a)) then
    rx.fail('NOTFOUND', 'no ticket ' .. tostring(a.ticket))
  end
  return t
end

local function log_entry(e)
  local o = { id = e[1] }
  for i = 1, #e[2], 2 do o[e[2][i]] = e[2][i + 1] end
  if o.attachments then
    local ok, v = pcall(cjson.decode, o.attachments)
    o.attachments = ok and v or nil
  end
  if o.fields then
    local ok, v = pcall(cjson.decode, o.fields)
    o.fields = ok and v or nil
    -- a mail's address lists are lists when empty too (cjson writes {})
    for _, k in ipairs({ 'to', 'cc', 'rcpt', 'malformed_reasons' }) do
      if type(o.fields) == 'table' and type(o.fields[k]) == 'table' and next(o.fields[k]) == nil then
        o.fields[k] = rx.list({})
      end
    end
  end
  -- what screening found in the message, and where (docs/screening.md):
  -- whoever may see the ticket sees why it was flagged
  if o.screening then
    local ok, v = pcall(cjson.decode, o.screening)
    o.screening = ok and type(v) == 'table' and v or nil
  end
  o.ts = tonumber(o.ts)
  return o
end

local function customer_card(p, cid)
  local c = rx.hgetall(p .. 'c:' .. cid)
  c.ids = rx.list(redis.call('SMEMBERS', p .. 'c:' .. cid .. ':ids'))
  table.sort(c.ids)
  c.tickets = redis.call('ZCARD', p .. 'c:' .. cid .. ':tickets')
  c.history = redis.call('XLEN', p .. 'c:' .. cid .. ':hist')
  return c
end

local function attachments_of(p, n)
  local out = {}
  for _, id in ipairs(redis.call('LRANGE', rx.tkey(p, n) .. ':att', 0, -1)) do
    local m = redis.call('HMGET', p .. 'att:' .. id, 'name', 'type', 'size')
    out[#out + 1] = { id = id, name = m[1] or '', type = m[2] or '',
      size = tonumber(m[3]) or 0 }
  end
  return rx.list(out)
end

-- {ticket, who, after, count} -> {ticket, log, next, attachments, customer}
local function ticket_get(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local t = visible_ticket(p, a)
  local count = math.max(1, math.min(tonumber(a.count) or 100, 500))
  local start = (a.after and a.after ~= '') and ('(' .. a.after) or '-'
  local ok, entries = pcall(redis.call, 'XRANGE', rx.tkey(p, t.n) .. ':log', start, '+',
    'COUNT', count)
  if not ok then rx.fail('BADARG', 'bad cursor "after"') end
  local log = {}
  for _, e in ipairs(entries) do log[#log + 1] = log_entry(e) end
  return rx.encode({ ticket = rx.ticket_public(t), log = rx.list(log),
    next = #entries == count and entries[#entries][1] or '',
    attachments = attachments_of(p, t.n), customer = customer_card(p, t.customer) })
end

-- The filters of a list call, each {key, zset}, smallest first.
local function list_filters(p, a)
  local f = {}
  local function add(field, valid)
    local v = a[field]
    if v == nil or v == '' or v == cjson.null then return end
    v = tostring(v)
    if valid and not valid[v] then rx.fail('BADARG', 'unknown ' .. field .. ' "' .. v .. '"') end
    f[#f + 1] = { key = p .. 'tix:' .. field .. ':' .. v }
  end
  add('status', rx.STATUSES)
  add('category', rx.CATEGORIES)
  add('queue')
  add('agent')
  if a.customer and a.customer ~= '' then
    local cid = rx.customer_live(p, tostring(a.customer)) or tostring(a.customer)
    f[#f + 1] = { key = p .. 'c:' .. cid .. ':tickets', zset = true }
  end
  for _, x in ipairs(f) do
    x.card = redis.call(x.zset and 'ZCARD' or 'SCARD', x.key)
  end
  table.sort(f, function(x, y) return x.card < y.card end)
  return f
end

local function in_all(f, from, n)
  for i = from, #f do
    local x = f[i]
    if x.zset then
      if not redis.call('ZSCORE', x.key, n) then return false end
    elseif redis.call('SISMEMBER', x.key, n) == 0 then
      return false
    end
  end
  return true
end

-- Cursor "<updated>:<n>": the last ticket of the previous page. Ties on
-- updated are ordered as Redis orders them, by member bytes.
local function list_cursor(c)
  if not c or c == '' then return nil end
  local u, n = string.match(c, '^(%d+):(%d+)$')
  if not u then rx.fail('BADARG', 'bad cursor') end
  return { u = tonumber(u), n = n }
end

local function before(cur, u, n)
  return cur == nil or u < cur.u or (u == cur.u and n < cur.n)
end

-- Candidates from a small filter set, in list order.
local function list_small(p, f, cur)
  local out = {}
  for _, n in ipairs(redis.call(f[1].zset and 'ZRANGE' or 'SMEMBERS', f[1].key,
      unpack(f[1].zset and { 0, -1 } or {}))) do
    local u = tonumber(redis.call('ZSCORE', p .. 'tickets', n))
    if u and before(cur, u, n) and in_all(f, 2, n) then out[#out + 1] = { u = u, n = n } end
  end
  table.sort(out, function(x, y) return x.u > y.u or (x.u == y.u and x.n > y.n) end)
  return out
end

local function list_take(p, a, item, items, limit)
  local t = rx.ticket_load(p, item.n)
  if t and rx.ticket_visible(t, who_of(a)) then
    local o = rx.ticket_public(t)
    o.customer_name = redis.call('HGET', p .. 'c:' .. t.customer, 'name') or ''
    items[#items + 1] = o
  end
  return #items >= limit
end

-- {queue,status,category,agent,customer,cursor,limit,who} -> {items,next}
local function ticket_list(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local limit = math.max(1, math.min(tonumber(a.limit) or 25, 100))
  local cur = list_cursor(a.cursor)
  local f = list_filters(p, a)
  local items, last, seen = {}, nil, 0
  local more = false
  if #f > 0 and f[1].card <= LIST_SMALL then
    local cand = list_small(p, f, cur)
    for idx, c in ipairs(cand) do
      last = c
      if list_take(p, a, c, items, limit) then more = idx < #cand; break end
    end
  elseif #f == 0 or f[1].card > 0 then
    -- Walk rx:tickets newest first, checking membership, within a budget.
    local max = cur and string.format('%.0f', cur.u) or '+inf'
    local off, batch = 0, 200
    while seen < LIST_BUDGET do
      local r = redis.call('ZREVRANGEBYSCORE', p .. 'tickets', max, '-inf', 'WITHSCORES',
        'LIMIT', off, batch)
      if #r == 0 then break end
      off = off + #r / 2
      local full = false
      for j = 1, #r, 2 do
        local c = { n = r[j], u = tonumber(r[j + 1]) }
        seen = seen + 1
        if before(cur, c.u, c.n) then
          last = c
          if in_all(f, 1, c.n) and list_take(p, a, c, items, limit) then full = true; break end
        end
      end
      if full then more = true; break end
      if #r < batch * 2 then break end
    end
    if seen >= LIST_BUDGET then more = true end
  end
  local nxt = ''
  if more and last then nxt = string.format('%.0f', last.u) .. ':' .. last.n end
  return rx.encode({ items = rx.list(items), next = nxt })
end

local function valid_queue(q)
  return type(q) == 'string' and #q <= 64 and string.match(q, '^[%w_.-]+$') ~= nil
end

-- "a, B ,a" or {"a","B"} -> "a,b": lowercased, unique, bounded.
local function tags_norm(v)
  local list = type(v) == 'table' and v or rx.split(tostring(v or ''))
  local out, seen = {}, {}
  for _, x in ipairs(list) do
    if type(x) ~= 'string' then rx.fail('BADARG', 'tags must be strings') end
    x = string.lower(string.match(x, '^%s*(.-)%s*$'))
    if #x > MAX_TAG or string.find(x, ',', 1, true) then rx.fail('BADARG', 'bad tag "' .. x .. '"') end
    if x ~= '' and not seen[x] then seen[x] = true; out[#out + 1] = x end
  end
  if #out > MAX_TAGS then rx.fail('BADARG', 'more than ' .. MAX_TAGS .. ' tags') end
  return table.concat(out, ',')
end

-- A waiting ticket leaves its queue (every queue set routing keeps).
local function unqueue(p, n, t)
  return rx.route_qrem(p, t.queue, n)
end

-- A resolved or closed ticket no longer waits and frees its agent's place
-- in this same call (rx.route_released dispatches their next ticket); a
-- pending one too where its queue says so. The agent stays named and gets
-- it back when it opens again (rx.route_resume).
local function update_status(p, n, t, s, actor, now)
  if not rx.STATUSES[s] then rx.fail('BADARG', 'unknown status "' .. tostring(s) .. '"') end
  if s == t.status then return false end
  if not STATUS_NEXT[t.status][s] then
    rx.fail('CONFLICT', 'status ' .. t.status .. ' cannot become ' .. s)
  end
  local was = t.status
  rx.ticket_set(p, n, t, 'status', s, actor, now)
  if s == 'resolved' then rx.ticket_set(p, n, t, 'resolved_at', now, actor, now) end
  if s == 'resolved' or s == 'closed' then
    unqueue(p, n, t)
    rx.route_released(p, n, t, now)
  elseif s == 'pending' then
    rx.route_pending(p, n, t, now)
  elseif was == 'resolved' then
    rx.ticket_reopened(p, n, t, actor, now)
  elseif was == 'pending' and t.agent ~= '' then
    rx.route_resume(p, n, t, actor, now)
  end
  return true
end

-- A ticket that changes queue while waiting waits in the new queue,
-- keeping its place in time.
local function update_queue(p, n, t, q, actor, now)
  if not valid_queue(q) then rx.fail('BADARG', 'bad queue name') end
  local old = t.queue
  local waiting = redis.call('ZSCORE', p .. 'q:' .. old, n)
  if not rx.ticket_set(p, n, t, 'queue', q, actor, now) then return false end
  if not waiting then return true end
  rx.route_qrem(p, old, n)
  rx.route_queue(p, n, t, now, tonumber(t.queued_at) or now)
  return true
end

-- An assigned ticket stops waiting in its queue; an unassigned one waits
-- again; route_released and route_assign (routing/lua/route.lua) keep the
-- agents' load right as well.
local function update_agent(p, n, t, ag, actor, now)
  ag = tostring(ag or '')
  local old = t.agent or ''
  if ag == old then return false end
  -- the old agent's place frees up and may take waiting work at once
  if old ~= '' then rx.route_released(p, n, t, now) end
  if ag ~= '' then
    rx.route_assign(p, n, t, ag, actor, now)
    return true, true
  end
  rx.ticket_set(p, n, t, 'agent', ag, actor, now)
  if ag ~= '' then
    unqueue(p, n, t)
  elseif t.status == 'resolved' or t.status == 'closed' then
    return true
  else
    -- back in line where it stood; its SLA clocks keep running
    rx.route_queue(p, n, t, now, tonumber(t.queued_at) or now)
  end
  return true
end

local function update_apply(p, n, t, set, actor, now)
  local changed = {}
  local function mark(ok, f) if ok then changed[#changed + 1] = f end end
  if set.category ~= nil then
    if not rx.CATEGORIES[set.category] then rx.fail('BADARG', 'unknown category') end
    mark(rx.ticket_set(p, n, t, 'category', set.category, actor, now), 'category')
  end
  if set.priority ~= nil then
    if not rx.PRIORITIES[set.priority] then rx.fail('BADARG', 'unknown priority') end
    mark(rx.ticket_priority(p, n, t, set.priority, actor, now), 'priority')
  end
  if set.tags ~= nil then mark(rx.ticket_set(p, n, t, 'tags', tags_norm(set.tags), actor, now), 'tags') end
  if set.queue ~= nil then mark(update_queue(p, n, t, set.queue, actor, now), 'queue') end
  local routed = false
  if set.agent ~= nil then
    local ok, by_routing = update_agent(p, n, t, set.agent, actor, now)
    mark(ok, 'agent')
    routed = by_routing or false
  end
  if set.status ~= nil then mark(update_status(p, n, t, set.status, actor, now), 'status') end
  return changed, routed
end

-- A closed ticket takes no change at all; otherwise every field is checked
-- before the first write, because a Lua error does not undo writes.
local function update_check(t, set)
  if t.status == 'closed' then rx.fail('CONFLICT', 'RX-' .. t.n .. ' is closed') end
  if set.status ~= nil and set.status ~= t.status then
    if not rx.STATUSES[set.status] then rx.fail('BADARG', 'unknown status') end
    if not STATUS_NEXT[t.status][set.status] then
      rx.fail('CONFLICT', 'status ' .. t.status .. ' cannot become ' .. tostring(set.status))
    end
  end
  if set.category ~= nil and not rx.CATEGORIES[set.category] then rx.fail('BADARG', 'unknown category') end
  if set.priority ~= nil and not rx.PRIORITIES[set.priority] then rx.fail('BADARG', 'unknown priority') end
  if set.queue ~= nil and not valid_queue(set.queue) then rx.fail('BADARG', 'bad queue name') end
  if set.tags ~= nil then tags_norm(set.tags) end
end

-- Who may change the assignee: supervisors and admins freely; anyone else
-- only on a ticket that is unassigned or theirs, and only to themselves or
-- to nobody.
local function check_assign(t, who, ag)
  if who == nil or ag == nil then return end
  local roles = rx.split(who.roles)
  if has_value(roles, 'supervisor') or has_value(roles, 'admin') then return end
  local me = tostring(who.agent or '')
  ag = tostring(ag)
  if (ag ~= '' and ag ~= me) or (t.agent ~= '' and t.agent ~= me) then
    rx.fail('FORBIDDEN', 'only a supervisor assigns tickets of others or to others')
  end
end

-- Who may change the rest (issue 18, docs/api.md): supervisors and admins
-- any ticket; anyone else only one that is unassigned or theirs; and only
-- safety staff take the AE or complaint category off a ticket (that would
-- show a possible adverse event to every agent and hide it from safety).
local function check_fields(t, who, set)
  if who == nil then return end
  local roles = rx.split(who.roles)
  if has_value(roles, 'supervisor') or has_value(roles, 'admin') then return end
  local me = tostring(who.agent or '')
  if (set.status ~= nil or set.priority ~= nil or set.category ~= nil or
      set.queue ~= nil or set.tags ~= nil) and t.agent ~= '' and t.agent ~= me then
    rx.fail('FORBIDDEN', 'RX-' .. t.n .. ' is assigned to another agent: a supervisor changes it')
  end
  if set.category ~= nil and set.category ~= t.category and not has_value(roles, 'safety')
      and (t.category == 'ae' or t.category == 'complaint') then
    rx.fail('FORBIDDEN', 'only safety staff change the category of an AE or complaint ticket')
  end
end

-- {ticket, actor, who, set:{status,category,priority,tags,queue,agent}}
local function ticket_update(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local t = visible_ticket(p, a)
  local set = type(a.set) == 'table' and a.set or {}
  local actor = tostring(a.actor or 'system')
  local n = t.n
  update_check(t, set)
  check_assign(t, who_of(a), set.agent)
  check_fields(t, who_of(a), set)
  if set.agent ~= nil and set.agent ~= '' and
      redis.call('EXISTS', p .. 'a:' .. tostring(set.agent)) == 0 then
    rx.fail('BADARG', 'no agent ' .. tostring(set.agent))
  end
  local now = rx.now()
  local changed, routed = update_apply(p, n, t, set, actor, now)
  if #changed > 0 then
    rx.ticket_touch(p, n, t, now)
    rx.publish(p, { type = 'ticket.updated', ticket = tonumber(n), fields = changed,
      queue = t.queue, agent = t.agent, status = t.status, actor = actor })
    -- route_assign announces its own assignment
    if has_value(changed, 'agent') and t.agent ~= '' and not routed then
      rx.publish(p, { type = 'ticket.assigned', ticket = tonumber(n), agent = t.agent,
        queue = t.queue, actor = actor })
    end
  end
  return rx.encode({ ticket = rx.ticket_public(t), changed = rx.list(changed) })
end

-- A note's screening (the core's, as for any text) raises the ticket's
-- ae/complaint flags, never lowers them; returns the flags it added.
local function note_flags(p, t, a, now)
  local have, added = rx.split(t.flags), {}
  for _, f in ipairs(rx.split(type(a.flags) == 'string' and a.flags or '')) do
    local known = false
    for _, h in ipairs(have) do if h == f then known = true end end
    if (f == 'ae' or f == 'complaint') and not known then
      have[#have + 1] = f; added[#added + 1] = f
    end
  end
  if #added > 0 then rx.ticket_set(p, t.n, t, 'flags', table.concat(have, ','), 'system', now) end
  return added
end

-- {ticket, author, who, text, flags, screening} -> {ticket, log, flagged}
local function ticket_note(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local t = visible_ticket(p, a)
  local text = type(a.text) == 'string' and a.text or ''
  if text == '' then rx.fail('BADARG', 'text is empty') end
  if #text > MAX_NOTE then rx.fail('BADARG', 'text is longer than ' .. MAX_NOTE .. ' bytes') end
  local now, author = rx.now(), tostring(a.author or 'system')
  local entry = { 'type', 'note', 'author', author, 'text', text, 'ts', now }
  if type(a.screening) == 'table' then
    entry[#entry + 1] = 'screening'; entry[#entry + 1] = cjson.encode(a.screening)
  end
  local id = redis.call('XADD', rx.tkey(p, t.n) .. ':log', '*', unpack(entry))
  rx.audit(p, author, 'ticket:' .. t.n, 'note', '', id, now)
  local added = note_flags(p, t, a, now)
  rx.ticket_touch(p, t.n, t, now)
  rx.publish(p, { type = 'ticket.message', kind = 'note', ticket = tonumber(t.n),
    queue = t.queue, agent = t.agent, log = id, author = author })
  return rx.encode({ ticket = tonumber(t.n), log = id, flagged = rx.list(added) })
end

local function customer_email(p, cid)
  local ids = redis.call('SMEMBERS', p .. 'c:' .. cid .. ':ids')
  table.sort(ids)
  for _, id in ipairs(ids) do
    if string.sub(id, 1, 6) == 'email:' then return string.sub(id, 7) end
  end
  return nil
end

local function msgids_of(entries, out)
  for _, e in ipairs(entries) do
    for i = 1, #e[2], 2 do
      if e[2][i] == 'msgid' then out[#out + 1] = e[2][i + 1] end
    end
  end
end

-- References: for a reply: the thread's first Message-ID, then the latest
-- ones, oldest first. Both ends of the log are read with a bound, so a long
-- ticket costs no more than a short one (RFC 5322 3.6.4 allows trimming).
local function thread_refs(p, n)
  local key = rx.tkey(p, n) .. ':log'
  local first, recent = {}, {}
  msgids_of(redis.call('XRANGE', key, '-', '+', 'COUNT', 20), first)
  local tail = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 200)
  for i = 1, math.floor(#tail / 2) do tail[i], tail[#tail + 1 - i] = tail[#tail + 1 - i], tail[i] end
  msgids_of(tail, recent)
  local root = first[1]
  local refs, later = { root }, {}
  for _, m in ipairs(recent) do
    if m ~= root then later[#later + 1] = m end
  end
  for i = math.max(1, #later - MAX_REFS + 2), #later do refs[#refs + 1] = later[i] end
  return table.concat(refs, ' ')
end

local function reply_subject(t)
  local s = t.subject or ''
  local tag = '[RX-' .. t.n .. ']'
  if not string.find(s, tag, 1, true) then s = s .. ' ' .. tag end
  if not string.match(string.lower(s), '^re:') then s = 'Re: ' .. s end
  return s
end

-- A mail job for the outbox when the ticket's channel answers by mail.
local function reply_mail(p, t, text, msgid, refs, now)
  if t.channel ~= 'email' and t.channel ~= 'form' then return nil end
  local to = customer_email(p, t.customer)
  if not to then return nil end
  local job = { ticket = t.n, to = to, subject = reply_subject(t), text = text,
    msgid = msgid, in_reply_to = t.last_msgid or '', references = refs,
    token = t.token or '', auto = '0', kind = 'reply', attempt = '0', ts = now,
    lang = t.lang or '' }
  -- server/store/lua/outbox.lua owns the job's layout
  return rx.outbox_add(p, job, now)
end

-- {ticket, author, who, text, domain, status?} -> {ticket, log, msgid, outbox}
local function ticket_reply(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local t = visible_ticket(p, a)
  local text = type(a.text) == 'string' and a.text or ''
  if text == '' then rx.fail('BADARG', 'text is empty') end
  if #text > MAX_NOTE * 16 then rx.fail('BADARG', 'text is too long') end
  if t.status == 'closed' then rx.fail('CONFLICT', 'RX-' .. t.n .. ' is closed') end
  local status = a.status
  if status ~= nil then
    update_check(t, { status = status })
    check_fields(t, who_of(a), { status = status })
  end
  local n, now, author = t.n, rx.now(), tostring(a.author or 'system')
  local domain = (type(a.domain) == 'string' and a.domain ~= '') and a.domain or 'rxdesk.invalid'
  local msgid = '<RX-' .. n .. '.' .. redis.call('INCR', p .. 'seq:msg') .. '.' .. now ..
    '@' .. domain .. '>'
  -- only a reply that leaves as mail needs the References (two log reads:
  -- a third of a chat reply's time in Redis)
  local refs = (t.channel == 'email' or t.channel == 'form') and thread_refs(p, n) or ''
  local id = redis.call('XADD', rx.tkey(p, n) .. ':log', '*', 'type', 'message',
    'direction', 'out', 'channel', t.channel, 'author', author, 'text', text,
    'subject', reply_subject(t), 'msgid', msgid, 'ts', now)
  redis.call('SET', p .. 'msgid:' .. msgid, n)
  redis.call('HSET', rx.tkey(p, n), 'last_out', now)
  local first = not t.first_response or t.first_response == ''
  if first then rx.ticket_set(p, n, t, 'first_response', now, author, now) end
  if status ~= nil then
    update_status(p, n, t, status, author, now)
  elseif t.status == 'new' then
    update_status(p, n, t, 'open', author, now)
  end
  local job = reply_mail(p, t, text, msgid, refs, now)
  rx.customer_history_add(p, t.customer, { channel = t.channel, direction = 'out', ticket = n,
    summary = string.sub(text, 1, 200), ts = now, kind = 'reply' })
  rx.ticket_touch(p, n, t, now)
  rx.publish(p, { type = 'ticket.message', kind = 'reply', ticket = tonumber(n),
    channel = t.channel, direction = 'out', queue = t.queue, agent = t.agent,
    customer = t.customer, log = id, author = author, status = t.status,
    text = t.channel == 'chat' and text or nil })
  return rx.encode({ ticket = tonumber(n), log = id, msgid = msgid, outbox = job or '',
    first_response = first, status = t.status })
end

-- {id, who} -> { meta JSON, data }: two values, so binary data is not
-- pushed through JSON.
local function attachment_get(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local id = tostring(a.id or '')
  local m = redis.call('HMGET', p .. 'att:' .. id, 'name', 'type', 'size', 'ticket', 'data')
  local t = m[4] and rx.ticket_load(p, m[4])
  if not m[5] or not t or not rx.ticket_visible(t, who_of(a)) then
    rx.fail('NOTFOUND', 'no attachment ' .. id)
  end
  return { rx.encode({ id = id, name = m[1] or '', type = m[2] or '',
    size = tonumber(m[3]) or #m[5], ticket = tonumber(t.n) }), m[5] }
end

redis.register_function { function_name = 'rx_ticket_get', callback = ticket_get,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_ticket_list', callback = ticket_list,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_ticket_update', callback = ticket_update }
redis.register_function { function_name = 'rx_ticket_note', callback = ticket_note }
redis.register_function { function_name = 'rx_ticket_reply', callback = ticket_reply }
redis.register_function { function_name = 'rx_attachment_get', callback = attachment_get,
  flags = { 'no-writes' } }
