"""A dropped connection does not end a conversation: resume, replay, tokens, grace window."""

from __future__ import annotations

import asyncio

import protocol
from chatserver.client import ChatClient
from chatserver.server import ChatServer
from tests.conftest import StartServer
from tests.support.cast import Cast, listener_token
from tests.support.wire import NOISE, WireClient


async def resume(
    cast: Cast, url: str, welcome: protocol.Welcome, last_seq: dict[str, int] | None = None
) -> tuple[WireClient, protocol.Welcome]:
    client = await cast.connect(url)
    await client.send(
        protocol.Hello(v=1, role="seeker", resume=welcome.resume, last_seq=last_seq or None)
    )
    return client, await client.expect(protocol.Welcome)


async def test_resume_replays_what_was_missed_in_order_and_the_peer_is_told(
    server: ChatServer, cast: Cast
) -> None:
    seeker, listener, session = await cast.pair(intro="the intro")
    for i in (1, 2):
        await listener.send(protocol.Send(session=session, text=f"before {i}", id=f"b{i}"))
        await listener.expect(protocol.Sent)
        assert (await seeker.expect(protocol.Message)).seq == i
    assert seeker.welcome is not None
    await seeker.close()
    assert (await listener.expect(protocol.PeerAway)).session == session
    for i in (3, 4, 5):
        await listener.send(protocol.Send(session=session, text=f"while away {i}", id=f"w{i}"))
        assert (await listener.expect(protocol.Sent)).seq == i

    back, welcome = await resume(cast, server.url, seeker.welcome, {session: 2})
    assert welcome.resumed is True
    assert welcome.handle == seeker.welcome.handle
    assert welcome.resume != seeker.welcome.resume
    matched = await back.expect(protocol.Matched)
    assert (matched.session, matched.peer) == (session, "Sam")
    replayed = [await back.expect(protocol.Message) for _ in range(3)]
    assert [(m.seq, m.text) for m in replayed] == [(3, "while away 3"), (4, "while away 4"),
                                                   (5, "while away 5")]  # fmt: skip
    await back.nothing(0.2)
    assert (await listener.expect(protocol.PeerBack)).session == session
    # and the conversation simply carries on
    await back.send(protocol.Send(session=session, text="sorry, train tunnel", id="s1"))
    assert (await back.expect(protocol.Sent)).seq == 6
    assert (await listener.expect(protocol.Message)).text == "sorry, train tunnel"


async def test_a_send_retried_after_a_resume_is_delivered_once_with_its_first_sent(
    server: ChatServer, cast: Cast
) -> None:
    seeker, listener, session = await cast.pair()
    assert seeker.welcome is not None
    await seeker.send(protocol.Send(session=session, text="did this get through?", id="x1"))
    first = await listener.expect(protocol.Message)
    await seeker.close()  # before reading its sent
    back, _ = await resume(cast, server.url, seeker.welcome)
    await back.expect(protocol.Matched)
    await back.send(protocol.Send(session=session, text="did this get through?", id="x1"))
    sent = await back.expect(protocol.Sent)
    assert (sent.seq, sent.ts) == (first.seq, first.ts)
    await listener.nothing(0.3, skip=NOISE | {"peer_away", "peer_back"})


async def test_a_waiting_seeker_who_drops_keeps_their_place(start_server: StartServer) -> None:
    server = await start_server()
    cast = Cast(server.url)
    try:
        first, second = await cast.seeker(), await cast.seeker()
        first_session = await cast.request(first)
        second_session = await cast.request(second)
        assert first.welcome is not None
        await first.close()
        await asyncio.sleep(0.1)
        listener = await cast.listener("Sam")  # the seeker who is away is not matched ...
        assert (await listener.expect(protocol.Matched)).session == second_session
        back, _ = await resume(cast, server.url, first.welcome)
        queued = await back.expect(protocol.Queued)
        assert (queued.session, queued.position) == (first_session, 1)  # ... and kept their place
        await listener.send(protocol.End(session=second_session))
        assert (await back.expect(protocol.Matched)).session == first_session
    finally:
        await cast.close_all()


async def test_a_resume_token_works_once(server: ChatServer, cast: Cast) -> None:
    seeker, _, _ = await cast.pair()
    assert seeker.welcome is not None
    await seeker.close()
    back, _ = await resume(cast, server.url, seeker.welcome)
    await back.expect(protocol.Matched)
    thief = await cast.connect()
    await thief.send(protocol.Hello(v=1, role="seeker", resume=seeker.welcome.resume))
    assert (await thief.expect_error("unauthorized")).ref == "hello"
    assert await thief.closed() == 1008
    await back.nothing(0.2)  # the rightful client is untouched


