"""Every way a session ends tells both sides, and leaves nothing of it behind."""

from __future__ import annotations

import asyncio

import protocol
from tests.conftest import StartServer
from tests.support.cast import Cast
from tests.support.wire import NOISE


async def test_seeker_ending_ends_it_for_both(cast: Cast) -> None:
    seeker, listener, session = await cast.pair()
    await seeker.send(protocol.End(session=session, reason="done"))
    assert (await seeker.expect(protocol.Ended)).reason == "seeker_ended"
    ended = await listener.expect(protocol.Ended)
    assert (ended.session, ended.reason) == (session, "seeker_ended")


async def test_listener_ending_ends_it_for_both(cast: Cast) -> None:
    seeker, listener, session = await cast.pair()
    await listener.send(protocol.End(session=session))
    assert (await seeker.expect(protocol.Ended)).reason == "listener_ended"
    assert (await listener.expect(protocol.Ended)).reason == "listener_ended"


async def test_seeker_can_leave_the_queue(cast: Cast) -> None:
    seeker = await cast.seeker()
    session = await cast.request(seeker)
    await seeker.send(protocol.End(session=session))
    ended = await seeker.expect(protocol.Ended)
    assert (ended.session, ended.reason) == (session, "left_queue")


async def test_seeker_disconnecting_is_held_then_ends_after_the_grace_window(
    start_server: StartServer,
) -> None:
    server = await start_server(session={"resume_grace_s": 0.5})
    cast = Cast(server.url)
    try:
        seeker, listener, session = await cast.pair()
        await seeker.close()
        assert (await listener.expect(protocol.PeerAway)).session == session
        await listener.nothing(0.2, skip=frozenset({"queue"}))
        ended = await listener.expect(protocol.Ended, timeout=3)
        assert (ended.session, ended.reason) == (session, "disconnected")
    finally:
        await cast.close_all()


async def test_listener_disconnecting_is_held_then_ends_after_the_grace_window(
    start_server: StartServer,
) -> None:
    server = await start_server(session={"resume_grace_s": 0.5})
    cast = Cast(server.url)
    try:
        seeker, listener, session = await cast.pair()
        await listener.close()
        assert (await seeker.expect(protocol.PeerAway)).session == session
        ended = await seeker.expect(protocol.Ended, timeout=3)
        assert (ended.session, ended.reason) == (session, "disconnected")
    finally:
        await cast.close_all()


async def test_without_a_grace_window_a_disconnect_ends_it_at_once(
    start_server: StartServer,
) -> None:
    server = await start_server(session={"resume_grace_s": 0})
    cast = Cast(server.url)
    try:
        seeker, listener, session = await cast.pair()
        await seeker.close()
        ended = await listener.expect(protocol.Ended, skip=NOISE | {"peer_away"})
        assert (ended.session, ended.reason) == (session, "disconnected")
    finally:
        await cast.close_all()


async def test_idle_session_ends_after_the_idle_timeout(start_server: StartServer) -> None:
    server = await start_server(session={"idle_timeout_s": 0.4})
    cast = Cast(server.url)
    try:
        seeker, listener, session = await cast.pair()
        await seeker.send(protocol.Send(session=session, text="hello", id="1"))
        await seeker.expect(protocol.Sent)
        await listener.expect(protocol.Message)
        assert (await seeker.expect(protocol.Ended, timeout=3)).reason == "idle"
        assert (await listener.expect(protocol.Ended, timeout=3)).reason == "idle"
    finally:
        await cast.close_all()


async def test_messages_keep_a_session_from_going_idle(start_server: StartServer) -> None:
    server = await start_server(session={"idle_timeout_s": 0.6})
    cast = Cast(server.url)
    try:
        seeker, listener, session = await cast.pair()
        for i in range(6):
            await asyncio.sleep(0.2)
            await seeker.send(protocol.Send(session=session, text=f"still here {i}", id=str(i)))
            await seeker.expect(protocol.Sent)
            await listener.expect(protocol.Message)
        await seeker.expect(protocol.Ended, timeout=3)
    finally:
        await cast.close_all()


async def test_ending_twice_says_the_session_is_over(cast: Cast) -> None:
    seeker, listener, session = await cast.pair()
    await seeker.send(protocol.End(session=session))
    await seeker.expect(protocol.Ended)
    await seeker.send(protocol.End(session=session))
    await seeker.expect_error("not_in_session")
    await listener.expect(protocol.Ended)
    await listener.send(protocol.Send(session=session, text="wait", id="late"))
    await listener.expect_error("not_in_session")


async def test_seeker_can_ask_again_after_an_ended_session(cast: Cast) -> None:
    seeker, listener, session = await cast.pair()
    await listener.send(protocol.End(session=session))
    await seeker.expect(protocol.Ended)
    await listener.expect(protocol.Ended)
    again = await cast.request(seeker)
    assert again != session
    assert (await listener.expect(protocol.Matched)).session == again


async def test_listener_is_free_for_the_next_seeker_after_an_end(cast: Cast) -> None:
    seeker, listener, session = await cast.pair()
    waiting = await cast.seeker()
    next_session = await cast.request(waiting)
    await listener.nothing(0.2)
    await seeker.send(protocol.End(session=session))
    await listener.expect(protocol.Ended)
    assert (await listener.expect(protocol.Matched)).session == next_session


async def test_feedback_after_the_end_is_accepted_once(cast: Cast) -> None:
    seeker, listener, session = await cast.pair()
    await listener.send(protocol.End(session=session))
    await seeker.expect(protocol.Ended)
    await seeker.send(protocol.Feedback(session=session, score=5))
    await seeker.nothing(0.2)
    await seeker.send(protocol.Feedback(session=session, score=4))
    assert (await seeker.expect_error("conflict")).ref == "feedback"


async def test_feedback_before_the_end_is_refused(cast: Cast) -> None:
    seeker, _, session = await cast.pair()
    await seeker.send(protocol.Feedback(session=session, score=3))
    await seeker.expect_error("not_in_session")


async def test_feedback_after_only_waiting_is_refused(cast: Cast) -> None:
    seeker = await cast.seeker()
    session = await cast.request(seeker)
    await seeker.send(protocol.End(session=session))
    await seeker.expect(protocol.Ended)
    await seeker.send(protocol.Feedback(session=session, score=3))
    await seeker.expect_error("conflict")


async def test_report_is_accepted_during_and_after_a_session(cast: Cast) -> None:
    seeker, listener, session = await cast.pair()
    await listener.send(protocol.Report(session=session, reason="abuse"))
    await listener.nothing(0.2)
    await seeker.send(protocol.End(session=session))
    await seeker.expect(protocol.Ended)
    await seeker.send(protocol.Report(session=session, reason="harassment"))
    await seeker.nothing(0.2)
