-- Prepended to every script. ARGV[1] is always the key prefix.
-- Keys are built here from the prefix (see chatserver/broker/keys.py), so the
-- scripts need a single Redis primary (Sentinel or managed Redis, not Cluster).
local P = ARGV[1]

local function key(...)
  return P .. ':' .. table.concat({...}, ':')
end

-- Publish an event to the node the client is attached to, if any.
local function publish_to(client, payload)
  local node = redis.call('HGET', key('c', client), 'node')
  if node and node ~= '' then
    redis.call('PUBLISH', key('ch', node), payload)
  end
end

local function fields(flat)
  local out = {}
  for i = 1, #flat, 2 do out[flat[i]] = flat[i + 1] end
  return out
end

local function is_member(members, client)
  return string.find(',' .. members .. ',', ',' .. client .. ',', 1, true) ~= nil
end

-- A client went away ('away') or came back ('back'): tell the other members of its
-- active sessions, and keep its waiting session in place but unmatched while away.
local function tell_peers(client, kind)
  for _, sid in ipairs(redis.call('SMEMBERS', key('c', client, 's'))) do
    local s = redis.call('HMGET', key('s', sid), 'state', 'members')
    if s[1] == 'active' then
      for member in string.gmatch(s[2], '[^,]+') do
        if member ~= client then publish_to(member, cmsgpack.pack({kind, member, sid})) end
      end
    elseif s[1] == 'waiting' then
      if kind == 'away' then
        redis.call('SADD', key('qaway'), sid)
      else
        redis.call('SREM', key('qaway'), sid)
      end
    end
  end
end

local TOMBSTONE_S = 86400

-- The queue's order: urgent first, then arrival (ms), then a ticket within a ms.
-- Formatted by hand: Lua would print a large number with 14 significant digits.
local function queue_score(created, priority, ticket)
  return string.format('%.0f', tonumber(created) * 1000 + (ticket % 1000) - tonumber(priority) * 4e15)
end
