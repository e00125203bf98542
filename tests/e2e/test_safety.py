"""Safety and care: crisis triage, supervision, transfer, debrief, reports, blocks, wellbeing."""

from __future__ import annotations

import asyncio

import structlog

import protocol
from chatserver.server import ChatServer
from chatserver.types import Role
from tests.conftest import StartServer
from tests.support.cast import Cast
from tests.support.http import metric, metrics
from tests.support.leftovers import leftovers
from tests.support.wire import NOISE, WireClient

RISKY_INTRO = "I think I want to kill myself tonight"
RISKY_MESSAGE = "sometimes I think about suicide"
NOTE = "private escalation note words"
HANDOVER = "private handover note words"


def http(server: ChatServer) -> str:
    return f"127.0.0.1:{server.port}"


async def supervisor(cast: Cast, name: str = "Ada") -> WireClient:
    return await cast.listener(name, role=Role.SUPERVISOR, ready=False)


async def until_ready(server: ChatServer, name: str, ready: bool = True) -> None:
    """Wait until the server has seen ``name``'s ``ready`` or ``away`` (neither is answered)."""
    for _ in range(100):
        snapshot = await server.node.broker.snapshot()
        if any(slot.name == name and slot.ready is ready for slot in snapshot.listeners):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{name} never became {'ready' if ready else 'away'}")


