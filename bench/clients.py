"""The three wire protocols the load generator speaks, each as lean as it can be.

The same workload runs against every system, so each adapter does the least
its protocol allows: open a connection, get paired, send a message carrying
its send time (``time.monotonic_ns``; generator and servers share this
machine's clock) and read back the send time of a peer's message, or None
for frames that are not a peer's message (chatserver's ``sent``, queue
updates, Socket.IO pings, which it answers).

- ``relay``: the bare relay; binary frames, first the pair key.
- ``chat``: chatserver's msgpack protocol (PROTOCOL.md): listeners sign in
  and say ``ready``, seekers ``request`` and are matched by the server.
- ``sio``: Socket.IO v5 over Engine.IO v4, WebSocket transport only, text
  packets (``42["m", data]``), as python-socketio's own client would send.
"""

from __future__ import annotations

import abc
import json
import time
from typing import Any

import msgpack
from websockets.asyncio.client import ClientConnection, connect

__all__ = ["ChatConn", "Conn", "RelayConn", "SioConn", "open_conn"]

PAD = "x" * 4096


async def _ws(url: str) -> ClientConnection:
    return await connect(url, compression=None, max_size=None, open_timeout=30, ping_interval=None)


class Conn(abc.ABC):
    """One connection of the workload: ``send`` a stamped message, ``read`` one back."""

    def __init__(self, ws: ClientConnection, size: int) -> None:
        self.ws = ws
        self.size = size

    @abc.abstractmethod
    async def send(self) -> None:
        """Send one message stamped with its send time."""

    @abc.abstractmethod
    def read(self, data: str | bytes) -> int | None:
        """The send time of a peer's message in ``data``, or None (answering pings)."""

    async def close(self) -> None:
        await self.ws.close()


class RelayConn(Conn):
    async def pair(self, key: str) -> None:
        await self.ws.send(key.encode())

    async def wait_paired(self) -> None:
        assert await self.ws.recv() == b"paired"

    async def send(self) -> None:
        ns = time.monotonic_ns()
        await self.ws.send(ns.to_bytes(8, "little") + b"x" * (self.size - 8))

    def read(self, data: str | bytes) -> int | None:
        if isinstance(data, bytes) and len(data) >= 8:
            return int.from_bytes(data[:8], "little")
        return None


class ChatConn(Conn):
    """A chatserver seeker or listener speaking msgpack frames directly."""

    def __init__(self, ws: ClientConnection, size: int) -> None:
        super().__init__(ws, size)
        self.session = ""
        self._prefix = f"{id(self):x}."  # message ids are unique per session, across both sides
        self._ids = 0
        self.acked = 0
        self.matched: list[str] = []
        self.errors: dict[str, int] = {}
        self.before_welcome: dict[str, int] = {}

    async def hello(self, token: str | None = None) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": "hello", "v": 1, "role": "listener" if token else "seeker"}
        if token:
            frame["token"] = token
        await self.ws.send(msgpack.packb(frame))
        while True:
            welcome: dict[str, Any] = msgpack.unpackb(await self.ws.recv())
            kind = str(welcome.get("type"))
            if kind == "welcome":
                break
            if kind == "error":
                raise RuntimeError(f"hello refused: {welcome}")
            # PROTOCOL.md has welcome answer hello first; count anything that overtakes it
            self.before_welcome[kind] = self.before_welcome.get(kind, 0) + 1
        if token:
            await self.ws.send(msgpack.packb({"type": "ready"}))
        return welcome

    async def request(self, topic: str | None = None) -> None:
        frame: dict[str, Any] = {"type": "request", "topics": [topic] if topic else []}
        await self.ws.send(msgpack.packb(frame))

    async def until_matched(self) -> str:
        while True:
            frame = msgpack.unpackb(await self.ws.recv())
            if frame.get("type") == "matched":
                self.session = frame["session"]
                self.matched.append(self.session)
                return self.session
            if frame.get("type") == "error":
                raise RuntimeError(f"error while waiting for a match: {frame}")

    async def end(self) -> None:
        if self.session:
            await self.ws.send(msgpack.packb({"type": "end", "session": self.session}))

    async def send(self) -> None:
        ns = time.monotonic_ns()
        self._ids += 1
        head = f"{ns} "
        text = head + PAD[: self.size - len(head)]
        await self.ws.send(
            msgpack.packb(
                {
                    "type": "send",
                    "session": self.session,
                    "text": text,
                    "id": f"{self._prefix}{self._ids}",
                }
            )
        )

    def read(self, data: str | bytes) -> int | None:
        frame = msgpack.unpackb(data)
        kind = frame.get("type")
        if kind == "message":
            return int(frame["text"].split(" ", 1)[0])
        if kind == "sent":
            self.acked += 1
        elif kind == "matched":
            self.session = frame["session"]
            self.matched.append(self.session)
        elif kind == "error":
            code = str(frame.get("code"))
            self.errors[code] = self.errors.get(code, 0) + 1
        return None


class SioConn(Conn):
    """A Socket.IO client over a raw WebSocket (Engine.IO v4 framing)."""

    async def handshake(self) -> None:
        opened = await self.ws.recv()
        assert isinstance(opened, str) and opened.startswith("0"), opened
        await self.ws.send("40")
        while True:
            packet = await self.ws.recv()
            if isinstance(packet, str) and packet.startswith("40"):
                return
            if packet == "2":
                await self.ws.send("3")

    async def pair(self, key: str) -> None:
        await self.ws.send("421" + json.dumps(["pair", key]))
        while True:
            packet = await self.ws.recv()
            if isinstance(packet, str) and packet.startswith("431"):
                return
            if packet == "2":
                await self.ws.send("3")

    async def send(self) -> None:
        ns = time.monotonic_ns()
        head = f"{ns} "
        await self.ws.send('42["m","' + head + PAD[: self.size - len(head)] + '"]')

    def read(self, data: str | bytes) -> int | None:
        if isinstance(data, str):
            if data.startswith('42["m","'):
                return int(data[8 : data.index(" ", 8)])
            if data == "2":
                # Engine.IO ping: answered from the reader (see Loadgen)
                self.needs_pong = True
        return None

    needs_pong = False


async def open_conn(kind: str, url: str, size: int) -> Conn:
    if kind == "relay":
        return RelayConn(await _ws(url), size)
    if kind == "chat":
        return ChatConn(await _ws(url), size)
    if kind == "sio":
        conn = SioConn(await _ws(url.rstrip("/") + "/socket.io/?EIO=4&transport=websocket"), size)
        await conn.handshake()
        return conn
    raise ValueError(f"unknown system kind {kind!r}")
