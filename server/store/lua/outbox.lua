-- Outbound mail: the rx:outbox stream, its consumer group `mailout`, the
-- retry set and the caps on automatic mail (docs/datamodel.md, Outbox;
-- docs/email.md, Mail out). channels/outbox.c drives it.

local OUTBOX_GROUP = 'mailout'
local OUTBOX_DAY = 86400000
local OUTBOX_FIELDS = { 'ticket', 'to', 'cc', 'subject', 'text', 'html', 'msgid',
  'in_reply_to', 'references', 'token', 'auto', 'kind', 'attempt', 'ts', 'lang' }

local function outbox_caps(p)
  local c = rx.hgetall(p .. 'outbox:cfg')
  return tonumber(c.auto_per_ticket) or 3, tonumber(c.auto_per_address) or 5,
    tonumber(c.auto_per_hour) or 1000
end

-- An event on ticket N's log that the agent sees, and a ticket.updated.
rx.outbox_event = function(p, n, text, now)
  if not n or n == '' or redis.call('EXISTS', p .. 't:' .. n) == 0 then return end
  redis.call('XADD', p .. 't:' .. n .. ':log', '*', 'type', 'event', 'direction',
    'out', 'channel', 'email', 'author', 'system', 'text', text, 'ts', now)
  redis.call('HSET', p .. 't:' .. n, 'updated', now)
  rx.publish(p, { type = 'ticket.updated', ticket = tonumber(n), reason = 'mail' })
end

-- Count one automatic mail to ADDR about ticket N against every cap; false
-- and the cap's name when one is reached (then nothing is counted).
rx.outbox_auto_allowed = function(p, n, addr, now)
  local per_ticket, per_address, per_hour = outbox_caps(p)
  local caps = {
    { p .. 'outbox:cap:a:' .. string.lower(addr), per_address, OUTBOX_DAY, 'auto_per_address' },
    { p .. 'outbox:cap:h:' .. math.floor(now / 3600000), per_hour, 3600000, 'auto_per_hour' },
  }
  if n and n ~= '' then
    table.insert(caps, 1, { p .. 'outbox:cap:t:' .. n, per_ticket, OUTBOX_DAY, 'auto_per_ticket' })
  end
  -- One MGET for every counter; a counter not there yet starts at 1 with
  -- its expiry in one SET (time stands still inside a function, so none
  -- expires in between).
  local keys = {}
  for k, c in ipairs(caps) do keys[k] = c[1] end
  local cur = redis.call('MGET', unpack(keys))
  for k, c in ipairs(caps) do
    if tonumber(cur[k] or '0') >= c[2] then return false, c[4] end
  end
  for k, c in ipairs(caps) do
    if cur[k] then
      redis.call('INCR', c[1])
    else
      redis.call('SET', c[1], 1, 'PX', c[3])
    end
  end
  return true
end

