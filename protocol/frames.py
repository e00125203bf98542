"""Every frame of wire protocol v1, as frozen dataclasses (PROTOCOL.md, "Frames").

A frame is one msgpack map per binary WebSocket message; its ``type`` key
picks the class here. Client frames carry ``ROLES``: which roles may send
them once welcomed (the server answers ``forbidden`` otherwise). Field
constructors come from :mod:`protocol.fields` and say what each field may
hold; the codec compiles them once.

Names on the wire are the contract: add frames and optional fields, never
rename or remove one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from .fields import (
    boolean,
    choice,
    credential,
    ident,
    integer,
    label,
    nested_list,
    seq_map,
    topic_names,
    words,
)

__all__ = [
    "CLIENT_FRAMES",
    "END_REASONS",
    "PROTOCOL_VERSION",
    "REPORT_REASONS",
    "SERVER_FRAMES",
    "Away",
    "BreakSuggested",
    "ClientFrame",
    "Debrief",
    "DebriefRequest",
    "End",
    "Ended",
    "Error",
    "Escalate",
    "Escalation",
    "Feedback",
    "Frame",
    "Hello",
    "Join",
    "Leave",
    "Matched",
    "MemberJoined",
    "MemberLeft",
    "Message",
    "Overview",
    "PeerAway",
    "PeerBack",
    "PeerTyping",
    "Queue",
    "QueueEntry",
    "Queued",
    "Ready",
    "Reconnect",
    "Report",
    "Reported",
    "Request",
    "ResourceItem",
    "Resources",
    "ResourcesRequest",
    "RiskFlag",
    "Send",
    "Sent",
    "ServerFrame",
    "Service",
    "SessionInfo",
    "Take",
    "Transfer",
    "Transferred",
    "Typing",
    "Welcome",
]

PROTOCOL_VERSION = 1

SEEKER = frozenset({"seeker"})
STAFF = frozenset({"listener", "supervisor"})
SUPERVISOR = frozenset({"supervisor"})
ANYONE = SEEKER | STAFF

END_REASONS = ("done", "no_reply", "unsafe", "other")
"""Why a client ends a session (``end.reason``); metadata only, never free text."""

REPORT_REASONS = ("abuse", "harassment", "spam", "unsafe", "other")
"""What a ``report`` is about."""


class Frame:
    """Base of every frame; ``TYPE`` is the value of the ``type`` key."""

    __slots__ = ()
    TYPE: ClassVar[str]


class ClientFrame(Frame):
    """A frame a client sends; ``ROLES`` are the roles allowed to send it."""

    __slots__ = ()
    ROLES: ClassVar[frozenset[str]]


class ServerFrame(Frame):
    """A frame the server sends."""

    __slots__ = ()


# --- client -> server ---------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Hello(ClientFrame):
    """First frame of every connection. Listeners send a ``token`` (a JWT)."""

    TYPE = "hello"
    ROLES = ANYONE
    v: int = integer(low=1, high=PROTOCOL_VERSION)
    role: str = choice("seeker", "listener")
    token: str | None = credential(optional=True)
    resume: str | None = credential(optional=True)
    last_seq: Mapping[str, int] | None = seq_map()
    lang: str | None = label(optional=True, max_len=16)
    """The person's language (BCP 47, e.g. ``en-GB``): picks risk patterns and resources."""
    region: str | None = label(optional=True, max_len=16)
    """Where they are (e.g. ``gb``), if the embedding site knows: picks the helplines."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Request(ClientFrame):
    """A seeker asks to talk; joins the queue."""

    TYPE = "request"
    ROLES = SEEKER
    topics: tuple[str, ...] = topic_names()
    intro: str | None = words(limit="max_intro_chars", optional=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ready(ClientFrame):
    """A listener is available for new conversations."""

    TYPE = "ready"
    ROLES = STAFF


@dataclass(frozen=True, slots=True, kw_only=True)
class Away(ClientFrame):
    """A listener takes no new conversations (keeps the ones open)."""

    TYPE = "away"
    ROLES = STAFF


@dataclass(frozen=True, slots=True, kw_only=True)
class Take(ClientFrame):
    """A listener takes a queue entry by id, or the best match for them."""

    TYPE = "take"
    ROLES = STAFF
    seeker: str | None = ident(optional=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Send(ClientFrame):
    """Say something in a session; ``id`` is the client's own message id."""

    TYPE = "send"
    ROLES = ANYONE
    session: str = ident()
    text: str = words()
    id: str = ident()


@dataclass(frozen=True, slots=True, kw_only=True)
class Typing(ClientFrame):
    """The client is typing in a session (forwarded, never stored)."""

    TYPE = "typing"
    ROLES = ANYONE
    session: str = ident()


