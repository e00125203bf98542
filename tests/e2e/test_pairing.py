"""Seekers meet listeners: welcome, queue, topics, capacity, both routing modes."""

from __future__ import annotations

import asyncio

import protocol
from chatserver.server import ChatServer
from chatserver.types import Role
from tests.conftest import StartServer
from tests.support.cast import Cast, listener_token
from tests.support.wire import WireClient

# --- welcome -----------------------------------------------------------------


async def test_seeker_is_welcomed_anonymously_with_a_friendly_handle(cast: Cast) -> None:
    seeker = await cast.connect()
    welcome = await seeker.hello_seeker()
    assert welcome.role == "seeker"
    assert welcome.v == 1
    adjective, animal = welcome.handle.split(" ")
    assert adjective.istitle() and animal.istitle()
    assert len(welcome.resume) >= 32


async def test_two_seekers_get_different_resume_tokens(cast: Cast) -> None:
    first = await cast.seeker()
    second = await cast.seeker()
    assert first.welcome and second.welcome
    assert first.welcome.resume != second.welcome.resume


async def test_listener_is_welcomed_by_the_name_in_their_token(cast: Cast) -> None:
    listener = await cast.connect()
    welcome = await listener.hello_listener(listener_token("Robin", ["grief"]))
    assert (welcome.role, welcome.handle) == ("listener", "Robin")


async def test_supervisor_token_is_welcomed_as_supervisor(cast: Cast) -> None:
    supervisor = await cast.connect()
    welcome = await supervisor.hello_listener(listener_token("Ada", role=Role.SUPERVISOR))
    assert welcome.role == "supervisor"


# --- auto routing --------------------------------------------------------------


async def test_waiting_seeker_is_matched_when_a_listener_becomes_ready(cast: Cast) -> None:
    listener = await cast.listener("Sam", ["anxiety"], ready=False)
    seeker = await cast.seeker()
    session = await cast.request(seeker, ["anxiety"], intro="I can't sleep")
    await seeker.nothing(0.3)
    await listener.send(protocol.Ready())
    to_seeker = await seeker.expect(protocol.Matched)
    to_listener = await listener.expect(protocol.Matched)
    assert to_seeker.session == to_listener.session == session
    assert to_seeker.peer == "Sam"
    assert seeker.welcome is not None and to_listener.peer == seeker.welcome.handle
    assert to_listener.intro == "I can't sleep"
    assert to_seeker.intro is None
    assert to_seeker.topics == to_listener.topics == ("anxiety",)


async def test_seeker_is_told_their_place_in_the_queue(cast: Cast) -> None:
    first, second = await cast.seeker(), await cast.seeker()
    await first.send(protocol.Request())
    assert (await first.expect(protocol.Queued)).position == 1
    await second.send(protocol.Request())
    queued = await second.expect(protocol.Queued)
    assert (queued.position, queued.waiting) == (2, 2)


async def test_seeker_moves_up_when_someone_ahead_leaves(cast: Cast) -> None:
    first, second = await cast.seeker(), await cast.seeker()
    ahead = await cast.request(first)
    await cast.request(second)
    await first.send(protocol.End(session=ahead))
    assert (await first.expect(protocol.Ended)).reason == "left_queue"
    update = await second.expect(protocol.Queued, skip=frozenset({"queue"}))
    assert (update.position, update.waiting) == (1, 1)


async def test_topic_goes_to_the_listener_trained_for_it(cast: Cast) -> None:
    anxiety = await cast.listener("Ann", ["anxiety"])
    grief = await cast.listener("Gus", ["grief"])
    seeker = await cast.seeker()
    await cast.request(seeker, ["grief"])
    assert (await seeker.expect(protocol.Matched)).peer == "Gus"
    await grief.expect(protocol.Matched)
    await anxiety.nothing(0.2)


async def test_seeker_with_no_topic_matches_any_listener(cast: Cast) -> None:
    await cast.listener("Ann", ["anxiety"])
    seeker = await cast.seeker()
    await cast.request(seeker)
    assert (await seeker.expect(protocol.Matched)).peer == "Ann"


async def test_seeker_keeps_waiting_while_only_untrained_listeners_are_free(cast: Cast) -> None:
    listener = await cast.listener("Ann", ["anxiety"])
    seeker = await cast.seeker()
    await cast.request(seeker, ["grief"])
    await seeker.nothing(0.4)
    await listener.nothing(0.1)
    grief = await cast.listener("Gus", ["grief"])
    assert (await seeker.expect(protocol.Matched)).peer == "Gus"
    await grief.expect(protocol.Matched)


async def test_oldest_seeker_is_served_first(cast: Cast) -> None:
    first, second = await cast.seeker(), await cast.seeker()
    first_session = await cast.request(first)
    await cast.request(second)
    listener = await cast.listener("Sam")
    assert (await listener.expect(protocol.Matched)).session == first_session
    await first.expect(protocol.Matched)
    await second.nothing(0.2)


