"""Who gets in, and what they get back: ``hello``, resume, and the replay after it.

A fresh ``hello`` makes a new anonymous seeker, or signs a listener in with
their token (taking over their open conversations if they were signed in
elsewhere). A ``hello`` with ``resume`` re-attaches the client the token
names, wherever it was before, and replays its state: ``queued`` or
``matched`` for each session, then every kept message after the client's
``last_seq``, in order, nothing twice (PROTOCOL.md, "Resume").

Live events that arrive while a replay is being written wait in the
connection's ``held`` list and go out after it, through the same
duplicate filter, so a message cannot overtake an older one nor come twice.
Resume tokens are single use: every ``welcome`` carries a new one and the
broker marks the old one used; only their SHA-256 is stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import protocol
from protocol import CloseCode, ErrorCode

from .addresses import address_key
from .auth import ListenerClaims, verify_token
from .broker.base import Broker, MessageEvent, Participant, ResumeStatus
from .clock import now_ms
from .config import Config
from .errors import ClientError
from .handles import random_handle
from .hub import Attached, Hub, Outbox
from .matching import ListenerSlot, positions
from .session import State
from .types import ClientId, EndReason, ListenerId, Role, SessionId, new_client_id

if TYPE_CHECKING:
    from .care import Care

__all__ = ["Admissions", "Peer", "listener_client_id", "listener_slot", "token_hash"]


def listener_client_id(listener: ListenerId) -> ClientId:
    """A listener's client id is derived from their token's ``sub``: signing in again
    (another tab, a new device) takes their open conversations over."""
    return ClientId("L" + hashlib.sha256(listener.encode()).hexdigest()[:20])


def token_hash(token: str) -> str:
    """What the broker stores of a resume token."""
    return hashlib.sha256(token.encode()).hexdigest()


def listener_slot(
    config: Config, attached: Attached, claims: ListenerClaims, *, ready: bool
) -> ListenerSlot:
    """A listener's presence as this node knows it (load = its active sessions here)."""
    capacity = config.listener.capacity
    if claims.capacity is not None:
        capacity = min(capacity, claims.capacity)
    load = sum(1 for v in attached.sessions.values() if v.state is State.ACTIVE)
    return ListenerSlot(
        listener=claims.sub,
        client=attached.client,
        name=claims.name,
        role=claims.role,
        topics=claims.topics,
        capacity=capacity,
        load=load,
        ready=ready,
        idle_since_ms=now_ms(),
    )


@dataclass(frozen=True, slots=True)
class Peer:
    """Where a connection comes from, as the socket shell saw it (kept in memory only)."""

    address: str
    origin: str | None = None


def _unauthorized(message: str) -> ClientError:
    return ClientError(
        ErrorCode.UNAUTHORIZED, message, ref="hello", close=CloseCode.POLICY_VIOLATION
    )


@dataclass(frozen=True, slots=True)
class _Context:
    log: Any
    lang: str | None
    region: str | None
    address: str


