-- The end of the library (the last part of RX_LUA). rx_vocab shows the data
-- model's words and any hook head.lua declares that no part defines;
-- rxdeskd calls it at every connect and stops with a clear message on any
-- difference (server/store/store.c). The check runs here, at call time,
-- because a library's load-time code sees no Lua globals at all.

local function keys_of(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return out
end

-- FCALL rx_vocab 0: {"channels":{"email":"mail",...},"categories":[...],
-- "priorities":[...],"flags":[...],"missing_hooks":[...]} (sorted).
redis.register_function { function_name = 'rx_vocab', flags = { 'no-writes' },
  callback = function()
    local missing = {}
    for _, h in ipairs(rx.HOOKS) do
      if type(rx[h]) ~= 'function' then missing[#missing + 1] = h end
    end
    return rx.encode({ channels = rx.CHANNELS, categories = keys_of(rx.CATEGORIES),
      priorities = keys_of(rx.PRIORITIES), flags = keys_of(rx.FLAGS),
      missing_hooks = rx.list(missing) })
  end }
