"""Fixtures shared by every test: real servers (in this process), people, brokers.

Servers run in the test's event loop on a free port and are stopped at the
end of the test. The ``broker_kind`` fixture runs each behaviour test once
per broker.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from chatserver.config import Config, load_config
from chatserver.server import ChatServer
from tests.support.cast import SECRET, Cast
from tests.support.leftovers import redis_dump
from tests.support.redis_server import RedisServer

StartServer = Callable[..., Awaitable[ChatServer]]

BROKERS = ["memory", "redis"]


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One throwaway redis-server for the whole run (each test uses its own key prefix)."""
    server = RedisServer().start()
    yield server
    server.close()


def make_config(
    broker_kind: str = "memory", redis_url: str | None = None, **sections: dict[str, Any]
) -> Config:
    """A test config: free port, the test secret, fast queue notices, then overrides."""
    base: dict[str, dict[str, Any]] = {
        "server": {"port": 0},
        "auth": {"secret": SECRET},
        "broker": {"kind": broker_kind},
        "queue": {"update_interval_ms": 20},
        "logging": {"format": "json"},
        # every test client comes from 127.0.0.1: per-address limits are tested on their own
        "limits": {"hellos_per_minute": 100_000, "max_connections_per_address": 100_000},
    }
    if broker_kind == "redis":
        assert redis_url is not None, "a redis test needs the redis_server fixture"
        base["redis"] = {"url": redis_url, "prefix": f"t{secrets.token_hex(4)}"}
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    return load_config(env={}).replace(**base)


@pytest.fixture(params=BROKERS)
def broker_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def redis_url(request: pytest.FixtureRequest, broker_kind: str) -> str | None:
    """The test Redis's URL when this test runs on the Redis broker (started on first use)."""
    if broker_kind != "redis":
        return None
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url


@pytest.fixture
async def start_server(broker_kind: str, redis_url: str | None) -> AsyncIterator[StartServer]:
    servers: list[ChatServer] = []
    prefix = f"t{secrets.token_hex(4)}"

    async def start(**sections: dict[str, Any]) -> ChatServer:
        if redis_url is not None:
            sections.setdefault("redis", {}).setdefault("prefix", prefix)
        server = ChatServer(make_config(broker_kind, redis_url, **sections))
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()
    if redis_url is not None and servers:
        # every node stopped with nowhere to send people: nothing of any session may remain
        left = [k for k in await redis_dump(redis_url) if k.startswith(f"{prefix}:s:".encode())]
        assert left == [], f"session keys left behind: {left}"


@pytest.fixture
async def server(start_server: StartServer) -> ChatServer:
    return await start_server()


@pytest.fixture
async def cast(server: ChatServer) -> AsyncIterator[Cast]:
    people = Cast(server.url)
    yield people
    await people.close_all()
