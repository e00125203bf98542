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

-- The queue's order: urgent first, then arrival (ms), then a ticket within a ms.
-- Formatted by hand: Lua would print a large number with 14 significant digits.
local function queue_score(created, priority, ticket)
  return string.format('%.0f', tonumber(created) * 1000 + (ticket % 1000) - tonumber(priority) * 4e15)
end
