-- A supervisor joins an active, escalated session.
-- ARGV: prefix, sid, supervisor client, supervisor name
-- Returns: the session hash (flat), or false.
local sid, sup, name = ARGV[2], ARGV[3], ARGV[4]
local skey = key('s', sid)
local s = fields(redis.call('HGETALL', skey))
if s.state ~= 'active' or s.escalated ~= '1' then return false end
if not is_member(s.members, sup) then
  for member in string.gmatch(s.members, '[^,]+') do
    publish_to(member, cmsgpack.pack({'member', member, sid, name, 'supervisor', 1}))
  end
  redis.call('HSET', skey, 'members', s.members .. ',' .. sup)
  redis.call('SADD', key('c', sup, 's'), sid)
end
publish_to(sup, cmsgpack.pack({'matched', sup, sid, s.shandle, s.topics, '', s.seeker,
  s.lclient, s.lid, s.lname, s.shandle, s.risk == '1' and 1 or 0, ''}))
return redis.call('HGETALL', skey)
