-- Product complaints (docs/safety.md "Complaints"): what 21 CFR 211.198
-- asks of a complaint file (product and strength, lot, complainant, nature,
-- investigation, reply given) plus expiry, pack, type, whether a sample is
-- available, and the review for an adverse event. No patient data is kept
-- here; an AE found in a complaint is a case (case.lua) the record links to.

local function qkey(p, id) return p .. 'complaint:' .. id end
local TYPES = { packaging = true, appearance = true, contamination = true,
  lack_of_effect = true, counterfeit = true, device = true, other = true }
local TEXT = { product = 200, strength = 64, lot = 64, expiry = 32, pack = 200,
  nature = 8192, investigation = 8192, reply = 8192 }
local LIST_SCAN_MAX = 5000

local function public(h)
  local o = {}
  for k, v in pairs(h) do o[k] = v end
  o.id = tonumber(h.id)
  o.number = 'QC-' .. h.id
  o.ticket = tonumber(h.ticket)
  o.case = tonumber(h.case)
  o.created, o.updated = tonumber(h.created), tonumber(h.updated)
  o.sample_available = h.sample_available == '1'
  o.complainant = { name = h.complainant_name or '', email = h.complainant_email or '',
    phone = h.complainant_phone or '' }
  o.complainant_name, o.complainant_email, o.complainant_phone = nil, nil, nil
  o.ae_review = cjson.decode(h.ae_review or 'null')
  if o.ae_review == nil then o.ae_review = cjson.null end
  if o.case == nil then o.case = cjson.null end
  return o
end

-- Check SET field by field; returns the hash fields to write.
local function checked(p, set, who)
  local out = {}
  for k, v in pairs(set or {}) do
    if TEXT[k] then
      if type(v) ~= 'string' or #v > TEXT[k] then rx.fail('BADARG', k .. ': a text of at most ' .. TEXT[k] .. ' bytes') end
      out[k] = v
    elseif k == 'type' then
      if not TYPES[v] then rx.fail('BADARG', 'type: packaging, appearance, contamination, lack_of_effect, counterfeit, device or other') end
      out[k] = v
    elseif k == 'sample_available' then
      if type(v) ~= 'boolean' then rx.fail('BADARG', 'sample_available: true or false') end
      out[k] = v and '1' or '0'
    elseif k == 'status' then
      if v ~= 'open' and v ~= 'closed' then rx.fail('BADARG', 'status: open or closed') end
      out[k] = v
    elseif k == 'case' then
      if v ~= cjson.null and redis.call('EXISTS', p .. 'case:' .. tostring(v)) == 0 then
        rx.fail('BADARG', 'case: no such case')
      end
      out[k] = v == cjson.null and '' or tostring(v)
    elseif k == 'ae_review' then
      if type(v) ~= 'table' or (v.decision ~= 'ae' and v.decision ~= 'no_ae') then
        rx.fail('BADARG', 'ae_review: {"decision":"ae"|"no_ae","note":"..."}')
      end
      local note = type(v.note) == 'string' and string.sub(v.note, 1, 2000) or ''
      out[k] = cjson.encode({ decision = v.decision, note = note,
        by = who and ('a:' .. tostring(who.agent)) or 'system', at = rx.now() })
    else
      rx.fail('BADARG', k .. ': unknown field')
    end
  end
  return out
end

local function write(p, id, h, out, actor, now)
  for k, v in pairs(out) do
    if (h[k] or '') ~= v then
      rx.audit(p, actor, 'complaint:' .. id, k, h[k] or '', v, now)
      h[k] = v
      redis.call('HSET', qkey(p, id), k, v)
    end
  end
  h.updated = tostring(now)
  redis.call('HSET', qkey(p, id), 'updated', now)
end

