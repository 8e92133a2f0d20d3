-- Screening feedback (docs/screening.md, Feedback): a person confirms or
-- rejects a flag the screener raised, or confirms one it missed. The flag
-- itself is never taken off: a regulated company keeps the fact that it
-- was raised; the decision is recorded beside it on the ticket, in the
-- audit stream, on the ticket's log and in rx:screening:decisions, the
-- labelled data that rxdeskctl screening export writes out.

local SCREEN_FLAGS = { ae = 1, complaint = 1 }
local DECISIONS = { confirm = 'confirmed', reject = 'rejected' }
local MAX_REASON = 1000
local LOG_LOOK = 500	-- log entries searched for the message a flag is about
local EXPORT_PAGE = 500

local function has(list, x)
  for _, v in ipairs(list) do if v == x then return true end end
  return false
end

local function fields_of(e)
  local o = { id = e[1] }
  for i = 1, #e[2], 2 do o[e[2][i]] = e[2][i + 1] end
  return o
end

-- Did the screening JSON S (a log entry's field) raise FLAG?
local function raised_by(s, flag)
  local ok, v = pcall(cjson.decode, s or '')
  if not ok or type(v) ~= 'table' then return false end
  if flag == 'ae' then return type(v.ae) == 'string' end
  return v.complaint == true
end

-- The inbound message a decision is about: the one named (it must be an
-- inbound message of this ticket), else the newest inbound message whose
-- screening raised FLAG, else the newest inbound message.
local function decision_message(p, n, flag, id)
  local key = rx.tkey(p, n) .. ':log'
  if id and id ~= '' then
    local ok, e = pcall(redis.call, 'XRANGE', key, id, id)
    local m = ok and e[1] and fields_of(e[1])
    if not m or m.type ~= 'message' or m.direction ~= 'in' then
      rx.fail('BADARG', 'message: no inbound message ' .. id .. ' on RX-' .. n)
    end
    return m.id
  end
  local newest
  for _, e in ipairs(redis.call('XREVRANGE', key, '+', '-', 'COUNT', LOG_LOOK)) do
    local m = fields_of(e)
    if m.type == 'message' and m.direction == 'in' then
      if raised_by(m.screening, flag) then return m.id end
      newest = newest or m.id
    end
  end
  if not newest then rx.fail('CONFLICT', 'RX-' .. n .. ' has no customer message to judge') end
  return newest
end

local function is_safety(who)
  if who == nil then return true end
  local roles = rx.split(who.roles)
  return has(roles, 'safety') or has(roles, 'supervisor') or has(roles, 'admin')
end

-- The validated request; a reason is required to reject.
local function decide_args(a)
  local flag, decision = a.flag, DECISIONS[a.decision or '']
  if type(flag) ~= 'string' or not SCREEN_FLAGS[flag] then
    rx.fail('BADARG', 'flag: must be ae or complaint')
  end
  if not decision then rx.fail('BADARG', 'decision: must be confirm or reject') end
  local reason = a.reason
  if reason == nil or reason == cjson.null then reason = '' end
  if type(reason) ~= 'string' then rx.fail('BADARG', 'reason: must be a string') end
  reason = string.match(reason, '^%s*(.-)%s*$')
  if #reason > MAX_REASON then rx.fail('BADARG', 'reason: longer than ' .. MAX_REASON .. ' bytes') end
  if decision == 'rejected' and reason == '' then rx.fail('BADARG', 'reason: required to reject') end
  local msg = a.message
  if msg ~= nil and msg ~= cjson.null and type(msg) ~= 'string' then
    rx.fail('BADARG', 'message: must be a log entry id')
  end
  return flag, decision, reason, msg ~= cjson.null and msg or nil
end

-- A flag the screener missed, confirmed by a person: the ticket becomes
-- the safety ticket triage would have made (flag, category, priority).
local function raise_missed(p, n, t, flag, actor, now)
  local flags = rx.split(t.flags)
  flags[#flags + 1] = flag
  rx.ticket_set(p, n, t, 'flags', table.concat(flags, ','), actor, now)
  local rank = { ae = 2, complaint = 1 }
  if (rank[flag] or 0) > (rank[t.category] or 0) then
    rx.ticket_set(p, n, t, 'category', flag, actor, now)
  end
  if (tonumber(t.prio) or 1) < rx.PRIORITIES.high then
    rx.ticket_priority(p, n, t, 'high', actor, now)
  end
end

-- Record the decision on the ticket (audited, logged) and in the stream.
local function decide_apply(p, n, t, d, now)
  local changed = {}
  local function set(field, v)
    if rx.ticket_set(p, n, t, field, v, d.actor, now) then changed[#changed + 1] = field end
  end
  local was = has(rx.split(t.flags), d.flag)
  if not was then
    if d.decision == 'rejected' then
      rx.fail('CONFLICT', d.flag .. ' was not raised on RX-' .. n .. '; nothing to reject')
    end
    raise_missed(p, n, t, d.flag, d.actor, now)
    changed[#changed + 1] = 'flags'
  end
  set(d.flag .. '_decision', d.decision)
  set(d.flag .. '_reason', d.reason)
  -- who and when are in the audit stream; kept here too for the console
  local more = { [d.flag .. '_decided_by'] = d.actor, [d.flag .. '_decided_at'] = tostring(now),
    [d.flag .. '_decided_safety'] = d.safety and '1' or '0', [d.flag .. '_message'] = d.message }
  rx.hset(rx.tkey(p, n), more)
  for k, v in pairs(more) do t[k] = v end
  redis.call('XADD', p .. 'screening:decisions', '*', 'ticket', n, 'message', d.message,
    'flag', d.flag, 'decision', d.decision, 'reason', d.reason, 'actor', d.actor,
    'raised', was and '1' or '0', 'ts', now)
  return changed, was
end

-- {ticket, who, actor, flag, decision:"confirm"|"reject", reason, message?}
-- -> {ticket, flag, decision, message, raised, changed}
local function screening_decide(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local flag, decision, reason, msg = decide_args(a)
  local who = type(a.who) == 'table' and a.who or nil
  local t = rx.ticket_load(p, a.ticket)
  if not t or not rx.ticket_visible(t, who) then rx.fail('NOTFOUND', 'no ticket ' .. tostring(a.ticket)) end
  local n = t.n
  if t.status == 'closed' then rx.fail('CONFLICT', 'RX-' .. n .. ' is closed') end
  if t[flag .. '_decided_safety'] == '1' and not is_safety(who) then
    rx.fail('FORBIDDEN', 'only safety staff change a safety officer\'s decision')
  end
  local d = { flag = flag, decision = decision, reason = reason,
    actor = tostring(a.actor or 'system'), safety = who ~= nil and is_safety(who),
    message = decision_message(p, n, flag, msg) }
  local now = rx.now()
  local changed, was = decide_apply(p, n, t, d, now)
  if #changed > 0 then
    rx.ticket_touch(p, n, t, now)
    rx.publish(p, { type = 'ticket.updated', ticket = tonumber(n), fields = changed,
      queue = t.queue, agent = t.agent, status = t.status, category = t.category,
      flags = t.flags, actor = d.actor, screening = { flag = flag, decision = decision,
      message = d.message, raised = was } })
  end
  return rx.encode({ ticket = rx.ticket_public(t), flag = flag, decision = decision,
    message = d.message, raised = was, changed = rx.list(changed) })
end

-- One decision joined with the message it is about, for the export.
local function export_item(p, e)
  local d = fields_of(e)
  local t = rx.hgetall(rx.tkey(p, d.ticket))
  local m = redis.call('XRANGE', rx.tkey(p, d.ticket) .. ':log', d.message, d.message)
  if not m[1] then return nil end
  m = fields_of(m[1])
  local ok, scr = pcall(cjson.decode, m.screening or '')
  return { decision_id = d.id, ticket = tonumber(d.ticket), message = d.message, flag = d.flag,
    decision = d.decision, reason = d.reason, actor = d.actor, ts = tonumber(d.ts),
    raised = d.raised == '1', channel = m.channel or t.channel or '', text = m.text or '',
    subject = m.subject or '', received = tonumber(m.ts), lang = t.lang or '',
    screening = ok and type(scr) == 'table' and scr or nil }
end

-- {cursor, since, count} -> {items, next}: decisions oldest first, after
-- the entry CURSOR, or from SINCE (Unix ms) on; next is "" at the end.
local function screening_export(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local count = math.max(1, math.min(tonumber(a.count) or EXPORT_PAGE, EXPORT_PAGE))
  local start = '-'
  if type(a.cursor) == 'string' and a.cursor ~= '' then
    start = '(' .. a.cursor
  elseif tonumber(a.since) then
    start = string.format('%.0f', tonumber(a.since))
  end
  local ok, entries = pcall(redis.call, 'XRANGE', p .. 'screening:decisions', start, '+',
    'COUNT', count)
  if not ok then rx.fail('BADARG', 'bad cursor') end
  local items = {}
  for _, e in ipairs(entries) do
    local it = export_item(p, e)
    if it then items[#items + 1] = it end
  end
  return rx.encode({ items = rx.list(items),
    next = #entries == count and entries[#entries][1] or '' })
end

redis.register_function { function_name = 'rx_screening_decide', callback = screening_decide }
redis.register_function { function_name = 'rx_screening_export', callback = screening_export,
  flags = { 'no-writes' } }
