"""An asyncio client that survives dropped connections (used by tests and the load test).

The caller sends frames and reads a stream of frames; the client does the
rest of PROTOCOL.md's "Resume" itself: when the connection drops (or the
node asks everyone to ``reconnect``) it reconnects, to the next of its URLs
if it has several, resumes with its token and ``last_seq``, and resends
every ``send`` that was not acknowledged, with the same ``id``. So the caller
sees each ``message`` once and in ``seq`` order, each ``sent`` once, and
``matched`` once per session, however often the connection was lost.

``protocol/`` stays pure; this module is the I/O around it for clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
from collections.abc import Sequence

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

import protocol
from protocol import CloseCode, ErrorCode

__all__ = ["ChatClient", "ChatClientClosed", "ChatClientError"]

FINAL_CLOSES = {CloseCode.POLICY_VIOLATION, CloseCode.REPLACED}
"""Close codes after which reconnecting would not help (PROTOCOL.md, "Close codes")."""
GENEROUS_LIMITS = protocol.Limits(
    max_frame_bytes=1 << 24, max_text_chars=1 << 20, max_intro_chars=1 << 20,
    max_note_chars=1 << 16,
)  # fmt: skip
"""A client accepts whatever its server's limits allow."""


class ChatClientError(Exception):
    """The server refused the client for good (a bad token, a policy close)."""

    def __init__(self, message: str, error: protocol.Error | None = None) -> None:
        super().__init__(message)
        self.error = error


class ChatClientClosed(Exception):
    """The stream has ended: the client was closed or the server closed it for good."""


class _ResumeRefused(Exception):
    """The resume token was not accepted: start afresh."""


