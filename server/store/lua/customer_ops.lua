-- Customers as agents and rxdeskctl see them: the card, the contact history,
-- search, import (upsert), edits, merge and export (docs/datamodel.md).
-- Identities arrive normalised by the C side (server/customer/phone.c, server/customer/ident.c).

local CTYPES = { hcp = 1, hco = 1, pharmacy = 1, patient = 1, other = 1 }
local CONSENT = { yes = 1, no = 1, unknown = 1 }
-- The fields an import or an agent may set, and their longest value.
local EDITABLE = { type = 16, name = 256, organisation = 256, specialty = 128,
  region = 128, segment = 64, language = 16, consent_email = 8,
  consent_phone = 8, consent_chat = 8 }
local FIELD_ORDER = { 'type', 'name', 'organisation', 'specialty', 'region',
  'segment', 'language', 'consent_email', 'consent_phone', 'consent_chat' }
local HISTORY_MAX = 200
local SEARCH_MAX = 100
local EXPORT_MAX = 1000
local IDENTS_MAX = 64

local function ckey(p, cid) return p .. 'c:' .. cid end

-- The live customer named by ID, or a NOTFOUND error.
local function live_or_fail(p, id)
  if type(id) ~= 'string' and type(id) ~= 'number' then rx.fail('BADARG', 'no customer id') end
  local cid = rx.customer_live(p, tostring(id))
  if not cid then rx.fail('NOTFOUND', 'no customer ' .. tostring(id)) end
  return cid
end

local function check_field(k, v)
  if not EDITABLE[k] then rx.fail('INVALID', 'unknown field "' .. tostring(k) .. '"') end
  if type(v) ~= 'string' then rx.fail('BADARG', k .. ' must be a string') end
  if #v > EDITABLE[k] then rx.fail('BADARG', k .. ' longer than ' .. EDITABLE[k] .. ' bytes') end
  if k == 'type' and not CTYPES[v] then rx.fail('BADARG', 'unknown type "' .. v .. '"') end
  if string.sub(k, 1, 8) == 'consent_' and not CONSENT[v] then
    rx.fail('BADARG', k .. ' must be yes, no or unknown')
  end
end

local function identities(p, cid)
  local ids = redis.call('SMEMBERS', ckey(p, cid) .. ':ids')
  table.sort(ids)
  return ids
end

local function card(p, cid)
  local c = rx.hgetall(ckey(p, cid))
  c.identities = rx.list(identities(p, cid))
  return c
end

-- Set FIELD of customer CID to NEW with an audit entry; true if it changed.
local function field_set(p, cid, c, field, new, actor, now)
  local old = c[field] or ''
  if old == new then return false end
  redis.call('HSET', ckey(p, cid), field, new)
  if field == 'name' then rx.name_index(p, cid, old, new) end
  rx.audit(p, actor, 'customer:' .. cid, field, old, new, now)
  c[field] = new
  return true
end

local function touch(p, cid, c, now)
  c.updated = tostring(now)
  redis.call('HSET', ckey(p, cid), 'updated', now)
end

-- May WHO (nil: the system) read ticket N's content? One answer per
-- ticket per call (SEEN caches them): the visibility rule of the tickets,
-- so the card and the history hide what GET /tickets/{n} would refuse.
local function may_see(p, n, who, seen)
  if who == nil then return true end
  n = tostring(n)
  if seen[n] == nil then
    local t = rx.ticket_load(p, n)
    seen[n] = t == nil or rx.ticket_visible(t, who)
  end
  return seen[n]
end

