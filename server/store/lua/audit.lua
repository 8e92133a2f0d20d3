-- The audit stream (docs/datamodel.md): append-only, each entry carries the
-- SHA-256 of itself chained to the previous entry's hash, so an edited,
-- inserted or deleted entry breaks the chain at a point verify can name.

-- SHA-256 (FIPS 180-4) on Redis's LuaBitOp: every bit.* result is a signed
-- 32-bit number, and sums are folded back with bit.tobit.
local SHA_K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
  0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
  0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}
local SHA_H0 = {
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
}

-- The message padded to a multiple of 64 bytes with its bit length last.
local function sha256_pad(msg)
  local len = #msg
  local bits = len * 8
  local hi, lo = math.floor(bits / 4294967296), bits % 4294967296
  local tail = {}
  for i = 3, 0, -1 do tail[#tail + 1] = string.char(math.floor(hi / 2 ^ (8 * i)) % 256) end
  for i = 3, 0, -1 do tail[#tail + 1] = string.char(math.floor(lo / 2 ^ (8 * i)) % 256) end
  return msg .. '\128' .. string.rep('\0', (55 - len) % 64) .. table.concat(tail)
end

local function sha256_block(H, msg, s, w)
  local band, bxor, ror, rshift, tobit = bit.band, bit.bxor, bit.ror, bit.rshift, bit.tobit
  for i = 0, 15 do
    local b1, b2, b3, b4 = string.byte(msg, s + 4 * i, s + 4 * i + 3)
    w[i] = bit.bor(bit.lshift(b1, 24), bit.lshift(b2, 16), bit.lshift(b3, 8), b4)
  end
  for i = 16, 63 do
    local x, y = w[i - 15], w[i - 2]
    local s0 = bxor(ror(x, 7), ror(x, 18), rshift(x, 3))
    local s1 = bxor(ror(y, 17), ror(y, 19), rshift(y, 10))
    w[i] = tobit(w[i - 16] + s0 + w[i - 7] + s1)
  end
  local a, b, c, d, e, f, g, h = H[1], H[2], H[3], H[4], H[5], H[6], H[7], H[8]
  for i = 0, 63 do
    local S1 = bxor(ror(e, 6), ror(e, 11), ror(e, 25))
    local ch = bxor(g, band(e, bxor(f, g)))
    local t1 = tobit(h + S1 + ch + SHA_K[i + 1] + w[i])
    local S0 = bxor(ror(a, 2), ror(a, 13), ror(a, 22))
    local maj = bxor(band(a, b), band(a, c), band(b, c))
    h, g, f, e = g, f, e, tobit(d + t1)
    d, c, b, a = c, b, a, tobit(t1 + S0 + maj)
  end
  H[1], H[2], H[3], H[4] = tobit(H[1] + a), tobit(H[2] + b), tobit(H[3] + c), tobit(H[4] + d)
  H[5], H[6], H[7], H[8] = tobit(H[5] + e), tobit(H[6] + f), tobit(H[7] + g), tobit(H[8] + h)
end

-- The SHA-256 of a byte string, as 64 lowercase hex digits.
rx.sha256 = function(msg)
  local H, w = {}, {}
  for i = 1, 8 do H[i] = bit.tobit(SHA_H0[i]) end
  msg = sha256_pad(msg)
  for s = 1, #msg, 64 do sha256_block(H, msg, s, w) end
  local out = {}
  for i = 1, 8 do out[i] = bit.tohex(H[i], 8) end
  return table.concat(out)
end

-- The chain starts from this "previous hash".
rx.AUDIT_GENESIS = '0000000000000000000000000000000000000000000000000000000000000000'

-- Version 1 (entries without "v") joined the fields with '|', so that
-- ("a|b", "c") and ("a", "b|c") hashed alike. Version 2 writes each field
-- as "<byte length>:<bytes>", which no two different field lists share.
local function audit_hash_v1(prev, ts, actor, object, field, old, new)
  return rx.sha256(table.concat({ prev, ts, actor, object, field, old, new }, '|'))
end

local function audit_hash(prev, ts, actor, object, field, old, new)
  local parts = { '2' }
  for _, s in ipairs({ prev, ts, actor, object, field, old, new }) do
    parts[#parts + 1] = #s .. ':' .. s
  end
  return rx.sha256(table.concat(parts))
end

-- Append who (ACTOR: "a:<id>", "c:<id>", "system") changed FIELD of OBJECT
-- ("ticket:17") from OLD to NEW at NOW. Returns the new entry's hash.
rx.audit = function(p, actor, object, field, old, new, now)
  local prev = redis.call('GET', p .. 'audit:last') or rx.AUDIT_GENESIS
  local v = { tostring(now), tostring(actor or 'system'), tostring(object),
    tostring(field), tostring(old or ''), tostring(new or '') }
  local hash = audit_hash(prev, v[1], v[2], v[3], v[4], v[5], v[6])
  redis.call('XADD', p .. 'audit', '*', 'v', '2', 'ts', v[1], 'actor', v[2],
    'object', v[3], 'field', v[4], 'old', v[5], 'new', v[6],
    'prev', prev, 'hash', hash)
  redis.call('SET', p .. 'audit:last', hash)
  return hash
end

-- ARGV[2]: a JSON object {"cursor":"<entry id>","count":N}, or the cursor
-- alone; an empty cursor starts at the first entry.
local function audit_verify_args(argv)
  local a = argv[2] or ''
  if string.sub(a, 1, 1) == '{' then
    local ok, v = pcall(cjson.decode, a)
    if not ok or type(v) ~= 'table' then error('BADARG: argument 2 is not JSON') end
    return tostring(v.cursor or ''), tonumber(v.count)
  end
  return a, tonumber(argv[3])
end

-- The hash the entry at CURSOR ends with, for resuming a walk.
local function audit_resume(p, cursor)
  if cursor == '' or cursor == '0' or cursor == '-' then
    return rx.AUDIT_GENESIS, '-'
  end
  local e = redis.call('XRANGE', p .. 'audit', cursor, cursor)
  if #e == 0 then error('BADARG: no audit entry ' .. cursor) end
  local f = {}
  for i = 1, #e[1][2], 2 do f[e[1][2][i]] = e[1][2][i + 1] end
  return f.hash or '', '(' .. cursor
end

-- Check COUNT entries after CURSOR; the first broken link is reported with
-- its id and why. At the end of the stream rx:audit:last must match too, so
-- cutting entries off the tail is seen as well.
local function audit_verify(keys, argv)
  local p = argv[1]
  local cursor, count = audit_verify_args(argv)
  count = math.max(1, math.min(count or 1000, 10000))
  local prev, start = audit_resume(p, cursor)
  local entries = redis.call('XRANGE', p .. 'audit', start, '+', 'COUNT', count)
  local res = { ok = true, checked = 0, done = #entries < count, cursor = cursor }
  for _, e in ipairs(entries) do
    local f = {}
    for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end
    local why
    if f.prev ~= prev then
      why = 'prev is not the hash of the entry before'
    elseif (f.v ~= nil and f.v ~= '2') or f.hash ~= (f.v == '2' and audit_hash or audit_hash_v1)(prev, f.ts or '',
        f.actor or '', f.object or '', f.field or '', f.old or '', f.new or '') then
      why = 'hash does not match the entry'
    end
    if why then
      res.ok, res.broken, res.reason, res.done = false, e[1], why, true
      return cjson.encode(res)
    end
    prev, res.cursor, res.checked = f.hash, e[1], res.checked + 1
  end
  if res.done then
    local last = redis.call('GET', p .. 'audit:last') or rx.AUDIT_GENESIS
    if last ~= prev then
      res.ok, res.broken, res.reason = false, 'last', 'audit:last is not the hash of the last entry'
    end
  end
  res.last = prev
  return cjson.encode(res)
end

redis.register_function { function_name = 'rx_audit_verify', callback = audit_verify,
  flags = { 'no-writes' } }

-- SHA-256 of ARGV[2] (ARGV[1] is the prefix, as everywhere), for tests and
-- for C code that wants the same digest.
redis.register_function { function_name = 'rx_sha256',
  callback = function(keys, argv) return rx.sha256(argv[2] or '') end,
  flags = { 'no-writes' } }