class ChatClient:
    """One person's connection to the service, resuming by itself.

    Args:
        urls: one URL, or several nodes of one service (tried in turn on reconnect).
        role: ``"seeker"`` or ``"listener"`` (listeners also give ``token``).
        token: a listener's JWT.
        min_backoff, max_backoff: seconds between reconnect attempts (doubling, jittered).
    """

    def __init__(
        self,
        urls: str | Sequence[str],
        *,
        role: str = "seeker",
        token: str | None = None,
        min_backoff: float = 0.05,
        max_backoff: float = 2.0,
        open_timeout: float = 5.0,
        seed: int | None = None,
    ) -> None:
        self.urls = [urls] if isinstance(urls, str) else list(urls)
        self.role = role
        self.token = token
        self.handle = ""
        self.resume: str | None = None
        self.reconnects = 0
        self.sessions: dict[str, str] = {}
        """Open sessions this client knows of: id -> ``"waiting"`` or ``"active"``."""
        self.last_seq: dict[str, int] = {}
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._open_timeout = open_timeout
        self._rng = random.Random(seed)
        self._url_index = 0
        self._ids = itertools.count(1)
        self._unacked: dict[str, protocol.Send] = {}
        self._acked: dict[str, set[str]] = {}
        self._until_answered: dict[str, protocol.Frame] = {}
        self._readiness: protocol.Frame | None = None
        self._frames: asyncio.Queue[protocol.Frame | None] = asyncio.Queue()
        self._ws: ClientConnection | None = None
        self._runner: asyncio.Task[None] | None = None
        self._closing = False
        self._after: float | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # --- the caller's side ---------------------------------------------------

    @property
    def url(self) -> str:
        return self.urls[self._url_index]

    async def connect(self) -> protocol.Welcome:
        """Open the first connection and say hello; returns the welcome."""
        ws = await self._open()
        welcome = await self._hello(ws, resume=False)
        self._ws = ws
        self._runner = asyncio.create_task(self._run(), name="chat-client")
        return welcome

    async def send(self, frame: protocol.Frame) -> None:
        """Send a frame now, or as soon as the connection is back.

        ``send`` frames are kept until acknowledged and resent after a resume;
        ``request`` and ``end`` until answered; ``typing`` is dropped while offline.
        """
        if isinstance(frame, protocol.Send):
            self._unacked[frame.id] = frame
        elif isinstance(frame, protocol.End):
            self._until_answered[f"end:{frame.session}"] = frame
        elif isinstance(frame, protocol.Request):
            self._until_answered["request"] = frame
        elif isinstance(frame, protocol.Ready | protocol.Away):
            self._readiness = frame
        await self._write(frame)

    async def say(self, session: str, text: str) -> str:
        """Send ``text`` in ``session`` with a fresh message id; returns the id."""
        message_id = f"{self.handle or 'c'}-{next(self._ids)}-{self._rng.getrandbits(32):08x}"
        await self.send(protocol.Send(session=session, text=text, id=message_id))
        return message_id

    async def recv(self, timeout: float | None = None) -> protocol.Frame:
        """The next frame of the stream (each message once, in order).

        Raises:
            TimeoutError: nothing within ``timeout`` seconds.
            ChatClientClosed: the client was closed or refused for good.
        """
        async with asyncio.timeout(timeout):
            frame = await self._frames.get()
        if frame is None:
            self._frames.put_nowait(None)  # stay closed for later readers
            raise ChatClientClosed("the client is closed")
        return frame

    @property
    def unacknowledged(self) -> int:
        """How many ``send``s are waiting for their ``sent``."""
        return len(self._unacked)

    def cut(self) -> None:
        """Drop the connection abruptly, as a network would (for tests): no close frame."""
        if self._ws is not None and self._ws.transport is not None:
            self._ws.transport.abort()

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        for task in [*self._tasks, *([self._runner] if self._runner else [])]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._frames.put_nowait(None)

    # --- connections ---------------------------------------------------------

    async def _open(self) -> ClientConnection:
        return await connect(
            self.url, max_size=None, open_timeout=self._open_timeout, compression=None
        )

    async def _write(self, frame: protocol.Frame) -> None:
        ws = self._ws
        if ws is None:
            return
        with contextlib.suppress(ConnectionClosed):
            await ws.send(protocol.encode(frame))

    def _decode(self, data: str | bytes) -> protocol.Frame:
        if isinstance(data, str):
            raise ChatClientError("the server sent a text frame")
        return protocol.decode(data, direction="server", limits=GENEROUS_LIMITS)

    async def _hello(self, ws: ClientConnection, *, resume: bool) -> protocol.Welcome:
        hello = protocol.Hello(
            v=protocol.PROTOCOL_VERSION,
            role=self.role,
            token=self.token,
            resume=self.resume if resume else None,
            last_seq=dict(self.last_seq) if resume and self.last_seq else None,
        )
        await ws.send(protocol.encode(hello))
        while True:
            async with asyncio.timeout(self._open_timeout):
                frame = self._decode(await ws.recv())
            if isinstance(frame, protocol.Welcome):
                self.resume = frame.resume
                self.handle = frame.handle
                return frame
            if isinstance(frame, protocol.Error):
                if frame.code == ErrorCode.RESUME_EXPIRED:
                    self._lose_sessions()  # a fresh welcome follows
                    continue
                if resume and frame.code == ErrorCode.UNAUTHORIZED:
                    raise _ResumeRefused(frame.message)
                raise ChatClientError(f"hello refused: {frame.code}: {frame.message}", frame)

    def _lose_sessions(self) -> None:
        """Our sessions ended while we could not hear: tell the caller."""
        for session in list(self.sessions):
            self._deliver_ended(protocol.Ended(session=session, reason="disconnected"))
        self._unacked.clear()
        self._until_answered.clear()

    async def _run(self) -> None:
        while True:
            ws = self._ws
            assert ws is not None
            code: int | None = None
            try:
                async for data in ws:
                    self._on_frame(self._decode(data))
            except ConnectionClosed:
                pass
            code = ws.close_code
            if self._closing or code in FINAL_CLOSES:
                self._frames.put_nowait(None)
                return
            self._ws = None
            try:
                self._ws = await self._reconnect()
            except ChatClientError:
                self._frames.put_nowait(None)
                return

    async def _reconnect(self) -> ClientConnection:
        delay = self._after if self._after is not None else self._min_backoff
        self._after = None
        while True:
            await asyncio.sleep(delay * (0.5 + self._rng.random()))
            delay = min(max(delay, self._min_backoff) * 2, self._max_backoff)
            self._url_index = (self._url_index + 1) % len(self.urls)
            try:
                ws = await self._open()
            except (OSError, InvalidHandshake, TimeoutError):
                continue
            try:
                await self._hello(ws, resume=self.resume is not None)
            except _ResumeRefused:
                self.resume = None
                self._lose_sessions()
                await ws.close()
                continue
            except (ConnectionClosed, TimeoutError):
                continue
            self.reconnects += 1
            await self._resend(ws)
            return ws

    async def _resend(self, ws: ClientConnection) -> None:
        """After a resume: what may not have reached the server goes again, same ids."""
        frames: list[protocol.Frame] = []
        if self._readiness is not None:
            frames.append(self._readiness)
        frames += list(self._until_answered.values())
        frames += list(self._unacked.values())
        with contextlib.suppress(ConnectionClosed):
            for frame in frames:
                await ws.send(protocol.encode(frame))

    # --- the stream ----------------------------------------------------------

    def _on_frame(self, frame: protocol.Frame) -> None:
        if isinstance(frame, protocol.Message):
            if frame.seq <= self.last_seq.get(frame.session, 0):
                return
            self.last_seq[frame.session] = frame.seq
        elif isinstance(frame, protocol.Sent):
            self._unacked.pop(frame.id, None)
            acked = self._acked.setdefault(frame.session, set())
            if frame.id in acked:
                return
            acked.add(frame.id)
        elif isinstance(frame, protocol.Matched):
            self._until_answered.pop("request", None)
            if self.sessions.get(frame.session) == "active":
                return  # replayed by a resume
            self.sessions[frame.session] = "active"
        elif isinstance(frame, protocol.Queued):
            self._until_answered.pop("request", None)
            if self.sessions.get(frame.session) == "active":
                return
            self.sessions[frame.session] = "waiting"
        elif isinstance(frame, protocol.Ended):
            self._deliver_ended(frame)
            return
        elif isinstance(frame, protocol.Reconnect):
            self._after = frame.after_ms / 1000
            return
        elif isinstance(frame, protocol.Service) and frame.available:
            task = asyncio.get_running_loop().create_task(self._resend_now())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif isinstance(frame, protocol.Error) and frame.code == ErrorCode.UNAVAILABLE:
            return  # kept frames go again when the service is back
        self._frames.put_nowait(frame)

    def _deliver_ended(self, frame: protocol.Ended) -> None:
        if (
            frame.session not in self.sessions
            and f"end:{frame.session}" not in self._until_answered
        ):
            return  # already told
        self.sessions.pop(frame.session, None)
        self.last_seq.pop(frame.session, None)
        self._acked.pop(frame.session, None)
        self._until_answered.pop(f"end:{frame.session}", None)
        for message_id in [i for i, s in self._unacked.items() if s.session == frame.session]:
            del self._unacked[message_id]
        self._frames.put_nowait(frame)

    async def _resend_now(self) -> None:
        if self._ws is not None:
            await self._resend(self._ws)

    def __repr__(self) -> str:
        return f"ChatClient({self.role} {self.handle!r} at {self.url})"
