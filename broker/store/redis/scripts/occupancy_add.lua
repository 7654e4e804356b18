-- Records that node ARGV[1] has subscribers to stream ARGV[2].
-- KEYS: [1] set of the stream's nodes, [2] zset index of occupied streams
-- (score 0, read by lex range). Both share the {o} hash tag.
-- Returns 1 when the stream had no node before (it became occupied).
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 and redis.call('SCARD', KEYS[1]) == 1 then
  redis.call('ZADD', KEYS[2], 0, ARGV[2])
  return 1
end
return 0