async def test_capacity_is_never_exceeded(cast: Cast) -> None:
    listener = await cast.listener("Sam")
    seekers = [await cast.seeker() for _ in range(3)]
    for seeker in seekers:
        await cast.request(seeker)
    await listener.expect(protocol.Matched)
    await listener.nothing(0.4)
    matched = 0
    for seeker in seekers:
        try:
            await seeker.expect(protocol.Matched, timeout=0.3)
            matched += 1
        except AssertionError:
            pass
    assert matched == 1


async def test_listener_with_capacity_three_holds_three_conversations(
    start_server: StartServer,
) -> None:
    server = await start_server(listener={"capacity": 3})
    cast = Cast(server.url)
    try:
        listener = await cast.listener("Sam")
        seekers = [await cast.seeker() for _ in range(4)]
        for seeker in seekers:
            await cast.request(seeker)
        sessions = {(await listener.expect(protocol.Matched)).session for _ in range(3)}
        assert len(sessions) == 3
        await listener.nothing(0.3)
    finally:
        await cast.close_all()


async def test_token_capacity_lowers_the_configured_capacity(start_server: StartServer) -> None:
    server = await start_server(listener={"capacity": 3})
    cast = Cast(server.url)
    try:
        listener = await cast.listener("Sam", capacity=1)
        for _ in range(2):
            await cast.request(await cast.seeker())
        await listener.expect(protocol.Matched)
        await listener.nothing(0.3)
    finally:
        await cast.close_all()


async def test_least_loaded_listener_gets_the_next_seeker(start_server: StartServer) -> None:
    server = await start_server(listener={"capacity": 2})
    cast = Cast(server.url)
    try:
        ann = await cast.listener("Ann")
        await cast.request(await cast.seeker())
        await ann.expect(protocol.Matched)
        bob = await cast.listener("Bob")
        seeker = await cast.seeker()
        await cast.request(seeker)
        assert (await seeker.expect(protocol.Matched)).peer == "Bob"
        await bob.expect(protocol.Matched)
    finally:
        await cast.close_all()


async def test_longest_idle_listener_gets_the_next_seeker(cast: Cast) -> None:
    ann = await cast.listener("Ann")
    await asyncio.sleep(0.05)
    await cast.listener("Bob")
    seeker = await cast.seeker()
    await cast.request(seeker)
    assert (await seeker.expect(protocol.Matched)).peer == "Ann"
    await ann.expect(protocol.Matched)


async def test_away_listener_gets_nobody_new(cast: Cast) -> None:
    listener = await cast.listener("Sam")
    await listener.send(protocol.Away())
    await asyncio.sleep(0.1)
    seeker = await cast.seeker()
    await cast.request(seeker)
    await seeker.nothing(0.4)
    await listener.send(protocol.Ready())
    await seeker.expect(protocol.Matched)


async def test_supervisors_are_not_auto_assigned(cast: Cast) -> None:
    await cast.listener("Ada", role=Role.SUPERVISOR)
    seeker = await cast.seeker()
    await cast.request(seeker)
    await seeker.nothing(0.4)


async def test_seeker_cannot_request_twice(cast: Cast) -> None:
    seeker = await cast.seeker()
    await cast.request(seeker)
    await seeker.send(protocol.Request())
    error = await seeker.expect_error("conflict")
    assert error.ref == "request"


async def test_request_with_unknown_topic_is_refused_naming_the_field(cast: Cast) -> None:
    seeker = await cast.seeker()
    await seeker.send(protocol.Request(topics=("knitting",)))
    error = await seeker.expect_error("invalid_field")
    assert "request.topics[0]" in error.message


# --- manual routing ------------------------------------------------------------


async def manual(start_server: StartServer, **sections: dict[str, object]) -> ChatServer:
    return await start_server(routing={"mode": "manual"}, **sections)


async def test_manual_mode_listener_sees_the_anonymised_queue(start_server: StartServer) -> None:
    server = await manual(start_server)
    cast = Cast(server.url)
    try:
        listener = await cast.listener("Sam", ["anxiety"])
        seeker = await cast.seeker()
        session = await cast.request(seeker, ["anxiety"], intro="private words")
        while True:
            queue = await listener.expect(protocol.Queue, skip=frozenset())
            if queue.waiting:
                break
        (entry,) = queue.entries
        assert entry.id == session
        assert entry.topics == ("anxiety",)
        assert entry.waited_s >= 0
        assert "private words" not in repr(queue)
        assert seeker.welcome is not None and seeker.welcome.handle not in repr(queue)
        await seeker.nothing(0.3)  # nobody is auto-assigned in manual mode
    finally:
        await cast.close_all()


