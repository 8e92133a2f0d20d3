
-- Agent presence (server/api/agentws.c): <prefix>presence:<agent> holds the id
-- of the node with the agent's live WebSocket, with a TTL that node keeps
-- refreshing (plain SET ... EX). Routing reads it to know who is online.

-- {agent, node} -> {gone}: the node's last connection of the agent closed;
-- the key goes only if it is still that node's (the agent may have moved).
local function presence_off(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local k = p .. 'presence:' .. tostring(a.agent or '')
  local gone = redis.call('GET', k) == tostring(a.node or '')
  if gone then redis.call('DEL', k) end
  return cjson.encode({ gone = gone })
end

redis.register_function { function_name = 'rx_presence_off', callback = presence_off }
