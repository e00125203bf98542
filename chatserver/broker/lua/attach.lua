-- Attach a client to a node; a previous attachment elsewhere is kicked.
-- ARGV: prefix, client, role, handle, listener_id, node, attachment,
--       sessions (a,b: restore only), resume token hash
-- Returns: {previous hash (flat), previous session ids, existed (0|1)}
local client, node, att, rtok = ARGV[2], ARGV[6], ARGV[7], ARGV[9]
local ckey = key('c', client)
local prev = fields(redis.call('HGETALL', ckey))
local prev_sessions = redis.call('SMEMBERS', key('c', client, 's'))
redis.call('HSET', ckey, 'role', ARGV[3], 'handle', ARGV[4], 'listener', ARGV[5],
  'node', node, 'att', att, 'away', 0, 'rtok', rtok)
redis.call('ZREM', key('away'), client)
redis.call('SADD', key('node', node, 'clients'), client)
for sid in string.gmatch(ARGV[8], '[^,]+') do
  redis.call('SADD', key('c', client, 's'), sid)
end
if rtok ~= '' then redis.call('SET', key('r', rtok), 'c:' .. client, 'EX', TOMBSTONE_S) end
if prev.rtok and prev.rtok ~= '' and prev.rtok ~= rtok then
  redis.call('SET', key('r', prev.rtok), 'used', 'EX', TOMBSTONE_S)
end
if ARGV[5] ~= '' then redis.call('HSET', key('l', ARGV[5]), 'present', 1) end
if prev.node and prev.node ~= '' and prev.att ~= att then
  if prev.node ~= node then redis.call('SREM', key('node', prev.node, 'clients'), client) end
  redis.call('PUBLISH', key('ch', prev.node), cmsgpack.pack({'kick', client, prev.att}))
end
if prev.node == '' then tell_peers(client, 'back') end
return {redis.call('HGETALL', ckey), prev_sessions, prev.node and 1 or 0}