async def test_manual_take_by_id_matches_that_seeker(start_server: StartServer) -> None:
    server = await manual(start_server)
    cast = Cast(server.url)
    try:
        listener = await cast.listener("Sam")
        first, second = await cast.seeker(), await cast.seeker()
        await cast.request(first)
        wanted = await cast.request(second)
        await listener.send(protocol.Take(seeker=wanted))
        assert (await listener.expect(protocol.Matched)).session == wanted
        assert (await second.expect(protocol.Matched)).peer == "Sam"
        await first.nothing(0.2)
    finally:
        await cast.close_all()


async def test_manual_take_without_id_gets_the_best_match(start_server: StartServer) -> None:
    server = await manual(start_server)
    cast = Cast(server.url)
    try:
        listener = await cast.listener("Sam", ["grief"])
        other, mine = await cast.seeker(), await cast.seeker()
        await cast.request(other, ["anxiety"])
        wanted = await cast.request(mine, ["grief"])
        await listener.send(protocol.Take())
        assert (await listener.expect(protocol.Matched)).session == wanted
    finally:
        await cast.close_all()


async def test_take_on_an_empty_queue_says_so(start_server: StartServer) -> None:
    server = await manual(start_server)
    cast = Cast(server.url)
    try:
        listener = await cast.listener("Sam")
        await listener.send(protocol.Take())
        assert (await listener.expect_error("queue_empty")).ref == "take"
    finally:
        await cast.close_all()


async def test_take_of_an_untrained_topic_is_forbidden(start_server: StartServer) -> None:
    server = await manual(start_server)
    cast = Cast(server.url)
    try:
        listener = await cast.listener("Sam", ["anxiety"])
        session = await cast.request(await cast.seeker(), ["grief"])
        await listener.send(protocol.Take(seeker=session))
        await listener.expect_error("forbidden")
    finally:
        await cast.close_all()


async def test_take_of_someone_already_taken_is_a_conflict(start_server: StartServer) -> None:
    server = await manual(start_server)
    cast = Cast(server.url)
    try:
        ann, bob = await cast.listener("Ann"), await cast.listener("Bob")
        session = await cast.request(await cast.seeker())
        await ann.send(protocol.Take(seeker=session))
        await ann.expect(protocol.Matched)
        await bob.send(protocol.Take(seeker=session))
        await bob.expect_error("conflict")
    finally:
        await cast.close_all()


async def test_take_at_capacity_is_refused(start_server: StartServer) -> None:
    server = await manual(start_server)
    cast = Cast(server.url)
    try:
        listener = await cast.listener("Sam")
        first = await cast.request(await cast.seeker())
        second = await cast.request(await cast.seeker())
        await listener.send(protocol.Take(seeker=first))
        await listener.expect(protocol.Matched)
        await listener.send(protocol.Take(seeker=second))
        await listener.expect_error("at_capacity")
    finally:
        await cast.close_all()


async def test_listener_signing_in_again_takes_their_conversations_over(cast: Cast) -> None:
    token = listener_token("Sam", sub="sam-1")
    first = await cast.connect()
    await first.hello_listener(token)
    await first.send(protocol.Ready())
    seeker = await cast.seeker()
    session = await cast.request(seeker)
    await seeker.expect(protocol.Matched)
    await first.expect(protocol.Matched)
    second = await cast.connect()
    await second.hello_listener(token)
    assert (await second.expect(protocol.Matched)).session == session
    assert await first.closed() == protocol.CloseCode.REPLACED
    await seeker.send(protocol.Send(session=session, text="still there?", id="m1"))
    assert (await second.expect(protocol.Message)).text == "still there?"
    await seeker.expect(protocol.Sent)
    await seeker.nothing(0.2)  # the conversation did not end


async def test_listeners_hear_welcome_first_while_the_queue_keeps_changing(
    start_server: StartServer,
) -> None:
    """A console must be able to trust that ``welcome`` comes before anything else,
    even when queue listings go out while it is being signed in."""
    server = await manual(start_server, queue={"update_interval_ms": 1})
    cast = Cast(server.url)
    waiting = await cast.seeker()
    await cast.request(waiting)
    listeners = [await WireClient.connect(server.url) for _ in range(60)]
    signing_in = True
    try:

        async def sign_in(index: int, client: WireClient) -> protocol.Frame:
            await client.send(
                protocol.Hello(v=1, role="listener", token=listener_token(f"L{index}"))
            )
            return await client.recv()

        async def keep_changing_the_queue() -> None:
            while signing_in:
                seeker = await WireClient.connect(server.url)
                await seeker.hello_seeker()
                await seeker.send(protocol.End(session=await cast.request(seeker)))
                await seeker.close()

        changing = [asyncio.create_task(keep_changing_the_queue()) for _ in range(4)]
        try:
            firsts = [await sign_in(i, c) for i, c in enumerate(listeners)]
        finally:
            signing_in = False
            await asyncio.gather(*changing)
        assert [type(f).__name__ for f in firsts] == ["Welcome"] * len(listeners)
    finally:
        for client in [waiting, *listeners]:  # they stopped reading: no handshake to wait for
            client.ws.transport.abort()
