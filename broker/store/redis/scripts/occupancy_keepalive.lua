-- Marks node ARGV[1] alive for ARGV[2] ms and clears up to ARGV[4] nodes
-- whose deadline passed (stopped without leaving their streams): they are
-- removed from each of their streams' node sets.
-- KEYS: [1] zset of nodes by deadline, [2] zset index of occupied streams.
-- ARGV[3] is the key prefix up to and including "{o}:" (the other keys of
-- the same hash tag are named from it).
-- Returns the streams that became vacant.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local vacated = {}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
for _, node in ipairs(dead) do
  local mine = ARGV[3] .. 'n:' .. node
  for _, stream in ipairs(redis.call('SMEMBERS', mine)) do
    local nodes = ARGV[3] .. 's:' .. stream
    if redis.call('SREM', nodes, node) == 1 and redis.call('EXISTS', nodes) == 0 then
      redis.call('ZREM', KEYS[2], stream)
      table.insert(vacated, stream)
    end
  end
  redis.call('DEL', mine)
  redis.call('ZREM', KEYS[1], node)
end
return vacated
