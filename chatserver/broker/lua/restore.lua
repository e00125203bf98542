-- After Redis lost its data, a node re-describes an active session one of its clients is in.
-- Creates it if missing, else merges: the sequence never goes back.
-- ARGV: prefix, sid, seeker, handle, topics, created_ms, listener client, lid, lname,
--       seq_floor, now_ms
-- Returns: 1
local sid = ARGV[2]
local skey = key('s', sid)
if redis.call('EXISTS', skey) == 0 then
  redis.call('HSET', skey, 'state', 'active', 'seeker', ARGV[3], 'shandle', ARGV[4],
    'topics', ARGV[5], 'created', ARGV[6], 'prio', 0, 'lclient', ARGV[7], 'lid', ARGV[8],
    'lname', ARGV[9], 'matched', ARGV[11], 'last', ARGV[11], 'seq', ARGV[10],
    'members', ARGV[3] .. ',' .. ARGV[7], 'hbytes', 0)
  redis.call('ZADD', key('active'), ARGV[11], sid)
elseif tonumber(redis.call('HGET', skey, 'seq')) < tonumber(ARGV[10]) then
  redis.call('HSET', skey, 'seq', ARGV[10])
end
redis.call('SADD', key('c', ARGV[3], 's'), sid)
redis.call('SADD', key('c', ARGV[7], 's'), sid)
return 1
