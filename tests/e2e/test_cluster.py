"""Several real nodes on one Redis: cross-node conversations, races, node death, Redis outages."""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

import protocol
from tests.support.cast import Cast
from tests.support.http import get, metric, metrics
from tests.support.leftovers import redis_dump
from tests.support.processes import ServerProcess
from tests.support.redis_server import RedisServer
from tests.support.timing import scaled
from tests.support.wire import NOISE, WireClient

StartCluster = Callable[..., Awaitable[list[ServerProcess]]]


@pytest.fixture
async def start_cluster(tmp_path: Path) -> AsyncIterator[StartCluster]:
    """Start N ``chatserver serve`` processes sharing one Redis and one key prefix."""
    nodes: list[ServerProcess] = []

    async def start(
        redis: RedisServer, count: int, **sections: dict[str, Any]
    ) -> list[ServerProcess]:
        prefix = f"c{secrets.token_hex(4)}"
        base: dict[str, dict[str, Any]] = {
            "broker": {"kind": "redis"},
            "redis": {"url": redis.url, "prefix": prefix, "heartbeat_s": 0.5,
                      "node_timeout_s": 2.0},
        }  # fmt: skip
        for name, values in sections.items():
            base.setdefault(name, {}).update(values)
        started = [ServerProcess(tmp_path, f"node{len(nodes) + i}", base) for i in range(count)]
        await asyncio.gather(*(node.start() for node in started))
        nodes.extend(started)
        return started

    yield start
    await asyncio.gather(*(node.stop() for node in nodes))


@pytest.fixture
async def cast() -> AsyncIterator[Cast]:
    people = Cast("")
    yield people
    await people.close_all()


async def test_seeker_on_one_node_meets_listener_on_another(
    redis_server: RedisServer, start_cluster: StartCluster, cast: Cast
) -> None:
    a, b = await start_cluster(redis_server, 2)
    listener = await cast.listener("Sam", ["grief"], url=b.url)
    seeker = await cast.seeker(url=a.url)
    session = await cast.request(seeker, ["grief"], intro="cross-node intro words")
    assert (await seeker.expect(protocol.Matched)).peer == "Sam"
    matched = await listener.expect(protocol.Matched)
    assert (matched.session, matched.intro) == (session, "cross-node intro words")
    said = [f"cross-node message {i}" for i in range(10)]
    for i, text in enumerate(said):
        sender, receiver = (seeker, listener) if i % 2 == 0 else (listener, seeker)
        await sender.send(protocol.Send(session=session, text=text, id=f"m{i}"))
        assert (await sender.expect(protocol.Sent)).seq == i + 1
        message = await receiver.expect(protocol.Message)
        assert (message.seq, message.text) == (i + 1, text)
    await seeker.send(protocol.End(session=session))
    assert (await listener.expect(protocol.Ended)).reason == "seeker_ended"
    await seeker.expect(protocol.Ended)
    dump = await redis_dump(redis_server.url)
    held = b"\n".join(key + b"=" + value for key, value in dump.items())
    assert session.encode() not in held
    for text in [*said, "cross-node intro words"]:
        assert text.encode() not in held


async def test_queue_positions_and_queue_length_are_global(
    redis_server: RedisServer, start_cluster: StartCluster, cast: Cast
) -> None:
    a, b = await start_cluster(redis_server, 2)
    first = await cast.seeker(url=a.url)
    second = await cast.seeker(url=b.url)
    third = await cast.seeker(url=a.url)
    await cast.request(first, ["anxiety"])
    await second.send(protocol.Request(topics=("anxiety",)))
    queued = await second.expect(protocol.Queued)
    assert (queued.position, queued.waiting) == (2, 2)
    await third.send(protocol.Request())
    queued = await third.expect(protocol.Queued)
    assert (queued.position, queued.waiting) == (3, 3)
    await asyncio.sleep(scaled(1.5))  # let each node refresh its gauges
    for node in (a, b):
        samples = await metrics(node.http)
        assert metric(samples, "chat_queue_length", topic="anxiety") == 2
        assert metric(samples, "chat_queue_length", topic="none") == 1


async def test_key_prefixes_keep_deployments_apart(
    redis_server: RedisServer, start_cluster: StartCluster, cast: Cast
) -> None:
    (one,) = await start_cluster(redis_server, 1)
    (other,) = await start_cluster(redis_server, 1)  # a second deployment, another prefix
    await cast.listener("Sam", url=other.url)
    seeker = await cast.seeker(url=one.url)
    await cast.request(seeker)
    await seeker.nothing(1.0)