async def next_of(client: WireClient, kind: type[protocol.Frame], timeout: float = 3) -> object:
    """The next frame of ``kind``, skipping any others (queue and overview noise included)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        frame = await client.recv(max(0.01, deadline - loop.time()))
        if isinstance(frame, kind):
            return frame


# --- crisis triage -------------------------------------------------------------


async def test_a_risk_intro_brings_helplines_and_jumps_the_queue(
    server: ChatServer, cast: Cast
) -> None:
    ada = await supervisor(cast)
    calm = [await cast.seeker() for _ in range(2)]
    for seeker in calm:
        await cast.request(seeker)
    urgent = await cast.seeker()
    await urgent.send(protocol.Request(intro=RISKY_INTRO))
    queued = await urgent.expect(protocol.Queued)
    assert queued.position == 1  # ahead of the two who came first
    resources = await urgent.expect(protocol.Resources)
    assert resources.reason == "risk" and resources.items
    assert any(item.phone or item.sms for item in resources.items)
    flag = await next_of(ada, protocol.RiskFlag)
    assert isinstance(flag, protocol.RiskFlag) and flag.session == queued.session
    listener = await cast.listener("Sam")
    matched = await listener.expect(protocol.Matched)
    assert (matched.session, matched.risk, matched.intro) == (queued.session, True, RISKY_INTRO)
    assert (await metrics(http(server))).get(("chat_risk_flags_total", (("where", "intro"),))) == 1


async def test_the_queue_shows_listeners_who_is_urgent(server: ChatServer, cast: Cast) -> None:
    listener = await cast.listener("Sam", ready=False)
    await cast.request(await cast.seeker())
    urgent = await cast.seeker()
    urgent_session = await cast.request(urgent, intro=RISKY_INTRO)
    while True:
        queue = await next_of(listener, protocol.Queue)
        assert isinstance(queue, protocol.Queue)
        if len(queue.entries) == 2:
            break
    first, second = queue.entries
    assert (first.id, first.priority, first.risk) == (urgent_session, "urgent", True)
    assert (second.priority, second.risk) == (None, None)


async def test_a_risk_message_flags_the_session_for_its_listener_and_supervisors(
    server: ChatServer, cast: Cast
) -> None:
    ada = await supervisor(cast)
    seeker, listener, session = await cast.pair()
    await seeker.send(protocol.Send(session=session, text=RISKY_MESSAGE, id="r1"))
    assert (await seeker.expect(protocol.Sent)).seq == 1
    assert (await seeker.expect(protocol.Resources)).reason == "risk"
    assert (await listener.expect(protocol.Message)).text == RISKY_MESSAGE
    assert (await listener.expect(protocol.RiskFlag)).session == session
    flag = await next_of(ada, protocol.RiskFlag)
    assert isinstance(flag, protocol.RiskFlag) and flag.session == session
    # once per session: a second risky message flags nothing new
    await seeker.send(protocol.Send(session=session, text=RISKY_MESSAGE, id="r2"))
    await seeker.expect(protocol.Sent)
    await listener.expect(protocol.Message)
    await seeker.nothing(0.3)
    await listener.nothing(0.1)
    samples = await metrics(http(server))
    assert samples.get(("chat_risk_flags_total", (("where", "message"),))) == 1


async def test_listener_words_do_not_raise_a_flag(server: ChatServer, cast: Cast) -> None:
    seeker, listener, session = await cast.pair()
    await listener.send(protocol.Send(session=session, text="are you thinking of suicide?", id="l"))
    await listener.expect(protocol.Sent)
    await seeker.expect(protocol.Message)
    await seeker.nothing(0.3)
    await listener.nothing(0.1)


async def test_anyone_can_ask_for_the_helplines_for_their_region(cast: Cast) -> None:
    seeker = await cast.connect()
    await seeker.send(protocol.Hello(v=1, role="seeker", region="gb"))
    await seeker.expect(protocol.Welcome)
    await seeker.send(protocol.ResourcesRequest())
    resources = await seeker.expect(protocol.Resources)
    assert resources.reason == "requested"
    assert "Samaritans" in {item.name for item in resources.items}


# --- supervision -----------------------------------------------------------------


async def test_escalate_join_speak_and_leave(server: ChatServer, cast: Cast) -> None:
    ada = await supervisor(cast)
    seeker, listener, session = await cast.pair(name="Sam")
    await listener.send(protocol.Escalate(session=session, note=NOTE))
    escalation = await next_of(ada, protocol.Escalation)
    assert isinstance(escalation, protocol.Escalation)
    assert (escalation.session, escalation.listener, escalation.note) == (session, "Sam", NOTE)

    await ada.send(protocol.Join(session=session))
    joined = await seeker.expect(protocol.MemberJoined)
    assert (joined.name, joined.role) == ("Ada", "supervisor")
    await listener.expect(protocol.MemberJoined)
    matched = await next_of(ada, protocol.Matched)
    assert isinstance(matched, protocol.Matched) and matched.session == session

    await seeker.send(protocol.Send(session=session, text="thank you both", id="s1"))
    await seeker.expect(protocol.Sent)
    assert seeker.welcome is not None
    for staff in (listener, ada):
        message = await next_of(staff, protocol.Message)
        assert isinstance(message, protocol.Message)
        assert (message.text, message.sender) == ("thank you both", seeker.welcome.handle)
    await ada.send(protocol.Send(session=session, text="I'm Ada, a supervisor", id="a1"))
    for member in (seeker, listener):
        message = await member.expect(protocol.Message)
        assert (message.text, message.sender) == ("I'm Ada, a supervisor", "Ada")

    await ada.send(protocol.Leave(session=session))
    for member in (seeker, listener):
        assert (await member.expect(protocol.MemberLeft)).name == "Ada"
    await next_of(ada, protocol.MemberLeft)
    await seeker.send(protocol.Send(session=session, text="just us again", id="s2"))
    await seeker.expect(protocol.Sent)
    assert (await listener.expect(protocol.Message)).sender is None
    await ada.nothing(0.3, skip=NOISE | {"overview"})


async def test_a_supervisor_cannot_join_a_session_nobody_escalated(cast: Cast) -> None:
    ada = await supervisor(cast)
    _, _, session = await cast.pair()
    await ada.send(protocol.Join(session=session))
    assert (await next_of(ada, protocol.Error)).code == "forbidden"  # type: ignore[attr-defined]


async def test_supervisors_see_an_overview_without_words(cast: Cast) -> None:
    ada = await supervisor(cast)
    _, _, session = await cast.pair(["grief"], intro="private intro words", name="Sam")
    while True:
        overview = await next_of(ada, protocol.Overview)
        assert isinstance(overview, protocol.Overview)
        if overview.sessions:
            break
    (info,) = overview.sessions
    assert (info.id, info.topics, info.listener) == (session, ("grief",), "Sam")
    assert "private intro words" not in repr(overview)


async def test_a_listener_can_hand_a_session_to_another_listener(
    server: ChatServer, cast: Cast
) -> None:
    seeker, sam, session = await cast.pair(["grief"], name="Sam")
    await seeker.send(protocol.Send(session=session, text="earlier words", id="e1"))
    await seeker.expect(protocol.Sent)
    await sam.expect(protocol.Message)
    robin = await cast.listener("Robin", ["grief"])
    await until_ready(server, "Robin")
    await sam.send(protocol.Transfer(session=session, note=HANDOVER))
    matched = await robin.expect(protocol.Matched)
    assert (matched.session, matched.handover) == (session, HANDOVER)
    assert (await seeker.expect(protocol.Transferred)).peer == "Robin"
    assert (await sam.expect(protocol.Ended)).reason == "transferred"
    await seeker.send(protocol.Send(session=session, text="hello Robin", id="e2"))
    assert (await seeker.expect(protocol.Sent)).seq == 2  # the numbering goes on
    assert (await robin.expect(protocol.Message)).text == "hello Robin"
    await sam.nothing(0.3)


async def test_a_listener_can_hand_a_session_to_a_supervisor(cast: Cast) -> None:
    ada = await supervisor(cast)
    seeker, sam, session = await cast.pair(name="Sam")
    await sam.send(protocol.Transfer(session=session, to="supervisor"))
    matched = await next_of(ada, protocol.Matched)
    assert isinstance(matched, protocol.Matched) and matched.session == session
    assert (await seeker.expect(protocol.Transferred)).peer == "Ada"


async def test_a_transfer_with_nobody_free_is_a_conflict(cast: Cast) -> None:
    seeker, sam, session = await cast.pair(name="Sam")
    await sam.send(protocol.Transfer(session=session))
    assert (await sam.expect_error("conflict")).ref == "transfer"
    await seeker.nothing(0.2)


async def test_a_debrief_reaches_supervisors_and_pauses_new_sessions(cast: Cast) -> None:
    ada = await supervisor(cast)
    seeker, sam, session = await cast.pair(name="Sam")
    await sam.send(protocol.End(session=session))
    await sam.expect(protocol.Ended)
    await sam.send(protocol.DebriefRequest(session=session))
    debrief = await next_of(ada, protocol.Debrief)
    assert isinstance(debrief, protocol.Debrief)
    assert (debrief.listener, debrief.session) == ("Sam", session)
    waiting = await cast.seeker()
    await cast.request(waiting)
    await waiting.nothing(0.4)
    await sam.send(protocol.Ready())
    await waiting.expect(protocol.Matched)


async def test_a_report_is_forwarded_to_supervisors(cast: Cast) -> None:
    ada = await supervisor(cast)
    seeker, _, session = await cast.pair()
    await seeker.send(protocol.Report(session=session, reason="harassment"))
    reported = await next_of(ada, protocol.Reported)
    assert isinstance(reported, protocol.Reported)
    assert (reported.session, reported.reason, reported.by) == (session, "harassment", "seeker")


# --- blocks ------------------------------------------------------------------------


async def test_a_blocked_seeker_is_told_kindly_and_stays_out_until_it_expires(
    start_server: StartServer,
) -> None:
    server = await start_server(safety={"block_ttl_s": 1.5})
    cast = Cast(server.url)
    try:
        seeker, sam, session = await cast.pair(name="Sam")
        assert seeker.welcome is not None
        await sam.send(protocol.End(session=session, block=True))
        assert (await seeker.expect(protocol.Ended)).reason == "blocked"
        assert (await seeker.expect(protocol.Resources)).reason == "blocked"
        # asking again on the same connection
        await seeker.send(protocol.Request())
        assert (await seeker.expect(protocol.Resources)).reason == "blocked"
        assert (await seeker.expect_error("blocked")).ref == "request"
        # coming back with its resume token
        await seeker.close()
        back = await cast.connect()
        await back.send(protocol.Hello(v=1, role="seeker", resume=seeker.welcome.resume))
        assert (await back.expect(protocol.Resources)).reason == "blocked"
        await back.expect_error("blocked")
        assert await back.closed() == 1008
        assert metric(await metrics(http(server)), "chat_blocks_total") == 1
        # a block expires
        await asyncio.sleep(3.2)
        again = await cast.connect()
        await again.send(protocol.Hello(v=1, role="seeker", resume=back_token(back, seeker)))
        await again.expect(protocol.Welcome)
        await cast.request(again)
    finally:
        await cast.close_all()


def back_token(back: WireClient, seeker: WireClient) -> str:
    """The newest resume token of the blocked seeker (the refused resume issued none)."""
    assert seeker.welcome is not None
    return seeker.welcome.resume


async def test_only_the_listener_can_block(cast: Cast) -> None:
    seeker, _, session = await cast.pair()
    await seeker.send(protocol.End(session=session, block=True))
    await seeker.expect_error("forbidden")


# --- wellbeing ---------------------------------------------------------------------


async def test_a_cool_down_after_a_session_is_respected_by_matching(
    start_server: StartServer,
) -> None:
    server = await start_server(listener={"cooldown_s": 0.8})
    cast = Cast(server.url)
    try:
        seeker, sam, session = await cast.pair(name="Sam")
        await sam.send(protocol.End(session=session))
        await sam.expect(protocol.Ended)
        waiting = await cast.seeker()
        await cast.request(waiting)
        await waiting.nothing(0.5)
        assert (await waiting.expect(protocol.Matched, timeout=3)).peer == "Sam"
    finally:
        await cast.close_all()


async def test_a_listener_is_nudged_to_take_a_break(start_server: StartServer) -> None:
    server = await start_server(listener={"max_continuous_s": 0.5})
    cast = Cast(server.url)
    try:
        _, sam, _ = await cast.pair(name="Sam")
        nudge = await sam.expect(protocol.BreakSuggested, timeout=4)
        assert nudge.worked_s >= 0
    finally:
        await cast.close_all()


async def test_the_expected_wait_appears_once_there_is_enough_data(
    server: ChatServer, cast: Cast
) -> None:
    sam = await cast.listener("Sam")
    for _ in range(5):
        seeker = await cast.seeker()
        session = await cast.request(seeker)
        await seeker.expect(protocol.Matched)
        await sam.expect(protocol.Matched)
        await seeker.send(protocol.End(session=session))
        await sam.expect(protocol.Ended)
    await sam.send(protocol.Away())
    await until_ready(server, "Sam", ready=False)
    waiting = await cast.seeker()
    await waiting.send(protocol.Request())
    while True:
        queued = await waiting.expect(protocol.Queued, timeout=3)
        if queued.eta_s is not None:
            break
    assert queued.eta_s >= 0


async def test_a_long_wait_brings_the_helplines_once(start_server: StartServer) -> None:
    server = await start_server(queue={"long_wait_s": 0.3, "update_interval_ms": 20})
    cast = Cast(server.url)
    try:
        seeker = await cast.seeker()
        await cast.request(seeker)
        assert (await seeker.expect(protocol.Resources, timeout=4)).reason == "long_wait"
        await seeker.nothing(1.5)  # once
    finally:
        await cast.close_all()


# --- privacy after all of it ------------------------------------------------------


async def test_nothing_said_is_kept_or_logged_after_all_of_it(
    server: ChatServer, cast: Cast
) -> None:
    texts = [RISKY_INTRO, RISKY_MESSAGE, NOTE, HANDOVER, "joined words"]
    with structlog.testing.capture_logs() as logs:
        ada = await supervisor(cast)
        robin = await cast.listener("Robin", ready=False)
        sam = await cast.listener("Sam")
        seeker = await cast.seeker()
        session = await cast.request(seeker, intro=RISKY_INTRO)
        await next_of(seeker, protocol.Matched)
        await sam.expect(protocol.Matched)
        await seeker.send(protocol.Send(session=session, text=RISKY_MESSAGE, id="1"))
        await sam.expect(protocol.Message)
        await sam.send(protocol.Escalate(session=session, note=NOTE))
        await next_of(ada, protocol.Escalation)
        await ada.send(protocol.Join(session=session))
        await next_of(ada, protocol.Matched)
        await ada.send(protocol.Send(session=session, text="joined words", id="a"))
        await next_of(seeker, protocol.Message)
        await robin.send(protocol.Ready())
        await until_ready(server, "Robin")
        await sam.send(protocol.Transfer(session=session, note=HANDOVER))
        await robin.expect(protocol.Matched)
        await robin.send(protocol.End(session=session, block=True))
        await next_of(seeker, protocol.Ended)
    await asyncio.sleep(0.1)
    assert await leftovers(server, [session], texts) == []
    dump = repr(logs)
    for text in texts:
        assert text not in dump
