-- Survivors clean up after dead nodes: their clients become away since the last heartbeat.
-- ARGV: prefix, cutoff_ms (a node whose last heartbeat is older is dead)
-- Returns: the number of clients marked away.
local marked = 0
for _, node in ipairs(redis.call('ZRANGEBYSCORE', key('nodes'), '-inf', ARGV[2])) do
  local last = redis.call('ZSCORE', key('nodes'), node)
  if redis.call('ZREM', key('nodes'), node) == 1 then
    local set = key('node', node, 'clients')
    for _, client in ipairs(redis.call('SMEMBERS', set)) do
      local ckey = key('c', client)
      local c = redis.call('HMGET', ckey, 'node', 'listener')
      if c[1] == node then
        redis.call('HSET', ckey, 'node', '', 'away', last)
        redis.call('ZADD', key('away'), last, client)
        if c[2] and c[2] ~= '' then redis.call('HSET', key('l', c[2]), 'present', 0) end
        tell_peers(client, 'away')
        marked = marked + 1
      end
    end
    redis.call('DEL', set)
  end
end
return marked
