"""The Redis broker: shared state for several nodes, with atomic matching and relay.

Every write that must be atomic is a Lua script (``lua/``, with ``_common.lua``
prepended): claiming a seeker, ending a session, posting a message. Scripts
publish their own events, so a state change and its notification happen
together or not at all.

Relay: pub/sub to a per-node channel, not streams. A message is posted by
one script that numbers it, keeps it in a bounded list with a TTL (for
resume) and PUBLISHes it to the node each member is attached to. Streams
would add a consumer group and acks per node for what the history list
already gives. Pub/sub drops what a disconnected subscriber misses; the node
re-reads the history of its clients' sessions after every resubscribe, so
nothing acknowledged is lost (``resync``).

Throughput: every script call goes through one pipeline task per node that
sends whatever has queued up in one round trip (measured before the project:
an awaited PUBLISH per message capped a relay at 0.2-0.37x a bare websockets
relay, a pipelining task reached 0.66-0.70x). Connections come from a bounded
``BlockingConnectionPool``; one pipeline in flight at a time keeps this node's
writes in order.

Liveness: each node heartbeats into a sorted set; survivors mark the clients
of a node silent for ``redis.node_timeout_s`` as away since its last beat,
and the away sweep ends or holds their sessions like any disconnect.

Outages: any Redis error marks the broker unavailable (``/healthz`` 503, new
hellos refused) and emits ``ServiceEvent(False)``; the heartbeat keeps trying
and, when Redis answers again, emits ``ServiceEvent(True)`` so the node can
re-describe its clients. An ``epoch`` key tells whether Redis kept its data.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import msgpack
from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import (
    ConnectionError as RedisConnectionError,
)
from redis.exceptions import (
    NoScriptError,
    RedisError,
    ResponseError,
)
from redis.exceptions import (
    TimeoutError as RedisTimeoutError,
)

from ..clock import now_ms
from ..config import Config
from ..errors import BrokerError, BrokerUnavailable
from ..logs import get_logger
from ..matching import ListenerSlot, WaitingSeeker
from ..session import SessionRecord, State
from ..tasks import reraise_if_cancelling, stop_tasks
from ..types import ClientId, EndReason, ListenerId, NodeId, Role, SessionId
from .base import (
    EventSink,
    Participant,
    PostResult,
    QueueChangedEvent,
    ResumeStatus,
    ServiceEvent,
    Snapshot,
    StoredMessage,
)
from .keys import Keys, ended_tag
from .redis_wire import (
    QUEUE_CHANGED,
    decode_event,
    frame_event,
    listener_from_hash,
    session_from_hash,
    strings,
    waiting_from_meta,
)

__all__ = ["RedisBroker"]

SCRIPTS = (
    "enqueue", "claim", "end", "post", "typing", "attach", "detach", "deliver", "reap", "restore",
    "forget", "mark", "join", "leave", "transfer",
)  # fmt: skip
LOST = (RedisConnectionError, RedisTimeoutError, OSError)
"""Errors that mean Redis cannot be reached (BusyLoadingError is a ConnectionError)."""
MAX_BATCH = 512


def _load_source(name: str) -> str:
    lua = resources.files("chatserver.broker") / "lua"
    return (lua / "_common.lua").read_text() + "\n" + (lua / f"{name}.lua").read_text()


def _text(value: Any) -> str:
    """A Redis reply value as str (replies are bytes: the client does not decode)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _texts(raw: Any) -> dict[str, str]:
    """A HGETALL reply as a dict of str."""
    return {_text(k): _text(v) for k, v in raw.items()}


def _future() -> asyncio.Future[Any]:
    return asyncio.get_running_loop().create_future()


@dataclass(slots=True)
class _Call:
    script: str | None
    args: tuple[Any, ...]
    future: asyncio.Future[Any] = field(default_factory=_future)


def _ignore(_: object) -> None:
    return None


