-- Set a flag ('risk' or 'escalated') on a session; a waiting one flagged for risk becomes urgent.
-- ARGV: prefix, sid, flag
-- Returns: {newly set (0|1), session hash (flat)}, or false if there is no such session.
local sid, flag = ARGV[2], ARGV[3]
local skey = key('s', sid)
if redis.call('EXISTS', skey) == 0 then return false end
local was = redis.call('HGET', skey, flag)
redis.call('HSET', skey, flag, 1)
if flag == 'risk' and was ~= '1' and redis.call('HGET', skey, 'state') == 'waiting' then
  local meta = redis.call('HGET', key('qm'), sid)
  if meta then
    local seeker, topics, created, _, ticket = string.match(meta, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
    redis.call('HSET', key('qm'), sid, table.concat({seeker, topics, created, 1, ticket}, '|'))
    redis.call('ZADD', key('q'), queue_score(created, 1, tonumber(ticket)), sid)
    redis.call('HSET', skey, 'prio', 1)
  end
end
return {was == '1' and 0 or 1, redis.call('HGETALL', skey)}
