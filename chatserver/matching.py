"""Who waits where and who helps whom: the matching rules, as pure functions.

The queue is served by priority (urgent first), then oldest first. A
listener can help a seeker when they are trained for one of the seeker's
topics, or the seeker chose none. Among the listeners who can, the
least-loaded wins, then the one idle longest, so work spreads evenly and
nobody is left hanging at the end of the list.

Brokers hand these functions a snapshot; the claim that follows is atomic in
the broker, so a plan made on a stale snapshot can fail but never
double-match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from .types import ClientId, ListenerId, ListenerState, Role, SessionId

__all__ = [
    "ListenerSlot",
    "WaitingSeeker",
    "best_entry_for",
    "can_help",
    "plan_matches",
    "positions",
    "queue_key",
    "queue_order",
]


@dataclass(frozen=True, slots=True)
class WaitingSeeker:
    """A queue entry as matching sees it: no words, no handle."""

    session: SessionId
    seeker: ClientId
    topics: tuple[str, ...]
    enqueued_ms: int
    priority: int = 0
    ticket: int = 0
    """Arrival order, from a counter the broker keeps: breaks ties within a millisecond."""
    present: bool = True
    """False while the seeker's connection is gone: they keep their place, unmatched."""


@dataclass(frozen=True, slots=True)
class ListenerSlot:
    """A signed-in listener's presence and load."""

    listener: ListenerId
    client: ClientId
    name: str
    role: Role
    topics: tuple[str, ...]
    capacity: int
    load: int
    ready: bool
    idle_since_ms: int
    present: bool = True
    """False while the listener's connection is gone (within their grace window)."""
    resting_until_ms: int = 0
    """A cool-down after a session: no new one before this time."""

    @property
    def state(self) -> ListenerState:
        """Available (ready with room), busy (ready, full) or away (not ready, or gone)."""
        if not self.ready or not self.present:
            return ListenerState.AWAY
        return ListenerState.AVAILABLE if self.load < self.capacity else ListenerState.BUSY

    @property
    def has_room(self) -> bool:
        """Ready, connected, and under capacity: may be given someone new."""
        return self.ready and self.present and self.load < self.capacity

    def can_take(self, now_ms: int) -> bool:
        """Has room and is not resting after a session."""
        return self.has_room and self.resting_until_ms <= now_ms


def queue_key(entry: WaitingSeeker) -> tuple[int, int, int, str]:
    """Where an entry sorts: urgent before normal, then oldest first (arrival ticket,
    then session id, on ties)."""
    return (-entry.priority, entry.enqueued_ms, entry.ticket, entry.session)


def queue_order(entries: Iterable[WaitingSeeker]) -> list[WaitingSeeker]:
    """The queue in serving order (see :func:`queue_key`)."""
    return sorted(entries, key=queue_key)


def positions(ordered: Sequence[WaitingSeeker]) -> dict[SessionId, int]:
    """1-based place of each entry in an already ordered queue."""
    return {entry.session: i for i, entry in enumerate(ordered, start=1)}


def can_help(listener: ListenerSlot, entry: WaitingSeeker) -> bool:
    """Trained for one of the seeker's topics, or the seeker chose none; supervisors help all."""
    if not entry.topics or listener.role is Role.SUPERVISOR:
        return True
    return not set(entry.topics).isdisjoint(listener.topics)


def _preference(listener: ListenerSlot) -> tuple[int, int, str]:
    return (listener.load, listener.idle_since_ms, listener.listener)


def plan_matches(
    ordered: Sequence[WaitingSeeker],
    listeners: Iterable[ListenerSlot],
    *,
    assign_supervisors: bool = False,
    now_ms: int = 0,
) -> list[tuple[WaitingSeeker, ListenerSlot]]:
    """Pair waiting seekers with listeners for automatic routing.

    Walks the queue in order; each seeker goes to the least-loaded,
    longest-idle listener with room who can help. A seeker nobody can help
    is skipped, so the ones behind are not held up by them.
    """
    pool = {
        slot.listener: slot
        for slot in listeners
        if slot.can_take(now_ms) and (assign_supervisors or slot.role is not Role.SUPERVISOR)
    }
    plan: list[tuple[WaitingSeeker, ListenerSlot]] = []
    for entry in ordered:
        if not pool:
            break
        if not entry.present:
            continue
        candidates = [slot for slot in pool.values() if can_help(slot, entry)]
        if not candidates:
            continue
        chosen = min(candidates, key=_preference)
        plan.append((entry, chosen))
        updated = replace(chosen, load=chosen.load + 1)
        if updated.has_room:
            pool[chosen.listener] = updated
        else:
            del pool[chosen.listener]
    return plan


def best_entry_for(
    listener: ListenerSlot, ordered: Sequence[WaitingSeeker]
) -> WaitingSeeker | None:
    """The first present seeker in queue order this listener can help (``take`` without id)."""
    return next((e for e in ordered if e.present and can_help(listener, e)), None)
