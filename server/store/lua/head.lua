#!lua name=rxdesk
-- The rxdesk Redis function library: this file comes first; the others are
-- appended in the order of RX_LUA in Makefile.am, the only list of its
-- parts, and tail.lua comes last (docs/architecture.md). Shared helpers live
-- in the local table `rx`, because a function library may not set globals;
-- each part prefixes its names as the C does (rx.ticket_*, rx.route_*,
-- rx.outbox_*, rx.customer_*, rx.sla_*).
local rx = {}

-- The words of the data model. server/core/interaction.c holds the same
-- lists; at every connect rxdeskd compares them (FCALL rx_vocab) and stops
-- with a clear message when they differ. Channel -> routing kind.
rx.CHANNELS = { email = 'mail', form = 'mail', chat = 'chat', voice = 'voice', agent = 'mail' }
rx.KINDS = { mail = 1, chat = 1, voice = 1 }
rx.CATEGORIES = { general = 1, medinfo = 1, order = 1, complaint = 1, ae = 1 }
rx.PRIORITIES = { low = 0, normal = 1, high = 2, urgent = 3 }
rx.FLAGS = { ae = 1, complaint = 1, malformed = 1 }

-- Calls from one part into a later one. A part may call what an earlier
-- part defined; what it needs from a later part is named here. There are no
-- fallbacks: rx_vocab (tail.lua) names any of these that no part defines,
-- and rxdeskd then refuses to start.
rx.HOOKS = {
  'route_enqueue', 'route_queue', 'route_qrem', 'route_assign', 'route_unassign',
  'route_released', 'route_message', 'sla_start', 'outbox_add', 'outbox_ack',
  'audit', 'customer_identify', 'customer_history_add', 'customer_live', 'ticket_load',
  'case_intake', 'route_rescore', 'route_resume', 'route_pending', 'route_agent_changed',
  'route_ring', 'route_wrapup',
}

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

-- An event about an AE or complaint ticket says so ("restricted"), so that
-- every node can hold back its content from agents who may not see it
-- (docs/safety.md, Visibility), whatever else the event carries.
rx.publish = function(p, event)
  if event.ticket and event.restricted == nil then
    local f = redis.call('HMGET', p .. 't:' .. tostring(event.ticket), 'category', 'flags')
    local cat, flags = f[1] or '', f[2] or ''
    if cat == 'ae' or cat == 'complaint' or string.find(flags, 'ae', 1, true)
        or string.find(flags, 'complaint', 1, true) then
      event.restricted = true
    end
  end
  redis.call('PUBLISH', p .. 'events', cjson.encode(event))
end

-- cjson encodes an empty table as {}; lists that may be empty use this.
rx.array = function(t)
  if #t == 0 then return cjson.decode('[]') end
  return t
end