-- {ticket, who, actor, set} -> the complaint: opened from a ticket flagged
-- complaint, the customer as complainant, a complaint form's fields mapped.
local function complaint_open(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local t = rx.ticket_load(p, a.ticket)
  if not t or not rx.ticket_visible(t, a.who) then rx.fail('NOTFOUND', 'no such ticket') end
  if not string.find(t.flags or '', 'complaint', 1, true) and t.category ~= 'complaint' then
    rx.fail('CONFLICT', 'ticket RX-' .. t.n .. ' is not flagged complaint')
  end
  local have = redis.call('GET', p .. 'complaint:t:' .. t.n)
  if have then rx.fail('CONFLICT', 'ticket RX-' .. t.n .. ' already has complaint QC-' .. have) end
  local f, text = {}, ''
  for _, e in ipairs(redis.call('XRANGE', rx.tkey(p, t.n) .. ':log', '-', '+', 'COUNT', 200)) do
    local m = {}
    for i = 1, #e[2], 2 do m[e[2][i]] = e[2][i + 1] end
    if m.type == 'message' and m.direction == 'in' then
      local ok, v = pcall(cjson.decode, m.fields or '{}')
      if ok and type(v) == 'table' then f = v end
      text = m.text or ''
      break
    end
  end
  local now, id = rx.now(), redis.call('INCR', p .. 'seq:complaint')
  local c = rx.hgetall(p .. 'c:' .. (t.customer or ''))
  local email, phone = '', ''
  for _, ident in ipairs(redis.call('SMEMBERS', p .. 'c:' .. (t.customer or '') .. ':ids')) do
    if email == '' and string.sub(ident, 1, 6) == 'email:' then email = string.sub(ident, 7) end
    if phone == '' and string.sub(ident, 1, 6) == 'phone:' then phone = string.sub(ident, 7) end
  end
  local sample = tostring(f.sample_available or ''):lower()
  local h = { id = tostring(id), ticket = t.n, status = 'open', type = 'other',
    product = type(f.product) == 'string' and f.product or '', strength = '',
    lot = type(f.lot) == 'string' and f.lot or '', expiry = type(f.expiry) == 'string' and f.expiry or '',
    pack = '', nature = string.sub(text, 1, 8192), investigation = '', reply = '',
    sample_available = (sample == 'yes' or sample == 'true' or sample == '1' or sample == 'так'
      or sample == 'да') and '1' or '0',
    complainant_name = c.name or '', complainant_email = email, complainant_phone = phone,
    case = redis.call('GET', p .. 'case:t:' .. t.n) or '', created = tostring(now),
    updated = tostring(now) }
  rx.hset(qkey(p, id), h)
  redis.call('SET', p .. 'complaint:t:' .. t.n, id)
  redis.call('ZADD', p .. 'complaints', now, id)
  rx.audit(p, tostring(a.actor or 'system'), 'complaint:' .. id, 'created', '', 'QC-' .. id, now)
  write(p, id, h, checked(p, a.set, a.who), tostring(a.actor or 'system'), now)
  return rx.encode(public(h))
end

local function load(p, id)
  local h = rx.hgetall(qkey(p, tostring(id)))
  if not h.id then rx.fail('NOTFOUND', 'no such complaint') end
  return h
end

local function complaint_get(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  return rx.encode(public(load(p, a.id)))
end

-- {id, set, who, actor}: a closed complaint needs its AE review first.
local function complaint_update(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local h = load(p, a.id)
  local out = checked(p, a.set, a.who)
  if out.status == 'closed' and not (out.ae_review or h.ae_review) then
    rx.fail('CONFLICT', 'every complaint is reviewed for an adverse event before it closes')
  end
  if out.ae_review and cjson.decode(out.ae_review).decision == 'ae' and
      (out.case or h.case or '') == '' then
    rx.fail('BADARG', 'case: an adverse event found in a complaint links to its case')
  end
  write(p, a.id, h, out, tostring(a.actor or 'system'), rx.now())
  return rx.encode(public(h))
end

local function complaint_list(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local limit = math.max(1, math.min(tonumber(a.limit) or 25, 1000))
  local off = math.max(0, tonumber(a.cursor) or 0)
  local ids = redis.call('ZREVRANGEBYSCORE', p .. 'complaints', tonumber(a.to) or '+inf',
    tonumber(a.from) or '-inf', 'LIMIT', off, LIST_SCAN_MAX)
  local items, pos = {}, off
  local product, lot = a.product and rx.lower(a.product) or nil, a.lot
  for _, id in ipairs(ids) do
    pos = pos + 1
    local h = rx.hgetall(qkey(p, id))
    if h.id and (not product or product == '' or rx.lower(h.product or '') == product)
        and (not lot or lot == '' or h.lot == lot)
        and (not a.status or a.status == '' or h.status == a.status) then
      items[#items + 1] = public(h)
      if #items == limit then break end
    end
  end
  local more = #items == limit or #ids == LIST_SCAN_MAX
  return rx.encode({ items = rx.list(items), next = more and tostring(pos) or '' })
end

redis.register_function { function_name = 'rx_complaint_open', callback = complaint_open }
redis.register_function { function_name = 'rx_complaint_get', callback = complaint_get,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_complaint_update', callback = complaint_update }
redis.register_function { function_name = 'rx_complaint_list', callback = complaint_list,
  flags = { 'no-writes' } }
