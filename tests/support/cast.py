"""The people in a test: seekers and listeners connected to a real server.

``Cast`` connects ``WireClient``s, says hello for them, and closes them all
when the test ends, so a test reads as a scene::

    seeker = await cast.seeker()
    listener = await cast.listener("Sam", topics=["anxiety"])
    session = await cast.request(seeker, topics=["anxiety"])
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import protocol
from chatserver.auth import mint_token
from chatserver.types import Role

from .wire import WireClient

__all__ = ["SECRET", "Cast", "listener_token"]

SECRET = "test-secret-for-listener-tokens-" + "0123456789abcdef"


def listener_token(
    name: str = "Sam",
    topics: Sequence[str] = (),
    *,
    role: Role = Role.LISTENER,
    sub: str | None = None,
    ttl_s: float = 3600,
    capacity: int | None = None,
    secret: str = SECRET,
) -> str:
    return mint_token(
        secret,
        sub=sub or f"{name.lower()}-{secrets.token_hex(3)}",
        name=name,
        topics=list(topics),
        role=role,
        ttl_s=ttl_s,
        capacity=capacity,
    )


class Cast:
    """Connects people to one server (or several) and cleans up after the test."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.clients: list[WireClient] = []

    async def connect(self, url: str | None = None) -> WireClient:
        client = await WireClient.connect(url or self.url)
        self.clients.append(client)
        return client

    async def seeker(self, url: str | None = None) -> WireClient:
        client = await self.connect(url)
        await client.hello_seeker()
        return client

    async def listener(
        self,
        name: str = "Sam",
        topics: Sequence[str] = (),
        *,
        ready: bool = True,
        url: str | None = None,
        **token_args: object,
    ) -> WireClient:
        client = await self.connect(url)
        await client.hello_listener(listener_token(name, topics, **token_args))  # type: ignore[arg-type]
        if ready:
            await client.send(protocol.Ready())
        return client

    async def request(
        self, seeker: WireClient, topics: Sequence[str] = (), intro: str | None = None
    ) -> str:
        """The seeker asks to talk; returns the session id from ``queued``."""
        await seeker.send(protocol.Request(topics=tuple(topics), intro=intro))
        queued = await seeker.expect(protocol.Queued, skip=frozenset({"queue"}))
        return queued.session

    async def pair(
        self, topics: Sequence[str] = (), intro: str | None = None, name: str = "Sam"
    ) -> tuple[WireClient, WireClient, str]:
        """A seeker and a ready listener, matched; returns (seeker, listener, session)."""
        listener = await self.listener(name, topics)
        seeker = await self.seeker()
        session = await self.request(seeker, topics, intro)
        await seeker.expect(protocol.Matched)
        await listener.expect(protocol.Matched)
        return seeker, listener, session

    async def close_all(self) -> None:
        for client in self.clients:
            await client.close()
