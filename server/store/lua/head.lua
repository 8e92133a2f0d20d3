#!lua name=rxdesk
-- The rxdesk Redis function library: this file comes first; the others are
-- appended in the order of RX_LUA (docs/datamodel.md). Shared helpers live
-- in the local table `rx`, because a function library may not set globals.
local rx = {}

-- Unix milliseconds from the server's clock: one clock for every node.
rx.now = function()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Decode ARGV[i] as JSON, or raise a clean error for the caller.
rx.args = function(argv, i)
  local ok, v = pcall(cjson.decode, argv[i] or 'null')
  if not ok or type(v) ~= 'table' then
    error('BADARG: argument ' .. i .. ' is not a JSON object')
  end
  return v
end

-- A hash as a Lua table.
rx.hgetall = function(key)
  local flat = redis.call('HGETALL', key)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

-- HSET from a table, skipping nil and empty-table values.
rx.hset = function(key, t)
  local flat = {}
  for k, v in pairs(t) do
    if v ~= nil and type(v) ~= 'table' then
      flat[#flat + 1] = k
      flat[#flat + 1] = tostring(v)
    end
  end
  if #flat > 0 then redis.call('HSET', key, unpack(flat)) end
end

rx.publish = function(p, event)
  redis.call('PUBLISH', p .. 'events', cjson.encode(event))
end

-- cjson encodes an empty table as {}; lists that may be empty use this.
rx.array = function(t)
  if #t == 0 then return cjson.decode('[]') end
  return t
end
