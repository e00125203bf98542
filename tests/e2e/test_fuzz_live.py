"""Hypothesis drives several clients with valid and invalid frames against a live server.

After every step the clients' views are settled and checked against the
invariants a user relies on: no seeker in two sessions, no listener over
capacity, both sides of every session agree on its state, and the server
stays up. Runs on both brokers; the server runs in its own event loop thread
and the state machine speaks to it through real sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
import time
from collections.abc import Iterator
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

import protocol
from chatserver.client import GENEROUS_LIMITS
from chatserver.server import ChatServer
from tests.conftest import make_config
from tests.support.cast import listener_token
from tests.support.redis_server import RedisServer

CAPACITY = 2


class LiveServer:
    """A ChatServer in a background thread with its own event loop."""

    def __init__(self, broker_kind: str, redis_url: str | None) -> None:
        self.config = make_config(
            broker_kind,
            redis_url,
            listener={"capacity": CAPACITY},
            limits={"messages_per_s": 1000.0, "message_burst": 1000, "max_violations": 1000},
            redis={"prefix": f"z{secrets.token_hex(4)}"} if redis_url else {},
        )
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = ChatServer(self.config)
        self.call(self.server.start())

    def call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def close(self) -> None:
        self.call(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


class Person:
    """A synchronous client and its view of its sessions, built only from frames."""

    def __init__(self, url: str, role: str, name: str) -> None:
        self.role = role
        self.name = name
        self._stack = contextlib.ExitStack()
        self.ws: ClientConnection | None = self._stack.enter_context(
            connect(url, max_size=None, compression=None, proxy=None)
        )
        self.sessions: dict[str, str] = {}  # session -> "waiting" | "active"
        self.away_peers: set[str] = set()
        token = listener_token(name) if role == "listener" else None
        self.send(protocol.Hello(v=1, role=role, token=token))
        assert self.ws is not None
        welcome = protocol.decode(self.ws.recv(timeout=5), direction="server")  # type: ignore[arg-type]
        assert isinstance(welcome, protocol.Welcome)

    def send(self, frame: protocol.Frame) -> None:
        self.send_raw(protocol.encode(frame))

    def send_raw(self, data: bytes) -> None:
        if self.ws is None:
            return
        try:
            self.ws.send(data)
        except ConnectionClosed:
            self.ws = None

    def drain(self) -> int:
        """Read the frames that have arrived, updating the view; returns how many."""
        count = 0
        while self.ws is not None:
            try:
                data = self.ws.recv(timeout=0)
            except TimeoutError:
                return count
            except ConnectionClosed:
                self.ws = None
                return count
            count += 1
            assert isinstance(data, bytes)
            frame = protocol.decode(data, direction="server", limits=GENEROUS_LIMITS)
            if isinstance(frame, protocol.Queued):
                self.sessions[frame.session] = "waiting"
            elif isinstance(frame, protocol.Matched):
                self.sessions[frame.session] = "active"
            elif isinstance(frame, protocol.Ended):
                self.sessions.pop(frame.session, None)
                self.away_peers.discard(frame.session)
            elif isinstance(frame, protocol.PeerAway):
                self.away_peers.add(frame.session)
            elif isinstance(frame, protocol.PeerBack):
                self.away_peers.discard(frame.session)
        return count

    def leave(self) -> None:
        self.ws = None
        self._stack.close()


JUNK = st.one_of(
    st.binary(max_size=64),
    st.dictionaries(st.sampled_from(["type", "session", "text", "id", "topics", "seeker"]),
                    st.one_of(st.text(max_size=8), st.integers(-(2**63), 2**64 - 1),
                              st.none(), st.booleans()),
                    max_size=4).map(lambda d: msgpack.packb(d)),
    st.sampled_from(sorted(protocol.CLIENT_FRAMES)).map(lambda t: msgpack.packb({"type": t})),
)  # fmt: skip


class SessionFuzz(RuleBasedStateMachine):
    live: LiveServer

    seekers = Bundle("seekers")
    listeners = Bundle("listeners")

    def __init__(self) -> None:
        super().__init__()
        self.people: list[Person] = []
        self.count = 0

    def _person(self, role: str) -> Person:
        self.count += 1
        person = Person(self.live.server.url, role, f"P{self.count}")
        self.people.append(person)
        return person

    @initialize(target=listeners)
    def first_listener(self) -> Person:
        return self._person("listener")

    @rule(target=seekers)
    def a_seeker_arrives(self) -> Person:
        return self._person("seeker")

    @rule(target=listeners)
    def a_listener_signs_in(self) -> Person:
        return self._person("listener")

    @rule(seeker=seekers, topic=st.sampled_from([(), ("anxiety",), ("grief",)]))
    def seeker_requests(self, seeker: Person, topic: tuple[str, ...]) -> None:
        seeker.send(protocol.Request(topics=topic))

    @rule(listener=listeners, ready=st.booleans())
    def listener_is_ready_or_away(self, listener: Person, ready: bool) -> None:
        listener.send(protocol.Ready() if ready else protocol.Away())

    @rule(listener=listeners)
    def listener_takes(self, listener: Person) -> None:
        listener.send(protocol.Take())

    @rule(person=st.one_of(seekers, listeners), text=st.text(min_size=1, max_size=20))
    def someone_speaks(self, person: Person, text: str) -> None:
        for session in list(person.sessions):
            person.send(protocol.Send(session=session, text=text or "x", id=secrets.token_hex(4)))

    @rule(person=st.one_of(seekers, listeners))
    def someone_ends_a_session(self, person: Person) -> None:
        for session in list(person.sessions)[:1]:
            person.send(protocol.End(session=session))

    @rule(person=consumes(seekers))
    def a_seeker_leaves(self, person: Person) -> None:
        person.leave()

    @rule(person=st.one_of(seekers, listeners), junk=JUNK)
    def someone_sends_junk(self, person: Person, junk: bytes) -> None:
        person.send_raw(junk)

    @rule(person=st.one_of(seekers, listeners))
    def someone_uses_a_session_that_is_not_theirs(self, person: Person) -> None:
        person.send(protocol.Send(session="not-mine", text="hello", id="x"))

    def settle(self) -> None:
        """Read until a whole round brings nothing (events may still be crossing)."""
        for _ in range(20):
            time.sleep(0.03)
            if not sum(person.drain() for person in self.people):
                return

    @invariant()
    def views_agree_and_limits_hold(self) -> None:
        self.settle()
        present = [p for p in self.people if p.ws is not None]
        for person in present:
            open_sessions = len(person.sessions)
            if person.role == "seeker":
                assert open_sessions <= 1, f"seeker in {open_sessions} sessions"
            else:
                active = sum(1 for s in person.sessions.values() if s == "active")
                assert active <= CAPACITY, f"listener over capacity: {active}"
        active_views: dict[str, list[Person]] = {}
        for person in present:
            for session, state in person.sessions.items():
                if state == "active":
                    active_views.setdefault(session, []).append(person)
        for session, holders in active_views.items():
            roles = sorted(p.role for p in holders)
            if len(holders) == 1 and session in holders[0].away_peers:
                continue  # the other side left; the session is held for them
            assert roles == ["listener", "seeker"], f"session {session} seen by {roles}"

    @invariant()
    def server_stays_up(self) -> None:
        assert self.live.server.node.healthy

    def teardown(self) -> None:
        for person in self.people:
            person.leave()


@pytest.fixture
def live(broker_kind: str, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    redis_url = None
    if broker_kind == "redis":
        redis: RedisServer = request.getfixturevalue("redis_server")
        redis_url = redis.url
    server = LiveServer(broker_kind, redis_url)
    yield server
    server.close()


@pytest.mark.slow
def test_random_clients_never_break_the_invariants(live: LiveServer) -> None:
    SessionFuzz.live = live
    run_state_machine_as_test(
        SessionFuzz,
        settings=settings(
            max_examples=12,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
