-- Records that node ARGV[1] has subscribers to stream ARGV[2], and that
-- the node is alive for ARGV[3] ms more.
-- KEYS (all under the {o} hash tag): [1] set of the stream's nodes,
-- [2] zset index of occupied streams (score 0, read by lex range), [3] set
-- of the node's streams, [4] zset of nodes by liveness deadline (ms).
-- Returns 1 when the stream had no node before (it became occupied).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[4], now + tonumber(ARGV[3]), ARGV[1])
redis.call('SADD', KEYS[3], ARGV[2])
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 and redis.call('SCARD', KEYS[1]) == 1 then
  redis.call('ZADD', KEYS[2], 0, ARGV[2])
  return 1
end
return 0
