-- A supervisor leaves a session they joined (never its seeker or listener).
-- ARGV: prefix, sid, supervisor client, supervisor name
-- Returns: 1, or 0 if they were not in it.
local sid, sup, name = ARGV[2], ARGV[3], ARGV[4]
local skey = key('s', sid)
local s = fields(redis.call('HGETALL', skey))
if not s.members or not is_member(s.members, sup) or sup == s.seeker or sup == s.lclient then
  return 0
end
local rest = {}
for member in string.gmatch(s.members, '[^,]+') do
  publish_to(member, cmsgpack.pack({'member', member, sid, name, 'supervisor', 0}))
  if member ~= sup then table.insert(rest, member) end
end
redis.call('HSET', skey, 'members', table.concat(rest, ','))
redis.call('SREM', key('c', sup, 's'), sid)
return 1
