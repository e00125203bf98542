"""Plain HTTP on the WebSocket port: ``/healthz``, ``/metrics``, ``/stats``, the pages, and
the upgrade to ``/ws``.

websockets calls :meth:`Routes.process_request` before its handshake; a
response returned here is sent as plain HTTP, ``None`` lets the upgrade go on.
"""

from __future__ import annotations

import http
from collections.abc import Callable

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from .metrics import CONTENT_TYPE as METRICS_TYPE
from .node import Node
from .pages import Pages
from .stats import stats_response

__all__ = ["WS_PATH", "Routes", "respond"]

WS_PATH = "/ws"


def respond(
    status: http.HTTPStatus, body: bytes | str, content_type: str = "text/plain; charset=utf-8"
) -> Response:
    """A complete HTTP response with the given body and content type."""
    data = body.encode() if isinstance(body, str) else body
    headers = Headers(
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ]
    )
    return Response(status.value, status.phrase, headers, data)


class Routes:
    """The HTTP side of one node."""

    def __init__(self, node: Node, serving: Callable[[], bool], pages: Pages | None = None) -> None:
        self._node = node
        self._serving = serving
        self._pages = pages if pages is not None else Pages()
        server = node.config.server
        self._origins = frozenset(server.allowed_origins) | frozenset(server.staff_origins)
        self._scheme = "https" if server.tls.cert else "http"

    def _origin_allowed(self, request: Request) -> bool:
        """``server.allowed_origins`` (and ``staff_origins``) may open the socket; so may
        this server's own pages (same host), and clients that are not web pages (no Origin).
        An empty allowlist allows any page."""
        origin = request.headers.get("Origin")
        if not self._origins or origin is None or origin in self._origins:
            return True
        host = request.headers.get("Host", "")
        forwarded = request.headers.get("X-Forwarded-Proto", self._scheme)
        return origin in (f"{self._scheme}://{host}", f"{forwarded}://{host}")

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path == WS_PATH:
            if request.headers.get("Upgrade", "").lower() != "websocket":
                return respond(
                    http.HTTPStatus.UPGRADE_REQUIRED, "connect with a WebSocket client to /ws\n"
                )
            if not self._serving():
                return respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "shutting down\n")
            if not self._origin_allowed(request):
                return respond(
                    http.HTTPStatus.FORBIDDEN,
                    "this web page may not open the chat (server.allowed_origins)\n",
                )
            return None
        if path == "/healthz":
            if self._serving() and self._node.healthy:
                return respond(http.HTTPStatus.OK, "ok\n")
            return respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "unavailable\n")
        if path == "/metrics":
            return respond(http.HTTPStatus.OK, self._node.metrics.render(), METRICS_TYPE)
        if path == "/stats":
            node = self._node
            return stats_response(
                request, node.config.auth, node.metrics.registry, node.broker.node_id
            )
        page = self._pages.respond(path, request)
        if page is not None:
            return page
        return respond(http.HTTPStatus.NOT_FOUND, "not found\n")
