"""The embedded broker: all shared state in this process's memory (one node).

This is the default: nothing to install, nothing written anywhere. Every
method runs without awaiting anything, so each is atomic with respect to the
event loop, which is what makes ``claim`` and ``end`` race-free here.
Message text lives only in a session's transcript and is dropped with it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..config import SessionConfig
from ..matching import ListenerSlot, WaitingSeeker, queue_key, queue_order
from ..session import Event, SessionRecord, State, transition
from ..types import ClientId, EndReason, ListenerId, NodeId, Role, SessionId
from .base import (
    RESUME_TOMBSTONE_S,
    EndedEvent,
    EventSink,
    FrameEvent,
    KickEvent,
    MatchedEvent,
    MemberEvent,
    MessageEvent,
    Participant,
    PostResult,
    PresenceEvent,
    QueueChangedEvent,
    ResumeStatus,
    Snapshot,
    StoredMessage,
    TransferredEvent,
    TypingEvent,
)

__all__ = ["MemoryBroker"]


@dataclass(slots=True)
class _Transcript:
    """A session's messages in transit: kept for resume, bounded, deleted at the end."""

    seq: int = 0
    size: int = 0
    results: dict[str, tuple[int, int]] = field(default_factory=dict)
    """message id -> (seq, time): plain tuples, which the garbage collector does not track."""
    history: deque[tuple[int, ClientId, int, str, str, str]] = field(default_factory=deque)


def _ignore(_: object) -> None:
    return None


