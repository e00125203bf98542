"""The socket shell: one WebSocket connection, read, decoded, handed to the node.

Everything here is I/O and policy at the edge: binary frames only, size and
rate limits, the ``hello`` deadline, turning every error into an ``error``
frame with a stable code, and closing for repeated violations. Each
connection has a bounded outbox drained by one writer task; nothing else
ever awaits this socket, and a client that stops reading is disconnected
when its outbox passes ``server.outbox_max_bytes`` (it can resume).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

import protocol
from protocol import CloseCode, ErrorCode

from .addresses import client_address
from .admission import Peer
from .errors import BrokerUnavailable, ClientError
from .hub import Attached
from .logs import get_logger, pseudonymize
from .node import Node
from .ratelimit import TokenBucket

__all__ = ["SocketOutbox", "serve_connection"]


class SocketOutbox:
    """A bounded queue of encoded frames for one socket, written by one task."""

    def __init__(
        self,
        ws: ServerConnection,
        max_bytes: int,
        log: Any,
        on_overflow: Callable[[], None] = lambda: None,
    ) -> None:
        self._ws = ws
        self._on_overflow = on_overflow
        self._max_bytes = max_bytes
        self._log = log
        self._frames: deque[bytes] = deque()
        self._size = 0
        self._wake = asyncio.Event()
        self._close: tuple[CloseCode, str] | None = None

    @property
    def closing(self) -> bool:
        return self._close is not None

    def push(self, frame: bytes) -> None:
        if self._close is not None:
            return
        self._frames.append(frame)
        self._size += len(frame)
        if self._size > self._max_bytes:
            # The client stopped reading (its socket and ours are full too): drop what
            # waits and cut the connection at once; a close frame could not get through.
            # Its sessions are held, so it can resume and get what it missed.
            self._log.warning("outbox_overflow", queued_bytes=self._size)
            self._on_overflow()
            self._frames.clear()
            self._size = 0
            self._close = (CloseCode.TRY_AGAIN_LATER, "too far behind reading")
            self._ws.transport.abort()
        self._wake.set()

    def close(self, code: CloseCode, reason: str) -> None:
        if self._close is None:
            self._close = (code, reason)
            self._wake.set()

    async def run(self) -> None:
        """Write queued frames in order until closed; then close the socket."""
        ws = self._ws
        frames = self._frames
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while frames:
                    frame = frames.popleft()
                    self._size -= len(frame)
                    await ws.send(frame)
                if self._close is not None:
                    await ws.close(self._close[0], self._close[1])
                    return
        except ConnectionClosed:
            return


class _Edge:
    """Per-connection policy: rate limits and the violation count."""

    def __init__(self, node: Node) -> None:
        limits = node.config.limits
        now = time.monotonic()
        self.frames = TokenBucket(limits.frames_per_s, limits.frames_burst, now)
        self.messages = TokenBucket(limits.messages_per_s, limits.message_burst, now)
        self.violations: deque[float] = deque()
        self.max_violations = limits.max_violations
        self.window = limits.violation_window_s

    def violation(self) -> bool:
        """Count one; True when there have been too many within the window."""
        now = time.monotonic()
        self.violations.append(now)
        while self.violations and self.violations[0] < now - self.window:
            self.violations.popleft()
        return len(self.violations) >= self.max_violations


def _client_address(ws: ServerConnection) -> str:
    address = ws.remote_address
    return str(address[0]) if address else "unknown"


def _decode(data: str | bytes, node: Node) -> protocol.Frame:
    if isinstance(data, str):
        raise protocol.BadFrame("expected binary frames holding msgpack, got a text frame")
    return protocol.decode(data, direction="client", limits=node.limits)


def _error(
    outbox: SocketOutbox, node: Node, code: ErrorCode, message: str, ref: str | None
) -> None:
    node.metrics.errors.labels(code.value).inc()
    outbox.push(protocol.encode(protocol.Error(code=code.value, message=message, ref=ref)))


async def serve_connection(ws: ServerConnection, node: Node) -> None:
    """Run one connection from handshake to close (the websockets handler)."""
    headers = ws.request.headers if ws.request is not None else None
    peer = Peer(
        address=client_address(
            _client_address(ws),
            headers.get("X-Forwarded-For") if headers else None,
            node.config.server.trusted_proxies,
        ),
        origin=headers.get("Origin") if headers else None,
    )
    log = get_logger("chatserver.connection").bind(peer=pseudonymize(peer.address))
    outbox = SocketOutbox(
        ws,
        node.config.server.outbox_max_bytes,
        log,
        node.metrics.limited.labels("outbox").inc,
    )
    writer = asyncio.create_task(outbox.run(), name="writer")
    edge = _Edge(node)
    attached: Attached | None = None
    counted = node.addresses.connect(peer.address)
    try:
        if not counted:
            node.metrics.limited.labels("connections").inc()
            _error(
                outbox, node, ErrorCode.RATE_LIMITED,
                "too many connections from your network; close some and try again", None,
            )  # fmt: skip
            outbox.close(CloseCode.TRY_AGAIN_LATER, "too many connections")
            return
        attached = await _await_hello(ws, node, outbox, edge, log, peer)
        if attached is not None:
            node.metrics.connections.labels(attached.role.value).inc()
            await _read_loop(ws, node, outbox, edge, attached)
    except ConnectionClosed:
        pass
    finally:
        if counted:
            node.addresses.disconnect(peer.address)
        if attached is not None:
            node.metrics.connections.labels(attached.role.value).dec()
            try:
                await node.disconnected(attached)
            except Exception:
                log.exception("disconnect_cleanup_failed")
        outbox.close(CloseCode.NORMAL, "")
        try:
            async with asyncio.timeout(node.config.server.hello_timeout_s):
                await writer
        except TimeoutError:
            writer.cancel()


def _answer(
    exc: Exception, node: Node, outbox: SocketOutbox, edge: _Edge, log: Any, ref: str | None
) -> None:
    """Turn any exception from decoding or handling into an ``error`` frame (and maybe a close)."""
    if isinstance(exc, protocol.ProtocolError):
        _error(outbox, node, exc.code, exc.message, exc.ref or ref)
        if isinstance(exc, protocol.TooLarge) and exc.field is None:
            outbox.close(CloseCode.MESSAGE_TOO_BIG, "frame too large")
        elif edge.violation():
            outbox.close(CloseCode.POLICY_VIOLATION, "too many invalid frames")
    elif isinstance(exc, ClientError):
        _error(outbox, node, exc.code, exc.message, exc.ref or ref)
        if exc.close is not None:
            outbox.close(exc.close, exc.message[:100])
        elif exc.code in (ErrorCode.FORBIDDEN, ErrorCode.HELLO_REQUIRED) and edge.violation():
            outbox.close(CloseCode.POLICY_VIOLATION, "too many forbidden frames")
    elif isinstance(exc, BrokerUnavailable):
        _error(
            outbox,
            node,
            ErrorCode.UNAVAILABLE,
            "the service is briefly unavailable; nothing was lost, please retry",
            ref,
        )
    else:
        log.error("handler_failed", ref=ref, exc_info=exc)
        _error(
            outbox, node, ErrorCode.INTERNAL, "the server hit a problem; it has been logged", ref
        )


async def _await_hello(
    ws: ServerConnection, node: Node, outbox: SocketOutbox, edge: _Edge, log: Any, peer: Peer
) -> Attached | None:
    """Read frames until a valid ``hello`` is welcomed, within ``server.hello_timeout_s``."""
    deadline = time.monotonic() + node.config.server.hello_timeout_s
    while not outbox.closing:
        remaining = deadline - time.monotonic()
        try:
            async with asyncio.timeout(max(0.0, remaining)):
                data = await ws.recv()
        except TimeoutError:
            _error(outbox, node, ErrorCode.HELLO_REQUIRED, "no hello within the time allowed", None)
            outbox.close(CloseCode.POLICY_VIOLATION, "no hello")
            return None
        ref = None
        try:
            frame = _decode(data, node)
            ref = frame.TYPE
            if not isinstance(frame, protocol.Hello):
                raise ClientError(
                    ErrorCode.HELLO_REQUIRED, f"{frame.TYPE}: send hello first", ref=frame.TYPE
                )
            if not node.addresses.hello(peer.address):
                node.metrics.limited.labels("hellos").inc()
                raise ClientError(
                    ErrorCode.RATE_LIMITED,
                    "hello: too many new connections from your network; wait a minute",
                    ref="hello",
                    close=CloseCode.TRY_AGAIN_LATER,
                )
            return await node.welcome(outbox, frame, log, peer)
        except Exception as exc:
            _answer(exc, node, outbox, edge, log, ref)
    return None


async def _read_loop(
    ws: ServerConnection, node: Node, outbox: SocketOutbox, edge: _Edge, attached: Attached
) -> None:
    log = attached.log
    async for data in ws:
        if outbox.closing:
            return
        ref = None
        try:
            now = time.monotonic()
            if not edge.frames.take(now):
                node.metrics.limited.labels("frames").inc()
                raise ClientError(
                    ErrorCode.RATE_LIMITED,
                    f"too many frames; wait {edge.frames.retry_after():.1f} s",
                )
            frame = _decode(data, node)
            ref = frame.TYPE
            if isinstance(frame, protocol.Send) and not edge.messages.take(now):
                node.metrics.limited.labels("messages").inc()
                raise ClientError(
                    ErrorCode.RATE_LIMITED,
                    f"send: too many messages; wait {edge.messages.retry_after():.1f} s "
                    "and send it again",
                    ref="send",
                )
            await node.handle(attached, frame)
        except Exception as exc:
            _answer(exc, node, outbox, edge, log, ref)
