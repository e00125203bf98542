"""Limits against floods and abuse, origins, client addresses behind proxies, and TLS."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

import protocol
from chatserver.server import ChatServer
from tests.conftest import StartServer
from tests.support.cast import Cast, listener_token
from tests.support.http import metric, metrics
from tests.support.wire import WireClient


def http(server: ChatServer) -> str:
    return f"127.0.0.1:{server.port}"


async def limited(server: ChatServer, limit: str) -> float:
    return metric(await metrics(http(server)), "chat_limited_total", limit=limit)


async def test_too_many_messages_answer_rate_limited_and_count(start_server: StartServer) -> None:
    server = await start_server(limits={"messages_per_s": 1.0, "message_burst": 2})
    cast = Cast(server.url)
    try:
        seeker, _, session = await cast.pair()
        for i in range(3):
            await seeker.send(protocol.Send(session=session, text=f"m{i}", id=str(i)))
        await seeker.expect(protocol.Sent)
        await seeker.expect(protocol.Sent)
        assert "wait" in (await seeker.expect_error("rate_limited")).message
        assert await limited(server, "messages") == 1
    finally:
        await cast.close_all()


async def test_too_many_frames_answer_rate_limited_and_count(start_server: StartServer) -> None:
    server = await start_server(limits={"frames_per_s": 1.0, "frames_burst": 3})
    cast = Cast(server.url)
    try:
        seeker = await cast.seeker()
        for _ in range(4):
            await seeker.send(protocol.ResourcesRequest())
        for _ in range(3):
            await seeker.expect(protocol.Resources)
        await seeker.expect_error("rate_limited")
        assert await limited(server, "frames") == 1
    finally:
        await cast.close_all()


async def test_too_many_connections_from_one_address_are_refused_with_a_reason(
    start_server: StartServer,
) -> None:
    server = await start_server(limits={"max_connections_per_address": 2})
    cast = Cast(server.url)
    try:
        await cast.seeker()
        await cast.seeker()
        third = await cast.connect()
        error = await third.expect_error("rate_limited")
        assert "connections" in error.message
        assert await third.closed() == 1013
        assert await limited(server, "connections") == 1
    finally:
        await cast.close_all()


async def test_too_many_hellos_a_minute_from_one_address_are_refused(
    start_server: StartServer,
) -> None:
    server = await start_server(limits={"hellos_per_minute": 8})  # a burst of 2
    cast = Cast(server.url)
    try:
        await cast.seeker()
        await cast.seeker()
        late = await cast.connect()
        await late.send(protocol.Hello(v=1, role="seeker"))
        assert (await late.expect_error("rate_limited")).ref == "hello"
        assert await late.closed() == 1013
        assert await limited(server, "hellos") == 1
    finally:
        await cast.close_all()


async def test_a_full_queue_refuses_with_helplines_but_never_someone_at_risk(
    start_server: StartServer,
) -> None:
    server = await start_server(queue={"max_waiting": 1, "update_interval_ms": 20})
    cast = Cast(server.url)
    try:
        await cast.request(await cast.seeker())
        await asyncio.sleep(0.3)  # the queue count is refreshed by the next pass
        turned_away = await cast.seeker()
        await turned_away.send(protocol.Request())
        assert (await turned_away.expect(protocol.Resources)).reason == "queue_full"
        assert (await turned_away.expect_error("queue_full")).ref == "request"
        assert await limited(server, "queue_full") == 1
        at_risk = await cast.seeker()
        await at_risk.send(protocol.Request(intro="I want to end my life"))
        await at_risk.expect(protocol.Queued)
    finally:
        await cast.close_all()


async def test_forwarded_addresses_are_believed_only_from_trusted_proxies(
    start_server: StartServer,
) -> None:
    server = await start_server(
        server={"trusted_proxies": ["127.0.0.1"]},
        limits={"max_connections_per_address": 1},
    )
    clients: list[WireClient] = []
    try:
        for address in ("203.0.113.1", "203.0.113.2"):
            client = await WireClient.connect(
                server.url, additional_headers={"X-Forwarded-For": address}
            )
            clients.append(client)
            await client.hello_seeker()
        same = await WireClient.connect(
            server.url, additional_headers={"X-Forwarded-For": "198.51.100.9, 203.0.113.1"}
        )
        clients.append(same)
        await same.expect_error("rate_limited")
    finally:
        for client in clients:
            await client.close()


async def test_origins_outside_the_allowlist_are_refused(start_server: StartServer) -> None:
    server = await start_server(
        server={"allowed_origins": ["https://charity.example"],
                "staff_origins": ["https://console.example"]},
    )  # fmt: skip
    with pytest.raises(InvalidStatus) as refused:
        await connect(server.url, origin="https://evil.example")  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403
    seeker = WireClient(await connect(server.url, origin="https://charity.example"))  # type: ignore[arg-type]
    await seeker.hello_seeker()
    app = await WireClient.connect(server.url)  # no Origin: not a browser page
    await app.hello_seeker()
    own = f"http://127.0.0.1:{server.port}"  # the server's own pages (/, /listener)
    own_page = WireClient(await connect(server.url, origin=own))  # type: ignore[arg-type]
    await own_page.hello_seeker()
    await own_page.close()
    listener = WireClient(await connect(server.url, origin="https://charity.example"))  # type: ignore[arg-type]
    await listener.send(protocol.Hello(v=1, role="listener", token=listener_token()))
    await listener.expect_error("unauthorized")
    staff = WireClient(await connect(server.url, origin="https://console.example"))  # type: ignore[arg-type]
    await staff.hello_listener(listener_token())
    for client in (seeker, app, listener, staff):
        await client.close()


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_wss_with_a_certificate(start_server: StartServer, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server = await start_server(server={"tls": {"cert": str(cert), "key": str(key)}})
    assert server.url.startswith("wss://")
    context = ssl.create_default_context(cafile=str(cert))
    client = WireClient(await connect(server.url, ssl=context))
    welcome = await client.hello_seeker()
    assert welcome.role == "seeker"
    await client.close()
