"""What crosses Redis: event payloads on node channels, and hashes read back as records.

Events are msgpack arrays ``[kind, client, ...]``. Lua scripts build theirs
with Redis's ``cmsgpack`` (strings and integers only); Python publishes the
kinds that carry an encoded frame (``frame``) or nothing (``queue``). This
module turns both into :mod:`~chatserver.broker.base` events, and Redis hashes
into records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import msgpack

from ..matching import ListenerSlot, WaitingSeeker
from ..session import SessionRecord, State
from ..types import ClientId, EndReason, ListenerId, Role, SessionId
from .base import (
    BrokerEvent,
    EndedEvent,
    FrameEvent,
    KickEvent,
    MatchedEvent,
    MemberEvent,
    MessageEvent,
    PresenceEvent,
    QueueChangedEvent,
    TransferredEvent,
    TypingEvent,
)

__all__ = [
    "QUEUE_CHANGED",
    "decode_event",
    "frame_event",
    "listener_from_hash",
    "session_from_hash",
    "split_topics",
    "strings",
    "waiting_from_meta",
]

QUEUE_CHANGED: bytes = msgpack.packb(["queue"])


def frame_event(client: ClientId, frame: bytes) -> bytes:
    """The payload that delivers an encoded frame to a client."""
    payload: bytes = msgpack.packb(["frame", client, frame], use_bin_type=True)
    return payload


def split_topics(joined: str) -> tuple[str, ...]:
    return tuple(t for t in joined.split(",") if t)


def decode_event(data: bytes) -> BrokerEvent | None:
    """An event from a node channel, or None for a payload this version does not know."""
    item: Sequence[Any] = msgpack.unpackb(data, raw=False)
    kind = item[0]
    if kind == "message":
        _, client, session, seq, ts, text, name = item
        return MessageEvent(ClientId(client), SessionId(session), seq, ts, text, name or None)
    if kind == "typing":
        return TypingEvent(ClientId(item[1]), SessionId(item[2]))
    if kind in ("away", "back"):
        return PresenceEvent(ClientId(item[1]), SessionId(item[2]), kind == "away")
    if kind == "matched":
        (
            _,
            client,
            session,
            peer,
            topics,
            intro,
            seeker,
            listener,
            lid,
            lname,
            handle,
            risk,
            note,
        ) = item
        return MatchedEvent(
            ClientId(client), SessionId(session), peer, split_topics(topics), intro or None,
            ClientId(seeker), handle, ClientId(listener), ListenerId(lid), lname,
            risk=bool(risk), handover=note or None,
        )  # fmt: skip
    if kind == "member":
        _, client, session, name, role, joined = item
        return MemberEvent(ClientId(client), SessionId(session), name, Role(role), bool(joined))
    if kind == "transferred":
        return TransferredEvent(ClientId(item[1]), SessionId(item[2]), item[3])
    if kind == "ended":
        return EndedEvent(ClientId(item[1]), SessionId(item[2]), EndReason(item[3]))
    if kind == "frame":
        return FrameEvent(ClientId(item[1]), item[2])
    if kind == "kick":
        return KickEvent(ClientId(item[1]), item[2])
    if kind == "queue":
        return QueueChangedEvent()
    return None


def strings(flat: Sequence[Any]) -> dict[str, str]:
    """A flat [k, v, k, v] reply of byte strings as a dict of str."""
    return {
        flat[i].decode(): flat[i + 1].decode()
        if isinstance(flat[i + 1], bytes)
        else str(flat[i + 1])
        for i in range(0, len(flat), 2)
    }


def session_from_hash(h: Mapping[str, str], intro: str | None = None) -> SessionRecord:
    members = [ClientId(m) for m in h.get("members", "").split(",") if m]
    return SessionRecord(
        id=SessionId(h["id"]) if "id" in h else SessionId(""),
        state=State(h["state"]),
        seeker=ClientId(h["seeker"]),
        seeker_handle=h.get("shandle", ""),
        topics=split_topics(h.get("topics", "")),
        created_ms=int(h.get("created", 0)),
        priority=int(h.get("prio", 0)),
        intro=intro,
        listener=ClientId(h["lclient"]) if h.get("lclient") else None,
        listener_id=ListenerId(h["lid"]) if h.get("lid") else None,
        listener_name=h.get("lname") or None,
        matched_ms=int(h.get("matched", 0)),
        last_activity_ms=int(h.get("last", 0)),
        members=members,
        risk=h.get("risk") == "1",
        escalated=h.get("escalated") == "1",
        transfer_seq=int(h.get("tseq", 0)),
    )


def listener_from_hash(listener: str, h: Mapping[str, str]) -> ListenerSlot | None:
    if "client" not in h:
        return None
    return ListenerSlot(
        listener=ListenerId(listener),
        client=ClientId(h["client"]),
        name=h.get("name", ""),
        role=Role(h.get("role", "listener")),
        topics=split_topics(h.get("topics", "")),
        capacity=int(h.get("capacity", 1)),
        load=int(h.get("load", 0)),
        ready=h.get("ready") == "1",
        idle_since_ms=int(h.get("idle", 0)),
        present=h.get("present", "1") == "1",
        resting_until_ms=int(h.get("rest", 0)),
    )


def waiting_from_meta(session: str, meta: str, *, present: bool = True) -> WaitingSeeker:
    seeker, topics, enqueued, priority, ticket = meta.split("|")
    return WaitingSeeker(
        session=SessionId(session),
        seeker=ClientId(seeker),
        topics=split_topics(topics),
        enqueued_ms=int(enqueued),
        priority=int(priority),
        ticket=int(ticket),
        present=present,
    )
