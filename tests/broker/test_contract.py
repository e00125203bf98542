"""The broker contract, checked directly on every implementation (memory and Redis).

These drive the brokers without sockets, with many concurrent callers, to
show the guarantees ``chatserver/broker/base.py`` promises: atomic claims,
ended once and deleted at once, ordered numbering, idempotent retries.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from chatserver.broker import Broker, create_broker
from chatserver.broker.base import BrokerEvent, EndedEvent, MatchedEvent, MessageEvent, Participant
from chatserver.clock import now_ms
from chatserver.matching import ListenerSlot
from chatserver.session import SessionRecord, State
from chatserver.types import ClientId, EndReason, ListenerId, NodeId, Role, SessionId
from tests.conftest import make_config


@pytest.fixture
async def events() -> list[BrokerEvent]:
    return []


@pytest.fixture
async def broker(
    broker_kind: str, redis_url: str | None, events: list[BrokerEvent]
) -> AsyncIterator[Broker]:
    config = make_config(
        broker_kind,
        redis_url,
        session={"history_max_messages": 5, "history_max_bytes": 1000},
        redis={"prefix": f"k{secrets.token_hex(4)}"} if redis_url else {},
    )
    instance = create_broker(config, NodeId("node-under-test"))
    await instance.start(events.append)
    yield instance
    await instance.close()


async def seeker(broker: Broker, name: str) -> ClientId:
    client = ClientId(f"S{name}")
    await broker.attach(Participant(client=client, role=Role.SEEKER, handle=name, attachment="a"))
    return client


async def listener(broker: Broker, name: str, capacity: int = 1) -> ListenerId:
    client = ClientId(f"L{name}")
    lid = ListenerId(name)
    await broker.attach(
        Participant(client=client, role=Role.LISTENER, handle=name, listener=lid, attachment="a")
    )
    await broker.set_listener(
        ListenerSlot(lid, client, name, Role.LISTENER, (), capacity, 0, True, now_ms())
    )
    return lid


async def waiting(broker: Broker, client: ClientId, sid: str) -> SessionId:
    session = SessionId(sid)
    now = now_ms()
    await broker.enqueue(
        SessionRecord(session, State.WAITING, client, client, (), now, last_activity_ms=now)
    )
    return session


async def active(broker: Broker) -> tuple[SessionId, ClientId, ClientId]:
    person = await seeker(broker, "p")
    lid = await listener(broker, "l")
    session = await waiting(broker, person, "s1")
    assert await broker.claim(session, lid, now_ms(), require_ready=True) is not None
    return session, person, ClientId("Ll")


async def test_many_listeners_racing_for_one_seeker_match_it_once(broker: Broker) -> None:
    session = await waiting(broker, await seeker(broker, "one"), "s1")
    lids = [await listener(broker, f"l{i}") for i in range(20)]
    results = await asyncio.gather(
        *(broker.claim(session, lid, now_ms(), require_ready=True) for lid in lids)
    )
    assert sum(r is not None for r in results) == 1
    snapshot = await broker.snapshot()
    assert sum(slot.load for slot in snapshot.listeners) == 1
    assert snapshot.waiting == []


async def test_one_listener_racing_for_many_seekers_stays_within_capacity(
    broker: Broker,
) -> None:
    lid = await listener(broker, "busy", capacity=2)
    sessions = [await waiting(broker, await seeker(broker, f"p{i}"), f"s{i}") for i in range(20)]
    results = await asyncio.gather(
        *(broker.claim(s, lid, now_ms(), require_ready=True) for s in sessions)
    )
    assert sum(r is not None for r in results) == 2
    slot = await broker.get_listener(lid)
    assert slot is not None and slot.load == 2
    assert len((await broker.snapshot()).waiting) == 18


async def test_a_listener_who_is_not_ready_is_not_auto_assigned(broker: Broker) -> None:
    lid = await listener(broker, "away")
    slot = await broker.get_listener(lid)
    assert slot is not None
    await broker.set_listener(
        ListenerSlot(lid, slot.client, slot.name, slot.role, (), 1, 0, False, now_ms())
    )
    session = await waiting(broker, await seeker(broker, "p"), "s1")
    assert await broker.claim(session, lid, now_ms(), require_ready=True) is None
    assert await broker.claim(session, lid, now_ms(), require_ready=False) is not None


async def test_a_claim_tells_both_members(broker: Broker, events: list[BrokerEvent]) -> None:
    session, person, listener_client = await active(broker)
    await asyncio.sleep(0.2)  # Redis events travel through pub/sub
    matched = {e.client: e for e in events if isinstance(e, MatchedEvent)}
    assert set(matched) == {person, listener_client}
    assert matched[person].peer == "l"  # the listener's name
    assert matched[listener_client].peer == person  # the seeker's handle (here, its id)


async def test_concurrent_ends_end_a_session_once(
    broker: Broker, events: list[BrokerEvent]
) -> None:
    session, person, _ = await active(broker)
    results = await asyncio.gather(
        *(
            broker.end(session, EndReason.IDLE, expect=State.ACTIVE, now_ms=now_ms())
            for _ in range(10)
        )
    )
    assert sum(r is not None for r in results) == 1
    await asyncio.sleep(0.2)
    assert len([e for e in events if isinstance(e, EndedEvent) and e.client == person]) == 1
    assert await broker.get_session(session) is None
    assert await broker.history(session, 0) == []
    slot = await broker.get_listener(ListenerId("l"))
    assert slot is not None and slot.load == 0


async def test_end_with_a_stale_expected_state_does_nothing(broker: Broker) -> None:
    session, _, _ = await active(broker)
    assert await broker.end(session, EndReason.LEFT_QUEUE, expect=State.WAITING, now_ms=0) is None
    record = await broker.get_session(session)
    assert record is not None and record.state is State.ACTIVE


async def test_concurrent_posts_are_numbered_without_gaps(
    broker: Broker, events: list[BrokerEvent]
) -> None:
    session, person, listener_client = await active(broker)
    results = await asyncio.gather(
        *(
            broker.post(session, (person, listener_client)[i % 2], f"id{i}", f"t{i}", now_ms())
            for i in range(40)
        )
    )
    assert sorted(r.seq for r in results if r) == list(range(1, 41))
    await asyncio.sleep(0.3)
    to_listener = [e.seq for e in events if isinstance(e, MessageEvent)
                   and e.client == listener_client]  # fmt: skip
    assert to_listener == sorted(to_listener) and len(to_listener) == 20


async def test_a_repeated_message_id_gets_the_first_result_and_is_not_delivered_again(
    broker: Broker, events: list[BrokerEvent]
) -> None:
    session, person, _ = await active(broker)
    first = await broker.post(session, person, "same", "hello", now_ms())
    again = await broker.post(session, person, "same", "hello", now_ms())
    assert first is not None and again is not None
    assert (again.seq, again.ts, again.duplicate) == (first.seq, first.ts, True)
    await asyncio.sleep(0.2)
    assert len([e for e in events if isinstance(e, MessageEvent)]) == 1


async def test_a_non_member_cannot_post_or_type(broker: Broker) -> None:
    session, _, _ = await active(broker)
    stranger = await seeker(broker, "stranger")
    assert await broker.post(session, stranger, "x", "hi", now_ms()) is None
    assert await broker.typing(session, stranger) is False


async def test_history_keeps_the_most_recent_within_its_bounds(broker: Broker) -> None:
    session, person, _ = await active(broker)
    for i in range(8):
        await broker.post(session, person, f"id{i}", f"message {i}", now_ms())
    kept = await broker.history(session, 0)
    assert [m.seq for m in kept] == [4, 5, 6, 7, 8]  # history_max_messages = 5
    assert [m.seq for m in await broker.history(session, 6)] == [7, 8]
    await broker.post(session, person, "big", "x" * 900, now_ms())  # history_max_bytes = 1000
    assert sum(len(m.text) for m in await broker.history(session, 0)) <= 1000


async def test_idle_sessions_are_found_by_last_activity(broker: Broker) -> None:
    session, person, _ = await active(broker)
    assert await broker.idle_sessions(now_ms() - 60_000) == []
    assert session in await broker.idle_sessions(now_ms() + 1)
    await broker.post(session, person, "m", "still here", now_ms() + 5_000)
    assert session not in await broker.idle_sessions(now_ms() + 1)


async def test_detach_marks_away_and_a_new_attachment_takes_over(broker: Broker) -> None:
    person = await seeker(broker, "p")
    assert await broker.detach(person, "other-attachment", now_ms()) is None
    gone = await broker.detach(person, "a", 1000)
    assert gone is not None and gone.node is None and gone.away_since_ms == 1000
    assert person in await broker.away_clients(2000)
    await broker.attach(Participant(client=person, role=Role.SEEKER, handle="p", attachment="b"))
    assert person not in await broker.away_clients(2000)


async def test_restore_recreates_a_lost_session_and_never_lowers_its_numbering(
    broker: Broker,
) -> None:
    session, person, listener_client = await active(broker)
    record = await broker.get_session(session)
    assert record is not None
    await broker.end(session, EndReason.IDLE, expect=State.ACTIVE, now_ms=now_ms())
    await broker.restore(record, seq_floor=7)
    result = await broker.post(session, person, "after", "hello again", now_ms())
    assert result is not None and result.seq == 8
    await broker.restore(record, seq_floor=3)
    result = await broker.post(session, listener_client, "after2", "and again", now_ms())
    assert result is not None and result.seq == 9
