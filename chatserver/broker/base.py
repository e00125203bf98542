"""The broker contract: shared state and delivery, behind one interface.

A broker holds everything that several nodes must agree on: who is signed
in and where, the queue, listener load, sessions and their messages in
transit. The node logic (``chatserver.node``) only talks to this interface,
so it runs unchanged on the in-memory broker (one node, the default) and on
Redis (several nodes). One behaviour suite runs on both.

Guarantees every implementation gives, per method below:

- **Atomic claims.** ``claim`` moves a session from waiting to active and
  adds one to the listener's load in one indivisible step: a session is
  matched at most once and no listener goes over capacity, whatever races.
- **Ended once, deleted at once.** ``end`` succeeds for exactly one caller,
  tells every attached member, and deletes every trace of the session (its
  intro and messages included) before returning.
- **Ordered messages.** ``post`` numbers a session's messages 1, 2, 3... and
  delivers them to each member in that order.
- **Delivery follows the person.** Events for a client go to the node it is
  attached to now; a client attached nowhere gets nothing live.

Events come back to the node through the ``EventSink`` given to ``start``;
the sink must not block (it only puts frames into outboxes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from ..matching import ListenerSlot, WaitingSeeker
from ..session import SessionRecord, State
from ..types import ClientId, EndReason, ListenerId, NodeId, Role, SessionId

__all__ = [
    "Broker",
    "BrokerEvent",
    "EndedEvent",
    "EventSink",
    "FrameEvent",
    "KickEvent",
    "MatchedEvent",
    "MemberEvent",
    "MessageEvent",
    "Participant",
    "PostResult",
    "PresenceEvent",
    "RESUME_TOMBSTONE_S",
    "ResumeStatus",
    "QueueChangedEvent",
    "ServiceEvent",
    "Snapshot",
    "StoredMessage",
    "TransferredEvent",
    "TypingEvent",
]


@dataclass(frozen=True, slots=True)
class Participant:
    """One person's presence, across connections.

    Attributes:
        handle: the seeker's random handle, or the listener's name.
        node: the node the client is attached to, or None while away.
        attachment: random id of the current connection (a takeover kicks the old one).
        away_since_ms: when the client went away (0 while attached).
    """

    client: ClientId
    role: Role
    handle: str
    listener: ListenerId | None = None
    node: NodeId | None = None
    attachment: str = ""
    away_since_ms: int = 0
    sessions: frozenset[SessionId] = frozenset()
    resume_hash: str = ""
    """Hash of the client's current resume token (the token itself is never stored)."""
    address: str = ""
    """A keyed hash of the client's address (for optional address blocks), never the address."""


class ResumeStatus(StrEnum):
    """What a resume token's hash is known as."""

    LIVE = "live"
    """It names a client whose grace window has not run out."""
    EXPIRED = "expired"
    """It was real, but the client was released when its grace window ran out."""
    USED = "used"
    """It was rotated by a resume: single use, so it is dead (a stolen or stale copy)."""
    UNKNOWN = "unknown"
    """Never issued here, or forgotten long ago."""


RESUME_TOMBSTONE_S = 24 * 3600
"""How long a used or expired token's hash is remembered, to answer it precisely."""


@dataclass(frozen=True, slots=True)
class PostResult:
    """A message accepted into a session: its ``seq`` and server time."""

    seq: int
    ts: int
    duplicate: bool = False
    """True when this ``id`` was posted before: nothing was delivered again."""


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message kept for resume while its session lives."""

    seq: int
    sender: ClientId
    ts: int
    message_id: str
    text: str
    sender_name: str = ""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The queue (in serving order) and every signed-in listener, at one moment."""

    waiting: list[WaitingSeeker]
    listeners: list[ListenerSlot]
    active_sessions: int
    taken_ms: int = 0
    first_topics: dict[str, int] = field(default_factory=dict)


# --- events a broker delivers to the node a client is attached to -------------


@dataclass(frozen=True, slots=True)
class MessageEvent:
    client: ClientId
    session: SessionId
    seq: int
    ts: int
    text: str
    sender: str | None = None
    """The sender's name, when more than two people are in the session."""


@dataclass(frozen=True, slots=True)
class MatchedEvent:
    """A session became active; carries what the client's node needs to know of it."""

    client: ClientId
    session: SessionId
    peer: str
    topics: tuple[str, ...]
    intro: str | None
    seeker: ClientId
    seeker_handle: str
    listener: ClientId
    listener_id: ListenerId
    listener_name: str
    risk: bool = False
    handover: str | None = None


@dataclass(frozen=True, slots=True)
class EndedEvent:
    client: ClientId
    session: SessionId
    reason: EndReason


@dataclass(frozen=True, slots=True)
class TypingEvent:
    client: ClientId
    session: SessionId


