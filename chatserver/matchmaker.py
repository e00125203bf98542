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
import time
from typing import Any

import protocol

from .broker.base import Broker, Snapshot
from .clock import now_ms
from .config import Config
from .errors import BrokerUnavailable
from .hub import Hub
from .matching import plan_matches, positions
from .metrics import Metrics
from .tasks import reraise_if_cancelling
from .types import ListenerState

__all__ = ["Matchmaker"]


class Matchmaker:
    """Matching passes plus queue notifications for one node."""

    def __init__(
        self, broker: Broker, hub: Hub, config: Config, metrics: Metrics, log: Any
    ) -> None:
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
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            self._wake.clear()
            try:
                await self.run_pass()
            except BrokerUnavailable:
                reraise_if_cancelling()
                await asyncio.sleep(self._tick)  # the broker logs outages; retry on the next tick
            except Exception:
                reraise_if_cancelling()
                self._log.exception("matchmaker_pass_failed")
                await asyncio.sleep(self._tick)

    async def run_pass(self) -> None:
        snapshot = await self._broker.snapshot()
        if self._config.routing.mode == "auto" and await self._match(snapshot):
            snapshot = await self._broker.snapshot()
        self._set_gauges(snapshot)
        if time.monotonic() - self._last_notice >= self._interval:
            self._notify(snapshot)
        else:
            self._pending_notice = True

    async def _match(self, snapshot: Snapshot) -> bool:
        plan = plan_matches(
            snapshot.waiting,
            snapshot.listeners,
            assign_supervisors=self._config.routing.assign_supervisors,
        )
        matched = False
        for entry, slot in plan:
            now = now_ms()
            record = await self._broker.claim(entry.session, slot.listener, now, require_ready=True)
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

    def _notify(self, snapshot: Snapshot) -> None:
        """Tell seekers on this node their place, and listeners the queue, if changed."""
        self._last_notice = time.monotonic()
        self._pending_notice = False
        places = positions(snapshot.waiting)
        waiting = len(snapshot.waiting)
        shown = snapshot.waiting[: self._config.queue.listing_max]
        listing = (waiting, tuple(e.session for e in shown))
        now = now_ms()
        queue_frame = protocol.Queue(
            waiting=waiting,
            entries=tuple(
                protocol.QueueEntry(
                    id=e.session, topics=e.topics, waited_s=max(0, now - e.enqueued_ms) // 1000
                )
                for e in shown
            ),
        )
        for attached in self._hub:
            if attached.role.is_staff:
                if listing != attached.last_listing:
                    attached.last_listing = listing
                    attached.push(queue_frame)
                continue
            session = attached.waiting_session()
            if session is None or session not in places:
                continue
            state = (places[session], waiting)
            if state != attached.last_queued:
                attached.last_queued = state
                attached.push(protocol.Queued(session=session, position=state[0], waiting=waiting))
