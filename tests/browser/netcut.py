"""A network cable for browser tests: a TCP forwarder whose connections can be cut.

Chromium's offline emulation does not touch WebSockets that are already
open, so to lose the network for real the browser reaches the server through
this forwarder (its page is loaded from the forwarder's port, so the page's
own-origin socket goes through it too). ``cut()`` aborts every connection in
both directions, as a dead Wi-Fi does, and refuses new ones until
``restore()``: the browser sees close 1006 and failed reconnects, the server
sees the connection lost and holds the person's sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

__all__ = ["CuttableLink"]


class CuttableLink:
    """Forwards ``127.0.0.1:<port>`` to ``127.0.0.1:<target_port>`` until cut."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.is_cut = False
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.WriteTransport] = set()
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> CuttableLink:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cut(self) -> None:
        """Pull the cable: drop every open connection and refuse new ones."""
        self.is_cut = True
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    def restore(self) -> None:
        self.is_cut = False

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One browser connection: forward both ways until either side or the cut ends it."""
        if self.is_cut:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        ends = (writer.transport, up_writer.transport)
        self._transports.update(ends)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))
        finally:
            for end in ends:
                self._transports.discard(end)
                end.abort()
            self._tasks.discard(task)

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError, RuntimeError):
            writer.transport.abort()
