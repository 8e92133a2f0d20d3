-- Customers, identities and contact history (docs/datamodel.md).

local function ident_keys(ident)
  -- In match order: ext ids, email, phone, chat token.
  local out = {}
  for _, e in ipairs(ident.ext or {}) do
    if e[1] and e[2] and e[1] ~= '' and e[2] ~= '' then
      out[#out + 1] = 'ext:' .. string.lower(e[1]) .. ':' .. e[2]
    end
  end
  if ident.email and ident.email ~= '' then out[#out + 1] = 'email:' .. ident.email end
  if ident.phone and ident.phone ~= '' then out[#out + 1] = 'phone:' .. ident.phone end
  if ident.chat and ident.chat ~= '' then out[#out + 1] = 'chat:' .. ident.chat end
  return out
end
rx.ident_keys = ident_keys

-- Follow merged_into links to the surviving record.
-- One HMGET per link: every record has an id, so EXISTS is asked only
-- for a record without one.
rx.customer_live = function(p, cid)
  for _ = 1, 16 do
    local f = redis.call('HMGET', p .. 'c:' .. cid, 'id', 'merged_into')
    if not f[1] and not f[2] and redis.call('EXISTS', p .. 'c:' .. cid) == 0 then
      return nil
    end
    if not f[2] then return cid end
    cid = f[2]
  end
  return nil
end

-- Index identity ID ("email:x") to CID, unless another customer has it.
rx.identity_add = function(p, cid, id)
  local ok = redis.call('SET', p .. 'ix:' .. id, cid, 'NX')
  if ok or redis.call('GET', p .. 'ix:' .. id) == cid then
    redis.call('SADD', p .. 'c:' .. cid .. ':ids', id)
    return true
  end
  return false
end

-- Lowercase ASCII and the Cyrillic capitals (U+0400..U+042F, U+0490 Ґ),
-- so that name search ignores case in Ukrainian and Russian too.
local function cyr_lower(a, b)
  local x, y = string.byte(a), string.byte(b)
  if x == 0xd0 and y >= 0x90 and y <= 0x9f then return a .. string.char(y + 0x20) end
  if x == 0xd0 and y >= 0xa0 and y <= 0xaf then return '\209' .. string.char(y - 0x20) end
  if x == 0xd0 and y >= 0x80 and y <= 0x8f then return '\209' .. string.char(y + 0x10) end
  if x == 0xd2 and y == 0x90 then return '\210\145' end
  return a .. b
end
rx.lower = function(s)
  return (string.gsub(string.lower(s), '([\208\210])([\128-\191])', cyr_lower))
end

-- The name index holds the whole lowercased name and, so that a surname
-- finds "Тарас Шевченко" too, the rest of it from each later word on.
local NAME_WORDS = 8
local function name_members(name, cid)
  local low = rx.lower(name)
  local out = { low .. '\0' .. cid }
  for at in string.gmatch(low, '%s+()') do
    if #out > NAME_WORDS then break end
    if at <= #low then out[#out + 1] = string.sub(low, at) .. '\0' .. cid end
  end
  return out
end

rx.name_index = function(p, cid, old, new)
  if old and old ~= '' then
    redis.call('ZREM', p .. 'ix:name', unpack(name_members(old, cid)))
  end
  if new and new ~= '' then
    for _, m in ipairs(name_members(new, cid)) do
      redis.call('ZADD', p .. 'ix:name', 0, m)
    end
  end
end

rx.customer_create = function(p, fields, now)
  local cid = tostring(redis.call('INCR', p .. 'seq:c'))
  local t = {}
  for k, v in pairs(fields) do t[k] = v end
  t.id = cid
  t.type = t.type or 'other'
  t.created = now
  t.updated = now
  rx.hset(p .. 'c:' .. cid, t)
  redis.call('ZADD', p .. 'customers', tonumber(cid), cid)
  rx.name_index(p, cid, nil, t.name)
  return cid
end

-- Returns cid, matched, created (docs/datamodel.md, rx.customer_identify).
rx.customer_identify = function(p, ident, now)
  local ids = ident_keys(ident)
  local cid
  if ident.customer and ident.customer ~= '' then
    cid = rx.customer_live(p, tostring(ident.customer))
  end
  -- Every identity's owner in one MGET: a known identity costs no write.
  local owners = {}
  if #ids > 0 then
    local keys = {}
    for k, id in ipairs(ids) do keys[k] = p .. 'ix:' .. id end
    owners = redis.call('MGET', unpack(keys))
  end
  if not cid then
    for k in ipairs(ids) do
      if owners[k] then
        cid = rx.customer_live(p, owners[k])
        if cid then break end
      end
    end
  end
  local matched, created = cid ~= nil, false
  if not cid then
    local valid = { hcp = 1, hco = 1, pharmacy = 1, patient = 1, other = 1 }
    local ctype = valid[ident.type or ''] and ident.type or 'other'
    cid = rx.customer_create(p, { type = ctype, name = ident.name or '' }, now)
    created = true
  end
  for k, id in ipairs(ids) do
    if owners[k] ~= cid then rx.identity_add(p, cid, id) end
  end
  -- A telephone extension is not an identity (the number is): it is kept
  -- beside the number it belongs to, the latest one told.
  if type(ident.phone) == 'string' and ident.phone ~= '' and
      type(ident.phone_ext) == 'string' and string.match(ident.phone_ext, '^%d+$') and
      #ident.phone_ext <= 10 then
    redis.call('HSET', p .. 'c:' .. cid, 'ext:' .. ident.phone, ident.phone_ext)
  end
  return cid, matched, created
end

-- Append one entry to the customer's contact history.
rx.customer_history_add = function(p, cid, fields)
  local flat = {}
  for k, v in pairs(fields) do
    flat[#flat + 1] = k
    flat[#flat + 1] = tostring(v)
  end
  return redis.call('XADD', p .. 'c:' .. cid .. ':hist', '*', unpack(flat))
end
