-- Number a message, keep it for resume (bounded, with a TTL), deliver it to the other members.
-- ARGV: prefix, sid, sender, message_id, text, now_ms, max_count, max_bytes, text_ttl_ms,
--       sender_name
-- Returns: {seq, ts, duplicate (0|1)}, or false if not an active member.
local sid, sender, mid, text, now = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local skey = key('s', sid)
local s = redis.call('HMGET', skey, 'state', 'members')
if s[1] ~= 'active' or not is_member(s[2], sender) then return false end
local idkey = key('s', sid, 'ids')
local earlier = redis.call('HGET', idkey, mid)
if earlier then
  local seq, ts = string.match(earlier, '(%d+):(%d+)')
  return {tonumber(seq), tonumber(ts), 1}
end
local seq = redis.call('HINCRBY', skey, 'seq', 1)
redis.call('HSET', idkey, mid, seq .. ':' .. now)
local hkey = key('s', sid, 'h')
redis.call('RPUSH', hkey, cmsgpack.pack({seq, sender, tonumber(now), mid, text, ARGV[10]}))
local size = redis.call('HINCRBY', skey, 'hbytes', #text)
local count = redis.call('LLEN', hkey)
while count > tonumber(ARGV[7]) or size > tonumber(ARGV[8]) do
  local old = redis.call('LPOP', hkey)
  if not old then break end
  local entry = cmsgpack.unpack(old)
  size = redis.call('HINCRBY', skey, 'hbytes', -#entry[5])
  redis.call('HDEL', idkey, entry[4])
  count = count - 1
end
redis.call('PEXPIRE', hkey, ARGV[9])
redis.call('PEXPIRE', idkey, ARGV[9])
redis.call('PEXPIRE', key('s', sid, 'intro'), ARGV[9])
redis.call('HSET', skey, 'last', now)
redis.call('ZADD', key('active'), now, sid)
local members = {}
for member in string.gmatch(s[2], '[^,]+') do table.insert(members, member) end
local name = #members > 2 and ARGV[10] or ''
for _, member in ipairs(members) do
  if member ~= sender then
    publish_to(member, cmsgpack.pack({'message', member, sid, seq, tonumber(now), text, name}))
  end
end
return {seq, tonumber(now), 0}
