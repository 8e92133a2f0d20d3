-- Agent presence (server/api/agentws.c): <prefix>presence:<agent> holds the id
-- of a node with a live WebSocket of the agent, with a TTL those nodes keep
-- refreshing; <prefix>pres:<agent> hash, node -> until (ms), says which nodes
-- hold one, so that a socket closing on one node does not hide another's.
-- Routing reads the key to know who is online (routing/lua/route.lua), and
-- hears at once from here when an agent has no connection left.

local function pkey(p, id) return p .. 'presence:' .. id end
local function nkey(p, id) return p .. 'pres:' .. id end

local function agent_arg(a)
  local id = tostring(a.agent or '')
  if not string.match(id, '^[%w_.-]+$') or #id > 64 then rx.fail('BADARG', 'bad agent id') end
  local node = tostring(a.node or '')
  if node == '' or #node > 64 then rx.fail('BADARG', 'bad node id') end
  return id, node
end

-- {agent, node, ttl} -> {back}: the node holds a live connection of the
-- agent (a new one, or the heartbeat every few seconds). An agent routing
-- took offline for want of a connection gets their state back (`back`).
local function presence_on(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local id, node = agent_arg(a)
  local ttl = math.max(1, math.min(tonumber(a.ttl) or 30, 3600))
  local now = rx.now()
  redis.call('SET', pkey(p, id), node, 'EX', ttl)
  redis.call('HSET', nkey(p, id), node, now + ttl * 1000)
  redis.call('EXPIRE', nkey(p, id), ttl)
  -- the sweep looks again when this heartbeat would lapse
  if redis.call('ZSCORE', p .. 'online', id) then
    redis.call('ZADD', p .. 'online', now + ttl * 1000 + 500, id)
  end
  local back = redis.call('EXISTS', p .. 'a:' .. id) == 1 and rx.route_agent_back(p, id, now)
  return cjson.encode({ back = back and true or false })
end

-- {agent, node} -> {gone}: the node's last connection of the agent closed.
-- When no other node holds one, the key goes and routing takes the agent
-- out at once (their work handed back by the queues' rules); otherwise the
-- key names a node that still holds one.
local function presence_off(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local id, node = agent_arg(a)
  local now = rx.now()
  redis.call('HDEL', nkey(p, id), node)
  local f = redis.call('HGETALL', nkey(p, id))
  local other, until_ms = nil, 0
  for i = 1, #f, 2 do
    local u = tonumber(f[i + 1]) or 0
    if u > now and u > until_ms then other, until_ms = f[i], u end
  end
  if other then
    if redis.call('GET', pkey(p, id)) == node then
      redis.call('SET', pkey(p, id), other, 'PX', until_ms - now)
    end
    return cjson.encode({ gone = false })
  end
  -- a key another holder wrote (not through this function) stays theirs
  local cur = redis.call('GET', pkey(p, id))
  if cur and cur ~= node then return cjson.encode({ gone = false }) end
  redis.call('DEL', pkey(p, id), nkey(p, id))
  if redis.call('EXISTS', p .. 'a:' .. id) == 1 then rx.route_agent_gone(p, id, now, 'left') end
  return cjson.encode({ gone = true })
end

redis.register_function { function_name = 'rx_presence_on', callback = presence_on }
redis.register_function { function_name = 'rx_presence_off', callback = presence_off }
