-- Hand an active session from one listener to another who has room, atomically.
-- ARGV: prefix, sid, from listener id, to listener id, handover note (not stored), now_ms
-- Returns: the session hash (flat) after the transfer, or false.
local sid, from, to, note, now = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local skey = key('s', sid)
local s = fields(redis.call('HGETALL', skey))
if s.state ~= 'active' or s.lid ~= from then return false end
local nkey = key('l', to)
local n = redis.call('HMGET', nkey, 'client', 'name', 'capacity', 'load', 'present')
if not n[1] or n[5] ~= '1' or tonumber(n[4]) >= tonumber(n[3]) then return false end
if is_member(s.members, n[1]) then return false end
local old = s.lclient
local members = {}
for member in string.gmatch(s.members, '[^,]+') do
  table.insert(members, member == old and n[1] or member)
end
redis.call('HSET', skey, 'members', table.concat(members, ','), 'lclient', n[1], 'lid', to,
  'lname', n[2], 'tseq', s.seq, 'last', now)
redis.call('HINCRBY', nkey, 'load', 1)
local okey = key('l', from)
if redis.call('EXISTS', okey) == 1 then
  if redis.call('HINCRBY', okey, 'load', -1) < 0 then redis.call('HSET', okey, 'load', 0) end
  redis.call('HSET', okey, 'idle', now)
end
redis.call('SREM', key('c', old, 's'), sid)
redis.call('SADD', key('c', n[1], 's'), sid)
redis.call('ZADD', key('active'), now, sid)
publish_to(old, cmsgpack.pack({'ended', old, sid, 'transferred'}))
publish_to(n[1], cmsgpack.pack({'matched', n[1], sid, s.shandle, s.topics, '', s.seeker, n[1],
  to, n[2], s.shandle, s.risk == '1' and 1 or 0, note}))
publish_to(s.seeker, cmsgpack.pack({'transferred', s.seeker, sid, n[2]}))
return redis.call('HGETALL', skey)
