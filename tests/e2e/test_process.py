"""The real program: ``python -m chatserver``, its signals, exit codes and output."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import jwt
import pytest

import protocol
from tests.support.cast import SECRET, Cast
from tests.support.http import get
from tests.support.processes import ServerProcess, to_toml

INTRO = "intro-words-that-must-not-be-logged"
SAID = "said-words-that-must-not-be-logged"


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    process = await ServerProcess(tmp_path, "node", {}).start()
    yield process
    await process.stop()


async def test_sigterm_tells_everyone_their_session_ended_and_exits_0(
    node: ServerProcess,
) -> None:
    cast = Cast(node.url)
    seeker, listener, session = await cast.pair()
    waiting = await cast.seeker()
    waiting_session = await cast.request(waiting)
    node.signal(signal.SIGTERM)
    for client, sid in ((seeker, session), (listener, session), (waiting, waiting_session)):
        ended = await client.expect(protocol.Ended)
        assert (ended.session, ended.reason) == (sid, "server_shutdown")
        assert await client.closed() in (1000, 1001)
    assert await node.wait() == 0
    assert "server_stopped" in node.output()


async def test_sigint_also_stops_cleanly(node: ServerProcess) -> None:
    node.signal(signal.SIGINT)
    assert await node.wait() == 0


async def test_healthz_and_metrics_answer_over_http(node: ServerProcess) -> None:
    assert (await get(f"http://{node.http}/healthz"))[0] == 200
    status, _, body = await get(f"http://{node.http}/metrics")
    assert status == 200 and "chat_queue_length" in body


async def test_output_has_events_but_no_words_and_no_client_address(
    node: ServerProcess,
) -> None:
    cast = Cast(node.url)
    seeker, listener, session = await cast.pair(intro=INTRO)
    ports = {str(client.ws.local_address[1]) for client in (seeker, listener)}
    await seeker.send(protocol.Send(session=session, text=SAID, id="1"))
    await listener.expect(protocol.Message)
    await seeker.expect(protocol.Sent)
    await seeker.send_raw(b"\xc1")
    await seeker.expect_error("bad_frame")
    await seeker.send(protocol.End(session=session))
    await listener.expect(protocol.Ended)
    await cast.close_all()
    assert await node.stop() == 0
    output = node.output()
    events = [json.loads(line) for line in node.stderr if line.startswith("{")]
    names = {event["event"] for event in events}
    assert {"server_started", "client_welcomed", "session_matched", "session_ended"} <= names
    assert INTRO not in output and SAID not in output
    for port in ports:
        assert f"127.0.0.1:{port}" not in output and f"'127.0.0.1', {port}" not in output
    assert all("peer" in e for e in events if e["event"] == "client_welcomed")


async def test_bad_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(to_toml({"session": {"idle_timeout_s": -5}}))
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "chatserver", "serve", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "session.idle_timeout_s" in result.stderr
    assert "-5" in result.stderr


async def test_token_command_prints_a_token_the_server_accepts(
    node: ServerProcess, tmp_path: Path
) -> None:
    config = tmp_path / "token.toml"
    config.write_text(to_toml({"auth": {"secret": SECRET}}))
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "chatserver", "token", "--config", str(config),
         "--name", "Robin", "--topics", "anxiety,grief", "--role", "supervisor", "--ttl", "2h"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["name"] == "Robin"
    assert claims["topics"] == ["anxiety", "grief"]
    assert claims["role"] == "supervisor"
    assert 7100 <= claims["exp"] - claims["iat"] <= 7200
    cast = Cast(node.url)
    client = await cast.connect()
    welcome = await client.hello_listener(token)
    assert (welcome.role, welcome.handle) == ("supervisor", "Robin")
    await cast.close_all()
