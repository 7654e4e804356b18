-- Adds session ARGV[1] to a stream's presence set as id ARGV[2].
-- KEYS: [1] zset sid → expiry (ms, Redis clock), [2] hash sid → id,
-- [3] hash id → info, [4] hash id → number of sessions.
-- ARGV: sid, id, info, presence TTL ms, keys' safety TTL ms.
-- Returns {-1, current id} on an id mismatch, else {joined (1/0),
-- set was empty (1/0), expiry ms}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiry = now + tonumber(ARGV[4])
local current = redis.call('HGET', KEYS[2], ARGV[1])
if current and current ~= ARGV[2] then
  return {-1, current}
end
local empty = 0
if redis.call('ZCARD', KEYS[1]) == 0 then
  empty = 1
end
redis.call('ZADD', KEYS[1], expiry, ARGV[1])
local joined = 0
if not current then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  if redis.call('HINCRBY', KEYS[4], ARGV[2], 1) == 1 then
    redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
    joined = 1
  end
end
for i = 1, 4 do
  redis.call('PEXPIRE', KEYS[i], ARGV[5])
end
return {joined, empty, expiry}
