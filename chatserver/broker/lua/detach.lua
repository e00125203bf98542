-- A connection is gone: mark its client away, unless another attachment took over.
-- ARGV: prefix, client, attachment, now_ms
-- Returns: {client hash (flat), session ids}, or false.
local client = ARGV[2]
local ckey = key('c', client)
local c = redis.call('HMGET', ckey, 'node', 'att', 'listener')
if not c[2] or c[2] ~= ARGV[3] or c[1] == '' then return false end
redis.call('HSET', ckey, 'node', '', 'away', ARGV[4])
redis.call('ZADD', key('away'), ARGV[4], client)
redis.call('SREM', key('node', c[1], 'clients'), client)
if c[3] and c[3] ~= '' then redis.call('HSET', key('l', c[3]), 'present', 0) end
tell_peers(client, 'away')
return {redis.call('HGETALL', ckey), redis.call('SMEMBERS', key('c', client, 's'))}