-- ARGV[2] {"id":..}: the card with the customer's tickets, newest first.
local function customer_get(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local cid = live_or_fail(p, a.id)
  local limit = math.min(tonumber(a.tickets) or 50, 200)
  local out = {}
  local seen = {}
  for _, n in ipairs(redis.call('ZREVRANGE', ckey(p, cid) .. ':tickets', 0, limit - 1)) do
    local t = redis.call('HMGET', p .. 't:' .. n, 'subject', 'status', 'channel',
      'category', 'priority', 'created', 'updated')
    local o = { n = tonumber(n), subject = t[1] or '', status = t[2] or '',
      channel = t[3] or '', category = t[4] or '', priority = t[5] or '',
      created = tonumber(t[6]), updated = tonumber(t[7]) }
    -- that a restricted ticket exists and its status, never its content
    if not may_see(p, n, a.who, seen) then o.subject = nil; o.restricted = true end
    out[#out + 1] = o
  end
  return rx.encode({ customer = card(p, cid), tickets = rx.list(out),
    tickets_total = redis.call('ZCARD', ckey(p, cid) .. ':tickets'),
    history_total = redis.call('XLEN', ckey(p, cid) .. ':hist'),
    merged = cid ~= tostring(a.id) and tostring(a.id) or nil })
end

local function entry_table(e)
  local h = { id = e[1] }
  for i = 1, #e[2], 2 do h[e[2][i]] = e[2][i + 1] end
  h.ts = tonumber(h.ts)
  h.ticket = tonumber(h.ticket) or h.ticket
  return h
end

-- ARGV[2] {"id":..,"cursor":"<entry id>","count":N}: history newest first,
-- the page after CURSOR; "next" is the cursor of the following page.
local function customer_history(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local cid = live_or_fail(p, a.id)
  local count = math.floor(tonumber(a.count) or 30)
  if count < 1 or count > HISTORY_MAX then
    rx.fail('BADARG', 'count must be between 1 and ' .. HISTORY_MAX)
  end
  local from = '+'
  if a.cursor and a.cursor ~= '' then
    if not string.match(tostring(a.cursor), '^%d+%-%d+$') then rx.fail('BADARG', 'bad cursor') end
    from = '(' .. a.cursor
  end
  local r = redis.call('XREVRANGE', ckey(p, cid) .. ':hist', from, '-', 'COUNT', count + 1)
  local out = {}
  local seen = {}
  for i = 1, math.min(#r, count) do
    out[i] = entry_table(r[i])
    if out[i].ticket and not may_see(p, out[i].ticket, a.who, seen) then
      out[i].summary = nil
      out[i].restricted = true
    end
  end
  return rx.encode({ customer = cid, history = rx.list(out),
    next = #r > count and out[count].id or nil })
end

local function search_add(p, found, order, cid, how)
  cid = rx.customer_live(p, cid)
  if not cid or found[cid] then return end
  local c = redis.call('HMGET', ckey(p, cid), 'type', 'name', 'organisation', 'region')
  found[cid] = true
  order[#order + 1] = { id = cid, type = c[1] or '', name = c[2] or '',
    organisation = c[3] or '', region = c[4] or '', matched = how }
end

-- ARGV[2] {"name":..,"email":..,"phone":..,"ext":[s,v],"id":..,"limit":N}:
-- exact identity hits first, then names starting with NAME.
local function customer_search(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local limit = math.floor(tonumber(a.limit) or 20)
  if limit < 1 or limit > SEARCH_MAX then rx.fail('BADARG', 'limit must be between 1 and ' .. SEARCH_MAX) end
  local found, order = {}, {}
  if a.id and a.id ~= '' then search_add(p, found, order, tostring(a.id), 'id') end
  for _, k in ipairs({ 'email', 'phone' }) do
    if type(a[k]) == 'string' and a[k] ~= '' then
      local c = redis.call('GET', p .. 'ix:' .. k .. ':' .. a[k])
      if c then search_add(p, found, order, c, k) end
    end
  end
  if type(a.ext) == 'table' and a.ext[1] and a.ext[2] then
    local c = redis.call('GET', p .. 'ix:ext:' .. string.lower(a.ext[1]) .. ':' .. a.ext[2])
    if c then search_add(p, found, order, c, 'ext') end
  end
  if type(a.name) == 'string' and a.name ~= '' and #a.name <= 256 then
    local q = rx.lower(a.name)
    local r = redis.call('ZRANGEBYLEX', p .. 'ix:name', '[' .. q, '[' .. q .. '\255',
      'LIMIT', 0, limit * 3)
    for _, m in ipairs(r) do
      if #order >= limit then break end
      search_add(p, found, order, string.match(m, '%z(%d+)$'), 'name')
    end
  end
  while #order > limit do table.remove(order) end
  return rx.encode({ customers = rx.list(order) })
end

-- The identity keys of an upsert or an edit, in match order, checked.
local function upsert_idents(a)
  local ids = rx.ident_keys({ ext = a.ext })
  for _, e in ipairs(type(a.emails) == 'table' and a.emails or {}) do ids[#ids + 1] = 'email:' .. e end
  for _, ph in ipairs(type(a.phones) == 'table' and a.phones or {}) do ids[#ids + 1] = 'phone:' .. ph end
  if #ids > IDENTS_MAX then rx.fail('BADARG', 'more than ' .. IDENTS_MAX .. ' identities') end
  for _, id in ipairs(ids) do
    if type(id) ~= 'string' or #id > 300 then rx.fail('BADARG', 'bad identity') end
  end
  return ids
end

local function upsert_fields(a)
  local f = {}
  for k, v in pairs(type(a.fields) == 'table' and a.fields or {}) do
    check_field(k, v)
    if v ~= '' then f[k] = v end
  end
  return f
end

local function upsert_match(p, ids)
  for _, id in ipairs(ids) do
    local c = redis.call('GET', p .. 'ix:' .. id)
    if c then
      c = rx.customer_live(p, c)
      if c then return c end
    end
  end
  return nil
end

-- Index IDS to CID; those another customer holds are returned.
local function idents_attach(p, cid, ids)
  local conflicts, added = {}, 0
  for _, id in ipairs(ids) do
    if redis.call('SISMEMBER', ckey(p, cid) .. ':ids', id) == 0 then
      local owner = redis.call('GET', p .. 'ix:' .. id)
      if owner and rx.customer_live(p, owner) ~= cid then
        conflicts[#conflicts + 1] = id .. ' belongs to customer ' .. owner
      else
        redis.call('SET', p .. 'ix:' .. id, cid)
        redis.call('SADD', ckey(p, cid) .. ':ids', id)
        added = added + 1
      end
    end
  end
  return added, conflicts
end

-- ARGV[2] {"fields":{..},"emails":[..],"phones":[..],"ext":[[s,v],..],
-- "phone_exts":{phone:ext},"actor":".."}: match by identities (ext, email, phone), then create the
-- customer or fill in what changed. Empty fields never clear a value, so
-- importing the same row twice changes nothing the second time.
local function customer_upsert(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local f, ids = upsert_fields(a), upsert_idents(a)
  local actor, now = tostring(a.actor or 'import'), rx.now()
  if #ids == 0 and not f.name then rx.fail('BADARG', 'a customer needs a name or an identity') end
  local cid, result = upsert_match(p, ids), 'unchanged'
  if not cid then
    f.type = f.type or 'other'
    cid = rx.customer_create(p, f, now)
    rx.audit(p, actor, 'customer:' .. cid, 'created', '', f.type, now)
    result = 'created'
  else
    local c = rx.hgetall(ckey(p, cid))
    for _, k in ipairs(FIELD_ORDER) do
      if f[k] and field_set(p, cid, c, k, f[k], actor, now) then result = 'updated' end
    end
    if result == 'updated' then touch(p, cid, c, now) end
  end
  local added, conflicts = idents_attach(p, cid, ids)
  -- {"+380671234567":"7"}: a number's extension, kept beside it
  for ph, ext in pairs(type(a.phone_exts) == 'table' and a.phone_exts or {}) do
    if type(ph) == 'string' and type(ext) == 'string' and string.match(ext, '^%d+$')
        and #ext <= 10 and redis.call('HGET', ckey(p, cid), 'ext:' .. ph) ~= ext then
      redis.call('HSET', ckey(p, cid), 'ext:' .. ph, ext)
      added = added + 1
    end
  end
  if added > 0 and result == 'unchanged' then
    result = 'updated'
    redis.call('HSET', ckey(p, cid), 'updated', now)
  end
  return rx.encode({ id = cid, result = result, conflicts = rx.list(conflicts) })
end

-- ARGV[2] {"id":..,"fields":{..},"actor":".."}: edit fields; every change
-- goes to the audit stream. An empty string clears a field (not type).
local function customer_update(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local cid = live_or_fail(p, a.id)
  local actor, now = tostring(a.actor or 'system'), rx.now()
  if type(a.fields) ~= 'table' then rx.fail('BADARG', 'fields must be an object') end
  for k, v in pairs(a.fields) do
    check_field(k, v)
    if k == 'type' and v == '' then rx.fail('BADARG', 'type cannot be empty') end
  end
  local c, changed = rx.hgetall(ckey(p, cid)), {}
  for _, k in ipairs(FIELD_ORDER) do
    if a.fields[k] ~= nil and field_set(p, cid, c, k, a.fields[k], actor, now) then
      changed[#changed + 1] = k
    end
  end
  if #changed > 0 then touch(p, cid, c, now) end
  return rx.encode({ customer = card(p, cid), changed = rx.list(changed) })
end

local function id_parts(id)
  local ms, seq = string.match(id, '^(%d+)%-(%d+)$')
  return tonumber(ms), tonumber(seq)
end

-- An entry's time: its ts field, else the time in its id.
local function entry_time(e)
  for i = 1, #e[2], 2 do
    if e[2][i] == 'ts' then
      local ts = tonumber(e[2][i + 1])
      if ts then return ts end
    end
  end
  return (id_parts(e[1]))
end

local function entry_before(x, y)
  if x.t ~= y.t then return x.t < y.t end
  local xm, xs = id_parts(x.e[1])
  local ym, ys = id_parts(y.e[1])
  if xm ~= ym then return xm < ym end
  if xs ~= ys then return xs < ys end
  return x.k < y.k
end

-- Rebuild the survivor's history with the loser's entries in time order
-- (the ts field). Stream ids only grow, so the merged stream is written
-- afresh: an entry keeps its id unless an earlier one forces it up, and
-- copied entries name where they came from.
local function history_merge(p, s, l)
  local sk, lk = ckey(p, s) .. ':hist', ckey(p, l) .. ':hist'
  local theirs = redis.call('XRANGE', lk, '-', '+')
  if #theirs == 0 then return 0 end
  local all = {}
  for i, e in ipairs(redis.call('XRANGE', sk, '-', '+')) do
    all[#all + 1] = { e = e, t = entry_time(e), k = i }
  end
  for i, e in ipairs(theirs) do
    e[2][#e[2] + 1] = 'merged_from'
    e[2][#e[2] + 1] = l
    all[#all + 1] = { e = e, t = entry_time(e), k = #all + i }
  end
  table.sort(all, entry_before)
  redis.call('DEL', sk)
  local lm, ls = 0, 0
  for _, x in ipairs(all) do
    local m, q = id_parts(x.e[1])
    if m < lm or (m == lm and q <= ls) then m, q = lm, ls + 1 end
    redis.call('XADD', sk, m .. '-' .. q, unpack(x.e[2]))
    lm, ls = m, q
  end
  redis.call('DEL', lk)
  return #theirs
end

local function tickets_move(p, s, l, actor, now)
  local r = redis.call('ZRANGE', ckey(p, l) .. ':tickets', 0, -1, 'WITHSCORES')
  for i = 1, #r, 2 do
    local n = r[i]
    local t = rx.ticket_load(p, n)
    if t and rx.ticket_set then
      rx.ticket_set(p, n, t, 'customer', s, actor, now)
    else
      redis.call('HSET', p .. 't:' .. n, 'customer', s)
      rx.audit(p, actor, 'ticket:' .. n, 'customer', l, s, now)
    end
    redis.call('ZADD', ckey(p, s) .. ':tickets', r[i + 1], n)
  end
  redis.call('DEL', ckey(p, l) .. ':tickets')
  return #r / 2
end

local function idents_move(p, s, l)
  local ids = redis.call('SMEMBERS', ckey(p, l) .. ':ids')
  for _, id in ipairs(ids) do
    redis.call('SET', p .. 'ix:' .. id, s)
    redis.call('SADD', ckey(p, s) .. ':ids', id)
  end
  redis.call('DEL', ckey(p, l) .. ':ids')
  return #ids
end

-- ARGV[2] {"survivor":..,"loser":..,"actor":".."}: move the loser's
-- identities, history and tickets to the survivor, fill the survivor's
-- empty fields from the loser, and leave the loser only merged_into. The
-- loser's whole record is kept in the audit entry. Merging again answers
-- "already".
local function customer_merge(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local s = live_or_fail(p, a.survivor)
  if type(a.loser) ~= 'string' and type(a.loser) ~= 'number' then rx.fail('BADARG', 'no loser id') end
  local l = tostring(a.loser)
  local actor, now = tostring(a.actor or 'system'), rx.now()
  if redis.call('EXISTS', ckey(p, l)) == 0 then rx.fail('NOTFOUND', 'no customer ' .. l) end
  if rx.customer_live(p, l) == s and l ~= s then
    return rx.encode({ survivor = s, loser = l, already = true })
  end
  if l == s then rx.fail('BADARG', 'a customer cannot be merged into itself') end
  if redis.call('HEXISTS', ckey(p, l), 'merged_into') == 1 then
    rx.fail('CONFLICT', 'customer ' .. l .. ' was merged into another customer')
  end
  local lc, sc = rx.hgetall(ckey(p, l)), rx.hgetall(ckey(p, s))
  for _, k in ipairs(FIELD_ORDER) do
    local v = lc[k] or ''
    local empty = (sc[k] or '') == '' or (k == 'type' and sc.type == 'other')
    if v ~= '' and empty then field_set(p, s, sc, k, v, actor, now) end
  end
  local out = { survivor = s, loser = l, already = false,
    identities = idents_move(p, s, l), history = history_merge(p, s, l),
    tickets = tickets_move(p, s, l, actor, now) }
  rx.name_index(p, l, lc.name, nil)
  redis.call('ZREM', p .. 'customers', l)
  redis.call('DEL', ckey(p, l))
  redis.call('HSET', ckey(p, l), 'merged_into', s, 'updated', now)
  rx.audit(p, actor, 'customer:' .. l, 'merged_into', cjson.encode(lc), s, now)
  touch(p, s, sc, now)
  return rx.encode(out)
end

-- ARGV[2] {"cursor":"<id>","count":N}: customers with ids above CURSOR, in
-- id order, with their identities; "next" continues the walk.
local function customer_export(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local count = math.floor(tonumber(a.count) or 500)
  if count < 1 or count > EXPORT_MAX then rx.fail('BADARG', 'count must be between 1 and ' .. EXPORT_MAX) end
  local after = tonumber(a.cursor) or 0
  local ids = redis.call('ZRANGEBYSCORE', p .. 'customers', '(' .. after, '+inf', 'LIMIT', 0, count)
  local out = {}
  for i, cid in ipairs(ids) do out[i] = card(p, cid) end
  return rx.encode({ customers = rx.list(out),
    next = #ids == count and ids[#ids] or nil })
end

redis.register_function { function_name = 'rx_customer_get', callback = customer_get,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_customer_history', callback = customer_history,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_customer_search', callback = customer_search,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_customer_upsert', callback = customer_upsert }
redis.register_function { function_name = 'rx_customer_update', callback = customer_update }
redis.register_function { function_name = 'rx_customer_merge', callback = customer_merge }
redis.register_function { function_name = 'rx_customer_export', callback = customer_export,
  flags = { 'no-writes' } }
