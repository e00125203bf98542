"""A scripted server for one page: the test plays the server's side of ``/ws``.

The pages are built from PROTOCOL.md, including frames that the server may
not send yet (or sends only in rare moments: an escalation, a transfer, a
break nudge). ``ScriptedServer`` uses Playwright's WebSocket routing to stand
in for the server inside one page: it decodes what the page sends with the
reference ``protocol.decode`` (so the page's frames are checked too) and
sends reference-encoded frames back when the test says so.
"""

from __future__ import annotations

import asyncio
import re
from typing import TypeVar

from playwright.async_api import Page, WebSocketRoute

import protocol
from tests.support.timing import scaled

__all__ = ["ScriptedServer"]

F = TypeVar("F", bound=protocol.Frame)


class ScriptedServer:
    """Answers ``hello`` with ``welcome`` (``resumed`` when it had a token; each welcome's
    token is ``resume-token-<n>``) and otherwise only does what the test tells it."""

    def __init__(self, role: str = "seeker", handle: str = "Quiet Heron") -> None:
        self.role = role
        self.handle = handle
        self.received: list[protocol.Frame] = []
        self._read = 0
        self.welcomes = 0
        self._route: WebSocketRoute | None = None
        self._arrived = asyncio.Event()

    async def install(self, page: Page) -> None:
        """Route the page's sockets to ``/ws`` here (call before the page opens one)."""
        await page.route_web_socket(re.compile(r".*/ws$"), self._connected)

    def _connected(self, route: WebSocketRoute) -> None:
        self._route = route
        route.on_message(self._message)

    def _message(self, message: str | bytes) -> None:
        assert isinstance(message, bytes), "pages send binary frames only"
        frame = protocol.decode(message, direction="client")
        self.received.append(frame)
        self._arrived.set()
        if isinstance(frame, protocol.Hello):
            self.welcomes += 1
            self.send(
                protocol.Welcome(
                    v=1,
                    role=self.role,
                    handle=self.handle,
                    resume=f"resume-token-{self.welcomes}",
                    resumed=True if frame.resume else None,
                )
            )

    def send(self, *frames: protocol.Frame) -> None:
        assert self._route is not None, "the page has not connected yet"
        for frame in frames:
            self._route.send(protocol.encode(frame))

    async def close(self, code: int) -> None:
        """Close the page's socket from the server's side (a drain: 1012)."""
        assert self._route is not None
        await self._route.close(code=code, reason="")

    async def expect(self, kind: type[F], timeout: float = 5.0) -> F:
        """The next frame of ``kind`` the page sends (earlier frames of other kinds are passed)."""
        try:
            async with asyncio.timeout(scaled(timeout)):
                while True:
                    while self._read < len(self.received):
                        frame = self.received[self._read]
                        self._read += 1
                        if isinstance(frame, kind):
                            return frame
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            raise AssertionError(
                f"the page sent no {kind.TYPE} within {timeout} s; it sent {self.sent_types()}"
            ) from None

    def sent_types(self) -> list[str]:
        return [frame.TYPE for frame in self.received]
