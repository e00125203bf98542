-- End a session if it is still in the expected state, tell its members, delete all of it.
-- ARGV: prefix, sid, expect_state, reason, now_ms, ended_ttl_s, ended_tag (a hash of sid),
--       rest_until_ms (the listener's cool-down)
-- Returns: the session hash (flat) as it was, or false.
local sid = ARGV[2]
local skey = key('s', sid)
local state = redis.call('HGET', skey, 'state')
if state ~= ARGV[3] then return false end
local flat = redis.call('HGETALL', skey)
local s = fields(flat)
if state == 'active' and s.lid then
  local lkey = key('l', s.lid)
  if redis.call('EXISTS', lkey) == 1 then
    if redis.call('HINCRBY', lkey, 'load', -1) < 0 then redis.call('HSET', lkey, 'load', 0) end
    redis.call('HSET', lkey, 'idle', ARGV[5])
    local rest = tonumber(redis.call('HGET', lkey, 'rest') or '0')
    if tonumber(ARGV[8]) > rest then redis.call('HSET', lkey, 'rest', ARGV[8]) end
  end
end
for member in string.gmatch(s.members, '[^,]+') do
  redis.call('SREM', key('c', member, 's'), sid)
  publish_to(member, cmsgpack.pack({'ended', member, sid, ARGV[4]}))
end
redis.call('DEL', skey, key('s', sid, 'intro'), key('s', sid, 'h'), key('s', sid, 'ids'))
redis.call('ZREM', key('q'), sid)
redis.call('HDEL', key('qm'), sid)
redis.call('ZREM', key('active'), sid)
redis.call('SREM', key('qaway'), sid)
-- remember why, for a client that resumes late (no text, no members)
redis.call('SET', key('e', ARGV[7]), ARGV[4], 'EX', ARGV[6])
return flat
