"""Every Redis key and channel name, built from the configured prefix, in one place.

``redis.prefix`` (default ``chat``) namespaces everything, so several
deployments can share one Redis. Lua scripts build the same names from the
prefix passed to them; this module and the scripts' headers are kept in
step by a test. The full list, with what each key holds and when it is
deleted, is in ``config.example.toml`` under ``[redis]``.

Only two kinds of key ever hold text a person wrote, both with a TTL no
longer than ``session.idle_timeout_s`` and deleted when their session ends:
``{p}:s:{sid}:intro`` and ``{p}:s:{sid}:h``. Nothing is written to disk by
the server; run Redis without persistence (``save ""``, ``appendonly no``)
so that text in transit never reaches Redis's disk either.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..types import ClientId, ListenerId, NodeId, SessionId

__all__ = ["Keys", "ended_tag"]


def ended_tag(session: SessionId) -> str:
    """The name under which an ended session's reason is kept (see ``Keys.ended``)."""
    return hashlib.sha256(f"ended:{session}".encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Keys:
    """Key and channel names under one prefix."""

    prefix: str

    # --- cluster ---
    @property
    def nodes(self) -> str:
        """ZSET node id -> last heartbeat (ms): who is alive."""
        return f"{self.prefix}:nodes"

    def node_clients(self, node: NodeId) -> str:
        """SET of client ids attached to a node (for cleanup when it dies)."""
        return f"{self.prefix}:node:{node}:clients"

    def channel(self, node: NodeId) -> str:
        """Pub/sub channel of one node: events for its clients."""
        return f"{self.prefix}:ch:{node}"

    @property
    def broadcast(self) -> str:
        """Pub/sub channel every node listens to (queue changed)."""
        return f"{self.prefix}:ch:all"

    # --- participants ---
    def client(self, client: ClientId) -> str:
        """HASH role, handle, listener, node, att (attachment), away (ms)."""
        return f"{self.prefix}:c:{client}"

    def client_sessions(self, client: ClientId) -> str:
        """SET of the client's open session ids."""
        return f"{self.prefix}:c:{client}:s"

    @property
    def away(self) -> str:
        """ZSET client id -> since when it is away (ms)."""
        return f"{self.prefix}:away"

    def resume(self, token_hash: str) -> str:
        """STRING 'c:<client id>', 'used' or 'expired', keyed by a resume token's hash (24 h)."""
        return f"{self.prefix}:r:{token_hash}"

    # --- listeners ---
    def listener(self, listener: ListenerId) -> str:
        """HASH client, name, role, topics, capacity, load, ready, idle."""
        return f"{self.prefix}:l:{listener}"

    @property
    def listeners(self) -> str:
        """SET of signed-in listener ids."""
        return f"{self.prefix}:ls"

    # --- queue ---
    @property
    def queue(self) -> str:
        """ZSET waiting session id -> order score (priority, then arrival)."""
        return f"{self.prefix}:q"

    @property
    def queue_meta(self) -> str:
        """HASH waiting session id -> seeker, topics, enqueued ms, priority, ticket."""
        return f"{self.prefix}:qm"

    @property
    def queue_away(self) -> str:
        """SET of waiting session ids whose seeker is away (kept in place, not matched)."""
        return f"{self.prefix}:qaway"

    @property
    def ticket(self) -> str:
        """Counter breaking ties in arrival order."""
        return f"{self.prefix}:ticket"

    # --- sessions ---
    def session(self, session: SessionId) -> str:
        """HASH of one session's metadata (no text): state, members, seq, times."""
        return f"{self.prefix}:s:{session}"

    def intro(self, session: SessionId) -> str:
        """STRING the seeker's intro (text; TTL <= idle timeout; deleted at end)."""
        return f"{self.prefix}:s:{session}:intro"

    def history(self, session: SessionId) -> str:
        """LIST of recent messages kept for resume (text; TTL <= idle timeout; deleted at end)."""
        return f"{self.prefix}:s:{session}:h"

    def message_ids(self, session: SessionId) -> str:
        """HASH client message id -> 'seq:ts' (to deliver a retried send once)."""
        return f"{self.prefix}:s:{session}:ids"

    def ended(self, session: SessionId) -> str:
        """STRING why a session ended, kept for the grace window so that a client resuming
        late is told. Keyed by a hash of the session id: nothing names the ended session."""
        return f"{self.prefix}:e:{ended_tag(session)}"

    @property
    def matches(self) -> str:
        """ZSET one member per match (not naming the session) -> when, for the last hour."""
        return f"{self.prefix}:mt"

    def block(self, tag: str) -> str:
        """STRING a block in force (TTL: its length); the tag is a salted HMAC, not an id."""
        return f"{self.prefix}:b:{tag}"

    @property
    def active(self) -> str:
        """ZSET active session id -> last activity (ms), for idle timeouts and counts."""
        return f"{self.prefix}:active"
