"""Serve a node: the WebSocket server, its HTTP routes, signals and shutdown.

``ChatServer`` wires config -> broker -> node -> sockets and owns their
lifetimes. Shutdown (SIGTERM/SIGINT or :meth:`ChatServer.stop`) stops
accepting, ends this node's sessions with ``server_shutdown`` so every
person is told, lets each outbox flush and closes the sockets, then exits
cleanly.
"""

from __future__ import annotations

import asyncio
import signal
import ssl
from collections.abc import Callable

from websockets.asyncio.server import Server, ServerConnection, serve

from .broker import create_broker
from .config import Config
from .connection import serve_connection
from .errors import BrokerError
from .logs import get_logger
from .metrics import Metrics
from .node import Node
from .routes import WS_PATH, Routes
from .types import NodeId, new_node_id

__all__ = ["ChatServer"]


class ChatServer:
    """One node: start it, read its ``port``, stop it."""

    def __init__(self, config: Config, *, node_id: NodeId | None = None) -> None:
        self.config = config
        self.node_id = node_id or new_node_id()
        self.metrics = Metrics(config.routing.topics)
        self.node = Node(config, create_broker(config, self.node_id), self.metrics)
        self.log = get_logger("chatserver.server").bind(node=self.node_id)
        self._server: Server | None = None
        self._accepting = False
        self._stopped = asyncio.Event()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        scheme = "wss" if self.config.server.tls.cert else "ws"
        return f"{scheme}://{self.config.server.host}:{self.port}{WS_PATH}"

    def _tls(self) -> ssl.SSLContext | None:
        tls = self.config.server.tls
        if not tls.cert:
            return None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls.cert, tls.key)
        return context

    async def start(self) -> None:
        """Connect the broker, start background work, and listen."""
        await self.node.start()
        server_cfg = self.config.server
        routes = Routes(self.node, lambda: self._accepting)

        async def handler(ws: ServerConnection) -> None:
            await serve_connection(ws, self.node)

        self._server = await serve(
            handler,
            server_cfg.host,
            server_cfg.port,
            ssl=self._tls(),
            process_request=routes.process_request,
            # Frames a little over the limit get a friendly too_large error from us;
            # far over it, websockets itself closes with 1009 before buffering them.
            max_size=server_cfg.max_frame_bytes * 4,
            compression="deflate" if server_cfg.compression else None,
            ping_interval=server_cfg.ping_interval_s,
            ping_timeout=server_cfg.ping_interval_s,
            server_header=None,
        )
        self._accepting = True
        if not server_cfg.allowed_origins:
            self.log.warning("origins_unrestricted")  # any web page may embed the widget
        self.log.info(
            "server_started",
            url=self.url,
            broker=self.config.broker.kind,
            routing=self.config.routing.mode,
        )

    async def stop(self) -> None:
        """Stop accepting, tell everyone their sessions ended, close, release the broker."""
        if self._server is None or not self._accepting:
            return
        self._accepting = False
        self.log.info("server_stopping", connections=len(self.node.hub))
        self._server.close(close_connections=False)
        drain = await self._can_drain()
        try:
            if drain:
                await self.node.drain(self.config.server.drain_timeout_s)
            else:
                await self.node.shutdown()
        except Exception:
            self.log.exception("shutdown_sessions_failed")
        try:
            async with asyncio.timeout(5):
                await self._server.wait_closed()
        except TimeoutError:
            self._server.close(close_connections=True)
            await self._server.wait_closed()
        if not drain:
            # after every connection handler has finished, so nobody is in between
            try:
                await self.node.release_away()
            except Exception:
                self.log.exception("release_away_failed")
        await self.node.stop()
        self.log.info("server_stopped")
        self._stopped.set()

    async def _can_drain(self) -> bool:
        """Other live nodes can take this node's clients, and sessions survive a drop."""
        if self.config.session.resume_grace_s <= 0:
            return False
        try:
            return await self.node.broker.has_peers()
        except BrokerError:
            return False

    async def run(self, on_started: Callable[[ChatServer], None] | None = None) -> None:
        """Start, serve until SIGTERM or SIGINT, then stop cleanly."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await self.start()
        if on_started is not None:
            on_started(self)
        try:
            await stop.wait()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            await self.stop()
