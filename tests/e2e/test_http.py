"""The HTTP side of a node: health, metrics, and what is not there."""

from __future__ import annotations

from chatserver.server import ChatServer
from tests.support.http import get


def base(server: ChatServer) -> str:
    return f"http://127.0.0.1:{server.port}"


async def test_healthz_is_200_when_serving(server: ChatServer) -> None:
    status, _, body = await get(base(server) + "/healthz")
    assert (status, body) == (200, "ok\n")


async def test_metrics_are_prometheus_text(server: ChatServer) -> None:
    status, content_type, body = await get(base(server) + "/metrics")
    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    for name in (
        "chat_queue_length",
        "chat_wait_seconds",
        "chat_sessions_active",
        "chat_listeners",
        "chat_messages_relayed_total",
        "chat_sessions_ended_total",
        "chat_connections",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in body, name


async def test_unknown_path_is_404(server: ChatServer) -> None:
    assert (await get(base(server) + "/nope"))[0] == 404


async def test_plain_get_of_the_socket_path_asks_for_an_upgrade(server: ChatServer) -> None:
    status, _, body = await get(base(server) + "/ws")
    assert status == 426
    assert "WebSocket" in body