class Admissions:
    """Admits connections to one node."""

    def __init__(self, config: Config, broker: Broker, hub: Hub, care: Care) -> None:
        self._config = config
        self._broker = broker
        self._hub = hub
        self._care = care

    async def welcome(
        self, outbox: Outbox, hello: protocol.Hello, log: Any, peer: Peer | None = None
    ) -> Attached:
        """Admit a connection: fresh, signed in, or resumed.

        Raises:
            ClientError: ``unauthorized`` (close 1008) for a bad listener token or a dead
                resume token; ``unavailable`` when the broker cannot be reached.
        """
        if not self._broker.available:
            raise ClientError(
                ErrorCode.UNAVAILABLE,
                "the service cannot take new connections right now; try again shortly",
                ref="hello",
                close=CloseCode.TRY_AGAIN_LATER,
            )
        peer = peer or Peer(address="")
        claims = self._claims(hello)
        staff_origins = self._config.server.staff_origins
        if claims is not None and staff_origins and peer.origin not in staff_origins:
            raise _unauthorized("hello: listeners sign in from the service's own console only")
        address = address_key(self._config.auth.secret, peer.address) if peer.address else ""
        context = _Context(log=log, lang=hello.lang, region=hello.region, address=address)
        last_seq: Mapping[str, int] = hello.last_seq or {}
        if hello.resume:
            participant = await self._resumable(hello.resume, hello, claims, outbox)
            if participant is not None:
                await self._refuse_if_blocked(outbox, participant.client, address, hello)
                return await self._admit(
                    outbox, context, participant.client, participant.role, participant.handle,
                    claims, resumed=True, last_seq=last_seq,
                )  # fmt: skip
            last_seq = {}
        if claims is not None:
            client, role, handle = listener_client_id(claims.sub), claims.role, claims.name
        else:
            client, role, handle = new_client_id(), Role.SEEKER, random_handle()
            await self._refuse_if_blocked(outbox, None, address, hello)
        return await self._admit(
            outbox, context, client, role, handle, claims, resumed=False, last_seq=last_seq
        )

    async def _refuse_if_blocked(
        self, outbox: Outbox, client: ClientId | None, address: str, hello: protocol.Hello
    ) -> None:
        """A barred seeker gets helplines and ``blocked``, and the connection closes."""
        if not await self._care.is_blocked(client, address or None):
            return
        outbox.push(protocol.encode(self._care.helplines.frame("blocked", hello.region)))
        raise ClientError(
            ErrorCode.BLOCKED,
            "hello: this conversation service is not available to you for a while; "
            "the helplines above are there for you",
            ref="hello",
            close=CloseCode.POLICY_VIOLATION,
        )

    def _claims(self, hello: protocol.Hello) -> ListenerClaims | None:
        if hello.role != "listener":
            return None
        auth = self._config.auth
        return verify_token(hello.token, auth.secret, leeway_s=auth.leeway_s)

    async def _resumable(
        self,
        token: str,
        hello: protocol.Hello,
        claims: ListenerClaims | None,
        outbox: Outbox,
    ) -> Participant | None:
        """The participant a resume token names, or None (after ``resume_expired``)."""
        status, client = await self._broker.lookup_resume(token_hash(token))
        participant = None
        if status is ResumeStatus.LIVE and client is not None:
            participant = await self._broker.get_participant(client)
        grace_ms = self._config.session.resume_grace_s * 1000
        if (
            participant is not None
            and participant.node is None
            and now_ms() - participant.away_since_ms > grace_ms
        ):
            participant = None  # past the window, even if the sweeper has not been by yet
        if status in (ResumeStatus.USED, ResumeStatus.UNKNOWN):
            raise _unauthorized(
                "hello.resume: this resume token is not valid (already used, or unknown); "
                "connect again without it"
            )
        if participant is None:
            outbox.push(
                protocol.encode(
                    protocol.Error(
                        code=ErrorCode.RESUME_EXPIRED.value,
                        message="hello.resume: you were away longer than the grace window, "
                        "so your conversations have ended; starting afresh",
                        ref="hello",
                    )
                )
            )
            return None
        if participant.role.is_staff != (claims is not None) or (
            claims is not None and claims.sub != participant.listener
        ):
            raise _unauthorized("hello.resume: this resume token belongs to someone else")
        return participant

    async def _admit(
        self,
        outbox: Outbox,
        context: _Context,
        client: ClientId,
        role: Role,
        handle: str,
        claims: ListenerClaims | None,
        *,
        resumed: bool,
        last_seq: Mapping[str, int],
    ) -> Attached:
        token = secrets.token_urlsafe(32)
        attached = Attached(
            client=client,
            role=role,
            handle=handle,
            attachment=secrets.token_urlsafe(9),
            outbox=outbox,
            log=context.log.bind(client=client, role=role.value),
            claims=claims,
            resume_hash=token_hash(token),
            held=[],
            delivered={SessionId(s): seq for s, seq in last_seq.items()},
            lang=context.lang,
            region=context.region,
            address=context.address,
            rest_ms=int(self._config.listener.rest_s * 1000),
        )
        replaced = self._hub.add(attached)
        if replaced is not None:
            replaced.outbox.close(CloseCode.REPLACED, "another connection took over")
        try:
            previous = await self._broker.attach(
                Participant(
                    client=client,
                    role=role,
                    handle=handle,
                    listener=claims.sub if claims else None,
                    attachment=attached.attachment,
                    resume_hash=attached.resume_hash,
                    address=attached.address,
                )
            )
            attached.push(
                protocol.Welcome(
                    v=protocol.PROTOCOL_VERSION,
                    role=role.value,
                    handle=handle,
                    resume=token,
                    resumed=True if resumed else None,
                )
            )
            if claims is not None:
                await self._sign_in(attached, claims)
            sessions = previous.sessions if previous else frozenset()
            await self._replay(attached, sessions, last_seq)
        except BaseException:
            self._hub.remove(attached)
            raise
        finally:
            self._hub.release_held(attached)
        attached.log.info(
            "client_welcomed", resumed=resumed, took_over=previous is not None,
            sessions=len(attached.sessions),
        )  # fmt: skip
        if claims is not None:
            await self._broker.queue_changed()
        return attached

    async def _sign_in(self, attached: Attached, claims: ListenerClaims) -> None:
        """Register listener presence, keeping ready/away from an earlier connection."""
        current = await self._broker.get_listener(claims.sub)
        attached.ready = current.ready if current else False
        slot = listener_slot(self._config, attached, claims, ready=attached.ready)
        if current is not None:
            slot = dataclasses.replace(slot, idle_since_ms=current.idle_since_ms)
        await self._broker.set_listener(slot)

    async def _replay(
        self, attached: Attached, sessions: frozenset[SessionId], last_seq: Mapping[str, int]
    ) -> None:
        """Re-send each open session's state and the messages after ``last_seq``."""
        waiting = None
        for session in sorted(sessions):
            record = await self._broker.get_session(session)
            if record is None:
                continue
            attached.sessions[session] = dataclasses.replace(record, intro=None)
            if record.state is State.WAITING:
                waiting = waiting or (await self._broker.snapshot(listeners=False)).waiting
                place = positions(waiting).get(session)
                if place is not None:
                    attached.last_queued = (place, len(waiting), None)
                    attached.push(
                        protocol.Queued(session=session, position=place, waiting=len(waiting))
                    )
                continue
            is_seeker = attached.role is Role.SEEKER
            attached.push(
                protocol.Matched(
                    session=session,
                    peer=(record.listener_name or "") if is_seeker else record.seeker_handle,
                    topics=record.topics,
                    intro=None if is_seeker else record.intro,
                )
            )
            for message in await self._broker.history(session, last_seq.get(session, 0)):
                if message.sender != attached.client:
                    self._hub.apply(
                        attached,
                        MessageEvent(
                            attached.client, session, message.seq, message.ts, message.text
                        ),
                    )
        for name in last_seq:
            session = SessionId(name)
            if session in sessions:
                continue
            reason = await self._broker.ended_reason(session)
            if reason is not None:  # it ended while this client was away
                attached.remember_ended(
                    session, attached.role is Role.SEEKER and reason is not EndReason.LEFT_QUEUE
                )
                attached.push(protocol.Ended(session=session, reason=reason.value))