@dataclass(frozen=True, slots=True)
class PresenceEvent:
    """The other member of ``session`` went away (``away``) or came back."""

    client: ClientId
    session: SessionId
    away: bool


@dataclass(frozen=True, slots=True)
class MemberEvent:
    """Someone (a supervisor) joined or left the session."""

    client: ClientId
    session: SessionId
    name: str
    role: Role
    joined: bool


@dataclass(frozen=True, slots=True)
class TransferredEvent:
    """Seeker: the session goes on with another listener."""

    client: ClientId
    session: SessionId
    peer: str


@dataclass(frozen=True, slots=True)
class FrameEvent:
    """An already encoded frame for a client."""

    client: ClientId
    frame: bytes


@dataclass(frozen=True, slots=True)
class KickEvent:
    """Close the client's connection with this ``attachment``: another one took over."""

    client: ClientId
    attachment: str


@dataclass(frozen=True, slots=True)
class QueueChangedEvent:
    """The queue or listener presence changed somewhere: refresh positions and gauges."""


@dataclass(frozen=True, slots=True)
class ServiceEvent:
    """The broker's store was lost (``available=False``) or is back (``True``).

    After a loss the store may have forgotten everything: the node re-describes
    its clients (``attach``, ``set_listener``, ``enqueue``, ``restore``).
    """

    available: bool
    data_kept: bool = True
    """With ``available``: False when the store came back empty (restarted without data)."""


BrokerEvent = (
    MessageEvent
    | MatchedEvent
    | EndedEvent
    | TypingEvent
    | PresenceEvent
    | MemberEvent
    | TransferredEvent
    | FrameEvent
    | KickEvent
    | QueueChangedEvent
    | ServiceEvent
)
EventSink = Callable[[BrokerEvent], None]


