-- Pops the sessions whose presence expired from one stream (keys as in
-- presence_add.lua), at most ARGV[1] of them. Being one script, a session
-- is popped by exactly one caller, so concurrent sweepers on several
-- nodes never both report the same leave.
-- Returns {ids that left, sids popped, next expiry ms or -1 when empty}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local sids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local left = {}
for _, sid in ipairs(sids) do
  local id = redis.call('HGET', KEYS[2], sid)
  redis.call('ZREM', KEYS[1], sid)
  redis.call('HDEL', KEYS[2], sid)
  if id and redis.call('HINCRBY', KEYS[4], id, -1) <= 0 then
    redis.call('HDEL', KEYS[4], id)
    redis.call('HDEL', KEYS[3], id)
    left[#left + 1] = id
  end
end
local next = -1
if #sids == tonumber(ARGV[1]) then
  next = now -- more may be due: look again next round
else
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if first[2] then
    next = tonumber(first[2])
  end
end
return {left, sids, next}
