-- Tell the other members of an active session that the sender is typing.
-- ARGV: prefix, sid, sender
-- Returns: 1, or 0 if not an active member.
local sid, sender = ARGV[2], ARGV[3]
local s = redis.call('HMGET', key('s', sid), 'state', 'members')
if s[1] ~= 'active' or not is_member(s[2], sender) then return 0 end
for member in string.gmatch(s[2], '[^,]+') do
  if member ~= sender then publish_to(member, cmsgpack.pack({'typing', member, sid})) end
end
return 1