class Broker(Protocol):
    """Shared state and delivery for the node logic (see the module docstring)."""

    node_id: NodeId

    @property
    def available(self) -> bool:
        """False while the shared store is unreachable (``/healthz`` turns 503)."""
        ...

    async def start(self, sink: EventSink) -> None:
        """Connect, and from now on hand every event for this node's clients to ``sink``."""
        ...

    async def close(self) -> None:
        """Stop delivering and release connections; this node's entries may remain for others
        to clean up."""
        ...

    # --- participants ------------------------------------------------------

    async def attach(self, participant: Participant) -> Participant | None:
        """Record ``participant`` as attached to this node; returns the record it replaced.

        The sessions of a replaced record are kept (a resume, or a listener
        signing in again, takes the conversations over). A previous attachment
        still open elsewhere gets a ``KickEvent``; a client that was away makes
        the other members of its active sessions get ``PresenceEvent(away=False)``.
        ``resume_hash`` becomes the client's live token; the previous one is dead.
        """
        ...

    async def detach(self, client: ClientId, attachment: str, now_ms: int) -> Participant | None:
        """The connection with ``attachment`` is gone: mark the client away since ``now_ms``.

        The other members of its active sessions get ``PresenceEvent(away=True)``
        and its waiting session is not matched until it comes back. Does nothing
        (returns None) if another attachment took over meanwhile.
        """
        ...

    async def forget(self, client: ClientId) -> None:
        """Delete the participant record (after its sessions have ended); its resume
        token is remembered as expired."""
        ...

    async def lookup_resume(self, token_hash: str) -> tuple[ResumeStatus, ClientId | None]:
        """What a resume token's hash names (see :class:`ResumeStatus`)."""
        ...

    async def ended_reason(self, session: SessionId) -> EndReason | None:
        """Why a session ended, for a while after it did (so a client resuming late is
        told the truth); None if it never existed or ended long ago."""
        ...

    async def get_participant(self, client: ClientId) -> Participant | None: ...

    # --- listeners ---------------------------------------------------------

    async def set_listener(self, slot: ListenerSlot, *, restore_load: bool = False) -> None:
        """Create or update a listener's presence.

        ``load`` is kept as the broker counts it, unless ``restore_load`` (after
        the store lost its data, the node knows the load best).
        """
        ...

    async def get_listener(self, listener: ListenerId) -> ListenerSlot | None: ...

    async def remove_listener(self, listener: ListenerId) -> None: ...

    # --- queue and matching ------------------------------------------------

    async def enqueue(self, record: SessionRecord) -> tuple[int, int]:
        """Store a new waiting session and queue it; returns (its position, how many wait)."""
        ...

    async def snapshot(self, *, listeners: bool = True) -> Snapshot:
        """The queue in serving order, every listener, and the active session count.

        ``listeners=False`` leaves the listeners out (an empty list): reading every
        listener is the costly part on Redis, and a pass only needs them to plan.
        """
        ...

    async def claim(
        self, session: SessionId, listener: ListenerId, now_ms: int, *, require_ready: bool
    ) -> SessionRecord | None:
        """Atomically match a waiting session with a listener who has room.

        Returns the now active session, or None when the session is no longer
        waiting or the listener has no room (or is not ready, if required).
        On success both members get a ``MatchedEvent``.
        """
        ...

    async def claim_many(
        self, pairs: Sequence[tuple[SessionId, ListenerId]], now_ms: int, *, require_ready: bool
    ) -> list[SessionRecord | None]:
        """:meth:`claim` each pair, in order; each claim is atomic on its own.

        A matching pass claims many pairs at once: a broker over the network
        sends them together (one round trip) rather than one after another.
        """
        ...

    # --- sessions ----------------------------------------------------------

    async def get_session(self, session: SessionId) -> SessionRecord | None: ...

    async def restore(self, record: SessionRecord, seq_floor: int) -> None:
        """Make sure an active session exists as described (after the store lost it).

        Creates it when missing; otherwise only raises its sequence to ``seq_floor``,
        so numbering never goes back for clients that saw messages up to it.
        """
        ...

    async def end(
        self,
        session: SessionId,
        reason: EndReason,
        *,
        expect: State,
        now_ms: int,
        rest_until_ms: int = 0,
    ) -> SessionRecord | None:
        """End the session if it is still in state ``expect``; delete all of it.

        Returns the record as it was when this call ended it, or None if it had
        already ended or moved on. Attached members get an ``EndedEvent``; its
        listener rests (gets nobody new) until ``rest_until_ms``.
        """
        ...

    async def post(
        self,
        session: SessionId,
        sender: ClientId,
        message_id: str,
        text: str,
        now_ms: int,
        sender_name: str = "",
    ) -> PostResult | None:
        """Number and deliver a message to the other members of an active session.

        Returns None if the session is not active or ``sender`` is not in it. A
        ``message_id`` seen before in the session returns the first result with
        ``duplicate=True`` and delivers nothing. With more than two members the
        message carries ``sender_name``.
        """
        ...

    async def mark(self, session: SessionId, flag: str) -> tuple[bool, SessionRecord] | None:
        """Set ``risk`` or ``escalated`` on a waiting or active session.

        Returns (whether it was newly set, the record), or None if there is no such
        session. For ``risk`` on a waiting session the queue entry becomes urgent.
        """
        ...

    async def join(
        self, session: SessionId, supervisor: ClientId, name: str
    ) -> SessionRecord | None:
        """Add a supervisor to an active, escalated session: members get ``MemberEvent``,
        the supervisor a ``MatchedEvent``. None if not active and escalated."""
        ...

    async def leave(self, session: SessionId, supervisor: ClientId, name: str) -> bool:
        """Remove a supervisor who joined; everyone, the leaver too, gets ``MemberEvent``."""
        ...

    async def transfer(
        self,
        session: SessionId,
        from_listener: ListenerId,
        to_listener: ListenerId,
        note: str | None,
        now_ms: int,
    ) -> SessionRecord | None:
        """Hand an active session to another listener atomically (their room is checked).

        The new listener gets a ``MatchedEvent`` with the handover ``note`` (which is not
        stored), the seeker a ``TransferredEvent``, the old listener an ``EndedEvent``
        (``transferred``). Returns the updated record, or None if anything changed.
        """
        ...

    async def active_sessions(self) -> list[SessionRecord]:
        """Every active session's metadata (for supervisors' overview; no intro)."""
        ...

    async def recent_matches(self, since_ms: int) -> tuple[int, int]:
        """(How many sessions were matched since ``since_ms``, when the first of them was);
        for expected waits."""
        ...

    async def block(self, tag: str, ttl_s: float) -> None:
        """Remember a block tag for ``ttl_s`` seconds (see ``chatserver.blocks``)."""
        ...

    async def is_blocked(self, tags: Sequence[str]) -> bool:
        """Whether any of these block tags is in force."""
        ...

    async def history(self, session: SessionId, after_seq: int) -> list[StoredMessage]:
        """The session's kept messages with ``seq > after_seq``, in order."""
        ...

    async def typing(self, session: SessionId, sender: ClientId) -> bool:
        """Tell the other members ``sender`` is typing; False if not a member."""
        ...

    async def idle_sessions(self, before_ms: int) -> list[SessionId]:
        """Active sessions with no message since ``before_ms``."""
        ...

    async def away_clients(self, before_ms: int) -> list[ClientId]:
        """Clients away since before ``before_ms`` (their grace window has run out)."""
        ...

    # --- delivery ----------------------------------------------------------

    async def deliver(self, client: ClientId, frame: bytes) -> None:
        """Send an encoded frame to the client, wherever it is attached."""
        ...

    async def queue_changed(self) -> None:
        """Tell every node the queue or listener presence changed."""
        ...

    async def has_peers(self) -> bool:
        """Whether other live nodes share this broker (so clients can move to them)."""
        ...
