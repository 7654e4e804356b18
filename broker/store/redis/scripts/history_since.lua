-- Reads a stream's epoch and its newest entries stored at or after a time.
-- KEYS[1] entries, KEYS[2] meta. ARGV: the first stream id (ms), history
-- limit. Returns {} for an unknown stream, else {epoch, entries newest
-- first}.
local epoch = redis.call('HGET', KEYS[2], 'e')
if not epoch then
  return {}
end
return {epoch, redis.call('XREVRANGE', KEYS[1], '+', ARGV[1], 'COUNT', ARGV[2])}
