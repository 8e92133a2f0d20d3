
-- Agents, sessions and login counters (docs/datamodel.md, "Agents and
-- sessions"). Passwords arrive already hashed: scrypt runs in rxdeskd.

local AGENT_ROLES = { agent = true, supervisor = true, safety = true, admin = true }
local AGENT_EMPTY = '\1rx-agent-empty\1'

local function agent_encode(v)
  return (string.gsub(cjson.encode(v), '"\\u0001rx%-agent%-empty\\u0001"', '[]'))
end

local function agent_split(s)
  local t = {}
  for w in string.gmatch(s or '', '[^,]+') do t[#t + 1] = w end
  if #t == 0 then return AGENT_EMPTY end
  return t
end

local function agent_obj(s)
  local ok, v = pcall(cjson.decode, s or '{}')
  if ok and type(v) == 'table' then return v end
  return {}
end

local function agent_fail(code, msg)
  error({ err = code .. ': ' .. msg })
end

local function badarg(field, msg)
  agent_fail('BADARG', field .. ': ' .. msg)
end

-- The agent as the API shows it: never the password hash.
rx.agent_view = function(h, now)
  local locked = tonumber(h.locked_until or '0') or 0
  return { id = h.id, name = h.name, email = h.email,
    roles = agent_split(h.roles), skills = agent_obj(h.skills),
    languages = agent_split(h.languages), capacity = agent_obj(h.capacity),
    created = tonumber(h.created), updated = tonumber(h.updated),
    disabled = h.disabled == '1',
    locked_until = (locked > now) and locked or nil }
end

local function check_roles(v)
  if type(v) == 'string' then v = agent_split(v) end
  if type(v) ~= 'table' or v == AGENT_EMPTY or #v == 0 then
    badarg('roles', 'at least one role is required')
  end
  local seen, out = {}, {}
  for _, r in ipairs(v) do
    if not AGENT_ROLES[r] then badarg('roles', 'unknown role ' .. tostring(r)) end
    if not seen[r] then seen[r] = true; out[#out + 1] = r end
  end
  return table.concat(out, ',')
end

-- {name: level} or {channel: n}: small non-negative integers only.
local function check_levels(field, v, max)
  if type(v) ~= 'table' then badarg(field, 'must be an object') end
  local n = 0
  for k, lv in pairs(v) do
    n = n + 1
    if type(k) ~= 'string' or not string.match(k, '^[%w_%-]+$') or #k > 32 then
      badarg(field, 'bad name ' .. tostring(k))
    end
    if type(lv) ~= 'number' or lv < 0 or lv > max or lv ~= math.floor(lv) then
      badarg(field, k .. ' must be an integer from 0 to ' .. max)
    end
  end
  if n > 64 then badarg(field, 'too many entries') end
  return cjson.encode(v)
end

local function check_languages(v)
  if type(v) == 'string' then v = agent_split(v) end
  if v == AGENT_EMPTY then return '' end
  if type(v) ~= 'table' then badarg('languages', 'must be a list') end
  for _, l in ipairs(v) do
    if type(l) ~= 'string' or not string.match(l, '^%a%a%a?$') then
      badarg('languages', 'bad language code ' .. tostring(l))
    end
  end
  return string.lower(table.concat(v, ','))
end

local function check_email(v)
  if type(v) ~= 'string' or #v > 254 or not string.match(v, '^[^@%s]+@[^@%s]+$') then
    badarg('email', 'not an email address')
  end
  return string.lower(v)
end

local function check_name(v)
  if type(v) ~= 'string' or #v == 0 or #v > 128 then
    badarg('name', 'must be 1 to 128 bytes')
  end
  return v
end

-- The hash fields for IN (a whole agent, or the changes of an update).
local function agent_fields(a, partial)
  local f = {}
  if a.name ~= nil or not partial then f.name = check_name(a.name) end
  if a.email ~= nil or not partial then f.email = check_email(a.email) end
  if a.roles ~= nil or not partial then f.roles = check_roles(a.roles) end
  if a.skills ~= nil then f.skills = check_levels('skills', a.skills, 10) end
  if a.capacity ~= nil then f.capacity = check_levels('capacity', a.capacity, 1000) end
  if a.languages ~= nil then f.languages = check_languages(a.languages) end
  if a.pwhash ~= nil then
    if type(a.pwhash) ~= 'string' or string.sub(a.pwhash, 1, 7) ~= 'scrypt$' then
      badarg('password', 'not a password hash')
    end
    f.pwhash = a.pwhash
  end
  if a.disabled ~= nil then
    if type(a.disabled) ~= 'boolean' then badarg('disabled', 'must be true or false') end
    f.disabled = a.disabled and '1' or '0'
  end
  return f
end

local function agent_audit(p, actor, id, field, old, new, now)
  rx.audit(p, actor or 'system', 'agent:' .. id, field, old or '', new or '', now)
end

local function agent_load(p, id)
  if type(id) ~= 'string' and type(id) ~= 'number' then return nil end
  local h = rx.hgetall(p .. 'a:' .. id)
  if h.id == nil then return nil end
  return h
end

-- Delete every session of agent ID; the number deleted.
local function sessions_drop(p, id)
  local set = p .. 'a:' .. id .. ':sess'
  local n = 0
  for _, h in ipairs(redis.call('SMEMBERS', set)) do
    n = n + redis.call('DEL', p .. 'sess:' .. h)
  end
  redis.call('DEL', set)
  return n
end

local function agent_add(keys, argv)
  local p, a, now = argv[1], rx.args(argv, 2), rx.now()
  if a.pwhash == nil then badarg('password', 'a password is required') end
  local f = agent_fields(a, false)
  if f.skills == nil then f.skills = '{}' end
  if f.capacity == nil then f.capacity = '{}' end
  if f.languages == nil then f.languages = '' end
  if redis.call('EXISTS', p .. 'ix:agent:' .. f.email) == 1 then
    agent_fail('CONFLICT', 'email: an agent with this email exists')
  end
  local id = tostring(redis.call('INCR', p .. 'seq:a'))
  f.id, f.created, f.updated, f.disabled, f.failed = id, now, now, f.disabled or '0', 0
  rx.hset(p .. 'a:' .. id, f)
  redis.call('SET', p .. 'ix:agent:' .. f.email, id)
  redis.call('SADD', p .. 'agents', id)
  agent_audit(p, a.actor, id, 'created', '', f.roles, now)
  return agent_encode(rx.agent_view(rx.hgetall(p .. 'a:' .. id), now))
end

local function agent_get(keys, argv)
  local p, a, now = argv[1], rx.args(argv, 2), rx.now()
  local id = a.id
  if id == nil and type(a.email) == 'string' then
    id = redis.call('GET', p .. 'ix:agent:' .. string.lower(a.email))
  end
  local h = id and agent_load(p, id)
  if not h then agent_fail('NOTFOUND', 'no such agent') end
  return agent_encode(rx.agent_view(h, now))
end

local function agent_list(keys, argv)
  local p, now = argv[1], rx.now()
  local ids = redis.call('SMEMBERS', p .. 'agents')
  table.sort(ids, function(x, y) return tonumber(x) < tonumber(y) end)
  local items = {}
  for _, id in ipairs(ids) do
    local h = agent_load(p, id)
    if h then items[#items + 1] = rx.agent_view(h, now) end
  end
  if #items == 0 then items = AGENT_EMPTY end
  return agent_encode({ items = items })
end

local function agent_update(keys, argv)
  local p, a, now = argv[1], rx.args(argv, 2), rx.now()
  local h = agent_load(p, a.id)
  if not h then agent_fail('NOTFOUND', 'no such agent') end
  if type(a.set) ~= 'table' then badarg('set', 'nothing to change') end
  local f = agent_fields(a.set, true)
  if f.email and f.email ~= h.email then
    if redis.call('EXISTS', p .. 'ix:agent:' .. f.email) == 1 then
      agent_fail('CONFLICT', 'email: an agent with this email exists')
    end
    redis.call('DEL', p .. 'ix:agent:' .. h.email)
    redis.call('SET', p .. 'ix:agent:' .. f.email, h.id)
  end
  for k, v in pairs(f) do
    if k ~= 'pwhash' and tostring(v) ~= (h[k] or '') then
      agent_audit(p, a.actor, h.id, k, h[k], v, now)
    end
  end
  if f.pwhash then agent_audit(p, a.actor, h.id, 'password', '', 'changed', now) end
  f.updated = now
  rx.hset(p .. 'a:' .. h.id, f)
  -- routing follows at once: raised capacity takes waiting work now
  if f.capacity or f.skills or f.languages or f.roles then rx.route_agent_changed(p, h.id, now) end
  -- A new password or a disabled account ends every session.
  if f.pwhash or f.disabled == '1' then sessions_drop(p, h.id) end
  return agent_encode(rx.agent_view(rx.hgetall(p .. 'a:' .. h.id), now))
end

local function session_new(p, h, hash, ttl, now)
  local key = p .. 'sess:' .. hash
  redis.call('HSET', key, 'agent', h.id, 'created', now, 'expires', now + ttl)
  redis.call('PEXPIRE', key, ttl)
  redis.call('SADD', p .. 'a:' .. h.id .. ':sess', hash)
  return { expires = now + ttl, agent = rx.agent_view(h, now) }
end

local function check_session_args(a)
  if type(a.hash) ~= 'string' or not string.match(a.hash, '^%x+$') or #a.hash ~= 64 then
    badarg('hash', 'not a session hash')
  end
  if type(a.ttl) ~= 'number' or a.ttl < 1000 then badarg('ttl', 'too short') end
end

local function session_create(keys, argv)
  local p, a, now = argv[1], rx.args(argv, 2), rx.now()
  check_session_args(a)
  local h = agent_load(p, a.agent)
  if not h or h.disabled == '1' then agent_fail('NOTFOUND', 'no such agent') end
  return agent_encode(session_new(p, h, a.hash, a.ttl, now))
end

-- One round trip per request: the session and its agent, or found=false.
local function session_get(keys, argv)
  local p, a, now = argv[1], rx.args(argv, 2), rx.now()
  local s = rx.hgetall(p .. 'sess:' .. tostring(a.hash))
  local h = s.agent and agent_load(p, s.agent)
  if not h or h.disabled == '1' or (tonumber(s.expires) or 0) <= now then
    return '{"found":false}'
  end
  return agent_encode({ found = true, expires = tonumber(s.expires),
    agent = rx.agent_view(h, now) })
end

local function session_delete(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  if a.agent ~= nil then
    if not agent_load(p, a.agent) then agent_fail('NOTFOUND', 'no such agent') end
    return cjson.encode({ deleted = sessions_drop(p, a.agent) })
  end
  local key = p .. 'sess:' .. tostring(a.hash)
  local id = redis.call('HGET', key, 'agent')
  if id then redis.call('SREM', p .. 'a:' .. id .. ':sess', a.hash) end
  return cjson.encode({ deleted = redis.call('DEL', key) })
end

-- Login counters live under rx:lf:<email> for every email tried, known or
-- not, so that an unknown email and a wrong password behave the same.
local function login_state(p, email, now)
  local lf = rx.hgetall(p .. 'lf:' .. email)
  local until_ = tonumber(lf.locked_until or '0') or 0
  return tonumber(lf.failed or '0') or 0, until_ > now and until_ or 0
end

local function login_get(keys, argv)
  local p, a, now = argv[1], rx.args(argv, 2), rx.now()
  local email = string.lower(tostring(a.email or ''))
  local _, locked = login_state(p, email, now)
  local id = redis.call('GET', p .. 'ix:agent:' .. email)
  local h = id and agent_load(p, id)
  if not h or h.disabled == '1' then
    return cjson.encode({ found = false, locked = locked > 0 })
  end
  return cjson.encode({ found = true, id = h.id, pwhash = h.pwhash or '',
    locked = locked > 0 })
end

local function login_failed(keys, argv)
  local p, a, now = argv[1], rx.args(argv, 2), rx.now()
  local email = string.lower(tostring(a.email or ''))
  local key = p .. 'lf:' .. email
  local failed, locked = login_state(p, email, now)
  local max, lock_ms = tonumber(a.max) or 5, tonumber(a.lock_ms) or 900000
  if locked == 0 then
    failed = failed + 1
    if failed >= max then
      failed, locked = 0, now + lock_ms
      redis.call('HSET', key, 'failed', 0, 'locked_until', locked)
      redis.call('PEXPIREAT', key, locked)
    else
      redis.call('HSET', key, 'failed', failed, 'locked_until', 0)
      redis.call('PEXPIRE', key, lock_ms)
    end
  end
  local id = redis.call('GET', p .. 'ix:agent:' .. email)
  if id then redis.call('HSET', p .. 'a:' .. id, 'failed', failed, 'locked_until', locked) end
  return cjson.encode({ failed = failed, locked = locked > 0 })
end

-- The password was right: unless a parallel attempt locked the account
-- meanwhile, clear the counters and open a session.
local function login_ok(keys, argv)
  local p, a, now = argv[1], rx.args(argv, 2), rx.now()
  check_session_args(a)
  local email = string.lower(tostring(a.email or ''))
  local _, locked = login_state(p, email, now)
  local h = agent_load(p, a.agent)
  if locked > 0 or not h or h.disabled == '1' or h.email ~= email then
    return cjson.encode({ ok = false })
  end
  redis.call('DEL', p .. 'lf:' .. email)
  redis.call('HSET', p .. 'a:' .. h.id, 'failed', 0, 'locked_until', 0, 'last_login', now)
  local s = session_new(p, h, a.hash, a.ttl, now)
  s.ok = true
  return agent_encode(s)
end

redis.register_function { function_name = 'rx_agent_add', callback = agent_add }
redis.register_function { function_name = 'rx_agent_get', callback = agent_get,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_agent_list', callback = agent_list,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_agent_update', callback = agent_update }
redis.register_function { function_name = 'rx_session_create', callback = session_create }
redis.register_function { function_name = 'rx_session_get', callback = session_get,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_session_delete', callback = session_delete }
redis.register_function { function_name = 'rx_login_get', callback = login_get,
  flags = { 'no-writes' } }
redis.register_function { function_name = 'rx_login_failed', callback = login_failed }
redis.register_function { function_name = 'rx_login_ok', callback = login_ok }
