-- Removes session ARGV[1] from a stream's presence set (keys as in
-- presence_add.lua). Returns the id that left when it was that id's last
-- session, else false.
local id = redis.call('HGET', KEYS[2], ARGV[1])
if not id then
  return false
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('HINCRBY', KEYS[4], id, -1) > 0 then
  return false
end
redis.call('HDEL', KEYS[4], id)
redis.call('HDEL', KEYS[3], id)
return id
