"""Messages go to the other person in order, numbered, acknowledged; typing is forwarded."""

from __future__ import annotations

import asyncio

import protocol
from tests.conftest import StartServer
from tests.support.cast import Cast


async def test_message_reaches_the_peer_with_seq_and_the_sender_gets_sent(cast: Cast) -> None:
    seeker, listener, session = await cast.pair()
    await seeker.send(protocol.Send(session=session, text="hi, rough week", id="c-1"))
    sent = await seeker.expect(protocol.Sent)
    message = await listener.expect(protocol.Message)
    assert (sent.session, sent.id, sent.seq) == (session, "c-1", 1)
    assert (message.session, message.seq, message.text) == (session, 1, "hi, rough week")
    assert message.ts == sent.ts > 0


async def test_both_directions_share_one_increasing_sequence(cast: Cast) -> None:
    seeker, listener, session = await cast.pair()
    await seeker.send(protocol.Send(session=session, text="one", id="s1"))
    assert (await seeker.expect(protocol.Sent)).seq == 1
    assert (await listener.expect(protocol.Message)).seq == 1
    await listener.send(protocol.Send(session=session, text="two", id="l1"))
    assert (await listener.expect(protocol.Sent)).seq == 2
    assert (await seeker.expect(protocol.Message)).seq == 2


async def test_many_messages_arrive_in_the_order_sent(start_server: StartServer) -> None:
    server = await start_server(
        limits={
            "messages_per_s": 1000,
            "message_burst": 500,
            "frames_per_s": 1000,
            "frames_burst": 500,
        }
    )
    cast = Cast(server.url)
    seeker, listener, session = await cast.pair()
    count = 200
    for i in range(count):
        await seeker.send(protocol.Send(session=session, text=f"m{i}", id=f"id{i}"))
    received = [await listener.expect(protocol.Message) for _ in range(count)]
    assert [m.text for m in received] == [f"m{i}" for i in range(count)]
    assert [m.seq for m in received] == list(range(1, count + 1))
    acks = [await seeker.expect(protocol.Sent) for _ in range(count)]
    assert [a.id for a in acks] == [f"id{i}" for i in range(count)]
    await cast.close_all()


async def test_sending_faster_than_the_rate_limit_is_refused_then_allowed_again(
    start_server: StartServer,
) -> None:
    server = await start_server(limits={"messages_per_s": 5, "message_burst": 3})
    cast = Cast(server.url)
    seeker, listener, session = await cast.pair()
    for i in range(4):
        await seeker.send(protocol.Send(session=session, text=f"m{i}", id=str(i)))
    for _ in range(3):
        await seeker.expect(protocol.Sent)
    error = await seeker.expect_error("rate_limited")
    assert error.ref == "send"
    assert [(await listener.expect(protocol.Message)).text for _ in range(3)] == ["m0", "m1", "m2"]
    await asyncio.sleep(0.3)
    await seeker.send(protocol.Send(session=session, text="m3", id="3"))
    assert (await seeker.expect(protocol.Sent)).seq == 4
    assert (await listener.expect(protocol.Message)).text == "m3"
    await cast.close_all()


async def test_unicode_text_arrives_unchanged(cast: Cast) -> None:
    seeker, listener, session = await cast.pair()
    text = "ça va? 😔 — 今日はつらい"
    await seeker.send(protocol.Send(session=session, text=text, id="u"))
    assert (await listener.expect(protocol.Message)).text == text


async def test_a_send_repeated_with_the_same_id_is_delivered_once(cast: Cast) -> None:
    seeker, listener, session = await cast.pair()
    await seeker.send(protocol.Send(session=session, text="are you there", id="same"))
    await seeker.send(protocol.Send(session=session, text="are you there", id="same"))
    first, second = await seeker.expect(protocol.Sent), await seeker.expect(protocol.Sent)
    assert first == second
    await listener.expect(protocol.Message)
    await listener.nothing(0.3)


async def test_typing_is_forwarded_to_the_peer_only(cast: Cast) -> None:
    seeker, listener, session = await cast.pair()
    await seeker.send(protocol.Typing(session=session))
    typing = await listener.expect(protocol.PeerTyping, skip=frozenset())
    assert typing.session == session
    await seeker.nothing(0.2, skip=frozenset())


async def test_messages_stay_within_their_own_conversation(cast: Cast) -> None:
    seeker_a, listener_a, session_a = await cast.pair(name="Ann")
    seeker_b, listener_b, session_b = await cast.pair(name="Bob")
    await seeker_a.send(protocol.Send(session=session_a, text="for Ann", id="a"))
    await seeker_b.send(protocol.Send(session=session_b, text="for Bob", id="b"))
    assert (await listener_a.expect(protocol.Message)).text == "for Ann"
    assert (await listener_b.expect(protocol.Message)).text == "for Bob"
    await listener_a.nothing(0.2)
    await listener_b.nothing(0.1)


async def test_sending_to_a_session_that_is_not_yours_is_refused(cast: Cast) -> None:
    _, _, session = await cast.pair(name="Ann")
    intruder, _, _ = await cast.pair(name="Bob")
    await intruder.send(protocol.Send(session=session, text="hello?", id="x"))
    error = await intruder.expect_error("not_in_session")
    assert error.ref == "send"
    assert "hello?" not in error.message


async def test_a_waiting_seeker_cannot_send_yet(cast: Cast) -> None:
    seeker = await cast.seeker()
    session = await cast.request(seeker)
    await seeker.send(protocol.Send(session=session, text="anyone?", id="x"))
    await seeker.expect_error("not_in_session")
