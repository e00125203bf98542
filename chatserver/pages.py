"""The web pages a node serves: the demo page, the widget, the listener console, the dashboard.

They are a few static files in ``chatserver/static/`` (plain HTML, CSS and ES
modules, no build step), served by the chat server itself so that a service
needs no separate front-end server, and so that every page talks only to its
own origin: behind a load balancer each page, its scripts and its WebSocket
reach whichever node, and one node or many behave the same.

The files are read once, when :class:`Pages` is made, through
``importlib.resources`` (they ship as package data). Each answer carries an
``ETag`` (so browsers revalidate cheaply), ``nosniff``, no referrer, and on
HTML a strict Content-Security-Policy: scripts, styles and connections to
this origin only, nothing framed. Scripts and styles also allow any origin to
load them (``Access-Control-Allow-Origin: *``), because ``/widget.js`` runs on
the host sites that embed it and imports its modules from here.
"""

from __future__ import annotations

import hashlib
import http
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

__all__ = ["PAGE_ROUTES", "STATIC_PREFIX", "Asset", "Pages", "load_static"]

PAGE_ROUTES: Mapping[str, str] = {
    "/": "index.html",
    "/listener": "listener.html",
    "/dashboard": "dashboard.html",
    "/widget.js": "widget.js",
}
"""Paths with a name of their own, and the static file each serves."""

STATIC_PREFIX = "/static/"
"""Every other static file (modules, styles, icons) is served under this prefix."""

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}

_HOST_RE = re.compile(r"(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")
"""A Host header we are willing to repeat inside the CSP (anything else is left out)."""


@dataclass(frozen=True, slots=True)
class Asset:
    """One static file, ready to send."""

    name: str
    body: bytes
    content_type: str
    etag: str

    @property
    def is_html(self) -> bool:
        return self.name.endswith(".html")


def load_static() -> dict[str, bytes]:
    """Every file of ``chatserver/static/`` (flat; hidden files skipped), by name."""
    folder = resources.files("chatserver") / "static"
    return {
        entry.name: entry.read_bytes()
        for entry in folder.iterdir()
        if entry.is_file() and not entry.name.startswith(".")
    }


def _asset(name: str, body: bytes) -> Asset:
    suffix = name[name.rfind(".") :] if "." in name else ""
    content_type = _CONTENT_TYPES.get(suffix, "application/octet-stream")
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return Asset(name=name, body=body, content_type=content_type, etag=etag)


def content_security_policy(host: str | None) -> str:
    """The CSP of every page: this origin only (``host`` adds its ws/wss URLs explicitly)."""
    connect = "'self'"
    if host and _HOST_RE.fullmatch(host):
        connect += f" ws://{host} wss://{host}"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


class Pages:
    """Answers GETs for the pages and their files; ``None`` for paths that are not ours.

    Args:
        files: name -> bytes; by default the package's ``static/`` folder.
    """

    def __init__(self, files: Mapping[str, bytes] | None = None) -> None:
        found = load_static() if files is None else files
        self._assets = {name: _asset(name, body) for name, body in found.items()}
        missing = [name for name in PAGE_ROUTES.values() if name not in self._assets]
        if missing:
            raise RuntimeError(f"chatserver/static is missing {', '.join(missing)}")

    def find(self, path: str) -> Asset | None:
        """The asset a request path names (no query string), or ``None``."""
        name = PAGE_ROUTES.get(path)
        if name is None and path.startswith(STATIC_PREFIX):
            name = path[len(STATIC_PREFIX) :]
            if "/" in name or name.endswith(".html"):
                return None  # flat folder; pages only under their own paths
        return self._assets.get(name) if name else None

    def respond(self, path: str, request: Request) -> Response | None:
        """The response for ``path``, or ``None`` when it is not a page or a file of ours."""
        asset = self.find(path)
        if asset is None:
            return None
        headers = Headers(
            [
                ("Content-Type", asset.content_type),
                ("Cache-Control", "no-cache"),
                ("ETag", asset.etag),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "no-referrer"),
            ]
        )
        if asset.is_html:
            headers["Content-Security-Policy"] = content_security_policy(
                request.headers.get("Host")
            )
            headers["X-Frame-Options"] = "DENY"
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        else:
            headers["Access-Control-Allow-Origin"] = "*"
            headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        if asset.etag in _etags(request.headers.get("If-None-Match")):
            status = http.HTTPStatus.NOT_MODIFIED
            return Response(status.value, status.phrase, headers, b"")
        headers["Content-Length"] = str(len(asset.body))
        status = http.HTTPStatus.OK
        return Response(status.value, status.phrase, headers, asset.body)


def _etags(header: str | None) -> set[str]:
    """The entity tags of an ``If-None-Match`` header (weak ones compared as strong)."""
    if not header:
        return set()
    return {tag.strip().removeprefix("W/") for tag in header.split(",")}