class RedisBroker:
    """Broker state in Redis; see :class:`~chatserver.broker.base.Broker` and the module doc."""

    def __init__(self, node_id: NodeId, config: Config) -> None:
        self.node_id = node_id
        self._config = config
        self._keys = Keys(config.redis.prefix)
        self._prefix = config.redis.prefix
        self._pool = BlockingConnectionPool.from_url(
            config.redis.url,
            max_connections=config.redis.pool_size,
            timeout=5,
            socket_connect_timeout=2,
            socket_timeout=5,
        )
        self._redis = Redis(connection_pool=self._pool)
        self._sources = {name: _load_source(name) for name in SCRIPTS}
        self._shas: dict[str, str] = {}
        self._pending: deque[_Call] = deque()
        self._changed_call: _Call | None = None
        self._wake = asyncio.Event()
        self._available = False
        self._store_ok = False
        self._kept = False
        self._epoch = ""
        self._sink: EventSink = _ignore
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()
        self._text_ttl_ms = int(config.session.idle_timeout_s * 1000)
        self._ended_ttl_s = max(60, int(config.session.resume_grace_s) + 1)
        self._log = get_logger("chatserver.broker.redis").bind(node=node_id)

    @property
    def available(self) -> bool:
        return self._available

    # --- lifecycle -----------------------------------------------------------

    async def start(self, sink: EventSink) -> None:
        self._sink = sink
        try:
            await self._connect()
        except LOST as exc:
            self._log.warning("redis_unavailable_at_start", error=type(exc).__name__)
        self._tasks = [
            asyncio.create_task(self._pipeline_loop(), name="redis-pipeline"),
            asyncio.create_task(self._subscribe_loop(), name="redis-subscriber"),
            asyncio.create_task(self._heartbeat_loop(), name="redis-heartbeat"),
        ]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await self._subscribed.wait()

    async def _connect(self) -> None:
        """Load scripts, beat once, and learn from the epoch whether Redis kept our data."""
        if self._epoch:
            # after an outage the pool's idle connections are dead: drop them rather than
            # fail (and flap back to unavailable) on each of them in turn
            await self._pool.disconnect(inuse_connections=False)
        for name, source in self._sources.items():
            self._shas[name] = await self._redis.script_load(source)
        await self._redis.zadd(self._keys.nodes, {self.node_id: now_ms()})
        epoch_key = f"{self._prefix}:epoch"
        await self._redis.set(epoch_key, secrets.token_hex(8), nx=True)
        epoch = _text(await self._redis.get(epoch_key) or b"")
        self._kept = epoch == self._epoch
        self._epoch = epoch
        self._store_ok = True
        self._maybe_available()

    def _maybe_available(self) -> None:
        """Available again once commands work *and* this node's channel is subscribed."""
        if not self._available and self._store_ok and self._subscribed.is_set():
            self._available = True
            self._log.info("redis_available", data_kept=self._kept)
            self._sink(ServiceEvent(True, data_kept=self._kept))

    async def close(self) -> None:
        await stop_tasks(self._tasks, self._log)
        self._tasks = []
        self._sink = _ignore
        with contextlib.suppress(RedisError, OSError):
            pipe = self._redis.pipeline(transaction=False)
            pipe.zrem(self._keys.nodes, self.node_id)
            pipe.delete(self._keys.node_clients(self.node_id))
            await pipe.execute()
        await self._redis.aclose()
        await self._pool.aclose()

    def _lost(self, exc: BaseException) -> None:
        self._store_ok = False
        if self._available:
            self._available = False
            self._log.warning("redis_unavailable", error=type(exc).__name__)
            self._sink(ServiceEvent(False))

    @contextlib.asynccontextmanager
    async def _guard(self) -> AsyncIterator[None]:
        """Translate Redis failures to our own errors at the broker's edge."""
        try:
            yield
        except LOST as exc:
            self._lost(exc)
            raise BrokerUnavailable("redis is unreachable") from exc
        except RedisError as exc:
            raise BrokerError(f"redis: {type(exc).__name__}") from exc

    # --- the pipeline task ---------------------------------------------------

    async def _run(self, script: str | None, *args: Any) -> Any:
        """Queue a script call (or a raw command) for the pipeline task and await its reply."""
        if not self._available:
            raise BrokerUnavailable("redis is unreachable")
        call = _Call(script, args)
        self._pending.append(call)
        self._wake.set()
        return await call.future

    async def _pipeline_loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch = [self._pending.popleft() for _ in range(min(MAX_BATCH, len(self._pending)))]
                if any(call is self._changed_call for call in batch):
                    self._changed_call = None  # on its way: a later change needs a new one
                try:
                    await self._execute(batch, retry=True)
                except Exception:  # a bug here must not strand the callers
                    reraise_if_cancelling()
                    self._log.exception("redis_pipeline_failed")
                    for call in batch:
                        if not call.future.done():
                            call.future.set_exception(BrokerError("redis pipeline failed"))

    async def _execute(self, batch: list[_Call], *, retry: bool) -> None:
        pipe = self._redis.pipeline(transaction=False)
        for call in batch:
            if call.script is None:
                pipe.execute_command(*call.args)
            else:
                pipe.evalsha(self._shas[call.script], 0, self._prefix, *call.args)
        try:
            results: Sequence[Any] = await pipe.execute(raise_on_error=False)
        except LOST as exc:
            self._lost(exc)
            for call in batch:
                if not call.future.done():
                    call.future.set_exception(BrokerUnavailable("redis is unreachable"))
            return
        again: list[_Call] = []
        for call, result in zip(batch, results, strict=True):
            if call.future.done():
                continue
            if isinstance(result, NoScriptError) and retry:
                again.append(call)  # Redis restarted and forgot our scripts
            elif isinstance(result, LOST):
                self._lost(result)
                call.future.set_exception(BrokerUnavailable("redis is unreachable"))
            elif isinstance(result, ResponseError):
                call.future.set_exception(BrokerError(f"redis {call.script}: {result}"))
            else:
                call.future.set_result(result)
        if again:
            for name, source in self._sources.items():
                self._shas[name] = await self._redis.script_load(source)
            await self._execute(again, retry=False)

    # --- the subscriber task -------------------------------------------------

    async def _subscribe_loop(self) -> None:
        channels = (self._keys.channel(self.node_id), self._keys.broadcast)
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*channels)
                self._subscribed.set()
                self._maybe_available()
                self._sink(QueueChangedEvent())
                async for message in pubsub.listen():
                    self._dispatch(message.get("data"))
            except LOST as exc:
                reraise_if_cancelling()
                self._subscribed.clear()
                self._lost(exc)
                await asyncio.sleep(0.5)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _dispatch(self, data: Any) -> None:
        if not isinstance(data, bytes):
            return
        try:
            event = decode_event(data)
            if event is not None:
                self._sink(event)
        except Exception:
            self._log.exception("redis_event_failed", size=len(data))

    # --- the heartbeat task --------------------------------------------------

    async def _heartbeat_loop(self) -> None:
        cfg = self._config.redis
        interval = min(cfg.heartbeat_s, cfg.node_timeout_s / 3)
        while True:
            await asyncio.sleep(interval if self._available else 0.5)
            try:
                if not self._store_ok:
                    await self._connect()
                    continue
                now = now_ms()
                await self._redis.zadd(self._keys.nodes, {self.node_id: now})
                cutoff = now - int(cfg.node_timeout_s * 1000)
                if await self._run("reap", cutoff):
                    self._log.info("dead_nodes_reaped")
            except LOST as exc:
                reraise_if_cancelling()
                self._lost(exc)
            except BrokerUnavailable:
                reraise_if_cancelling()
            except Exception:
                reraise_if_cancelling()
                self._log.exception("redis_heartbeat_failed")

    # --- participants --------------------------------------------------------

    def _participant(self, h: dict[str, str], sessions: Sequence[bytes]) -> Participant:
        return Participant(
            client=ClientId(h["id"]),
            resume_hash=h.get("rtok", ""),
            role=Role(h["role"]),
            handle=h.get("handle", ""),
            listener=ListenerId(h["listener"]) if h.get("listener") else None,
            node=NodeId(h["node"]) if h.get("node") else None,
            attachment=h.get("att", ""),
            away_since_ms=int(h.get("away", 0) or 0),
            sessions=frozenset(SessionId(s.decode()) for s in sessions),
        )

    async def attach(self, participant: Participant) -> Participant | None:
        flat, previous_sessions, existed = await self._run(
            "attach",
            participant.client,
            participant.role.value,
            participant.handle,
            participant.listener or "",
            self.node_id,
            participant.attachment,
            ",".join(sorted(participant.sessions)),
            participant.resume_hash,
        )
        if not existed:
            return None
        h = strings(flat)
        h["id"] = participant.client
        previous = self._participant(h, previous_sessions)
        return previous

    async def detach(self, client: ClientId, attachment: str, now_ms: int) -> Participant | None:
        reply = await self._run("detach", client, attachment, now_ms)
        if not reply:
            return None
        flat, sessions = reply
        h = strings(flat)
        h["id"] = client
        return self._participant(h, sessions)

    async def forget(self, client: ClientId) -> None:
        await self._run("forget", client, self.node_id)

    async def lookup_resume(self, token_hash: str) -> tuple[ResumeStatus, ClientId | None]:
        async with self._guard():
            raw = await self._redis.get(self._keys.resume(token_hash))
        value = _text(raw) if raw is not None else ""
        if value.startswith("c:"):
            return ResumeStatus.LIVE, ClientId(value[2:])
        if value in (ResumeStatus.USED.value, ResumeStatus.EXPIRED.value):
            return ResumeStatus(value), None
        return ResumeStatus.UNKNOWN, None

    async def ended_reason(self, session: SessionId) -> EndReason | None:
        async with self._guard():
            raw = await self._redis.get(self._keys.ended(session))
        return EndReason(_text(raw)) if raw is not None else None

    async def has_peers(self) -> bool:
        cutoff = now_ms() - int(self._config.redis.node_timeout_s * 1000)
        async with self._guard():
            alive = await self._redis.zrangebyscore(self._keys.nodes, cutoff, "+inf")
        return any(_text(node) != self.node_id for node in alive)

    async def get_participant(self, client: ClientId) -> Participant | None:
        async with self._guard():
            pipe = self._redis.pipeline(transaction=False)
            pipe.hgetall(self._keys.client(client))
            pipe.smembers(self._keys.client_sessions(client))
            raw, sessions = await pipe.execute()
        if not raw:
            return None
        h = _texts(raw)
        h["id"] = client
        return self._participant(h, list(sessions))

    # --- listeners -----------------------------------------------------------

    async def set_listener(self, slot: ListenerSlot, *, restore_load: bool = False) -> None:
        key = self._keys.listener(slot.listener)
        async with self._guard():
            pipe = self._redis.pipeline(transaction=False)
            pipe.hset(
                key,
                mapping={
                    "client": slot.client,
                    "name": slot.name,
                    "role": slot.role.value,
                    "topics": ",".join(slot.topics),
                    "capacity": slot.capacity,
                    "ready": int(slot.ready),
                    "idle": slot.idle_since_ms,
                    "present": 1,
                },
            )
            if restore_load:
                pipe.hset(key, "load", slot.load)
            else:
                pipe.hsetnx(key, "load", 0)
            pipe.sadd(self._keys.listeners, slot.listener)
            await pipe.execute()

    async def get_listener(self, listener: ListenerId) -> ListenerSlot | None:
        async with self._guard():
            raw = await self._redis.hgetall(self._keys.listener(listener))
        return listener_from_hash(listener, _texts(raw))

    async def remove_listener(self, listener: ListenerId) -> None:
        async with self._guard():
            pipe = self._redis.pipeline(transaction=False)
            pipe.delete(self._keys.listener(listener))
            pipe.srem(self._keys.listeners, listener)
            await pipe.execute()

    # --- queue and matching --------------------------------------------------

    async def enqueue(self, record: SessionRecord) -> tuple[int, int]:
        position, waiting = await self._run(
            "enqueue",
            record.id,
            record.seeker,
            record.seeker_handle,
            ",".join(record.topics),
            record.created_ms,
            record.priority,
            record.intro or "",
            self._text_ttl_ms,
        )
        return int(position), int(waiting)

    async def snapshot(self, *, listeners: bool = True) -> Snapshot:
        keys = self._keys
        async with self._guard():
            pipe = self._redis.pipeline(transaction=False)
            pipe.zrange(keys.queue, 0, -1)
            pipe.hgetall(keys.queue_meta)
            pipe.smembers(keys.listeners)
            pipe.zcard(keys.active)
            pipe.smembers(keys.queue_away)
            order, meta, listener_ids, active, away = await pipe.execute()
            lids = sorted(lid.decode() for lid in listener_ids) if listeners else []
            pipe = self._redis.pipeline(transaction=False)
            for lid in lids:
                pipe.hgetall(keys.listener(ListenerId(lid)))
            hashes = await pipe.execute() if lids else []
        waiting: list[WaitingSeeker] = []
        first: dict[str, int] = {}
        for raw_session in order:
            raw_meta = meta.get(raw_session)
            if raw_meta is None:
                continue
            entry = waiting_from_meta(
                raw_session.decode(), raw_meta.decode(), present=raw_session not in away
            )
            waiting.append(entry)
            topic = entry.topics[0] if entry.topics else "none"
            first[topic] = first.get(topic, 0) + 1
        slots = [
            slot
            for lid, raw in zip(lids, hashes, strict=True)
            if (slot := listener_from_hash(lid, _texts(raw)))
        ]
        return Snapshot(waiting, slots, int(active), now_ms(), first)

    async def claim_many(
        self, pairs: Sequence[tuple[SessionId, ListenerId]], now_ms: int, *, require_ready: bool
    ) -> list[SessionRecord | None]:
        # Queued together, the pipeline task sends them in one round trip; the Lua
        # script keeps each claim atomic, so the order between them does not matter.
        return list(
            await asyncio.gather(
                *(
                    self.claim(session, listener, now_ms, require_ready=require_ready)
                    for session, listener in pairs
                )
            )
        )

    async def claim(
        self, session: SessionId, listener: ListenerId, now_ms: int, *, require_ready: bool
    ) -> SessionRecord | None:
        flat = await self._run("claim", session, listener, now_ms, int(require_ready))
        if not flat:
            return None
        h = strings(flat)
        h["id"] = session
        return session_from_hash(h)

    # --- sessions ------------------------------------------------------------

    async def get_session(self, session: SessionId) -> SessionRecord | None:
        async with self._guard():
            pipe = self._redis.pipeline(transaction=False)
            pipe.hgetall(self._keys.session(session))
            pipe.get(self._keys.intro(session))
            raw, intro = await pipe.execute()
        if not raw:
            return None
        h = _texts(raw)
        h["id"] = session
        return session_from_hash(h, intro.decode() if intro else None)

    async def restore(self, record: SessionRecord, seq_floor: int) -> None:
        await self._run(
            "restore",
            record.id,
            record.seeker,
            record.seeker_handle,
            ",".join(record.topics),
            record.created_ms,
            record.listener or "",
            record.listener_id or "",
            record.listener_name or "",
            seq_floor,
            now_ms(),
        )

    async def end(
        self,
        session: SessionId,
        reason: EndReason,
        *,
        expect: State,
        now_ms: int,
        rest_until_ms: int = 0,
    ) -> SessionRecord | None:
        flat = await self._run(
            "end", session, expect.value, reason.value, now_ms, self._ended_ttl_s,
            ended_tag(session), rest_until_ms,
        )  # fmt: skip
        if not flat:
            return None
        h = strings(flat)
        h["id"] = session
        record = session_from_hash(h)
        record.state = State.ENDED
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
        limits = self._config.session
        reply = await self._run(
            "post",
            session,
            sender,
            message_id,
            text,
            now_ms,
            limits.history_max_messages,
            limits.history_max_bytes,
            self._text_ttl_ms,
            sender_name,
        )
        if not reply:
            return None
        seq, ts, duplicate = reply
        return PostResult(int(seq), int(ts), bool(duplicate))

    async def typing(self, session: SessionId, sender: ClientId) -> bool:
        return bool(await self._run("typing", session, sender))

    async def history(self, session: SessionId, after_seq: int) -> list[StoredMessage]:
        async with self._guard():
            raw = await self._redis.lrange(self._keys.history(session), 0, -1)
        out: list[StoredMessage] = []
        for item in raw:
            seq, sender, ts, message_id, text, name = msgpack.unpackb(item, raw=False)
            if seq > after_seq:
                out.append(StoredMessage(seq, ClientId(sender), ts, message_id, text, name))
        return out

    def _record(self, session: SessionId, flat: Sequence[Any]) -> SessionRecord:
        h = strings(flat)
        h["id"] = session
        return session_from_hash(h)

    async def mark(self, session: SessionId, flag: str) -> tuple[bool, SessionRecord] | None:
        reply = await self._run("mark", session, flag)
        if not reply:
            return None
        newly, flat = reply
        return bool(newly), self._record(session, flat)

    async def join(
        self, session: SessionId, supervisor: ClientId, name: str
    ) -> SessionRecord | None:
        flat = await self._run("join", session, supervisor, name)
        return self._record(session, flat) if flat else None

    async def leave(self, session: SessionId, supervisor: ClientId, name: str) -> bool:
        return bool(await self._run("leave", session, supervisor, name))

    async def transfer(
        self,
        session: SessionId,
        from_listener: ListenerId,
        to_listener: ListenerId,
        note: str | None,
        now_ms: int,
    ) -> SessionRecord | None:
        flat = await self._run("transfer", session, from_listener, to_listener, note or "", now_ms)
        return self._record(session, flat) if flat else None

    async def active_sessions(self) -> list[SessionRecord]:
        async with self._guard():
            ids = [_text(s) for s in await self._redis.zrange(self._keys.active, 0, -1)]
            pipe = self._redis.pipeline(transaction=False)
            for session in ids:
                pipe.hgetall(self._keys.session(SessionId(session)))
            hashes = await pipe.execute() if ids else []
        records = []
        for session, raw in zip(ids, hashes, strict=True):
            h = _texts(raw)
            if h.get("state") == State.ACTIVE.value:
                h["id"] = session
                records.append(session_from_hash(h))
        return records

    async def recent_matches(self, since_ms: int) -> tuple[int, int]:
        async with self._guard():
            pipe = self._redis.pipeline(transaction=False)
            pipe.zcount(self._keys.matches, since_ms, "+inf")
            pipe.zrangebyscore(
                self._keys.matches, since_ms, "+inf", start=0, num=1, withscores=True
            )
            count, first = await pipe.execute()
        return int(count), int(first[0][1]) if first else 0

    async def block(self, tag: str, ttl_s: float) -> None:
        async with self._guard():
            await self._redis.set(self._keys.block(tag), 1, ex=max(1, int(ttl_s)))

    async def is_blocked(self, tags: Sequence[str]) -> bool:
        async with self._guard():
            return bool(await self._redis.exists(*(self._keys.block(t) for t in tags)))

    async def idle_sessions(self, before_ms: int) -> list[SessionId]:
        async with self._guard():
            raw = await self._redis.zrangebyscore(self._keys.active, "-inf", f"({before_ms}")
        return [SessionId(_text(s)) for s in raw]

    async def away_clients(self, before_ms: int) -> list[ClientId]:
        async with self._guard():
            raw = await self._redis.zrangebyscore(self._keys.away, "-inf", f"({before_ms}")
        return [ClientId(_text(c)) for c in raw]

    # --- delivery ------------------------------------------------------------

    async def deliver(self, client: ClientId, frame: bytes) -> None:
        await self._run("deliver", client, frame_event(client, frame))

    async def queue_changed(self) -> None:
        # One notice still waiting to be sent covers every change made before it goes
        # out (the other nodes read the queue after they hear it): a burst of arrivals
        # costs one PUBLISH per round trip, not one each.
        call = self._changed_call
        if call is None or call.future.done():  # (done: failed with an outage)
            if not self._available:
                raise BrokerUnavailable("redis is unreachable")
            call = self._changed_call = _Call(
                None, ("PUBLISH", self._keys.broadcast, QUEUE_CHANGED)
            )
            self._pending.append(call)
            self._wake.set()
        await asyncio.shield(call.future)
