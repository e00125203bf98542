-- Queue a waiting session (idempotent: an existing session is left as it is).
-- ARGV: prefix, sid, seeker, handle, topics (a,b), created_ms, priority, intro, text_ttl_ms
-- Returns: {position, waiting}
local sid, seeker = ARGV[2], ARGV[3]
local skey = key('s', sid)
if redis.call('EXISTS', skey) == 0 then
  local ticket = redis.call('INCR', key('ticket'))
  redis.call('HSET', skey, 'state', 'waiting', 'seeker', seeker, 'shandle', ARGV[4],
    'topics', ARGV[5], 'created', ARGV[6], 'prio', ARGV[7], 'last', ARGV[6], 'seq', 0,
    'members', seeker, 'hbytes', 0)
  if ARGV[8] ~= '' then
    redis.call('SET', key('s', sid, 'intro'), ARGV[8], 'PX', ARGV[9])
  end
  redis.call('ZADD', key('q'), queue_score(ARGV[6], ARGV[7], ticket), sid)
  redis.call('HSET', key('qm'), sid,
    table.concat({seeker, ARGV[5], ARGV[6], ARGV[7], ticket}, '|'))
  redis.call('SADD', key('c', seeker, 's'), sid)
end
local rank = redis.call('ZRANK', key('q'), sid)
if not rank then return {0, redis.call('ZCARD', key('q'))} end
return {rank + 1, redis.call('ZCARD', key('q'))}
