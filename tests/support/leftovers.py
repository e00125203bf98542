"""What a broker still holds: the proof that ended sessions leave nothing behind.

For Redis this reads the *whole* keyspace of the test server, every key of
every type, not just the keys we think we wrote.
"""

from __future__ import annotations

from collections.abc import Iterable

from redis.asyncio import Redis

from chatserver.broker.memory import MemoryBroker
from chatserver.server import ChatServer
from chatserver.types import SessionId

__all__ = ["leftovers", "redis_dump"]


async def redis_dump(url: str) -> dict[bytes, bytes]:
    """Every key of the Redis at ``url`` with all of its content flattened to bytes."""
    client = Redis.from_url(url)
    out: dict[bytes, bytes] = {}
    try:
        async for key in client.scan_iter(count=1000):
            kind = (await client.type(key)).decode()
            if kind == "string":
                parts = [await client.get(key) or b""]
            elif kind == "hash":
                parts = [b for kv in (await client.hgetall(key)).items() for b in kv]
            elif kind == "list":
                parts = await client.lrange(key, 0, -1)
            elif kind == "set":
                parts = list(await client.smembers(key))
            elif kind == "zset":
                parts = [m for m, _ in await client.zrange(key, 0, -1, withscores=True)]
            elif kind == "stream":
                parts = [
                    b for _, fields in await client.xrange(key) for kv in fields.items() for b in kv
                ]
            else:
                parts = []
            out[key] = b"\x00".join(parts)
    finally:
        await client.aclose()
    return out


async def leftovers(server: ChatServer, sessions: Iterable[str], texts: Iterable[str]) -> list[str]:
    """Describe everything of ``sessions`` or any of ``texts`` the server's broker still holds."""
    broker = server.node.broker
    sessions, texts = list(sessions), list(texts)
    found: list[str] = []
    if isinstance(broker, MemoryBroker):
        found += [f"session {s}" for s in sessions if broker.holds_session(SessionId(s))]
        found += [f"text {t!r}" for t in texts if broker.holds_text(t)]
        return found
    dump = await redis_dump(server.config.redis.url)
    for key, content in dump.items():
        for session in sessions:
            if session.encode() in key or session.encode() in content:
                found.append(f"session {session} in key {key!r}")
        for text in texts:
            if text.encode() in key or text.encode() in content:
                found.append(f"text {text!r} in key {key!r}")
    return found
