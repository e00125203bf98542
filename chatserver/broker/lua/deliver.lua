-- Publish a ready-made event to wherever a client is attached.
-- ARGV: prefix, client, payload
publish_to(ARGV[2], ARGV[3])
return 1
