-- Reads a stream's epoch, latest offset and the newest entries needed to
-- answer "everything after offset ARGV[1]" in one atomic step.
-- KEYS[1] entries, KEYS[2] meta. ARGV: offset, history limit.
-- Returns {} for an unknown stream, else {epoch, latest, entries newest
-- first}. It fetches the entry at the requested offset too: the caller
-- checks it is still there (requests below the lowest retained fail).
local meta = redis.call('HMGET', KEYS[2], 'e', 'o')
if not meta[1] then
  return {}
end
local latest = tonumber(meta[2])
local from = tonumber(ARGV[1])
local entries = {}
if from < latest then
  local need = latest - from + 1
  if need <= tonumber(ARGV[2]) then
    entries = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', need)
  end
end
return {meta[1], meta[2], entries}
