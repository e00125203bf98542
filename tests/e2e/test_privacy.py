"""Nothing anyone said survives their conversation, and none of it is ever logged."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
import structlog

import protocol
from chatserver.server import ChatServer
from tests.conftest import StartServer
from tests.support.cast import Cast
from tests.support.leftovers import leftovers
from tests.support.wire import WireClient

INTRO = "intro: I have been feeling low since the exam"
SEEKER_SAYS = "seeker: nobody at home knows how bad it is"
LISTENER_SAYS = "listener: thank you for telling me that"
TEXTS = (INTRO, SEEKER_SAYS, LISTENER_SAYS)


async def converse(cast: Cast) -> tuple[WireClient, WireClient, str]:
    seeker, listener, session = await cast.pair(intro=INTRO)
    await seeker.send(protocol.Send(session=session, text=SEEKER_SAYS, id="s1"))
    await seeker.expect(protocol.Sent)
    await listener.expect(protocol.Message)
    await listener.send(protocol.Send(session=session, text=LISTENER_SAYS, id="l1"))
    await listener.expect(protocol.Sent)
    await seeker.expect(protocol.Message)
    return seeker, listener, session


Ending = Callable[[WireClient, WireClient, str], Awaitable[None]]


async def seeker_ends(seeker: WireClient, listener: WireClient, session: str) -> None:
    await seeker.send(protocol.End(session=session))
    await listener.expect(protocol.Ended)


async def listener_ends(seeker: WireClient, listener: WireClient, session: str) -> None:
    await listener.send(protocol.End(session=session))
    await seeker.expect(protocol.Ended)


async def seeker_drops(seeker: WireClient, listener: WireClient, session: str) -> None:
    await seeker.close()
    await listener.expect(protocol.PeerAway)
    await listener.expect(protocol.Ended, timeout=5)  # after the grace window


async def listener_drops(seeker: WireClient, listener: WireClient, session: str) -> None:
    await listener.close()
    await seeker.expect(protocol.PeerAway)
    await seeker.expect(protocol.Ended, timeout=5)


async def goes_idle(seeker: WireClient, listener: WireClient, session: str) -> None:
    await seeker.expect(protocol.Ended, timeout=5)


ENDINGS: dict[str, Ending] = {
    "seeker ends": seeker_ends,
    "listener ends": listener_ends,
    "seeker drops": seeker_drops,
    "listener drops": listener_drops,
    "idle": goes_idle,
}


@pytest.mark.parametrize("ending", ENDINGS, ids=list(ENDINGS))
async def test_every_way_of_ending_deletes_everything_said(
    start_server: StartServer, ending: str
) -> None:
    server = await start_server(session={"idle_timeout_s": 1.0, "resume_grace_s": 0.4})
    cast = Cast(server.url)
    try:
        seeker, listener, session = await converse(cast)
        assert await leftovers(server, [session], TEXTS) != []  # held while it lives
        await ENDINGS[ending](seeker, listener, session)
        await asyncio.sleep(0.05)
        assert await leftovers(server, [session], TEXTS) == []
    finally:
        await cast.close_all()


async def test_leaving_the_queue_deletes_the_intro(server: ChatServer, cast: Cast) -> None:
    seeker = await cast.seeker()
    session = await cast.request(seeker, intro=INTRO)
    assert await leftovers(server, [session], [INTRO]) != []
    await seeker.send(protocol.End(session=session))
    await seeker.expect(protocol.Ended)
    assert await leftovers(server, [session], [INTRO]) == []


async def test_logs_carry_events_but_never_what_was_said(server: ChatServer, cast: Cast) -> None:
    with structlog.testing.capture_logs() as logs:
        seeker, listener, session = await converse(cast)
        await seeker.send(protocol.Send(session=session, text="x" * 5000, id="too-long"))
        await seeker.expect_error("too_large")
        await seeker_ends(seeker, listener, session)
    events = {entry["event"] for entry in logs}
    assert {"seeker_queued", "session_matched", "session_ended"} <= events
    dump = repr(logs)
    for text in TEXTS:
        assert text not in dump
    assert "x" * 100 not in dump
