"""The session lifecycle: one table of states and transitions, no I/O.

Theory of operation
-------------------
A seeker's ``request`` creates a session in ``WAITING``: the session *is*
the queue entry, so a seeker can leave the queue with ``end`` like any
session. A listener (auto-assigned or by ``take``) moves it to ``ACTIVE``.
Either side, a lost connection, idleness or shutdown moves it to ``ENDED``
with a reason; ``ENDED`` is final and means everything said in the session
has been deleted.

The brokers hold the state; they ask :func:`transition` which move is legal
and apply it atomically (a compare-and-set in Redis), so the rules live here
once. An illegal move raises :class:`IllegalTransition` naming the event,
the actor and the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .types import ClientId, EndReason, ListenerId, Role, SessionId

__all__ = [
    "TRANSITIONS",
    "Event",
    "IllegalTransition",
    "SessionRecord",
    "State",
    "end_reason",
    "transition",
]


class State(StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"
    ENDED = "ended"


class Event(StrEnum):
    MATCH = "match"
    """A listener claimed the waiting seeker."""
    END = "end"
    """Someone or something ended the session."""


TRANSITIONS: dict[tuple[State, Event], State] = {
    (State.WAITING, Event.MATCH): State.ACTIVE,
    (State.WAITING, Event.END): State.ENDED,
    (State.ACTIVE, Event.END): State.ENDED,
}
"""Every legal move; anything absent is illegal (``ENDED`` has no way out)."""


class IllegalTransition(Exception):
    """An event that the session's state does not allow."""

    def __init__(self, state: State, event: Event, actor: str) -> None:
        super().__init__(f"{actor} cannot {event.value} a session that is {state.value}")
        self.state = state
        self.event = event
        self.actor = actor


def transition(state: State, event: Event, actor: str = "server") -> State:
    """The state after ``event``, or :class:`IllegalTransition`."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition(state, event, actor) from None


def end_reason(state: State, actor: Role) -> EndReason:
    """Why a session ends when ``actor`` sends ``end`` in ``state``."""
    if state is State.WAITING:
        return EndReason.LEFT_QUEUE
    return EndReason.SEEKER_ENDED if actor is Role.SEEKER else EndReason.LISTENER_ENDED


@dataclass(slots=True)
class SessionRecord:
    """What a broker holds of one session. ``intro`` is the only text in it.

    Attributes:
        members: every participant who receives its messages (seeker first).
    """

    id: SessionId
    state: State
    seeker: ClientId
    seeker_handle: str
    topics: tuple[str, ...]
    created_ms: int
    priority: int = 0
    intro: str | None = None
    listener: ClientId | None = None
    listener_id: ListenerId | None = None
    listener_name: str | None = None
    matched_ms: int = 0
    last_activity_ms: int = 0
    members: list[ClientId] = field(default_factory=list)
    risk: bool = False
    """Something said in it (or the intro) matched a risk pattern; only the flag is kept."""
    escalated: bool = False
    transfer_seq: int = 0
    """The ``seq`` at the last transfer: the new listener is not shown earlier messages."""

    def peers_of(self, client: ClientId) -> list[ClientId]:
        """Everyone in the session but ``client``."""
        return [m for m in self.members if m != client]