async def test_an_unknown_resume_token_is_unauthorized(cast: Cast) -> None:
    client = await cast.connect()
    await client.send(protocol.Hello(v=1, role="seeker", resume="x" * 43))
    await client.expect_error("unauthorized")
    assert await client.closed() == 1008


async def test_resuming_takes_over_a_connection_that_is_still_open(
    server: ChatServer, cast: Cast
) -> None:
    seeker, listener, session = await cast.pair()
    assert seeker.welcome is not None
    back, _ = await resume(cast, server.url, seeker.welcome)
    await back.expect(protocol.Matched)
    assert await seeker.closed() == protocol.CloseCode.REPLACED
    await listener.send(protocol.Send(session=session, text="hello again", id="h"))
    assert (await back.expect(protocol.Message)).text == "hello again"


async def test_a_resume_after_the_grace_window_is_told_and_starts_afresh(
    start_server: StartServer,
) -> None:
    server = await start_server(session={"resume_grace_s": 0.3})
    cast = Cast(server.url)
    try:
        seeker, listener, session = await cast.pair()
        assert seeker.welcome is not None
        await seeker.close()
        await listener.expect(protocol.PeerAway)
        assert (await listener.expect(protocol.Ended, timeout=3)).reason == "disconnected"
        late = await cast.connect()
        await late.send(protocol.Hello(v=1, role="seeker", resume=seeker.welcome.resume))
        error = await late.expect_error("resume_expired")
        assert "grace" in error.message
        fresh = await late.expect(protocol.Welcome)
        assert fresh.resumed is None
        await cast.request(late)  # a fresh start works
    finally:
        await cast.close_all()


async def test_a_session_that_ended_while_away_is_reported_on_resume(
    server: ChatServer, cast: Cast
) -> None:
    seeker, listener, session = await cast.pair()
    assert seeker.welcome is not None
    await seeker.close()
    await listener.expect(protocol.PeerAway)
    await listener.send(protocol.End(session=session))
    await listener.expect(protocol.Ended)
    back, _ = await resume(cast, server.url, seeker.welcome, {session: 0})
    ended = await back.expect(protocol.Ended)
    assert (ended.session, ended.reason) == (session, "listener_ended")
    await back.send(protocol.Feedback(session=session, score=4))  # feedback still possible
    await back.nothing(0.2)


async def test_a_listener_resumes_with_their_token_and_gets_the_intro_again(
    server: ChatServer, cast: Cast
) -> None:
    token = listener_token("Sam", sub="sam-resume")
    listener = await cast.connect()
    welcome = await listener.hello_listener(token)
    await listener.send(protocol.Ready())
    seeker = await cast.seeker()
    session = await cast.request(seeker, intro="about my exams")
    await listener.expect(protocol.Matched)
    await listener.close()
    back = await cast.connect()
    await back.send(protocol.Hello(v=1, role="listener", token=token, resume=welcome.resume))
    assert (await back.expect(protocol.Welcome)).resumed is True
    matched = await back.expect(protocol.Matched)
    assert (matched.session, matched.intro) == (session, "about my exams")


async def test_a_seeker_cannot_resume_as_a_listener(server: ChatServer, cast: Cast) -> None:
    seeker = await cast.seeker()
    assert seeker.welcome is not None
    await seeker.close()
    client = await cast.connect()
    await client.send(
        protocol.Hello(v=1, role="listener", token=listener_token(), resume=seeker.welcome.resume)
    )
    await client.expect_error("unauthorized")


async def test_the_client_library_resumes_by_itself(server: ChatServer, cast: Cast) -> None:
    listener = await cast.listener("Sam")
    seeker = ChatClient(server.url)
    try:
        await seeker.connect()
        await seeker.send(protocol.Request())
        session = (await seeker.recv(3)).session  # type: ignore[attr-defined]
        assert isinstance(await seeker.recv(3), protocol.Matched)
        await listener.expect(protocol.Matched)
        sent_ids = []
        for i in range(5):
            sent_ids.append(await seeker.say(session, f"one {i}"))
            if i == 2:
                seeker.cut()
        for i in range(5):
            await listener.send(protocol.Send(session=session, text=f"two {i}", id=f"l{i}"))
            if i == 1:
                seeker.cut()
        frames = [await seeker.recv(5) for _ in range(10)]
        assert sorted(f.id for f in frames if isinstance(f, protocol.Sent)) == sorted(sent_ids)
        messages = [f.text for f in frames if isinstance(f, protocol.Message)]
        assert messages == [f"two {i}" for i in range(5)]
        heard = []
        while len(heard) < 5:
            frame = await listener.recv()
            if isinstance(frame, protocol.Message):
                heard.append(frame.text)
        assert heard == [f"one {i}" for i in range(5)]
        assert seeker.reconnects >= 1
    finally:
        await seeker.close()
