"""How a node serves the pages and ``/stats``: types, caching, CSP, 404s, and who may see stats.

Plain HTTP, no browser: these pin the headers the browser tests rely on.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from email.message import Message

import pytest

from chatserver.metrics import Metrics
from chatserver.pages import PAGE_ROUTES, Pages
from chatserver.server import ChatServer
from chatserver.stats import snapshot
from chatserver.types import Role
from tests.support.cast import listener_token

pytestmark = pytest.mark.browser


def _fetch(url: str, headers: dict[str, str]) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


async def fetch(server: ChatServer, path: str, **headers: str) -> tuple[int, Message, bytes]:
    """(status, headers, body) of a GET; HTTP errors are returned, not raised."""
    url = f"http://127.0.0.1:{server.port}{path}"
    return await asyncio.to_thread(
        _fetch, url, {k.replace("_", "-"): v for k, v in headers.items()}
    )


async def test_pages_are_html_with_a_strict_content_security_policy(server: ChatServer) -> None:
    for path in ("/", "/listener", "/dashboard"):
        status, headers, body = await fetch(server, path)
        assert status == 200, path
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-cache"
        csp = headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert "script-src 'self';" in csp
        assert (
            f"connect-src 'self' ws://127.0.0.1:{server.port} wss://127.0.0.1:{server.port};" in csp
        )
        assert "frame-ancestors 'none'" in csp
        assert b"<!doctype html>" in body


async def test_scripts_and_styles_can_be_loaded_by_host_sites(server: ChatServer) -> None:
    for path, kind in [
        ("/widget.js", "text/javascript; charset=utf-8"),
        ("/static/widget-app.js", "text/javascript; charset=utf-8"),
        ("/static/msgpack.js", "text/javascript; charset=utf-8"),
        ("/static/widget.css", "text/css; charset=utf-8"),
        ("/static/icon.svg", "image/svg+xml"),
    ]:
        status, headers, _ = await fetch(server, path)
        assert (status, headers["Content-Type"]) == (200, kind), path
        assert headers["Access-Control-Allow-Origin"] == "*", path
        assert headers["X-Content-Type-Options"] == "nosniff", path


async def test_a_host_header_that_is_not_a_host_stays_out_of_the_policy(server: ChatServer) -> None:
    _, headers, _ = await fetch(server, "/", Host="evil; script-src *")
    assert "connect-src 'self';" in headers["Content-Security-Policy"]


async def test_anything_else_is_404(server: ChatServer) -> None:
    for path in (
        "/nope",
        "/static/",
        "/static/nope.js",
        "/static/../pages.py",
        "/static/%2e%2e/pages.py",
        "/static/index.html",
        "/listener/",
        "/widget.js/x",
    ):
        status, _, _ = await fetch(server, path)
        assert status == 404, path


async def test_a_page_seen_before_is_revalidated_with_its_etag(server: ChatServer) -> None:
    _, headers, _ = await fetch(server, "/static/protocol.js")
    etag = headers["ETag"]
    status, again, body = await fetch(server, "/static/protocol.js", If_None_Match=etag)
    assert (status, body, again["ETag"]) == (304, b"", etag)
    status, _, _ = await fetch(server, "/static/protocol.js", If_None_Match='"other"')
    assert status == 200


def test_every_page_route_has_its_file_in_the_package() -> None:
    pages = Pages()
    for path, name in PAGE_ROUTES.items():
        asset = pages.find(path)
        assert asset is not None and asset.name == name


async def test_stats_without_a_token_is_401(server: ChatServer) -> None:
    status, headers, body = await fetch(server, "/stats")
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(body)["error"] == "unauthorized"
    assert (await fetch(server, "/stats", Authorization="Bearer not-a-token"))[0] == 401
    expired = listener_token("Alex", role=Role.SUPERVISOR, ttl_s=-3600)
    assert (await fetch(server, "/stats", Authorization=f"Bearer {expired}"))[0] == 401


async def test_stats_with_a_listener_token_is_403(server: ChatServer) -> None:
    token = listener_token("Sam")
    status, _, body = await fetch(server, "/stats", Authorization=f"Bearer {token}")
    assert status == 403
    assert json.loads(body)["error"] == "forbidden"


async def test_stats_with_a_supervisor_token_mirrors_metrics(server: ChatServer) -> None:
    token = listener_token("Alex", role=Role.SUPERVISOR)
    status, headers, body = await fetch(server, "/stats", Authorization=f"Bearer {token}")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    stats = json.loads(body)
    assert stats["v"] == 1 and stats["node"] == server.node_id and stats["ts"] > 0
    metrics = stats["metrics"]
    assert metrics["chat_queue_length"]["type"] == "gauge"
    assert metrics["chat_queue_length"]["values"]["topic=none"] == 0
    assert metrics["chat_sessions_active"]["values"] == {"": 0}
    assert metrics["chat_sessions_ended_total"]["values"]["reason=idle"] == 0
    assert set(metrics["chat_listeners"]["values"]) == {
        "state=available",
        "state=busy",
        "state=away",
    }
    wait = metrics["chat_wait_seconds"]["values"][""]
    assert list(wait["buckets"])[:3] == ["1", "5", "15"] and list(wait["buckets"])[-1] == "+Inf"


def test_stats_snapshot_has_every_family_of_the_registry() -> None:
    metrics = Metrics(["anxiety"])
    metrics.sessions_ended.labels("idle").inc(2)
    metrics.wait_seconds.observe(3)
    metrics.wait_seconds.observe(40)
    metrics.queue_length.labels("anxiety").set(4)
    out = snapshot(metrics.registry)
    names = {
        family.name + ("_total" if family.type == "counter" else "")
        for family in metrics.registry.collect()
    }
    assert set(out) == names
    assert out["chat_sessions_ended_total"]["values"]["reason=idle"] == 2
    assert out["chat_queue_length"]["values"]["topic=anxiety"] == 4
    wait = out["chat_wait_seconds"]["values"][""]
    assert (wait["count"], wait["sum"]) == (2, 43)
    assert (wait["buckets"]["1"], wait["buckets"]["5"], wait["buckets"]["60"]) == (0, 1, 2)
    assert wait["buckets"]["+Inf"] == 2
