-- Delete a participant whose sessions have ended; its resume token is remembered as expired.
-- ARGV: prefix, client, node
-- Returns: 1
local client = ARGV[2]
local ckey = key('c', client)
local rtok = redis.call('HGET', ckey, 'rtok')
if rtok and rtok ~= '' then redis.call('SET', key('r', rtok), 'expired', 'EX', TOMBSTONE_S) end
redis.call('DEL', ckey, key('c', client, 's'))
redis.call('ZREM', key('away'), client)
redis.call('SREM', key('node', ARGV[3], 'clients'), client)
return 1
