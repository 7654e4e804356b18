-- Moves session ARGV[1]'s expiry in one stream's presence set (keys as in
-- presence_add.lua), only if it is still there. ARGV: sid, presence TTL ms,
-- keys' safety TTL ms. Returns 1 if touched, 0 if the session is gone.
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
for i = 1, 4 do
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
end
return 1
