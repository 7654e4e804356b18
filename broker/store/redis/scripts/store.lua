-- Stores one publication and gives it the stream's next offset, atomically
-- (two nodes storing to one stream never interleave their INCR and XADD).
-- KEYS[1] entries (a Redis Stream), KEYS[2] meta hash {e = epoch, o = latest
-- offset}, KEYS[3] the broker-wide epoch key (left out in cluster mode).
-- ARGV: data, broadcast type, history limit, entries TTL ms, meta TTL ms,
-- a fresh epoch to use when none exists yet.
-- Returns {epoch, offset}.
local epoch = redis.call('HGET', KEYS[2], 'e')
if not epoch then
  if KEYS[3] then
    epoch = redis.call('GET', KEYS[3])
    if not epoch then
      -- Redis lost the epoch (first start or a restart without
      -- persistence): a new one tells clients their offsets are void.
      epoch = ARGV[6]
      redis.call('SET', KEYS[3], epoch)
    end
  else
    epoch = ARGV[6]
  end
  redis.call('HSET', KEYS[2], 'e', epoch)
end
local offset = redis.call('HINCRBY', KEYS[2], 'o', 1)
if tonumber(ARGV[3]) > 0 then
  if ARGV[2] ~= '' then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'o', offset, 'd', ARGV[1], 't', ARGV[2])
  else
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'o', offset, 'd', ARGV[1])
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return {epoch, offset}
