"""A test client that speaks raw frames over a real WebSocket.

``WireClient`` sends exactly what a test tells it (including garbage) and
reads decoded server frames, with helpers that fail with the frames seen so
far, so that a failing test says what actually came back.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

import protocol

from .timing import scaled

__all__ = ["NOISE", "StallingClient", "WireClient"]

F = TypeVar("F", bound=protocol.Frame)

NOISE = frozenset({"queue", "queued", "typing"})
"""Informational frames that ``expect`` skips unless asked for."""


class WireClient:
    """One real WebSocket connection to a test server."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seen: list[protocol.Frame] = []
        self.welcome: protocol.Welcome | None = None

    @classmethod
    async def connect(cls, url: str, **kwargs: Any) -> WireClient:
        ws = await connect(url, max_size=None, open_timeout=scaled(5), **kwargs)
        return cls(ws)

    async def send(self, frame: protocol.Frame) -> None:
        await self.ws.send(protocol.encode(frame))

    async def send_raw(self, data: bytes | str) -> None:
        await self.ws.send(data)

    async def recv(self, timeout: float = 3.0) -> protocol.Frame:
        """The next frame, whatever it is, within ``timeout`` (scaled) seconds."""
        return await self._recv_within(scaled(timeout))

    async def _recv_within(self, seconds: float) -> protocol.Frame:
        data = await asyncio.wait_for(self.ws.recv(), seconds)
        assert isinstance(data, bytes), f"server sent a text frame: {data!r}"
        frame = protocol.decode(data, direction="server")
        self.seen.append(frame)
        return frame

    async def expect(
        self, kind: type[F], timeout: float = 3.0, *, skip: frozenset[str] = NOISE
    ) -> F:
        """The next frame of ``kind``, skipping informational ones; fails on anything else."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + scaled(timeout)
        while True:
            remaining = deadline - loop.time()
            try:
                frame = await self._recv_within(max(0.01, remaining))
            except TimeoutError:
                raise AssertionError(
                    f"no {kind.TYPE} frame within {timeout} s; saw {self.seen[-8:]}"
                ) from None
            if isinstance(frame, kind):
                return frame
            if frame.TYPE not in skip or kind.TYPE == frame.TYPE:
                raise AssertionError(f"expected {kind.TYPE}, got {frame!r}")

    async def expect_error(self, code: str, timeout: float = 3.0) -> protocol.Error:
        error = await self.expect(protocol.Error, timeout)
        assert error.code == code, f"expected error {code}, got {error!r}"
        return error

    async def nothing(self, within: float = 0.3, *, skip: frozenset[str] = NOISE) -> None:
        """Assert that no frame (other than ``skip``) arrives within ``within`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + scaled(within)
        while (remaining := deadline - loop.time()) > 0:
            try:
                frame = await self._recv_within(remaining)
            except TimeoutError:
                return
            assert frame.TYPE in skip, f"expected no frame, got {frame!r}"

    async def closed(self, timeout: float = 5.0) -> int | None:
        """Wait for the server to close; returns the close code."""
        try:
            async with asyncio.timeout(scaled(timeout)):
                while True:
                    await self.ws.recv()
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None
        except TimeoutError:
            raise AssertionError(f"connection still open after {timeout} s") from None

    async def hello_seeker(self) -> protocol.Welcome:
        await self.send(protocol.Hello(v=1, role="seeker"))
        self.welcome = await self.expect(protocol.Welcome)
        return self.welcome

    async def hello_listener(self, token: str) -> protocol.Welcome:
        await self.send(protocol.Hello(v=1, role="listener", token=token))
        self.welcome = await self.expect(protocol.Welcome)
        return self.welcome

    async def close(self) -> None:
        await self.ws.close()


class StallingClient(WireClient):
    """A seeker whose app has frozen: it says hello, then never reads again.

    Its socket's receive buffer is made small, so the server's writes back up
    into the server (as with a phone that stopped reading) instead of into
    several megabytes of loopback buffering.
    """

    @classmethod
    async def connect(cls, url: str, **kwargs: Any) -> WireClient:
        host, port = url.removeprefix("ws://").split("/", 1)[0].split(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        ws = await connect(url, sock=sock, max_size=None, max_queue=1, open_timeout=scaled(5))
        return cls(ws)

    async def close(self) -> None:
        """It never reads, so it cannot do a closing handshake: just drop the socket."""
        self.ws.transport.abort()
