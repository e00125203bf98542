"""This node's welcomed connections, and the events that reach them.

The hub maps each client attached here to its :class:`Attached` state and
turns broker events into frames in that client's outbox. It never awaits:
a broker event is handled by handing bytes to the outbox, which writes them
without waiting and cuts a client that falls too far behind, so one slow
reader cannot hold up anyone else (STYLE 10).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import protocol
from protocol import CloseCode

from .auth import ListenerClaims
from .broker.base import (
    BrokerEvent,
    EndedEvent,
    FrameEvent,
    KickEvent,
    MatchedEvent,
    MemberEvent,
    MessageEvent,
    PresenceEvent,
    QueueChangedEvent,
    ServiceEvent,
    TransferredEvent,
    TypingEvent,
)
from .clock import now_ms
from .session import SessionRecord, State
from .types import ClientId, Role, SessionId

__all__ = ["Attached", "Hub", "Outbox"]

RECENT_ENDED = 8
"""How many ended sessions a connection remembers (for ``feedback`` and ``report``)."""


class Outbox(Protocol):
    """Where a connection's frames go; implemented by the socket shell."""

    def push(self, frame: bytes) -> None:
        """Write a frame without waiting; a client too far behind is disconnected."""
        ...

    def close(self, code: CloseCode, reason: str) -> None:
        """Close after the frames already pushed."""
        ...


@dataclass(eq=False, slots=True)
class Attached:
    """One welcomed connection: who it is and what it knows of its sessions.

    Attributes:
        sessions: this client's open sessions as told by events (no intro, no text):
            enough to re-describe them if the broker's store loses its data.
        recent_ended: sessions that ended lately -> whether feedback may still be given.
        delivered: the highest ``seq`` received per session (so nothing goes twice).
        seq_seen: the highest ``seq`` this client has seen per session, sent or received.
        ready: whether this listener asked for new conversations.
    """

    client: ClientId
    role: Role
    handle: str
    attachment: str
    outbox: Outbox
    log: Any
    claims: ListenerClaims | None = None
    sessions: dict[SessionId, SessionRecord] = field(default_factory=dict)
    recent_ended: dict[SessionId, bool] = field(default_factory=dict)
    delivered: dict[SessionId, int] = field(default_factory=dict)
    seq_seen: dict[SessionId, int] = field(default_factory=dict)
    ready: bool = False
    resume_hash: str = ""
    lang: str | None = None
    region: str | None = None
    address: str = ""
    """A keyed hash of the client's address (see ``Participant.address``)."""
    rest_ms: int = 600_000
    """A listener's rest between sessions shorter than this continues a stretch of work."""
    work_started_ms: int = 0
    free_since_ms: int = 0
    nudged_at_ms: int = 0
    held: list[BrokerEvent] | None = None
    """While a resume replays state, live events wait here (then go out in order)."""
    last_queued: tuple[int, int, int | None] = (0, 0, None)
    last_queued_at: float = 0.0
    """When the last ``queued`` went out (monotonic): a change of ``waiting`` alone waits."""
    told_long_wait: frozenset[SessionId] = frozenset()
    """Sessions already told their wait is long (the empty frozenset costs nothing)."""
    last_overview: object = None
    last_listing: tuple[int, tuple[tuple[SessionId, int], ...]] | None = None

    def push(self, frame: protocol.Frame) -> None:
        self.outbox.push(protocol.encode(frame))

    def state_of(self, session: SessionId) -> State | None:
        view = self.sessions.get(session)
        return view.state if view is not None else None

    def waiting_session(self) -> SessionId | None:
        return next((s for s, v in self.sessions.items() if v.state is State.WAITING), None)

    def start_work(self, now: int) -> None:
        """A conversation began: a new stretch of work, unless the last rest was short."""
        if not self.work_started_ms or (
            self.free_since_ms and now - self.free_since_ms >= self.rest_ms
        ):
            self.work_started_ms = now
            self.nudged_at_ms = 0
        self.free_since_ms = 0

    def saw(self, session: SessionId, seq: int) -> None:
        if seq > self.seq_seen.get(session, 0):
            self.seq_seen[session] = seq

    def remember_ended(self, session: SessionId, feedback_open: bool) -> None:
        self.recent_ended[session] = feedback_open
        while len(self.recent_ended) > RECENT_ENDED:
            del self.recent_ended[next(iter(self.recent_ended))]


