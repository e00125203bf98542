-- Atomically match a waiting session with a listener who has room.
-- ARGV: prefix, sid, listener_id, now_ms, require_ready (1|0)
-- Returns: the session hash (flat) after the claim, or false.
local sid, lid, now = ARGV[2], ARGV[3], ARGV[4]
local skey = key('s', sid)
if redis.call('HGET', skey, 'state') ~= 'waiting' then return false end
local lkey = key('l', lid)
local l = redis.call('HMGET', lkey, 'client', 'name', 'capacity', 'load', 'ready', 'present')
if not l[1] then return false end
if tonumber(l[4]) >= tonumber(l[3]) then return false end
if ARGV[5] == '1' and (l[5] ~= '1' or l[6] ~= '1') then return false end
local s = fields(redis.call('HGETALL', skey))
redis.call('HSET', skey, 'state', 'active', 'lclient', l[1], 'lid', lid, 'lname', l[2],
  'matched', now, 'last', now, 'members', s.seeker .. ',' .. l[1])
redis.call('ZREM', key('q'), sid)
redis.call('HDEL', key('qm'), sid)
redis.call('HINCRBY', lkey, 'load', 1)
redis.call('ZADD', key('active'), now, sid)
redis.call('SADD', key('c', l[1], 's'), sid)
redis.call('ZADD', key('mt'), now, now .. ':' .. redis.call('INCR', key('ticket')))
redis.call('ZREMRANGEBYSCORE', key('mt'), '-inf', tonumber(now) - 3600000)
local intro = redis.call('GET', key('s', sid, 'intro')) or ''
local risk = s.risk == '1' and 1 or 0
-- matched events: kind, client, session, peer, topics, intro, seeker, listener client, lid,
-- lname, handle, risk, handover
publish_to(s.seeker, cmsgpack.pack({'matched', s.seeker, sid, l[2], s.topics, '',
  s.seeker, l[1], lid, l[2], s.shandle, 0, ''}))
publish_to(l[1], cmsgpack.pack({'matched', l[1], sid, s.shandle, s.topics, intro,
  s.seeker, l[1], lid, l[2], s.shandle, risk, ''}))
return redis.call('HGETALL', skey)
