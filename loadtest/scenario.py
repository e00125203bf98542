"""Simulated people: seekers who ask for help and talk, listeners who answer.

Each person is a :class:`~chatserver.client.ChatClient` (which reconnects
and resumes by itself) with a reader that reacts to frames, and a life:

- a **listener** signs in with a token, sends ``ready``, and talks in every
  conversation it is given until the run ends;
- a **seeker** sends ``request``, waits for ``matched`` (the match latency),
  talks, sends ``end`` after ``session_messages`` messages (or when the run
  ends) and, with ``comeback``, asks again.

Talking is open loop (a :class:`Dispatcher` sends ``rate`` messages a second
in total, each to a random open conversation and side, on a fixed schedule;
how late each went out is recorded as the dispatch lag, so a server that
slows the sender down cannot hide it) or closed loop (each side answers the
other's message after ``think_ms``). Every message carries its
send time (``time.monotonic_ns``; sender and receiver share this machine's
clock) and id, so the receiver measures the one-way latency. A ``send``
refused with ``rate_limited`` is counted and sent again, with the same id,
after the wait the server asks for.

At the end of the run nothing new is sent; the run waits (up to ``drain_s``)
until every acknowledged message has arrived, then seekers end their
conversations and everyone disconnects.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import itertools
import random
import re
import secrets
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import protocol
from chatserver.client import ChatClient, ChatClientClosed, ChatClientError

from .options import Options
from .recorder import Recorder, RunResult, stamp
from .tokens import listener_token

__all__ = ["Dispatcher", "Run", "run"]

RETRY_AFTER_RE = re.compile(r"wait ([0-9]+(?:\.[0-9]+)?) s")
DEFAULT_RETRY_S = 0.2
MAX_STEP_S = 0.05
"""The open-loop dispatcher sleeps until the next message is due, at most this long."""


class Run:
    """What the people of one run share: options, tally, the clock of the run, its phases."""

    def __init__(self, options: Options, recorder: Recorder) -> None:
        self.options = options
        self.recorder = recorder
        self.rng = random.Random(options.seed)
        self.tag = secrets.token_hex(3)
        self.people: list[Person] = []
        self.stopping = False
        """No new messages: the run is draining what is in flight."""
        self.closing = False
        """Seekers end their conversations and everyone leaves."""
        self.dispatcher = Dispatcher(self) if options.rate is not None else None
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def wake_all(self) -> None:
        for person in self.people:
            person.wake.set()

    def stop(self) -> None:
        self.stopping = True
        self.wake_all()

    def close(self) -> None:
        self.stopping = self.closing = True
        self.wake_all()

    async def cancel_spawned(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def unacknowledged(self) -> int:
        return sum(len(p.unacked) for p in self.people)

    @property
    def conversations(self) -> int:
        return sum(len(p.sessions) for p in self.people if isinstance(p, Seeker))


class Person(abc.ABC):
    """One simulated person: a client, a reader, the conversations it is in."""

    role = "seeker"

    def __init__(self, run: Run, index: int, start_delay: float) -> None:
        self.run = run
        self.index = index
        self.start_delay = start_delay
        self.tag = f"{self.role[0]}{index}"
        urls = run.options.urls
        first = index % len(urls)
        self.urls = [*urls[first:], *urls[:first]]
        self.client: ChatClient | None = None
        self.sessions: dict[str, int] = {}
        """Open conversations: session id -> messages exchanged in it."""
        self.unacked: dict[str, protocol.Send] = {}
        self.wake = asyncio.Event()
        self._ids = itertools.count(1)
        self._retry: asyncio.TimerHandle | None = None

    # --- talking -------------------------------------------------------------

    async def say(self, session: str) -> None:
        """Send one message in ``session``, stamped with the time it goes out."""
        client = self.client
        if client is None or session not in self.sessions:
            return
        message_id = f"{self.tag}-{next(self._ids)}"
        text = stamp(time.monotonic_ns(), message_id, self.run.options.message_bytes)
        frame = protocol.Send(session=session, text=text, id=message_id)
        self.unacked[message_id] = frame
        self.run.recorder.on_send(message_id)
        await client.send(frame)

    def _answer_later(self, session: str) -> None:
        """Closed loop: answer after the think time."""
        think = self.run.options.think_ms or 0.0
        if think <= 0:
            self.run.spawn(self.say(session))
        else:
            asyncio.get_running_loop().call_later(
                think / 1000, lambda: self.run.spawn(self.say(session))
            )

    def _throttled(self, error: protocol.Error) -> None:
        """A ``send`` was refused with ``rate_limited``: send the unacknowledged ones again."""
        if self._retry is not None:
            return
        match = RETRY_AFTER_RE.search(error.message)
        wait = float(match.group(1)) if match else DEFAULT_RETRY_S
        self._retry = asyncio.get_running_loop().call_later(
            max(wait, 0.01), lambda: self.run.spawn(self._resend())
        )

    async def _resend(self) -> None:
        self._retry = None
        client = self.client
        if client is None:
            return
        for frame in list(self.unacked.values()):
            if frame.session in self.sessions and frame.id in self.unacked:
                self.run.recorder.resends += 1
                await client.send(frame)

    # --- reading -------------------------------------------------------------

    async def read(self) -> None:
        client = self.client
        assert client is not None
        while True:
            try:
                frame = await client.recv()
            except ChatClientClosed:
                self.wake.set()
                return
            try:
                await self.on_frame(frame)
            finally:
                self.wake.set()

    async def on_frame(self, frame: protocol.Frame) -> None:
        recorder = self.run.recorder
        if isinstance(frame, protocol.Sent):
            if self.unacked.pop(frame.id, None) is not None:
                recorder.on_sent(frame.id)
                self.count(frame.session, received=False)
        elif isinstance(frame, protocol.Message):
            recorder.on_message(frame.text, time.monotonic_ns())
            self.count(frame.session, received=True)
        elif isinstance(frame, protocol.Error):
            recorder.errors[frame.code] += 1
            if frame.code == protocol.ErrorCode.RATE_LIMITED and frame.ref == "send":
                self._throttled(frame)
        elif isinstance(frame, protocol.Matched):
            self.on_matched(frame)
        elif isinstance(frame, protocol.Queued):
            self.on_queued(frame)
        elif isinstance(frame, protocol.Ended):
            self.on_ended(frame)

    def count(self, session: str, *, received: bool) -> None:
        """One more message in ``session``; the closed loop answers what it received."""
        if session not in self.sessions:
            return
        self.sessions[session] += 1
        if received and self.run.options.think_ms is not None and not self.run.stopping:
            if not self.done_with(session):
                self._answer_later(session)

    def done_with(self, session: str) -> bool:
        """Whether this person means to end ``session`` now (only seekers end)."""
        return False

    def on_matched(self, frame: protocol.Matched) -> None:
        self.sessions[frame.session] = 0
        if self.run.dispatcher is not None:
            self.run.dispatcher.add(self, frame.session)

    def on_queued(self, frame: protocol.Queued) -> None:
        return None

    def on_ended(self, frame: protocol.Ended) -> None:
        self.sessions.pop(frame.session, None)
        if self.run.dispatcher is not None:
            self.run.dispatcher.remove(self, frame.session)
        dropped = [i for i, s in self.unacked.items() if s.session == frame.session]
        for message_id in dropped:
            del self.unacked[message_id]
        self.run.recorder.forget_unacked(dropped)

    # --- life ----------------------------------------------------------------

    async def until(self, condition: Callable[[], bool], timeout: float | None = None) -> bool:
        """Wait until ``condition()`` holds (re-checked whenever a frame arrives)."""
        try:
            async with asyncio.timeout(timeout):
                while not condition():
                    self.wake.clear()
                    await self.wake.wait()
        except TimeoutError:
            return False
        return True

    def new_client(self) -> ChatClient:
        return ChatClient(self.urls, role=self.role, seed=self.run.options.seed + self.index)

    async def life(self) -> None:
        await asyncio.sleep(self.start_delay)
        if self.run.stopping:
            return
        client = self.new_client()
        try:
            await client.connect()
        except (OSError, TimeoutError, ChatClientError) as exc:
            self.run.recorder.failures[f"connect_{type(exc).__name__}"] += 1
            return
        self.client = client
        reader = asyncio.create_task(self.read(), name=f"read-{self.tag}")
        try:
            await self.live()
        finally:
            self.run.recorder.reconnects += client.reconnects
            await client.close()
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    @abc.abstractmethod
    async def live(self) -> None:
        """What this person does once connected, until the run closes."""


class Listener(Person):
    """A trained listener: signs in, says ``ready``, answers in every conversation."""

    role = "listener"

    def new_client(self) -> ChatClient:
        options = self.run.options
        token = listener_token(
            options.secret,
            sub=f"loadtest-{self.run.tag}-{self.index}",
            name=f"Listener {self.index}",
            topics=options.topics,
            capacity=options.capacity,
            ttl_s=options.duration_s + 3600,
        )
        return ChatClient(
            self.urls, role="listener", token=token, seed=options.seed + 100_000 + self.index
        )

    async def live(self) -> None:
        assert self.client is not None
        await self.client.send(protocol.Ready())
        await self.until(lambda: self.run.closing)
        # seekers end the conversations; give them the drain time to do it
        await self.until(lambda: not self.sessions, timeout=self.run.options.drain_s)


class Seeker(Person):
    """Someone who asks for help: request, wait, talk, end; maybe come back."""

    def __init__(self, run: Run, index: int, start_delay: float) -> None:
        super().__init__(run, index, start_delay)
        self.topic = run.rng.choice(run.options.topics)
        self.waiting: str | None = None
        self.matched: str | None = None

    def on_queued(self, frame: protocol.Queued) -> None:
        self.waiting = frame.session

    def on_matched(self, frame: protocol.Matched) -> None:
        self.matched = frame.session
        self.waiting = None
        super().on_matched(frame)

    def on_ended(self, frame: protocol.Ended) -> None:
        if self.waiting == frame.session:
            self.waiting = None
        super().on_ended(frame)
        self.run.recorder.ended += 1

    def done_with(self, session: str) -> bool:
        limit = self.run.options.session_messages
        return limit > 0 and self.sessions.get(session, 0) >= limit

    async def live(self) -> None:
        client = self.client
        assert client is not None
        options, recorder = self.run.options, self.run.recorder
        while not self.run.stopping:
            self.matched = None
            asked = time.monotonic()
            recorder.requested += 1
            await client.send(protocol.Request(topics=(self.topic,)))
            await self.until(lambda: self.matched is not None or self.run.closing)
            session = self.matched
            if session is None:  # the run ended while waiting: leave the queue
                await self._leave(self.waiting)
                return
            recorder.on_matched(time.monotonic() - asked)
            if options.think_ms is not None:
                await self.say(session)  # the seeker speaks first
            await self.until(lambda s=session: self._talking_over(s))
            await self._leave(session)
            if not options.comeback:
                await self.until(lambda: self.run.closing)
                return
            await asyncio.sleep(options.comeback_ms / 1000)

    def _talking_over(self, session: str) -> bool:
        return session not in self.sessions or self.done_with(session) or self.run.closing

    async def _leave(self, session: str | None) -> None:
        """End ``session`` (a conversation, or a place in the queue) and wait for ``ended``."""
        if session is None or session not in self.sessions and session != self.waiting:
            return
        if self.run.dispatcher is not None:
            self.run.dispatcher.remove(self, session)
        assert self.client is not None
        await self.client.send(protocol.End(session=session))
        await self.until(
            lambda: session not in self.sessions and session != self.waiting,
            timeout=self.run.options.drain_s,
        )


class Dispatcher:
    """Open loop: ``rate`` messages a second in total, each to a random open conversation side.

    The schedule is fixed (message ``k`` is due ``k / rate`` seconds after the
    start) whatever the server does; how late each message went out is
    recorded as the dispatch lag, which grows when the server (or this
    process) cannot keep up. Messages due while no conversation is open are
    skipped and counted.
    """

    def __init__(self, run: Run) -> None:
        self.run = run
        self._sides: list[tuple[Person, str]] = []
        self._where: dict[tuple[int, str], int] = {}
        self.skipped = 0

    def __len__(self) -> int:
        return len(self._sides)

    def add(self, person: Person, session: str) -> None:
        key = (id(person), session)
        if key not in self._where:
            self._where[key] = len(self._sides)
            self._sides.append((person, session))

    def remove(self, person: Person, session: str) -> None:
        index = self._where.pop((id(person), session), None)
        if index is None:
            return
        last = self._sides.pop()
        if index < len(self._sides):
            self._sides[index] = last
            self._where[(id(last[0]), last[1])] = index

    async def run_loop(self) -> None:
        rate = self.run.options.rate
        assert rate is not None
        rng = random.Random(self.run.options.seed + 7)
        period_ns = 1e9 / rate
        t0 = time.monotonic_ns()
        sent = 0
        while not self.run.stopping:
            due = int((time.monotonic_ns() - t0) / period_ns) + 1  # message k is due at k periods
            while sent < due and not self.run.stopping:
                due_ns = t0 + int(sent * period_ns)
                sent += 1
                if not self._sides:
                    self.skipped += 1
                    continue
                person, session = self._sides[rng.randrange(len(self._sides))]
                self.run.recorder.lags.append((time.monotonic_ns() - due_ns) / 1e6)
                await person.say(session)
            next_due = t0 + sent * period_ns
            await asyncio.sleep(max(0.0, min(MAX_STEP_S, (next_due - time.monotonic_ns()) / 1e9)))


async def _drain(run: Run) -> None:
    """Wait (up to ``drain_s``) until every message sent has been acknowledged and delivered."""
    recorder = run.recorder
    deadline = time.monotonic() + run.options.drain_s
    while time.monotonic() < deadline and (recorder.in_flight or run.unacknowledged):
        await asyncio.sleep(0.02)


async def run(
    options: Options, on_tick: Callable[[Run], None] | None = None, tick_s: float = 0.5
) -> RunResult:
    """Run the scenario described by ``options`` against the server; return its figures.

    ``on_tick`` (a progress display) is called every ``tick_s`` seconds while it runs.
    """
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    recorder = Recorder()
    the_run = Run(options, recorder)
    ramp = options.ramp_s
    the_run.people = [
        Listener(the_run, j, ramp * j / options.listeners) for j in range(options.listeners)
    ] + [Seeker(the_run, i, ramp * i / options.seekers) for i in range(options.seekers)]
    lives = [asyncio.create_task(p.life(), name=f"life-{p.tag}") for p in the_run.people]
    helpers: list[asyncio.Task[None]] = []
    if the_run.dispatcher is not None:
        helpers.append(asyncio.create_task(the_run.dispatcher.run_loop(), name="dispatcher"))
    if on_tick is not None:
        helpers.append(asyncio.create_task(_ticker(the_run, on_tick, tick_s), name="progress"))
    try:
        await asyncio.sleep(options.duration_s)
        the_run.stop()
        await _drain(the_run)
        recorder.stopped_at = time.monotonic()
        the_run.close()
        await asyncio.wait(lives, timeout=options.drain_s * 2 + 5)
    finally:
        for task in [*lives, *helpers]:
            task.cancel()
        await asyncio.gather(*lives, *helpers, return_exceptions=True)
        await the_run.cancel_spawned()
    for task in lives:
        if not task.cancelled() and (exc := task.exception()) is not None:
            recorder.failures[f"crashed_{type(exc).__name__}"] += 1
    result = recorder.result(options.as_dict(), started_at, options.window_s)
    if the_run.dispatcher is not None:
        result.messages["skipped_no_conversation"] = the_run.dispatcher.skipped
    return result


async def _ticker(the_run: Run, on_tick: Callable[[Run], None], tick_s: float) -> None:
    while True:
        await asyncio.sleep(tick_s)
        on_tick(the_run)
