"""The node logic: frames in, broker calls, frames out.

A connection shell hands each decoded frame to :meth:`Node.handle`; the node
checks it against the client's role and sessions, asks the broker, and puts
answers in outboxes. It knows nothing of sockets (the shell) nor of where
state lives (the broker), so the same logic runs on one node or many.

Background work is owned here and cancelled by :meth:`Node.stop`: the
matchmaker, and a sweeper that ends idle sessions and releases clients whose
grace window ran out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections.abc import Awaitable, Callable
from typing import Any

import protocol
from protocol import CloseCode, ErrorCode

from .addresses import AddressLimits
from .admission import Admissions, Peer, listener_slot
from .broker.base import Broker, EndedEvent, MessageEvent, Participant, ServiceEvent
from .care import Care
from .clock import now_ms
from .config import Config
from .errors import BrokerUnavailable, ClientError
from .hub import Attached, Hub, Outbox
from .logs import get_logger
from .matching import best_entry_for, can_help
from .matchmaker import Matchmaker
from .metrics import Metrics
from .session import SessionRecord, State, end_reason
from .tasks import reraise_if_cancelling, stop_tasks
from .types import (
    EndReason,
    Role,
    SessionId,
    new_session_id,
)

__all__ = ["Node"]

Handler = Callable[[Attached, Any], Awaitable[None]]


def _not_in_session(ref: str, what: str = "that conversation") -> ClientError:
    return ClientError(
        ErrorCode.NOT_IN_SESSION, f"{ref}.session: {what} is not open for you", ref=ref
    )


class Node:
    """One server node's logic over a broker (see the module docstring)."""

    def __init__(self, config: Config, broker: Broker, metrics: Metrics) -> None:
        self.config = config
        self.broker = broker
        self.metrics = metrics
        self.log = get_logger("chatserver.node").bind(node=broker.node_id)
        self.limits = protocol.Limits(
            max_frame_bytes=config.server.max_frame_bytes,
            max_text_chars=config.limits.max_text_chars,
            max_intro_chars=config.limits.max_intro_chars,
        )
        self.hub = Hub(on_queue_changed=self._poke, on_service=self._on_service)
        self.care = Care(self)
        self.matchmaker = Matchmaker(broker, self.hub, config, metrics, self.log, self.care)
        self.admissions = Admissions(config, broker, self.hub, self.care)
        self.addresses = AddressLimits(
            config.limits.max_connections_per_address, config.limits.hellos_per_minute
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._recovery: asyncio.Task[None] | None = None
        self._recovering = False
        self._announced = True
        """What clients were last told with ``service``: each change is told once."""
        self._data_lost = False
        """The store came back empty and no recovery has finished since."""
        self._topics = frozenset(config.routing.topics)
        self._handlers: dict[type[protocol.Frame], Handler] = {
            protocol.Request: self._request,
            protocol.Ready: self._ready,
            protocol.Away: self._away,
            protocol.Take: self._take,
            protocol.Send: self._send,
            protocol.Typing: self._typing,
            protocol.End: self._end,
            protocol.Report: self.care.report,
            protocol.Feedback: self._feedback,
            protocol.ResourcesRequest: self.care.resources_request,
            protocol.Escalate: self.care.escalate,
            protocol.Join: self.care.join,
            protocol.Leave: self.care.leave,
            protocol.Transfer: self.care.transfer,
            protocol.DebriefRequest: self.care.debrief_request,
        }

    # --- lifecycle -----------------------------------------------------------

    async def start(self) -> None:
        await self.broker.start(self.hub.on_event)
        if self._recovery is not None:
            await self._recovery  # a broker that came up announces itself; nothing to redo yet
        self._tasks = [
            asyncio.create_task(self.matchmaker.run(), name="matchmaker"),
            asyncio.create_task(self._sweep_loop(), name="sweeper"),
        ]
        self.matchmaker.poke()

    async def stop(self) -> None:
        await stop_tasks([*self._tasks, *([self._recovery] if self._recovery else [])], self.log)
        self._tasks = []
        self._recovery = None
        await self.broker.close()

    @property
    def healthy(self) -> bool:
        """Can serve: the broker is reachable and this node is not re-describing its clients."""
        return self.broker.available and not self._recovering

    def _poke(self) -> None:
        self.matchmaker.poke()

    # --- broker outages --------------------------------------------------------

    def _on_service(self, event: ServiceEvent) -> None:
        if not event.available:
            self.log.warning("service_degraded", clients=len(self.hub))
            if self._announced:
                self._announced = False
                for attached in self.hub:
                    attached.push(protocol.Service(available=False))
            return
        if self._recovery is not None and not self._recovery.done():
            self._recovery.cancel()
        # an interrupted recovery of lost data is still owed, whatever this reconnection saw
        self._data_lost = self._data_lost or not event.data_kept
        self._recovering = True
        self._recovery = asyncio.create_task(self._recover(not self._data_lost), name="recovery")

    async def _recover(self, data_kept: bool) -> None:
        """The broker's store is back: re-describe this node's clients to it.

        If the store kept its data this only re-registers presence (and tells
        clients about sessions that ended while this node could not hear);
        if it came back empty, waiting seekers are queued again in their
        original order and active sessions restored, so nobody loses their
        conversation to a Redis restart.
        """
        try:
            for attached in self.hub:
                await self._redescribe(attached, data_kept)
            await self.broker.queue_changed()
            self._data_lost = False
            self.log.info("service_recovered", clients=len(self.hub), data_kept=data_kept)
            if not self._announced:
                self._announced = True
                for attached in self.hub:
                    attached.push(protocol.Service(available=True))
        except BrokerUnavailable:
            return  # lost again; the next ServiceEvent starts over
        except Exception:
            reraise_if_cancelling()
            self.log.exception("recovery_failed")
        finally:
            self._recovering = False
            self.matchmaker.poke()

    async def _redescribe(self, attached: Attached, data_kept: bool) -> None:
        await self.broker.attach(
            Participant(
                client=attached.client,
                role=attached.role,
                handle=attached.handle,
                listener=attached.claims.sub if attached.claims else None,
                attachment=attached.attachment,
                sessions=frozenset() if data_kept else frozenset(attached.sessions),
            )
        )
        if attached.claims is not None:
            await self.broker.set_listener(
                listener_slot(self.config, attached, attached.claims, ready=attached.ready),
                restore_load=True,
            )
        for session, view in list(attached.sessions.items()):
            if data_kept:
                if await self.broker.get_session(session) is None:
                    # it ended while this node could not hear about it
                    self.hub.on_event(EndedEvent(attached.client, session, EndReason.DISCONNECTED))
                else:
                    await self.resync(attached, session)
            elif view.state is State.WAITING:
                await self.broker.enqueue(view)
            else:
                await self.broker.restore(view, attached.seq_seen.get(session, 0))

    async def resync(self, attached: Attached, session: SessionId) -> None:
        """Deliver kept messages this connection has not received (after a gap)."""
        for message in await self.broker.history(session, attached.delivered.get(session, 0)):
            if message.sender != attached.client:
                self.hub.on_event(
                    MessageEvent(attached.client, session, message.seq, message.ts, message.text)
                )

    # --- hello ---------------------------------------------------------------

    async def welcome(
        self, outbox: Outbox, hello: protocol.Hello, log: Any, peer: Peer | None = None
    ) -> Attached:
        """Admit a connection (fresh, signed in or resumed); see :mod:`chatserver.admission`."""
        return await self.admissions.welcome(outbox, hello, log, peer)

    # --- frames --------------------------------------------------------------

    async def handle(self, attached: Attached, frame: protocol.Frame) -> None:
        """Act on one frame from a welcomed client.

        Raises:
            ClientError: the frame cannot be done; the shell answers ``error``.
            BrokerUnavailable: the shared store is down; the shell answers ``unavailable``.
        """
        if isinstance(frame, protocol.Hello):
            raise ClientError(ErrorCode.CONFLICT, "hello: already welcomed", ref="hello")
        assert isinstance(frame, protocol.ClientFrame)
        if attached.role.value not in frame.ROLES:
            allowed = sorted(
                t
                for t, cls in protocol.CLIENT_FRAMES.items()
                if t != "hello" and attached.role.value in getattr(cls, "ROLES", ())
            )
            raise ClientError(
                ErrorCode.FORBIDDEN,
                f"{frame.TYPE}: not allowed for a {attached.role.value}; "
                f"you can send {', '.join(allowed)}",
                ref=frame.TYPE,
            )
        await self._handlers[type(frame)](attached, frame)

    async def _request(self, attached: Attached, frame: protocol.Request) -> None:
        if attached.sessions:
            raise ClientError(
                ErrorCode.CONFLICT,
                "request: you are already waiting or in a conversation; end it first",
                ref="request",
            )
        for i, topic in enumerate(frame.topics):
            if topic not in self._topics:
                raise ClientError(
                    ErrorCode.INVALID_FIELD,
                    f"request.topics[{i}]: not a topic of this service; "
                    f"expected one of {', '.join(sorted(self._topics))}",
                    ref="request",
                )
        if await self.care.is_blocked(attached.client, attached.address):
            raise self.care.refuse_blocked(attached, "request")
        risky = self.care.is_risky(frame.intro, attached)
        if not risky and self.matchmaker.last_waiting >= self.config.queue.max_waiting:
            self.metrics.limited.labels("queue_full").inc()
            self.care.resources(attached, "queue_full")
            raise ClientError(
                ErrorCode.QUEUE_FULL,
                "request: a lot of people are waiting right now, so we cannot add you to the "
                "queue; please try again in a few minutes, and see the helplines above",
                ref="request",
            )
        now = now_ms()
        record = SessionRecord(
            id=new_session_id(),
            state=State.WAITING,
            seeker=attached.client,
            seeker_handle=attached.handle,
            topics=frame.topics,
            created_ms=now,
            priority=1 if risky else 0,
            intro=frame.intro,
            last_activity_ms=now,
        )
        # This connection's view holds no text (and needs no copy when there is none).
        attached.sessions[record.id] = (
            record if record.intro is None else dataclasses.replace(record, intro=None)
        )
        # Another node may match the seeker before the enqueue's reply is back here:
        # hold live events so that ``queued`` always comes before ``matched``.
        attached.held = [] if attached.held is None else attached.held
        try:
            position, waiting = await self.broker.enqueue(record)
            attached.last_queued = (position, waiting, None)
            attached.push(protocol.Queued(session=record.id, position=position, waiting=waiting))
        except BaseException:
            attached.sessions.pop(record.id, None)
            raise
        finally:
            self.hub.release_held(attached)
        attached.log.info("seeker_queued", session=record.id, topics=list(frame.topics))
        if risky:
            await self.care.flag(attached, record.id, "intro")
        await self.broker.queue_changed()

    async def set_ready(self, attached: Attached, ready: bool) -> None:
        assert attached.claims is not None
        slot = await self.broker.get_listener(attached.claims.sub)
        if slot is None:
            raise BrokerUnavailable("listener presence missing")
        idle_since = now_ms() if ready and not slot.ready else slot.idle_since_ms
        attached.ready = ready
        await self.broker.set_listener(
            dataclasses.replace(slot, ready=ready, idle_since_ms=idle_since)
        )
        attached.log.info("listener_ready" if ready else "listener_away")
        await self.broker.queue_changed()

    async def _ready(self, attached: Attached, frame: protocol.Ready) -> None:
        await self.set_ready(attached, True)

    async def _away(self, attached: Attached, frame: protocol.Away) -> None:
        await self.set_ready(attached, False)

    async def _take(self, attached: Attached, frame: protocol.Take) -> None:
        assert attached.claims is not None
        slot = await self.broker.get_listener(attached.claims.sub)
        if slot is None:
            raise BrokerUnavailable("listener presence missing")
        if slot.load >= slot.capacity:
            raise ClientError(
                ErrorCode.AT_CAPACITY,
                f"take: you already have {slot.load} of {slot.capacity} conversations open",
                ref="take",
            )
        snapshot = await self.broker.snapshot(listeners=False)
        if frame.seeker is None:
            entry = best_entry_for(slot, snapshot.waiting)
            if entry is None:
                raise ClientError(
                    ErrorCode.QUEUE_EMPTY, "take: nobody you can help is waiting", ref="take"
                )
        else:
            entry = next((e for e in snapshot.waiting if e.session == frame.seeker), None)
            if entry is None:
                raise ClientError(
                    ErrorCode.CONFLICT, "take.seeker: that person is no longer waiting", ref="take"
                )
            if not can_help(slot, entry):
                raise ClientError(
                    ErrorCode.FORBIDDEN,
                    "take.seeker: you are not trained for that person's topics",
                    ref="take",
                )
        now = now_ms()
        record = await self.broker.claim(entry.session, slot.listener, now, require_ready=False)
        if record is None:
            raise ClientError(
                ErrorCode.CONFLICT,
                "take: someone else took that person first, or you are at capacity",
                ref="take",
            )
        self.metrics.wait_seconds.observe(max(0, now - record.created_ms) / 1000)
        await self.broker.queue_changed()

    async def _send(self, attached: Attached, frame: protocol.Send) -> None:
        session = SessionId(frame.session)
        if attached.state_of(session) is not State.ACTIVE:
            raise _not_in_session("send")
        result = await self.broker.post(
            session, attached.client, frame.id, frame.text, now_ms(), attached.handle
        )
        if result is None:
            raise _not_in_session("send", "that conversation has ended; it")
        attached.saw(session, result.seq)
        attached.push(protocol.Sent(session=session, id=frame.id, seq=result.seq, ts=result.ts))
        if result.duplicate:
            return
        self.metrics.messages_relayed.inc()
        if attached.role is Role.SEEKER and self.care.is_risky(frame.text, attached):
            await self.care.flag(attached, session, "message")

    async def _typing(self, attached: Attached, frame: protocol.Typing) -> None:
        session = SessionId(frame.session)
        if attached.state_of(session) is not State.ACTIVE or not await self.broker.typing(
            session, attached.client
        ):
            raise _not_in_session("typing")

    async def _end(self, attached: Attached, frame: protocol.End) -> None:
        session = SessionId(frame.session)
        if session not in attached.sessions:
            raise _not_in_session("end")
        if frame.block:
            ended = await self.care.end_with_block(attached, session)
        else:
            ended = await self.end_session(session, actor=attached)
        if ended is None:
            raise _not_in_session("end", "that conversation has already ended; it")
        attached.log.info("session_end_requested", session=session, note=frame.reason)

    async def _feedback(self, attached: Attached, frame: protocol.Feedback) -> None:
        session = SessionId(frame.session)
        if session not in attached.recent_ended:
            raise _not_in_session("feedback", "feedback is for a conversation that ended; that")
        if not attached.recent_ended[session]:
            raise ClientError(
                ErrorCode.CONFLICT,
                "feedback: already given for that conversation (or it never started)",
                ref="feedback",
            )
        attached.recent_ended[session] = False
        self.metrics.feedback.labels(str(frame.score)).inc()

    # --- ending --------------------------------------------------------------

    async def end_session(
        self,
        session: SessionId,
        *,
        actor: Attached | None = None,
        reason: EndReason | None = None,
    ) -> EndReason | None:
        """End a session for everyone in it, once; returns the reason if this call ended it.

        With an ``actor`` the reason follows from their role and the session's
        state (leaving the queue vs. ending a conversation).
        """
        for _ in range(3):  # the state may move between reading it and ending it
            record = await self.broker.get_session(session)
            if record is None:
                return None
            if actor is not None and actor.client not in record.members:
                return None
            why = end_reason(record.state, actor.role) if actor is not None else reason
            assert why is not None
            now = now_ms()
            listener = self.config.listener
            rest_s = listener.risk_cooldown_s if record.risk else listener.cooldown_s
            ended = await self.broker.end(
                session,
                why,
                expect=record.state,
                now_ms=now,
                rest_until_ms=now + int(rest_s * 1000),
            )
            if ended is not None:
                self.metrics.sessions_ended.labels(why.value).inc()
                if record.state is State.ACTIVE and record.matched_ms:
                    self.metrics.listener_session_seconds.observe((now - record.matched_ms) / 1000)
                self.log.info("session_ended", session=session, reason=why.value)
                await self.broker.queue_changed()
                return why
        return None

    async def release(self, participant: Participant, reason: EndReason) -> None:
        """A client is gone for good: end their sessions, drop presence and record."""
        for session in sorted(participant.sessions):
            await self.end_session(session, reason=reason)
        if participant.listener is not None:
            await self.broker.remove_listener(participant.listener)
        await self.broker.forget(participant.client)
        await self.broker.queue_changed()

    async def disconnected(self, attached: Attached) -> None:
        """The connection closed: end or hold the client's sessions per the grace window."""
        if not self.hub.remove(attached):
            return  # another connection of this client took over
        participant = await self.broker.detach(
            attached.client, attachment=attached.attachment, now_ms=now_ms()
        )
        if participant is None:
            return
        attached.log.info("client_disconnected", sessions=len(participant.sessions))
        if self.config.session.resume_grace_s <= 0:
            await self.release(participant, EndReason.DISCONNECTED)

    async def drain(self, timeout: float) -> None:
        """Send everyone elsewhere without ending anything: ``reconnect``, close 1012, and
        wait (up to ``timeout``) for the connections to go. Their sessions are held for
        the grace window and resume on another node."""
        spread = random.Random()
        for attached in self.hub:
            attached.push(protocol.Reconnect(after_ms=spread.randint(100, 1500)))
            attached.outbox.close(CloseCode.SERVICE_RESTART, "node restarting; resume elsewhere")
        self.log.info("node_draining", clients=len(self.hub))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.hub) and loop.time() < deadline:
            await asyncio.sleep(0.05)

    async def shutdown(self) -> None:
        """Nowhere to send people: end every session of the clients here with
        ``server_shutdown``, and close the connections (see also :meth:`release_away`)."""
        for attached in self.hub:
            participant = await self.broker.get_participant(attached.client)
            if participant is not None:
                await self.release(participant, EndReason.SERVER_SHUTDOWN)
            attached.outbox.close(CloseCode.GOING_AWAY, "server shutting down")
            self.hub.remove(attached)

    async def release_away(self) -> None:
        """Nowhere left to resume to: end the sessions of everyone who dropped."""
        for client in await self.broker.away_clients(now_ms() + 1):
            participant = await self.broker.get_participant(client)
            if participant is not None and participant.node is None:
                await self.release(participant, EndReason.SERVER_SHUTDOWN)

    # --- sweeping ------------------------------------------------------------

    async def sweep(self) -> None:
        """End idle sessions; release clients whose grace window ran out; nudge tired
        listeners."""
        now = now_ms()
        self._suggest_breaks(now)
        idle_ms = int(self.config.session.idle_timeout_s * 1000)
        for session in await self.broker.idle_sessions(now - idle_ms):
            await self.end_session(session, reason=EndReason.IDLE)
        grace_ms = int(self.config.session.resume_grace_s * 1000)
        for client in await self.broker.away_clients(now - grace_ms):
            participant = await self.broker.get_participant(client)
            if participant is not None and participant.node is None:
                await self.release(participant, EndReason.DISCONNECTED)

    def _suggest_breaks(self, now: int) -> None:
        """``break_suggested`` after ``listener.max_continuous_s`` of continuous work, and
        again after each further stretch as long; never more than that."""
        stretch = int(self.config.listener.max_continuous_s * 1000)
        for attached in self.hub:
            if not attached.role.is_staff or not attached.sessions or not attached.work_started_ms:
                continue
            worked = now - attached.work_started_ms
            if worked >= stretch and now - attached.nudged_at_ms >= stretch:
                attached.nudged_at_ms = now
                attached.push(protocol.BreakSuggested(worked_s=worked // 1000))

    async def _sweep_loop(self) -> None:
        session = self.config.session
        period = min(1.0, session.idle_timeout_s / 4)
        if session.resume_grace_s > 0:
            period = min(period, session.resume_grace_s / 4)
        while True:
            await asyncio.sleep(period)
            try:
                await self.sweep()
            except BrokerUnavailable:
                reraise_if_cancelling()  # the broker logs outages; sweep again when it is back
            except Exception:
                reraise_if_cancelling()
                self.log.exception("sweep_failed")