class Hub:
    """The clients attached to this node, by client id."""

    def __init__(
        self, on_queue_changed: Callable[[], None], on_service: Callable[[ServiceEvent], None]
    ) -> None:
        self._clients: dict[ClientId, Attached] = {}
        self._on_queue_changed = on_queue_changed
        self._on_service = on_service

    def __len__(self) -> int:
        return len(self._clients)

    def __iter__(self) -> Iterator[Attached]:
        return iter(list(self._clients.values()))

    def get(self, client: ClientId) -> Attached | None:
        return self._clients.get(client)

    def add(self, attached: Attached) -> Attached | None:
        """Attach; returns the connection it replaced on this node, if any."""
        previous = self._clients.get(attached.client)
        self._clients[attached.client] = attached
        return previous

    def remove(self, attached: Attached) -> bool:
        """Detach this very connection (not a newer one of the same client)."""
        if self._clients.get(attached.client) is attached:
            del self._clients[attached.client]
            return True
        return False

    def on_event(self, event: BrokerEvent) -> None:
        """Turn a broker event into frames for the client it names (the broker's sink)."""
        if isinstance(event, QueueChangedEvent):
            self._on_queue_changed()
            return
        if isinstance(event, ServiceEvent):
            self._on_service(event)
            return
        attached = self._clients.get(event.client)
        if attached is None:
            return
        if attached.held is not None:
            attached.held.append(event)
            return
        self.apply(attached, event)

    def release_held(self, attached: Attached) -> None:
        """End a replay: send the live events that arrived meanwhile (duplicates dropped)."""
        held, attached.held = attached.held or [], None
        for event in held:
            self.apply(attached, event)

    def apply(self, attached: Attached, event: BrokerEvent) -> None:
        """Write one event's frame to this connection, whatever it is doing."""
        if isinstance(event, MessageEvent):
            if event.seq <= attached.delivered.get(event.session, 0):
                return  # already written on this connection (a replay overlapped)
            attached.delivered[event.session] = event.seq
            attached.saw(event.session, event.seq)
            attached.push(
                protocol.Message(
                    session=event.session,
                    seq=event.seq,
                    text=event.text,
                    ts=event.ts,
                    sender=event.sender,
                )
            )
        elif isinstance(event, TypingEvent):
            attached.push(protocol.PeerTyping(session=event.session))
        elif isinstance(event, PresenceEvent):
            frame_type = protocol.PeerAway if event.away else protocol.PeerBack
            attached.push(frame_type(session=event.session))
        elif isinstance(event, MatchedEvent):
            staff = attached.role.is_staff
            attached.sessions[event.session] = _view(event, attached.sessions.get(event.session))
            attached.push(
                protocol.Matched(
                    session=event.session,
                    peer=event.peer,
                    topics=event.topics,
                    intro=event.intro,
                    risk=(event.risk or None) if staff else None,
                    handover=event.handover if staff else None,
                )
            )
            if staff:
                attached.start_work(now_ms())
            attached.log.info("session_matched", session=event.session)
        elif isinstance(event, EndedEvent):
            was = attached.sessions.pop(event.session, None)
            attached.delivered.pop(event.session, None)
            attached.seq_seen.pop(event.session, None)
            attached.remember_ended(
                event.session,
                attached.role is Role.SEEKER and was is not None and was.state is State.ACTIVE,
            )
            if attached.role.is_staff and not attached.sessions:
                attached.free_since_ms = now_ms()
            attached.push(protocol.Ended(session=event.session, reason=event.reason.value))
        elif isinstance(event, MemberEvent):
            if event.joined:
                attached.push(
                    protocol.MemberJoined(
                        session=event.session, name=event.name, role=event.role.value
                    )
                )
            else:
                attached.push(protocol.MemberLeft(session=event.session, name=event.name))
                if event.name == attached.handle and attached.role is Role.SUPERVISOR:
                    attached.sessions.pop(event.session, None)
        elif isinstance(event, TransferredEvent):
            view = attached.sessions.get(event.session)
            if view is not None:
                view.listener_name = event.peer
            attached.push(protocol.Transferred(session=event.session, peer=event.peer))
        elif isinstance(event, FrameEvent):
            attached.outbox.push(event.frame)
        elif isinstance(event, KickEvent):
            if attached.attachment == event.attachment:
                attached.outbox.close(CloseCode.REPLACED, "another connection took over")


def _view(event: MatchedEvent, waiting: SessionRecord | None) -> SessionRecord:
    """What a client keeps of a session that became active (no text)."""
    return SessionRecord(
        id=event.session,
        state=State.ACTIVE,
        seeker=event.seeker,
        seeker_handle=event.seeker_handle,
        topics=event.topics,
        created_ms=waiting.created_ms if waiting else 0,
        listener=event.listener,
        listener_id=event.listener_id,
        listener_name=event.listener_name,
        members=[event.seeker, event.listener],
    )
