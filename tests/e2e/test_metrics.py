"""Operators see what happened: metric values after a scripted scenario."""

from __future__ import annotations

import asyncio

import protocol
from chatserver.server import ChatServer
from tests.conftest import StartServer
from tests.support.cast import Cast
from tests.support.http import metric, metrics
from tests.support.wire import NOISE


async def settle() -> None:
    """Let the matchmaker refresh its gauges (it runs on change and at least once a second)."""
    await asyncio.sleep(0.3)


async def test_metrics_follow_a_scripted_scenario(start_server: StartServer) -> None:
    server = await start_server(session={"resume_grace_s": 0})
    cast = Cast(server.url)
    http = f"127.0.0.1:{server.port}"
    # two conversations, one with a message each way and then ended by the seeker
    seeker_a, listener_a, session_a = await cast.pair(["anxiety"], name="Ann")
    seeker_b, listener_b, session_b = await cast.pair(["grief"], name="Bob")
    await seeker_a.send(protocol.Send(session=session_a, text="hello", id="1"))
    await listener_a.expect(protocol.Message)
    await seeker_a.expect(protocol.Sent)
    await listener_a.send(protocol.Send(session=session_a, text="hi there", id="2"))
    await seeker_a.expect(protocol.Message)
    await listener_a.expect(protocol.Sent)
    await seeker_a.send(protocol.End(session=session_a))
    await listener_a.expect(protocol.Ended)
    # two seekers waiting: one for anxiety, one with no topic
    waiting_1, waiting_2 = await cast.seeker(), await cast.seeker()
    await listener_a.send(protocol.Away())
    await settle()
    await cast.request(waiting_1, ["anxiety"])
    await cast.request(waiting_2)
    # a bad frame
    await waiting_2.send_raw(b"\xc1")
    await waiting_2.expect_error("bad_frame")
    await settle()

    samples = await metrics(http)
    assert metric(samples, "chat_queue_length", topic="anxiety") == 1
    assert metric(samples, "chat_queue_length", topic="none") == 1
    assert metric(samples, "chat_queue_length", topic="grief") == 0
    assert metric(samples, "chat_sessions_active") == 1
    assert metric(samples, "chat_listeners", state="away") == 1
    assert metric(samples, "chat_listeners", state="busy") == 1
    assert metric(samples, "chat_listeners", state="available") == 0
    assert metric(samples, "chat_messages_relayed_total") == 2
    assert metric(samples, "chat_sessions_ended_total", reason="seeker_ended") == 1
    assert metric(samples, "chat_wait_seconds_count") == 2
    assert metric(samples, "chat_connections", role="seeker") == 4
    assert metric(samples, "chat_connections", role="listener") == 2
    assert metric(samples, "chat_errors_total", code="bad_frame") == 1

    await listener_b.close()
    await seeker_b.expect(protocol.Ended, skip=NOISE | {"peer_away"})
    await settle()
    samples = await metrics(http)
    assert metric(samples, "chat_sessions_ended_total", reason="disconnected") == 1
    assert metric(samples, "chat_sessions_active") == 0
    assert metric(samples, "chat_connections", role="listener") == 1
    await cast.close_all()


async def test_feedback_is_counted_by_score_only(server: ChatServer, cast: Cast) -> None:
    seeker, listener, session = await cast.pair()
    await listener.send(protocol.End(session=session))
    await seeker.expect(protocol.Ended)
    await seeker.send(protocol.Feedback(session=session, score=4))
    await seeker.nothing(0.2)
    samples = await metrics(f"127.0.0.1:{server.port}")
    assert metric(samples, "chat_feedback_total", score="4") == 1
    assert sum(metric(samples, "chat_feedback_total", score=str(s)) for s in range(1, 6)) == 1
