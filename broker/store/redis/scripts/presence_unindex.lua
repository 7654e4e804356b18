-- Drops stream ARGV[1] from the due index KEYS[1] when its entry is still
-- due: a join into the emptied stream since the sweep raised the entry
-- past now, and then it stays.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) <= now then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