class MemoryBroker:
    """All broker state in dicts; see :class:`~chatserver.broker.base.Broker`."""

    def __init__(self, node_id: NodeId, session: SessionConfig) -> None:
        self.node_id = node_id
        self._limits = session
        self._sink: EventSink = _ignore
        self._participants: dict[ClientId, Participant] = {}
        self._listeners: dict[ListenerId, ListenerSlot] = {}
        self._sessions: dict[SessionId, SessionRecord] = {}
        self._queue: dict[SessionId, WaitingSeeker] = {}
        self._transcripts: dict[SessionId, _Transcript] = {}
        self._tickets = itertools.count(1)
        self._resume: dict[str, tuple[ResumeStatus, ClientId | None, float]] = {}
        self._ended: dict[SessionId, tuple[EndReason, float]] = {}
        self._ended_ttl = max(60.0, session.resume_grace_s)
        self._matches: deque[int] = deque()
        self._blocks: dict[str, float] = {}

    @property
    def available(self) -> bool:
        return True

    async def start(self, sink: EventSink) -> None:
        self._sink = sink

    async def close(self) -> None:
        self._sink = _ignore

    # --- participants ------------------------------------------------------

    def _attached_here(self, client: ClientId) -> bool:
        p = self._participants.get(client)
        return p is not None and p.node == self.node_id

    async def attach(self, participant: Participant) -> Participant | None:
        client = participant.client
        previous = self._participants.get(client)
        sessions = participant.sessions | (previous.sessions if previous else frozenset())
        self._participants[client] = dataclasses.replace(
            participant, node=self.node_id, away_since_ms=0, sessions=sessions
        )
        if participant.resume_hash:
            self._remember(participant.resume_hash, ResumeStatus.LIVE, client)
        if previous and previous.resume_hash and previous.resume_hash != participant.resume_hash:
            self._remember(previous.resume_hash, ResumeStatus.USED, None)
        self._set_present(participant.listener, True)
        self._set_waiting_present(sessions, True)
        if previous and previous.node and previous.attachment != participant.attachment:
            self._sink(KickEvent(client, previous.attachment))
        if previous and previous.node is None:
            self._tell_peers(client, sessions, away=False)
        return previous

    def _remember(self, token_hash: str, status: ResumeStatus, client: ClientId | None) -> None:
        now = time.monotonic()
        for stale in [h for h, (_, _, until) in self._resume.items() if until < now][:100]:
            del self._resume[stale]
        self._resume[token_hash] = (status, client, now + RESUME_TOMBSTONE_S)

    def _set_waiting_present(self, sessions: frozenset[SessionId], present: bool) -> None:
        for session in sessions:
            entry = self._queue.get(session)
            if entry is not None:
                self._queue[session] = dataclasses.replace(entry, present=present)

    def _tell_peers(self, client: ClientId, sessions: frozenset[SessionId], *, away: bool) -> None:
        for session in sessions:
            record = self._sessions.get(session)
            if record is None or record.state is not State.ACTIVE:
                continue
            for member in record.peers_of(client):
                if self._attached_here(member):
                    self._sink(PresenceEvent(member, session, away))

    def _set_present(self, listener: ListenerId | None, present: bool) -> None:
        slot = self._listeners.get(listener) if listener else None
        if slot is not None:
            self._listeners[slot.listener] = dataclasses.replace(slot, present=present)

    async def detach(self, client: ClientId, attachment: str, now_ms: int) -> Participant | None:
        p = self._participants.get(client)
        if p is None or p.attachment != attachment or p.node is None:
            return None
        p = dataclasses.replace(p, node=None, away_since_ms=now_ms)
        self._participants[client] = p
        self._set_present(p.listener, False)
        self._set_waiting_present(p.sessions, False)
        self._tell_peers(client, p.sessions, away=True)
        return p

    async def forget(self, client: ClientId) -> None:
        p = self._participants.pop(client, None)
        if p is not None and p.resume_hash:
            self._remember(p.resume_hash, ResumeStatus.EXPIRED, None)

    async def lookup_resume(self, token_hash: str) -> tuple[ResumeStatus, ClientId | None]:
        status, client, until = self._resume.get(token_hash, (ResumeStatus.UNKNOWN, None, math.inf))
        if until < time.monotonic():
            return ResumeStatus.UNKNOWN, None
        return status, client

    async def ended_reason(self, session: SessionId) -> EndReason | None:
        reason, until = self._ended.get(session, (None, 0.0))
        return reason if until >= time.monotonic() else None

    async def get_participant(self, client: ClientId) -> Participant | None:
        return self._participants.get(client)

    def _add_session(self, client: ClientId, session: SessionId) -> None:
        p = self._participants.get(client)
        if p is not None:
            self._participants[client] = dataclasses.replace(p, sessions=p.sessions | {session})

    def _drop_session(self, client: ClientId, session: SessionId) -> None:
        p = self._participants.get(client)
        if p is not None:
            self._participants[client] = dataclasses.replace(p, sessions=p.sessions - {session})

    # --- listeners ---------------------------------------------------------

    async def set_listener(self, slot: ListenerSlot, *, restore_load: bool = False) -> None:
        current = self._listeners.get(slot.listener)
        load = slot.load if restore_load or current is None else current.load
        self._listeners[slot.listener] = dataclasses.replace(slot, load=load, present=True)

    async def get_listener(self, listener: ListenerId) -> ListenerSlot | None:
        return self._listeners.get(listener)

    async def remove_listener(self, listener: ListenerId) -> None:
        self._listeners.pop(listener, None)

    # --- queue and matching ------------------------------------------------

    async def enqueue(self, record: SessionRecord) -> tuple[int, int]:
        self._sessions[record.id] = dataclasses.replace(record, members=[record.seeker])
        entry = WaitingSeeker(
            record.id,
            record.seeker,
            record.topics,
            record.created_ms,
            record.priority,
            next(self._tickets),
        )
        self._queue[record.id] = entry
        self._add_session(record.seeker, record.id)
        # The new entry's place: those that sort before it (no sort of the whole queue).
        key = queue_key(entry)
        ahead = sum(1 for other in self._queue.values() if queue_key(other) < key)
        return ahead + 1, len(self._queue)

    async def snapshot(self, *, listeners: bool = True) -> Snapshot:
        waiting = queue_order(self._queue.values())
        first: dict[str, int] = {}
        for entry in waiting:
            topic = entry.topics[0] if entry.topics else "none"
            first[topic] = first.get(topic, 0) + 1
        active = sum(1 for r in self._sessions.values() if r.state is State.ACTIVE)
        slots = list(self._listeners.values()) if listeners else []
        return Snapshot(waiting, slots, active, first_topics=first)

    async def claim_many(
        self, pairs: Sequence[tuple[SessionId, ListenerId]], now_ms: int, *, require_ready: bool
    ) -> list[SessionRecord | None]:
        return [
            await self.claim(session, listener, now_ms, require_ready=require_ready)
            for session, listener in pairs
        ]

    async def claim(
        self, session: SessionId, listener: ListenerId, now_ms: int, *, require_ready: bool
    ) -> SessionRecord | None:
        record = self._sessions.get(session)
        slot = self._listeners.get(listener)
        if record is None or slot is None or record.state is not State.WAITING:
            return None
        if slot.load >= slot.capacity or (require_ready and not slot.ready):
            return None
        record.state = transition(record.state, Event.MATCH)
        record.listener = slot.client
        record.listener_id = slot.listener
        record.listener_name = slot.name
        record.matched_ms = record.last_activity_ms = now_ms
        record.members = [record.seeker, slot.client]
        del self._queue[session]
        self._transcripts[session] = _Transcript()  # from the match on: none while waiting
        self._listeners[listener] = dataclasses.replace(slot, load=slot.load + 1)
        self._add_session(slot.client, session)
        self._matches.append(now_ms)
        while self._matches and self._matches[0] < now_ms - 3_600_000:
            self._matches.popleft()
        for client, peer, intro in (
            (record.seeker, slot.name, None),
            (slot.client, record.seeker_handle, record.intro),
        ):
            if self._attached_here(client):
                self._sink(
                    MatchedEvent(
                        client,
                        session,
                        peer,
                        record.topics,
                        intro,
                        record.seeker,
                        record.seeker_handle,
                        slot.client,
                        slot.listener,
                        slot.name,
                        risk=record.risk and client == slot.client,
                    )
                )
        return dataclasses.replace(record, members=list(record.members))

    # --- sessions ----------------------------------------------------------

    async def get_session(self, session: SessionId) -> SessionRecord | None:
        record = self._sessions.get(session)
        return dataclasses.replace(record, members=list(record.members)) if record else None

    async def restore(self, record: SessionRecord, seq_floor: int) -> None:
        current = self._sessions.get(record.id)
        if current is None:
            members = [record.seeker] + ([record.listener] if record.listener else [])
            self._sessions[record.id] = dataclasses.replace(
                record, state=State.ACTIVE, intro=None, members=members
            )
            current = self._sessions[record.id]
        transcript = self._transcripts.setdefault(record.id, _Transcript())
        transcript.seq = max(transcript.seq, seq_floor)
        for member in current.members:
            self._add_session(member, record.id)

    async def end(
        self,
        session: SessionId,
        reason: EndReason,
        *,
        expect: State,
        now_ms: int,
        rest_until_ms: int = 0,
    ) -> SessionRecord | None:
        record = self._sessions.get(session)
        if record is None or record.state is not expect:
            return None
        was = record.state
        record.state = transition(record.state, Event.END)
        now = time.monotonic()
        for stale in [s for s, (_, until) in self._ended.items() if until < now][:100]:
            del self._ended[stale]
        self._ended[session] = (reason, now + self._ended_ttl)
        del self._sessions[session]
        self._transcripts.pop(session, None)
        self._queue.pop(session, None)
        if was is State.ACTIVE and record.listener_id is not None:
            slot = self._listeners.get(record.listener_id)
            if slot is not None:
                self._listeners[slot.listener] = dataclasses.replace(
                    slot,
                    load=max(0, slot.load - 1),
                    idle_since_ms=now_ms,
                    resting_until_ms=max(slot.resting_until_ms, rest_until_ms),
                )
        for member in record.members:
            self._drop_session(member, session)
            if self._attached_here(member):
                self._sink(EndedEvent(member, session, reason))
        return record

    async def post(
        self,
        session: SessionId,
        sender: ClientId,
        message_id: str,
        text: str,
        now_ms: int,
        sender_name: str = "",
    ) -> PostResult | None:
        record = self._sessions.get(session)
        if record is None or record.state is not State.ACTIVE or sender not in record.members:
            return None
        transcript = self._transcripts[session]
        earlier = transcript.results.get(message_id)
        if earlier is not None:
            return PostResult(earlier[0], earlier[1], duplicate=True)
        transcript.seq += 1
        result = PostResult(transcript.seq, now_ms)
        transcript.results[message_id] = (transcript.seq, now_ms)
        transcript.history.append((result.seq, sender, now_ms, message_id, text, sender_name))
        transcript.size += len(text.encode())
        self._trim(transcript)
        record.last_activity_ms = now_ms
        name = sender_name if len(record.members) > 2 else None
        for member in record.members:
            if member != sender and self._attached_here(member):
                self._sink(MessageEvent(member, session, result.seq, now_ms, text, name))
        return result

    def _trim(self, transcript: _Transcript) -> None:
        """Keep the transcript within the configured count and size (oldest go first)."""
        limits = self._limits
        while transcript.history and (
            len(transcript.history) > limits.history_max_messages
            or transcript.size > limits.history_max_bytes
        ):
            _, _, _, message_id, text, _ = transcript.history.popleft()
            transcript.size -= len(text.encode())
            transcript.results.pop(message_id, None)

    async def history(self, session: SessionId, after_seq: int) -> list[StoredMessage]:
        transcript = self._transcripts.get(session)
        if transcript is None:
            return []
        return [StoredMessage(*entry) for entry in transcript.history if entry[0] > after_seq]

    async def mark(self, session: SessionId, flag: str) -> tuple[bool, SessionRecord] | None:
        record = self._sessions.get(session)
        if record is None:
            return None
        was = bool(getattr(record, flag))
        setattr(record, flag, True)
        entry = self._queue.get(session)
        if flag == "risk" and entry is not None and not was:
            record.priority = 1
            self._queue[session] = dataclasses.replace(entry, priority=1)
        return not was, dataclasses.replace(record, members=list(record.members))

    async def join(
        self, session: SessionId, supervisor: ClientId, name: str
    ) -> SessionRecord | None:
        record = self._sessions.get(session)
        if record is None or record.state is not State.ACTIVE or not record.escalated:
            return None
        if supervisor not in record.members:
            for member in record.members:
                if self._attached_here(member):
                    self._sink(MemberEvent(member, session, name, Role.SUPERVISOR, True))
            record.members.append(supervisor)
            self._add_session(supervisor, session)
        if self._attached_here(supervisor):
            self._sink(
                MatchedEvent(
                    supervisor,
                    session,
                    record.seeker_handle,
                    record.topics,
                    None,
                    record.seeker,
                    record.seeker_handle,
                    record.listener or supervisor,
                    record.listener_id or ListenerId(""),
                    record.listener_name or "",
                    risk=record.risk,
                )
            )
        return dataclasses.replace(record, members=list(record.members))

    async def leave(self, session: SessionId, supervisor: ClientId, name: str) -> bool:
        record = self._sessions.get(session)
        if record is None or supervisor not in record.members[2:]:
            return False
        for member in record.members:
            if self._attached_here(member):
                self._sink(MemberEvent(member, session, name, Role.SUPERVISOR, False))
        record.members.remove(supervisor)
        self._drop_session(supervisor, session)
        return True

    async def transfer(
        self,
        session: SessionId,
        from_listener: ListenerId,
        to_listener: ListenerId,
        note: str | None,
        now_ms: int,
    ) -> SessionRecord | None:
        record = self._sessions.get(session)
        old = self._listeners.get(from_listener)
        new = self._listeners.get(to_listener)
        if (
            record is None
            or record.state is not State.ACTIVE
            or record.listener_id != from_listener
            or new is None
            or not new.present
            or new.load >= new.capacity
            or new.client in record.members
        ):
            return None
        old_client = record.listener
        record.members = [new.client if m == old_client else m for m in record.members]
        record.listener, record.listener_id = new.client, new.listener
        record.listener_name = new.name
        record.transfer_seq = self._transcripts[session].seq
        record.last_activity_ms = now_ms
        self._listeners[to_listener] = dataclasses.replace(new, load=new.load + 1)
        if old is not None:
            self._listeners[from_listener] = dataclasses.replace(
                old, load=max(0, old.load - 1), idle_since_ms=now_ms
            )
        if old_client is not None:
            self._drop_session(old_client, session)
            if self._attached_here(old_client):
                self._sink(EndedEvent(old_client, session, EndReason.TRANSFERRED))
        self._add_session(new.client, session)
        if self._attached_here(new.client):
            self._sink(
                MatchedEvent(
                    new.client,
                    session,
                    record.seeker_handle,
                    record.topics,
                    None,
                    record.seeker,
                    record.seeker_handle,
                    new.client,
                    new.listener,
                    new.name,
                    risk=record.risk,
                    handover=note,
                )
            )
        if self._attached_here(record.seeker):
            self._sink(TransferredEvent(record.seeker, session, new.name))
        return dataclasses.replace(record, members=list(record.members))

    async def active_sessions(self) -> list[SessionRecord]:
        return [
            dataclasses.replace(r, intro=None, members=list(r.members))
            for r in self._sessions.values()
            if r.state is State.ACTIVE
        ]

    async def recent_matches(self, since_ms: int) -> tuple[int, int]:
        recent = [t for t in self._matches if t >= since_ms]
        return len(recent), recent[0] if recent else 0

    async def block(self, tag: str, ttl_s: float) -> None:
        now = time.monotonic()
        for stale in [t for t, until in self._blocks.items() if until < now][:100]:
            del self._blocks[stale]
        self._blocks[tag] = now + ttl_s

    async def is_blocked(self, tags: Sequence[str]) -> bool:
        now = time.monotonic()
        return any(self._blocks.get(tag, 0.0) > now for tag in tags)

    async def typing(self, session: SessionId, sender: ClientId) -> bool:
        record = self._sessions.get(session)
        if record is None or record.state is not State.ACTIVE or sender not in record.members:
            return False
        for member in record.members:
            if member != sender and self._attached_here(member):
                self._sink(TypingEvent(member, session))
        return True

    async def idle_sessions(self, before_ms: int) -> list[SessionId]:
        return [
            r.id
            for r in self._sessions.values()
            if r.state is State.ACTIVE and r.last_activity_ms < before_ms
        ]

    async def away_clients(self, before_ms: int) -> list[ClientId]:
        return [
            p.client
            for p in self._participants.values()
            if p.node is None and 0 < p.away_since_ms < before_ms
        ]

    # --- delivery ----------------------------------------------------------

    async def deliver(self, client: ClientId, frame: bytes) -> None:
        if self._attached_here(client):
            self._sink(FrameEvent(client, frame))

    async def queue_changed(self) -> None:
        self._sink(QueueChangedEvent())

    async def has_peers(self) -> bool:
        return False  # one process: nobody to hand clients to

    # --- inspection (tests prove deletion with this) ------------------------

    def holds_session(self, session: SessionId) -> bool:
        """True if anything of the session is still held (record, queue entry, transcript)."""
        return session in self._sessions or session in self._queue or session in self._transcripts

    def holds_text(self, text: str) -> bool:
        """True if ``text`` appears in any transcript or intro still held."""
        for record in self._sessions.values():
            if record.intro and text in record.intro:
                return True
        return any(text in entry[4] for t in self._transcripts.values() for entry in t.history)
