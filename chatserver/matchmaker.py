"""The queue's engine room: matching passes and everyone's view of the queue.

One task per node. It wakes when something changed (a seeker queued, a
listener became ready, a session ended, another node said so) or once a
``tick`` as a safety net, takes a broker snapshot, and in ``auto`` routing
claims the pairs :func:`~chatserver.matching.plan_matches` proposes. Claims
are atomic in the broker, so several nodes may plan at once; a lost race just
means a claim comes back empty.

Then it refreshes what people see: a ``queued`` frame for each waiting seeker
on this node whose place changed, a ``queue`` frame for listeners when the
queue's entries changed, and the queue gauges. Matching is never delayed;
these notifications are sent at most once per ``queue.update_interval_ms``
so that a burst of arrivals does not become a burst of frames to everyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from typing import TYPE_CHECKING, Any

import protocol

from .broker.base import Broker, Snapshot
from .clock import now_ms
from .config import Config
from .errors import BrokerUnavailable
from .hub import Attached, Hub
from .matching import plan_matches, positions
from .metrics import Metrics
from .tasks import reraise_if_cancelling
from .types import ListenerState, Role

if TYPE_CHECKING:
    from .care import Care

ETA_WINDOW_S = 900
ETA_MIN_MATCHES = 5

QUEUED_FANOUT_PER_S = 1000
"""A change in the queue's length alone reaches each waiting seeker at most every
``waiting / QUEUED_FANOUT_PER_S`` seconds (and never faster than ``update_interval_ms``)."""
IDLE_REFRESH_S = 5.0
"""While nobody waits, a timed pass (which refreshes the gauges) runs this seldom."""

__all__ = ["Matchmaker"]


class Matchmaker:
    """Matching passes plus queue notifications for one node."""

    def __init__(
        self, broker: Broker, hub: Hub, config: Config, metrics: Metrics, log: Any, care: Care
    ) -> None:
        self._care = care
        self.last_waiting = 0
        """How many waited at the last pass (for the ``queue.max_waiting`` cap)."""
        self._broker = broker
        self._hub = hub
        self._config = config
        self._metrics = metrics
        self._log = log
        self._wake = asyncio.Event()
        self._interval = config.queue.update_interval_ms / 1000
        self._tick = 1.0
        self._last_notice = 0.0
        self._pending_notice = False
        self._last_pass = 0.0

    def poke(self) -> None:
        """Ask for a pass soon (cheap; many pokes coalesce into one pass)."""
        self._wake.set()

    async def run(self) -> None:
        """Run passes until cancelled; a failing pass is logged and retried, never fatal."""
        while True:
            reraise_if_cancelling()
            timeout = self._tick
            if self._pending_notice:
                timeout = max(0.0, self._last_notice + self._interval - time.monotonic())
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            # that arrives as the event fires, and this task would never stop.
            poked = False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
                    poked = True
            self._wake.clear()
            if not poked and self._idle():
                continue
            try:
                self._last_pass = time.monotonic()
                await self.run_pass()
            except BrokerUnavailable:
                reraise_if_cancelling()
                await asyncio.sleep(self._tick)  # the broker logs outages; retry on the next tick
            except Exception:
                reraise_if_cancelling()
                self._log.exception("matchmaker_pass_failed")
                await asyncio.sleep(self._tick)

    def _idle(self) -> bool:
        """Nothing changed and nobody waits: the timed pass can wait (its snapshot reads
        every listener, which on Redis costs a round trip and parsing per listener)."""
        return (
            not self._pending_notice
            and self.last_waiting == 0
            and time.monotonic() - self._last_pass < IDLE_REFRESH_S
        )

    async def run_pass(self) -> None:
        snapshot = await self._broker.snapshot()
        if self._config.routing.mode == "auto" and await self._match(snapshot):
            # The queue again, for places; the listeners as they were (their gauges lag
            # by one pass): reading every listener twice a pass halved Redis matching.
            after = await self._broker.snapshot(listeners=False)
            snapshot = dataclasses.replace(after, listeners=snapshot.listeners)
        self._set_gauges(snapshot)
        self.last_waiting = len(snapshot.waiting)
        if time.monotonic() - self._last_notice >= self._interval:
            await self._notify(snapshot)
        else:
            self._pending_notice = True

    async def _match(self, snapshot: Snapshot) -> bool:
        # Each node assigns seekers to the listeners connected to it: nodes do not race
        # each other for the same listener (a lost claim is work thrown away), and
        # nobody is given to a listener who is away or whose node is gone.
        here = [slot for slot in snapshot.listeners if self._hub.get(slot.client) is not None]
        plan = plan_matches(
            snapshot.waiting,
            here,
            assign_supervisors=self._config.routing.assign_supervisors,
            now_ms=now_ms(),
        )
        now = now_ms()
        records = await self._broker.claim_many(
            [(entry.session, slot.listener) for entry, slot in plan], now, require_ready=True
        )
        matched = False
        for record in records:
            if record is not None:
                matched = True
                self._metrics.wait_seconds.observe(max(0, now - record.created_ms) / 1000)
        if matched:
            await self._broker.queue_changed()
        return matched

    def _set_gauges(self, snapshot: Snapshot) -> None:
        self._metrics.set_queue(snapshot.first_topics)
        by_state: dict[ListenerState, int] = {}
        for slot in snapshot.listeners:
            by_state[slot.state] = by_state.get(slot.state, 0) + 1
        self._metrics.set_listeners(by_state)
        self._metrics.sessions_active.set(snapshot.active_sessions)

    async def _eta(self, now: int) -> float | None:
        """Seconds per place in the queue, from the service's recent matches (or None).

        Method (PROTOCOL.md, "Safety"): the matches of the last ``ETA_WINDOW_S`` across
        all nodes; with at least ``ETA_MIN_MATCHES`` of them, a place takes the time they
        span (since the first of them, at least a minute) divided by their number.
        """
        matches, first = await self._broker.recent_matches(now - ETA_WINDOW_S * 1000)
        if matches < ETA_MIN_MATCHES:
            return None
        span_s = max(60.0, (now - first) / 1000)
        return span_s / matches

    async def _notify(self, snapshot: Snapshot) -> None:
        """Tell seekers on this node their place, staff the queue, supervisors the overview."""
        self._last_notice = time.monotonic()
        self._pending_notice = False
        places = positions(snapshot.waiting)
        waiting = len(snapshot.waiting)
        shown = snapshot.waiting[: self._config.queue.listing_max]
        listing = (waiting, tuple((e.session, e.priority) for e in shown))
        now = now_ms()
        queue_frame = protocol.Queue(
            waiting=waiting,
            entries=tuple(
                protocol.QueueEntry(
                    id=e.session,
                    topics=e.topics,
                    waited_s=max(0, now - e.enqueued_ms) // 1000,
                    priority="urgent" if e.priority else None,
                    risk=True if e.priority else None,
                )
                for e in shown
            ),
        )
        local_waiting = any(not a.role.is_staff and a.waiting_session() for a in self._hub)
        per_place = await self._eta(now) if local_waiting else None
        long_wait = self._config.queue.long_wait_s
        # A connection still being welcomed (or replayed) holds its events: it hears
        # from the queue on the next notice, never before its ``welcome``.
        present = [a for a in self._hub if a.held is None]
        supervisors = [a for a in present if a.role is Role.SUPERVISOR]
        if supervisors:
            await self._overview(supervisors, waiting, now)
        clock = time.monotonic()
        refresh_s = max(self._interval, waiting / QUEUED_FANOUT_PER_S)
        for attached in present:
            if attached.role.is_staff:
                if listing != attached.last_listing:
                    attached.last_listing = listing
                    attached.push(queue_frame)
                continue
            session = attached.waiting_session()
            if session is None or session not in places:
                continue
            place = places[session]
            eta = None if per_place is None else int(place * per_place // 30 * 30)
            state = (place, waiting, eta)
            last_place, last_waiting, last_eta = attached.last_queued
            # A new place or ETA goes out at once; a new queue length alone (which every
            # arrival changes, for everyone waiting) no faster than keeps these updates
            # near QUEUED_FANOUT_PER_S frames a second however long the queue.
            if (place, eta) != (last_place, last_eta) or (
                waiting != last_waiting and clock - attached.last_queued_at >= refresh_s
            ):
                attached.last_queued = state
                attached.last_queued_at = clock
                attached.push(
                    protocol.Queued(session=session, position=place, waiting=waiting, eta_s=eta)
                )
            view = attached.sessions[session]
            expected = eta if eta is not None else (now - view.created_ms) / 1000
            if expected > long_wait and session not in attached.told_long_wait:
                attached.told_long_wait |= {session}
                self._care.resources(attached, "long_wait")

    async def _overview(self, supervisors: list[Attached], waiting: int, now: int) -> None:
        sessions = (await self._broker.active_sessions())[:200]
        infos = tuple(
            protocol.SessionInfo(
                id=r.id,
                topics=r.topics,
                listener=r.listener_name or "",
                started_s=max(0, now - r.matched_ms) // 1000,
                risk=r.risk or None,
                escalated=r.escalated or None,
                supervised=(len(r.members) > 2) or None,
            )
            for r in sessions
        )
        shape = (
            waiting,
            tuple((i.id, i.listener, i.risk, i.escalated, i.supervised) for i in infos),
        )
        frame = protocol.Overview(waiting=waiting, sessions=infos)
        for attached in supervisors:
            if attached.last_overview != shape:
                attached.last_overview = shape
                attached.push(frame)
