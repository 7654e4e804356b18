-- Records that node ARGV[1] has no subscribers left to stream ARGV[2].
-- KEYS as occupancy_add.lua (the fourth is not used). Returns 1 when it
-- was the last node (the stream became vacant).
redis.call('SREM', KEYS[3], ARGV[2])
if redis.call('SREM', KEYS[1], ARGV[1]) == 1 and redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 1
end
return 0
