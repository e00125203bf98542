"""Plain HTTP on the WebSocket port: ``/healthz``, ``/metrics``, and the upgrade to ``/ws``.

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

    def __init__(self, node: Node, serving: Callable[[], bool]) -> None:
        self._node = node
        self._serving = serving

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if path == WS_PATH:
            if request.headers.get("Upgrade", "").lower() != "websocket":
                return respond(
                    http.HTTPStatus.UPGRADE_REQUIRED, "connect with a WebSocket client to /ws\n"
                )
            if not self._serving():
                return respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "shutting down\n")
            return None
        if path == "/healthz":
            if self._serving() and self._node.healthy:
                return respond(http.HTTPStatus.OK, "ok\n")
            return respond(http.HTTPStatus.SERVICE_UNAVAILABLE, "unavailable\n")
        if path == "/metrics":
            return respond(http.HTTPStatus.OK, self._node.metrics.render(), METRICS_TYPE)
        return respond(http.HTTPStatus.NOT_FOUND, "not found\n")
