"""The socket shell: one WebSocket connection, read, decoded, handed to the node.

Everything here is I/O and policy at the edge: binary frames only, size and
rate limits, the ``hello`` deadline, turning every error into an ``error``
frame with a stable code, and closing for repeated violations. Frames are
written as they are pushed; nothing ever awaits this socket but its own
reader and closer, and a client that stops reading is disconnected when
what waits for it passes ``server.outbox_max_bytes`` (it can resume).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

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
    """Writes one socket's frames in order, at once, without ever waiting for the client.

    A frame is handed to websockets' Sans-I/O protocol and written to the
    transport in ``push`` itself: no task is woken per frame and nobody ever
    awaits this socket (a sender relaying to a stalled peer is never held up).
    What the kernel cannot take stays in the transport's buffer; when that
    passes ``server.outbox_max_bytes`` the client has stopped reading, and the
    connection is cut (its sessions are held, so it can resume). Closing is
    the only thing that awaits, in a task started by :meth:`close`.
    """

    __slots__ = ("_close", "_closer", "_log", "_max_bytes", "_on_overflow", "_ws")

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
        self._close: tuple[CloseCode, str] | None = None
        self._closer: asyncio.Task[None] | None = None

    @property
    def closing(self) -> bool:
        return self._close is not None

    def push(self, frame: bytes) -> None:
        if self._close is not None:
            return
        ws = self._ws
        if ws.protocol.state is not State.OPEN:
            return  # the socket is closing: nothing more can reach the client
        ws.protocol.send_binary(frame)
        ws.send_data()
        buffered = ws.transport.get_write_buffer_size()
        if buffered > self._max_bytes:
            # The client stopped reading (its socket and ours are full too): cut the
            # connection at once; a close frame could not get through. Its sessions
            # are held, so it can resume and get what it missed.
            self._log.warning("outbox_overflow", queued_bytes=buffered)
            self._on_overflow()
            self._close = (CloseCode.TRY_AGAIN_LATER, "too far behind reading")
            ws.transport.abort()

    def close(self, code: CloseCode, reason: str) -> None:
        """Close the socket after what was pushed (which is already written)."""
        if self._close is None:
            self._close = (code, reason)
            self._closer = asyncio.get_running_loop().create_task(
                self._ws.close(code, reason), name="close"
            )

    async def closed(self, timeout: float) -> None:
        """Wait (up to ``timeout``) for the closing handshake started by :meth:`close`."""
        closer = self._closer
        if closer is None:
            return
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(closer)
        except TimeoutError:
            closer.cancel()
            self._ws.transport.abort()
        except ConnectionClosed:
            pass


class _Edge:
    """Per-connection policy: rate limits and the violation count."""

    __slots__ = ("frames", "max_violations", "messages", "violations", "window")

    def __init__(self, node: Node) -> None:
        limits = node.config.limits
        now = time.monotonic()
        self.frames = TokenBucket(limits.frames_per_s, limits.frames_burst, now)
        self.messages = TokenBucket(limits.messages_per_s, limits.message_burst, now)
        self.violations: list[float] = []  # a few at most; a list is a tenth of a deque
        self.max_violations = limits.max_violations
        self.window = limits.violation_window_s

    def violation(self) -> bool:
        """Count one; True when there have been too many within the window."""
        now = time.monotonic()
        self.violations.append(now)
        self.violations = [t for t in self.violations if t >= now - self.window]
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
        await outbox.closed(node.config.server.hello_timeout_s)


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