-- Queue JOB (a table of the OUTBOX_FIELDS) for sending. Automatic mail
-- (auto = '1') passes the caps first. Returns the stream id, or nil and why.
rx.outbox_add = function(p, job, now)
  if not job.to or job.to == '' then return nil, 'no recipient' end
  if job.auto == '1' or job.auto == true or job.auto == 1 then
    job.auto = '1'
    local ok, cap = rx.outbox_auto_allowed(p, job.ticket, job.to, now)
    if not ok then
      rx.outbox_event(p, job.ticket, 'automatic mail to ' .. job.to ..
        ' not sent: limit ' .. cap .. ' reached', now)
      return nil, 'capped:' .. cap
    end
  end
  local flat = {}
  for _, k in ipairs(OUTBOX_FIELDS) do
    local v = job[k]
    if v ~= nil and v ~= '' and type(v) ~= 'table' then
      flat[#flat + 1] = k
      flat[#flat + 1] = tostring(v)
    end
  end
  return redis.call('XADD', p .. 'outbox', '*', unpack(flat))
end

local function outbox_customer_email(p, cid)
  if not cid or cid == '' then return nil end
  for _, id in ipairs(redis.call('SMEMBERS', p .. 'c:' .. cid .. ':ids')) do
    if string.sub(id, 1, 6) == 'email:' then return string.sub(id, 7) end
  end
  return nil
end

-- Acknowledge a newly opened ticket N (TICKET: its hash as a table) to the
-- customer who wrote interaction IN, unless they have no address, said no to
-- mail, or the mail was itself automatic. Returns the job's id or nil, why.
local function outbox_ack(p, n, ticket, interaction, now)
  local ch = interaction.channel
  if ch ~= 'email' and ch ~= 'form' and ch ~= 'chat' then return nil, 'channel' end
  if interaction.direction == 'out' then return nil, 'outbound' end
  local f = type(interaction.fields) == 'table' and interaction.fields or {}
  if f.auto == true or f.auto == 'true' or f.auto == '1' or interaction.auto == true then
    return nil, 'auto'
  end
  local cid = ticket.customer
  local to = type(interaction.ident) == 'table' and interaction.ident.email
  if type(to) ~= 'string' or to == '' then to = outbox_customer_email(p, cid) end
  if not to then return nil, 'no address' end
  if cid and redis.call('HGET', p .. 'c:' .. cid, 'consent_email') == 'no' then
    return nil, 'no consent'
  end
  return rx.outbox_add(p, { ticket = tostring(n), to = to, kind = 'ack', auto = '1',
    subject = ticket.subject or interaction.subject,
    lang = ticket.lang or interaction.lang or 'en',
    in_reply_to = interaction.msgid, references = interaction.msgid }, now)
end

-- Never let an acknowledgement fail the ingest that calls it.
rx.outbox_ack = function(p, n, ticket, interaction, now)
  local ok, id, why = pcall(outbox_ack, p, n, ticket, interaction, now)
  if not ok then return nil, 'error: ' .. tostring(id) end
  return id, why
end

local function outbox_result(id, err)
  if id then return cjson.encode({ id = id }) end
  return cjson.encode({ id = false, reason = err })
end

-- FCALL rx_outbox_enqueue 0 prefix {job}: queue a job through the caps.
redis.register_function('rx_outbox_enqueue', function(keys, argv)
  local p, job = argv[1], rx.args(argv, 2)
  return outbox_result(rx.outbox_add(p, job, rx.now()))
end)

-- FCALL rx_outbox_ack 0 prefix {"ticket":n,"interaction":{...}}: the same
-- acknowledgement rx_ingest gives, for channels that open tickets otherwise.
redis.register_function('rx_outbox_ack', function(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local n = tostring(a.ticket or '')
  local t = rx.hgetall(p .. 't:' .. n)
  if not t.customer then return outbox_result(nil, 'no such ticket') end
  return outbox_result(rx.outbox_ack(p, n, t, a.interaction or {}, rx.now()))
end)

local function outbox_entry(p, e)
  local f = {}
  for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end
  local job = { id = e[1], f = f }
  if f.ticket then
    local t = redis.call('HMGET', p .. 't:' .. f.ticket, 'token', 'subject', 'customer')
    job.token, job.tsubject = f.token or t[1] or '', t[2] or ''
    if t[3] then job.name = redis.call('HGET', p .. 'c:' .. t[3], 'name') or '' end
  end
  return job
end

-- Retries that are due go back to the stream, as new entries.
local function outbox_requeue(p, now, count)
  local due = redis.call('ZRANGEBYSCORE', p .. 'outbox:retry', '-inf', now, 'LIMIT', 0, count)
  for _, m in ipairs(due) do
    local ok, job = pcall(cjson.decode, m)
    if ok and type(job) == 'table' then
      local flat = {}
      for _, k in ipairs(OUTBOX_FIELDS) do
        if job[k] and job[k] ~= '' then
          flat[#flat + 1] = k
          flat[#flat + 1] = tostring(job[k])
        end
      end
      if #flat > 0 then redis.call('XADD', p .. 'outbox', '*', unpack(flat)) end
    end
    redis.call('ZREM', p .. 'outbox:retry', m)
  end
end

-- The node's lease on the jobs it holds (taken, queued or being sent):
-- each still pending for CONSUMER has its idle time reset, so that no other
-- node's XAUTOCLAIM takes a job a slow relay or a long queue is still
-- working on. Returns the ids no longer this node's.
local function outbox_renew(s, consumer, held)
  local lost = {}
  for _, id in ipairs(type(held) == 'table' and held or {}) do
    local ok, pe = pcall(redis.call, 'XPENDING', s, OUTBOX_GROUP, id, id, 1)
    if ok and pe[1] and pe[1][2] == consumer then
      redis.call('XCLAIM', s, OUTBOX_GROUP, consumer, 0, id, 'JUSTID')
    else
      lost[#lost + 1] = id
    end
  end
  return lost
end

-- FCALL rx_outbox_take 0 prefix {"consumer","count","claim_ms","claim_from",
-- "held","cfg"}: one poll of a node: the lease on the jobs it holds
-- renewed, due retries requeued, jobs idle longer than claim_ms (their node
-- died or froze) claimed scanning on from claim_from (the last answer's
-- claim_next, so a long pending list is walked in turn), new jobs read,
-- each with its ticket's token. count 0 only renews.
redis.register_function('rx_outbox_take', function(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local s, now, count = p .. 'outbox', rx.now(), tonumber(a.count) or 32
  if type(a.cfg) == 'table' then rx.hset(p .. 'outbox:cfg', a.cfg) end
  redis.pcall('XGROUP', 'CREATE', s, OUTBOX_GROUP, '0', 'MKSTREAM')
  local lost = outbox_renew(s, a.consumer, a.held)
  if count < 1 then
    return cjson.encode({ jobs = rx.array({}), claim_next = a.claim_from or '0-0',
      lost = rx.array(lost) })
  end
  outbox_requeue(p, now, count)
  local jobs = {}
  local from = type(a.claim_from) == 'string' and a.claim_from ~= '' and a.claim_from or '0-0'
  local c = redis.call('XAUTOCLAIM', s, OUTBOX_GROUP, a.consumer,
    tonumber(a.claim_ms) or 300000, from, 'COUNT', count)
  for _, e in ipairs(c[2]) do
    if type(e) == 'table' and type(e[2]) == 'table' then jobs[#jobs + 1] = outbox_entry(p, e) end
  end
  local r = redis.call('XREADGROUP', 'GROUP', OUTBOX_GROUP, a.consumer, 'COUNT',
    count, 'STREAMS', s, '>')
  if r then
    for _, e in ipairs(r[1][2]) do jobs[#jobs + 1] = outbox_entry(p, e) end
  end
  return cjson.encode({ jobs = rx.array(jobs), claim_next = c[1], lost = rx.array(lost) })
end)

-- FCALL rx_outbox_done 0 prefix {"id","status","job","msgid","due","reason"}:
-- record a job's outcome and XACK it. status `sent` remembers the
-- Message-ID for threading, `retry` parks the job in the retry set until
-- `due`, `failed` writes the reason on the ticket for the agent.
redis.register_function('rx_outbox_done', function(keys, argv)
  local p, a = argv[1], rx.args(argv, 2)
  local s, now, job = p .. 'outbox', rx.now(), a.job or {}
  if redis.call('XACK', s, OUTBOX_GROUP, a.id) == 0 then
    return cjson.encode({ stale = true })
  end
  redis.call('XDEL', s, a.id)
  local n = job.ticket
  if a.status == 'sent' then
    if a.msgid and a.msgid ~= '' and n then
      redis.call('SET', p .. 'msgid:' .. a.msgid, n)
    end
    if job.kind == 'ack' then
      rx.outbox_event(p, n, 'acknowledgement sent to ' .. (job.to or ''), now)
    end
  elseif a.status == 'retry' then
    job.attempt = tostring((tonumber(job.attempt) or 0) + 1)
    job.msgid = a.msgid
    redis.call('ZADD', p .. 'outbox:retry', tonumber(a.due) or now, cjson.encode(job))
  else
    rx.outbox_event(p, n, 'mail to ' .. (job.to or '') .. ' failed: ' ..
      (a.reason or 'unknown'), now)
  end
  return cjson.encode({ stale = false })
end)
