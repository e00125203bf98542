"""Safety and care: crisis triage, supervision, transfers, debriefs, reports and blocks.

This is the part of the node logic that exists because this is a
mental-health service (PROTOCOL.md, "Safety"):

- a seeker whose intro or message matches a risk pattern gets helplines at
  once, goes ahead of non-urgent seekers, and the listener and supervisors
  are told that (never what) a flag was raised;
- listeners can escalate to supervisors, who may join, and hand a session
  over; after a hard one they can ask for a debrief, which also stops new
  assignments until they say ``ready``;
- a listener can end with ``block``, which bars the seeker's identity (and,
  if configured, address) for a while, stored only as salted tags.

Notes and handovers travel to the people they are for and are never stored
or logged.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import protocol
from protocol import ErrorCode

from .blocks import block_tags
from .broker.base import Participant
from .clock import now_ms
from .errors import ClientError
from .hub import Attached
from .matching import ListenerSlot, WaitingSeeker, can_help
from .resources import Helplines
from .risk import RiskDetector
from .session import SessionRecord, State
from .types import ClientId, EndReason, Role, SessionId

if TYPE_CHECKING:
    from .node import Node

__all__ = ["Care"]


def _not_yours(ref: str) -> ClientError:
    return ClientError(
        ErrorCode.NOT_IN_SESSION, f"{ref}.session: that conversation is not open for you", ref=ref
    )


class Care:
    """The safety rules of one node."""

    def __init__(self, node: Node) -> None:
        self._node = node
        config = node.config
        self.risk = RiskDetector(config.safety.risk_patterns, config.safety.default_lang)
        self.helplines = Helplines(config.resources)

    # --- helplines and risk ------------------------------------------------

    def resources(self, attached: Attached, reason: str) -> None:
        attached.push(self.helplines.frame(reason, attached.region))

    def is_risky(self, text: str | None, attached: Attached) -> bool:
        return bool(text) and self.risk.matches(text or "", attached.lang)

    async def flag(self, attached: Attached, session: SessionId, where: str) -> None:
        """A seeker's words matched: helplines to them, a flag to the staff, once a session."""
        marked = await self._node.broker.mark(session, "risk")
        if marked is None or not marked[0]:
            return
        _, record = marked
        self._node.metrics.risk_flags.labels(where).inc()
        attached.log.warning("risk_flagged", session=session, where=where)
        self.resources(attached, "risk")
        frame = protocol.encode(protocol.RiskFlag(session=session))
        staff = {c for c in record.members if c != record.seeker}
        staff |= {slot.client for slot in await self.supervisors()}
        for client in staff:
            await self._node.broker.deliver(client, frame)
        if record.state is State.WAITING:
            await self._node.broker.queue_changed()

    async def supervisors(self) -> list[ListenerSlot]:
        snapshot = await self._node.broker.snapshot()
        return [s for s in snapshot.listeners if s.role is Role.SUPERVISOR and s.present]

    async def tell_supervisors(self, frame: protocol.Frame) -> None:
        data = protocol.encode(frame)
        for slot in await self.supervisors():
            await self._node.broker.deliver(slot.client, data)

    # --- blocks ------------------------------------------------------------

    def _tags(self, kind: str, value: str) -> tuple[str, str]:
        safety = self._node.config.safety
        ttl = safety.block_ttl_s if kind == "seeker" else safety.block_address_ttl_s
        return block_tags(self._node.config.auth.secret, kind, value, ttl, time.time())

    async def is_blocked(self, client: ClientId | None, address: str | None) -> bool:
        tags: list[str] = []
        if client is not None:
            tags += self._tags("seeker", client)
        if address is not None and self._node.config.safety.block_address:
            tags += self._tags("address", address)
        return bool(tags) and await self._node.broker.is_blocked(tags)

    def refuse_blocked(self, attached: Attached, ref: str) -> ClientError:
        """``blocked`` (with helplines first): kind words, no way around it for a while."""
        self._node.metrics.limited.labels("blocked").inc()
        self.resources(attached, "blocked")
        return ClientError(
            ErrorCode.BLOCKED,
            f"{ref}: this conversation service is not available to you for a while; "
            "the helplines above are there for you",
            ref=ref,
        )

    async def block(self, record: SessionRecord, participant: Participant | None) -> None:
        safety = self._node.config.safety
        await self._node.broker.block(self._tags("seeker", record.seeker)[0], safety.block_ttl_s)
        if safety.block_address and participant is not None and participant.address:
            tag = self._tags("address", participant.address)[0]
            await self._node.broker.block(tag, safety.block_address_ttl_s)
        self._node.metrics.blocks.inc()

    # --- frames ------------------------------------------------------------

    async def resources_request(self, attached: Attached, frame: protocol.ResourcesRequest) -> None:
        self.resources(attached, "requested")

    def _own_active(self, attached: Attached, session: SessionId, ref: str) -> SessionRecord:
        """The active session ``attached`` is the listener of, or ``not_in_session``."""
        view = attached.sessions.get(session)
        if view is None or view.state is not State.ACTIVE or view.listener != attached.client:
            raise _not_yours(ref)
        return view

    async def escalate(self, attached: Attached, frame: protocol.Escalate) -> None:
        session = SessionId(frame.session)
        self._own_active(attached, session, "escalate")
        marked = await self._node.broker.mark(session, "escalated")
        if marked is None:
            raise _not_yours("escalate")
        _, record = marked
        self._node.metrics.escalations.inc()
        attached.log.warning("session_escalated", session=session)
        await self.tell_supervisors(
            protocol.Escalation(
                session=session,
                listener=attached.handle,
                topics=record.topics,
                risk=record.risk or None,
                note=frame.note,
            )
        )

    async def join(self, attached: Attached, frame: protocol.Join) -> None:
        session = SessionId(frame.session)
        record = await self._node.broker.join(session, attached.client, attached.handle)
        if record is None:
            current = await self._node.broker.get_session(session)
            if current is not None and current.state is State.ACTIVE:
                raise ClientError(
                    ErrorCode.FORBIDDEN,
                    "join: supervisors join a session only when its listener escalates it",
                    ref="join",
                )
            raise _not_yours("join")
        self._node.metrics.supervisor_joins.inc()
        attached.log.info("supervisor_joined", session=session)

    async def leave(self, attached: Attached, frame: protocol.Leave) -> None:
        session = SessionId(frame.session)
        if not await self._node.broker.leave(session, attached.client, attached.handle):
            raise _not_yours("leave")
        attached.log.info("supervisor_left", session=session)

    async def transfer(self, attached: Attached, frame: protocol.Transfer) -> None:
        session = SessionId(frame.session)
        view = self._own_active(attached, session, "transfer")
        assert attached.claims is not None
        to_supervisor = frame.to == "supervisor"
        now = now_ms()
        snapshot = await self._node.broker.snapshot()
        entry = WaitingSeeker(session, view.seeker, view.topics, 0)
        candidates = [
            slot
            for slot in snapshot.listeners
            if slot.client != attached.client
            and slot.present
            and slot.load < slot.capacity
            and (
                slot.role is Role.SUPERVISOR
                if to_supervisor
                else slot.role is Role.LISTENER and slot.can_take(now) and can_help(slot, entry)
            )
        ]
        candidates.sort(key=lambda s: (s.load, s.idle_since_ms, s.listener))
        for slot in candidates:
            record = await self._node.broker.transfer(
                session, attached.claims.sub, slot.listener, frame.note, now
            )
            if record is not None:
                self._node.metrics.transfers.labels(
                    "supervisor" if to_supervisor else "listener"
                ).inc()
                attached.log.info("session_transferred", session=session, to=slot.role.value)
                return
        raise ClientError(
            ErrorCode.CONFLICT,
            "transfer: nobody is free to take this conversation right now; try again shortly",
            ref="transfer",
        )

    async def debrief_request(self, attached: Attached, frame: protocol.DebriefRequest) -> None:
        await self._node.set_ready(attached, False)
        self._node.metrics.debriefs.inc()
        attached.log.info("debrief_requested", session=frame.session)
        await self.tell_supervisors(
            protocol.Debrief(listener=attached.handle, session=frame.session)
        )

    async def report(self, attached: Attached, frame: protocol.Report) -> None:
        session = SessionId(frame.session)
        if session not in attached.sessions and session not in attached.recent_ended:
            raise _not_yours("report")
        self._node.metrics.reports.labels(frame.reason).inc()
        attached.log.warning("report_received", session=session, reason=frame.reason)
        by = "seeker" if attached.role is Role.SEEKER else "listener"
        await self.tell_supervisors(protocol.Reported(session=session, reason=frame.reason, by=by))

    async def end_with_block(self, attached: Attached, session: SessionId) -> EndReason | None:
        """A listener ends and bars the seeker: identity (and address) tags, then the end."""
        view = attached.sessions.get(session)
        if (
            view is None
            or attached.role is Role.SEEKER
            or view.state is not State.ACTIVE
            or view.listener != attached.client
        ):
            raise ClientError(
                ErrorCode.FORBIDDEN,
                "end.block: only the listener of an active conversation can block",
                ref="end",
            )
        record = await self._node.broker.get_session(session)
        if record is None:
            return None
        participant = await self._node.broker.get_participant(record.seeker)
        await self.block(record, participant)
        ended = await self._node.end_session(session, reason=EndReason.BLOCKED)
        if ended is not None:
            await self._node.broker.deliver(
                record.seeker, protocol.encode(self.helplines.frame("blocked"))
            )
            attached.log.warning("seeker_blocked", session=session)
        return ended
