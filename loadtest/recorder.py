"""The tally of a run: what was sent, acknowledged, delivered, how long things took.

Simulated people report into one :class:`Recorder` (one event loop, so no
locks); :meth:`Recorder.result` turns it into the figures of the report.
Every message is tracked by its id from ``send`` until it reaches the other
person, so a run can tell exactly which acknowledged messages never arrived.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .stats import Histogram, Summary, Window, histogram, log_edges, summarize, windows

__all__ = ["HISTOGRAM_EDGES_MS", "Recorder", "RunResult", "stamp", "read_stamp"]

HISTOGRAM_EDGES_MS = log_edges(0.01, 100_000.0, per_decade=10)
"""Latency bins from 10 µs to 100 s, ten a decade."""


def stamp(sent_ns: int, message_id: str, size: int) -> str:
    """The text of a load-test message: its send time, its id, padding up to ``size``."""
    head = f"{sent_ns} {message_id} "
    return head + "x" * max(1, size - len(head))


def read_stamp(text: str) -> tuple[int, str] | None:
    """The send time (``time.monotonic_ns``) and id in a message's text, or None."""
    parts = text.split(" ", 2)
    if len(parts) < 2 or not parts[0].isdigit():
        return None
    return int(parts[0]), parts[1]


@dataclass(slots=True)
class RunResult:
    """Every figure of a finished run (see :mod:`loadtest.report` for how it is shown)."""

    params: dict[str, Any]
    started_at: str
    elapsed_s: float
    sessions: dict[str, int]
    match_latency: Summary
    relay_latency: Summary
    dispatch_lag: Summary
    messages: dict[str, int]
    delivered_per_s: float
    errors: dict[str, int]
    failures: dict[str, int]
    rate_limited: int
    resends: int
    reconnects: int
    series: list[Window]
    match_series: list[Window]
    histogram: Histogram

    @property
    def all_delivered(self) -> bool:
        """Every acknowledged message reached the other person."""
        return self.messages["lost"] == 0


@dataclass(slots=True)
class Recorder:
    """Counts and samples of one run; times are ``time.monotonic()`` seconds."""

    t0: float = field(default_factory=time.monotonic)
    requested: int = 0
    matched: int = 0
    ended: int = 0
    sent: int = 0
    acked: int = 0
    delivered: int = 0
    resends: int = 0
    reconnects: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    relay: list[tuple[float, float]] = field(default_factory=list)
    matches: list[tuple[float, float]] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    """Open loop: how late each message went out after it was due (ms)."""
    flights: dict[str, bool] = field(default_factory=dict)
    """Messages sent and not yet delivered: id -> whether the sender got its ``sent``."""
    abandoned: int = 0
    """Messages never acknowledged whose session ended (refused or overtaken by the end)."""
    stopped_at: float | None = None

    def now(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.t0

    def on_send(self, message_id: str) -> None:
        self.sent += 1
        self.flights[message_id] = False

    def on_sent(self, message_id: str) -> None:
        self.acked += 1
        if message_id in self.flights:
            self.flights[message_id] = True

    def on_message(self, text: str, now_ns: int) -> None:
        """A message reached the other person: record its one-way latency; no longer in flight."""
        parsed = read_stamp(text)
        if parsed is None:
            self.failures["unreadable_message"] += 1
            return
        sent_ns, message_id = parsed
        self.delivered += 1
        self.flights.pop(message_id, None)
        self.relay.append((self.now(), (now_ns - sent_ns) / 1e6))

    def on_matched(self, waited_s: float) -> None:
        self.matched += 1
        self.matches.append((self.now(), waited_s * 1000.0))

    def forget_unacked(self, message_ids: list[str]) -> None:
        """Messages the server refused for good (their session ended): no longer in flight."""
        for message_id in message_ids:
            if self.flights.get(message_id) is False:
                del self.flights[message_id]
                self.abandoned += 1

    @property
    def in_flight(self) -> int:
        """Acknowledged messages not yet delivered."""
        return sum(1 for acked in self.flights.values() if acked)

    def result(self, params: dict[str, Any], started_at: str, window_s: float) -> RunResult:
        elapsed = (self.stopped_at or time.monotonic()) - self.t0
        lost = self.in_flight
        unacked = sum(1 for acked in self.flights.values() if not acked)
        return RunResult(
            params=params,
            started_at=started_at,
            elapsed_s=elapsed,
            sessions={"requested": self.requested, "matched": self.matched, "ended": self.ended},
            match_latency=summarize(ms for _, ms in self.matches),
            relay_latency=summarize(ms for _, ms in self.relay),
            dispatch_lag=summarize(self.lags),
            messages={
                "sent": self.sent,
                "acknowledged": self.acked,
                "delivered": self.delivered,
                "lost": lost,
                "unacknowledged": unacked,
                "abandoned": self.abandoned,
            },
            delivered_per_s=self.delivered / elapsed if elapsed > 0 else 0.0,
            errors=dict(sorted(self.errors.items())),
            failures=dict(sorted(self.failures.items())),
            rate_limited=self.errors.get("rate_limited", 0),
            resends=self.resends,
            reconnects=self.reconnects,
            series=windows(self.relay, window_s),
            match_series=windows(self.matches, window_s),
            histogram=histogram((ms for _, ms in self.relay), HISTOGRAM_EDGES_MS),
        )