@dataclass(frozen=True, slots=True, kw_only=True)
class End(ClientFrame):
    """End a session (or leave the queue) for everyone in it."""

    TYPE = "end"
    ROLES = ANYONE
    session: str = ident()
    reason: str | None = choice(*END_REASONS, optional=True)
    block: bool | None = boolean()
    """A listener bars this seeker for ``safety.block_ttl_s`` (ignored from seekers)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Report(ClientFrame):
    """Report the other person in a session."""

    TYPE = "report"
    ROLES = ANYONE
    session: str = ident()
    reason: str = choice(*REPORT_REASONS)


@dataclass(frozen=True, slots=True, kw_only=True)
class Feedback(ClientFrame):
    """After a session ended, the seeker's one-question rating (1 to 5)."""

    TYPE = "feedback"
    ROLES = SEEKER
    session: str = ident()
    score: int = integer(low=1, high=5)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourcesRequest(ClientFrame):
    """Ask for the crisis and support resources (helplines) at any time."""

    TYPE = "resources_request"
    ROLES = ANYONE


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalate(ClientFrame):
    """A listener asks the supervisors on duty for help with a session."""

    TYPE = "escalate"
    ROLES = STAFF
    session: str = ident()
    note: str | None = words(limit="max_note_chars", optional=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Join(ClientFrame):
    """A supervisor joins an escalated session (both members are told)."""

    TYPE = "join"
    ROLES = SUPERVISOR
    session: str = ident()


@dataclass(frozen=True, slots=True, kw_only=True)
class Leave(ClientFrame):
    """A supervisor leaves a session they joined; it carries on without them."""

    TYPE = "leave"
    ROLES = SUPERVISOR
    session: str = ident()


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer(ClientFrame):
    """A listener hands a session to another listener, or to a supervisor."""

    TYPE = "transfer"
    ROLES = STAFF
    session: str = ident()
    to: str | None = choice("listener", "supervisor", optional=True)
    note: str | None = words(limit="max_note_chars", optional=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class DebriefRequest(ClientFrame):
    """After a hard session: ask a supervisor for a debrief; no new sessions until ``ready``."""

    TYPE = "debrief_request"
    ROLES = STAFF
    session: str | None = ident(optional=True)


# --- server -> client ---------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Welcome(ServerFrame):
    """Answer to ``hello``: who you are here and how to come back."""

    TYPE = "welcome"
    v: int = integer(low=1)
    role: str = label()
    handle: str = label()
    resume: str = credential()
    resumed: bool | None = boolean()


@dataclass(frozen=True, slots=True, kw_only=True)
class Queued(ServerFrame):
    """A seeker's place in the queue (sent on request and whenever it changes)."""

    TYPE = "queued"
    session: str = ident()
    position: int = integer(low=1)
    waiting: int = integer(low=1)
    eta_s: int | None = integer(optional=True)
    """Expected seconds to wait, from the recent matching rate; absent without enough data."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueEntry:
    """One anonymised waiting seeker as listeners see it: no content, no handle."""

    id: str = ident()
    topics: tuple[str, ...] = topic_names()
    waited_s: int = integer()
    priority: str | None = choice("normal", "urgent", optional=True)
    risk: bool | None = boolean()


@dataclass(frozen=True, slots=True, kw_only=True)
class Queue(ServerFrame):
    """The queue as a listener sees it (sent when it changes)."""

    TYPE = "queue"
    waiting: int = integer()
    entries: tuple[QueueEntry, ...] = nested_list(QueueEntry)


@dataclass(frozen=True, slots=True, kw_only=True)
class Matched(ServerFrame):
    """A session started. The listener also gets the seeker's ``intro``."""

    TYPE = "matched"
    session: str = ident()
    peer: str = label()
    topics: tuple[str, ...] = topic_names()
    intro: str | None = words(limit="max_intro_chars", optional=True)
    risk: bool | None = boolean()
    """Staff only: the session has been flagged for risk."""
    handover: str | None = words(limit="max_note_chars", optional=True)
    """Staff only: the note of the listener who transferred the session."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Message(ServerFrame):
    """Something the other person said; ``seq`` orders a session's messages."""

    TYPE = "message"
    session: str = ident()
    seq: int = integer(low=1)
    text: str = words()
    ts: int = integer()
    sender: str | None = label(optional=True)
    """Who said it, when more than two people are in the session (a supervisor joined)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Sent(ServerFrame):
    """Your ``send`` with this ``id`` was accepted as ``seq``."""

    TYPE = "sent"
    session: str = ident()
    id: str = ident()
    seq: int = integer(low=1)
    ts: int = integer()


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerTyping(ServerFrame):
    """The other person is typing."""

    TYPE = "typing"
    session: str = ident()


@dataclass(frozen=True, slots=True, kw_only=True)
class Ended(ServerFrame):
    """The session is over; everything said in it has been deleted."""

    TYPE = "ended"
    session: str = ident()
    reason: str = label()


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerAway(ServerFrame):
    """The other person's connection dropped; the session is held for them."""

    TYPE = "peer_away"
    session: str = ident()


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerBack(ServerFrame):
    """The other person is back (resumed) in the session."""

    TYPE = "peer_back"
    session: str = ident()


@dataclass(frozen=True, slots=True, kw_only=True)
class Reconnect(ServerFrame):
    """This node is restarting: reconnect (anywhere) after ``after_ms`` and resume."""

    TYPE = "reconnect"
    after_ms: int = integer(high=600_000)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceItem:
    """One helpline or service: a name and at least one way to reach it."""

    name: str = label()
    phone: str | None = label(optional=True)
    sms: str | None = label(optional=True)
    url: str | None = label(optional=True, max_len=200)
    hours: str | None = label(optional=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Resources(ServerFrame):
    """Crisis and support resources, shown at once (``reason`` says why they were sent)."""

    TYPE = "resources"
    reason: str = label()
    items: tuple[ResourceItem, ...] = nested_list(ResourceItem, most=20)


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskFlag(ServerFrame):
    """Staff only: something said in this session matched a risk pattern."""

    TYPE = "risk_flag"
    session: str = ident()


@dataclass(frozen=True, slots=True, kw_only=True)
class Escalation(ServerFrame):
    """Supervisors: a listener asks for help with a session (``join`` it to help)."""

    TYPE = "escalation"
    session: str = ident()
    listener: str = label()
    topics: tuple[str, ...] = topic_names()
    risk: bool | None = boolean()
    note: str | None = words(limit="max_note_chars", optional=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reported(ServerFrame):
    """Supervisors: someone reported the other person in a session."""

    TYPE = "reported"
    session: str = ident()
    reason: str = label()
    by: str = label()
    """The reporter's role: ``seeker`` or ``listener``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Debrief(ServerFrame):
    """Supervisors: a listener asks for a debrief after a hard session."""

    TYPE = "debrief"
    listener: str = label()
    session: str | None = ident(optional=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberJoined(ServerFrame):
    """Someone joined the session (a supervisor): they will read and may write."""

    TYPE = "member_joined"
    session: str = ident()
    name: str = label()
    role: str = label()


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberLeft(ServerFrame):
    """Someone who had joined the session left it."""

    TYPE = "member_left"
    session: str = ident()
    name: str = label()


@dataclass(frozen=True, slots=True, kw_only=True)
class Transferred(ServerFrame):
    """Seeker: your conversation continues with another listener (``peer``)."""

    TYPE = "transferred"
    session: str = ident()
    peer: str = label()


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakSuggested(ServerFrame):
    """Listener: you have been working without a break for ``worked_s`` seconds."""

    TYPE = "break_suggested"
    worked_s: int = integer()


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionInfo:
    """A live session as supervisors see it: metadata, never words."""

    id: str = ident()
    topics: tuple[str, ...] = topic_names()
    listener: str = label()
    started_s: int = integer()
    """Seconds since it became active."""
    risk: bool | None = boolean()
    escalated: bool | None = boolean()
    supervised: bool | None = boolean()


@dataclass(frozen=True, slots=True, kw_only=True)
class Overview(ServerFrame):
    """Supervisors: the live sessions and queue, refreshed when they change."""

    TYPE = "overview"
    waiting: int = integer()
    sessions: tuple[SessionInfo, ...] = nested_list(SessionInfo)


@dataclass(frozen=True, slots=True, kw_only=True)
class Service(ServerFrame):
    """The service became unavailable (requests will get ``unavailable``), or is back."""

    TYPE = "service"
    available: bool = boolean(optional=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Error(ServerFrame):
    """Something the client sent was not accepted; the connection carries on."""

    TYPE = "error"
    code: str = label()
    message: str = words(limit="max_note_chars")
    ref: str | None = label(optional=True)


def _registry(*classes: type[Frame]) -> dict[str, type[Frame]]:
    return {cls.TYPE: cls for cls in classes}


CLIENT_FRAMES: dict[str, type[Frame]] = _registry(
    Hello, Request, Ready, Away, Take, Send, Typing, End, Report, Feedback, ResourcesRequest,
    Escalate, Join, Leave, Transfer, DebriefRequest,
)  # fmt: skip
SERVER_FRAMES: dict[str, type[Frame]] = _registry(
    Welcome, Queued, Queue, Matched, Message, Sent, PeerTyping, Ended, PeerAway, PeerBack,
    Reconnect, Service, Error, Resources, RiskFlag, Escalation, Reported, Debrief, MemberJoined,
    MemberLeft, Transferred, BreakSuggested, Overview,
)  # fmt: skip