async def race(
    nodes: list[ServerProcess], cast: Cast, *, seekers: int, listeners: int, manual: bool
) -> None:
    """Many seekers and listeners spread over the nodes; each conversation is short.

    Checks what a user would: every seeker is matched exactly once, no session
    goes to two listeners, and no listener ever holds more than their capacity.
    """
    rng = random.Random(7)
    staff = [await cast.listener(f"L{i}", url=nodes[i % len(nodes)].url) for i in range(listeners)]
    people = [await cast.seeker(url=nodes[rng.randrange(len(nodes))].url) for _ in range(seekers)]
    sessions_of_listener: dict[int, list[str]] = defaultdict(list)
    most_at_once: Counter[int] = Counter()
    matched_sessions: list[str] = []

    async def seek(seeker: WireClient) -> None:
        session = await cast.request(seeker)
        matched = await seeker.expect(protocol.Matched, timeout=60, skip=NOISE | {"resources"})
        assert matched.session == session
        matched_sessions.append(session)
        await seeker.expect(protocol.Ended, timeout=60)

    async def listen(i: int, listener: WireClient) -> None:
        open_now: set[str] = set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + scaled(90)
        while len(matched_sessions) < seekers or open_now:
            if manual and not open_now:
                await listener.send(protocol.Take())
            try:
                frame = await listener.recv(timeout=0.2)
            except TimeoutError:
                assert loop.time() < deadline, "the race did not finish"
                continue
            if isinstance(frame, protocol.Matched):
                open_now.add(frame.session)
                sessions_of_listener[i].append(frame.session)
                most_at_once[i] = max(most_at_once[i], len(open_now))
                await listener.send(protocol.End(session=frame.session))
            elif isinstance(frame, protocol.Ended):
                open_now.discard(frame.session)
            elif isinstance(frame, protocol.Error):
                assert frame.code in {"queue_empty", "conflict", "at_capacity"}, frame

    await asyncio.gather(
        *(seek(s) for s in people), *(listen(i, person) for i, person in enumerate(staff))
    )
    everyone = [s for sessions in sessions_of_listener.values() for s in sessions]
    assert len(everyone) == len(set(everyone)) == seekers, "a seeker matched twice or never"
    assert sorted(everyone) == sorted(matched_sessions)
    assert max(most_at_once.values()) <= 1, "a listener went over capacity"


async def test_fifty_seekers_race_for_ten_listeners_in_auto_mode(
    redis_server: RedisServer, start_cluster: StartCluster, cast: Cast
) -> None:
    nodes = await start_cluster(redis_server, 3)
    await race(nodes, cast, seekers=50, listeners=10, manual=False)


async def test_fifty_seekers_race_for_ten_listeners_taking_by_hand(
    redis_server: RedisServer, start_cluster: StartCluster, cast: Cast
) -> None:
    nodes = await start_cluster(redis_server, 3, routing={"mode": "manual"})
    await race(nodes, cast, seekers=50, listeners=10, manual=True)


async def test_survivors_clean_up_after_a_node_is_killed(
    redis_server: RedisServer, start_cluster: StartCluster, cast: Cast
) -> None:
    # with no grace window, a dead node's people are simply gone (see test_resume for more)
    a, b = await start_cluster(redis_server, 2, session={"resume_grace_s": 0})
    listener = await cast.listener("Sam", url=b.url)
    seeker = await cast.seeker(url=a.url)
    session = await cast.request(seeker)
    await seeker.expect(protocol.Matched)
    await listener.expect(protocol.Matched)
    waiting = await cast.seeker(url=b.url)
    waiting_session = await cast.request(waiting)
    started = time.monotonic()
    await b.kill()
    ended = await seeker.expect(protocol.Ended, timeout=15, skip=NOISE | {"peer_away"})
    took = time.monotonic() - started
    assert (ended.session, ended.reason) == (session, "disconnected")
    assert took <= scaled(2.0 + 3.0), f"cleanup took {took:.1f} s, bound is node_timeout_s=2"
    await asyncio.sleep(scaled(0.5))
    dump = await redis_dump(redis_server.url)
    names = b"\n".join(dump)
    assert session.encode() not in names and waiting_session.encode() not in names
    samples = await metrics(a.http)
    assert metric(samples, "chat_sessions_active") == 0
    assert metric(samples, "chat_listeners", state="available") == 0


async def test_nodes_ride_out_a_redis_restart(
    start_cluster: StartCluster, cast: Cast, tmp_path: Path
) -> None:
    redis = RedisServer().start()
    try:
        a, b = await start_cluster(redis, 2)
        listener = await cast.listener("Sam", url=b.url)
        seeker = await cast.seeker(url=a.url)
        session = await cast.request(seeker)
        await seeker.expect(protocol.Matched)
        await listener.expect(protocol.Matched)
        await seeker.send(protocol.Send(session=session, text="before", id="1"))
        await seeker.expect(protocol.Sent)
        assert (await listener.expect(protocol.Message)).seq == 1
        waiting = await cast.seeker(url=a.url)
        await cast.request(waiting)

        redis.stop()
        for client in (seeker, listener, waiting):
            assert (await client.expect(protocol.Service, timeout=10)).available is False
        for node in (a, b):
            assert (await get(f"http://{node.http}/healthz"))[0] == 503
        await seeker.send(protocol.Send(session=session, text="during", id="2"))
        await seeker.expect_error("unavailable")
        late = await cast.connect(a.url)
        await late.send(protocol.Hello(v=1, role="seeker"))
        await late.expect_error("unavailable")

        redis.start()
        for client in (seeker, listener, waiting):
            while not (await client.expect(protocol.Service, timeout=15)).available:
                pass  # told it is back (a reconnection may briefly flap first)
        for node in (a, b):
            for _ in range(50):
                if (await get(f"http://{node.http}/healthz"))[0] == 200:
                    break
                await asyncio.sleep(0.2)
            assert (await get(f"http://{node.http}/healthz"))[0] == 200
        # the conversation carries on where it was, numbering included
        await seeker.send(protocol.Send(session=session, text="during", id="2"))
        assert (await seeker.expect(protocol.Sent)).seq == 2
        assert (await listener.expect(protocol.Message)).text == "during"
        # the waiting seeker was queued again and is served when a listener frees up
        await listener.send(protocol.End(session=session))
        await seeker.expect(protocol.Ended)
        await listener.expect(protocol.Ended)
        assert (await waiting.expect(protocol.Matched, timeout=10)).peer == "Sam"
    finally:
        redis.close()
