"""Every Prometheus metric of a node, in one place, with low-cardinality labels only.

Labels are topics (from the configured list), reasons, states and roles:
never a session id, a handle or an address.

Gauges that describe shared state (queue, listeners, sessions) are read from
the broker, so on several nodes every node reports the same cluster-wide
value: aggregate them with ``max``. Counters and histograms count what this
node did: aggregate them with ``sum``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from .types import EndReason, ListenerState, Role

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

WAIT_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600)
LIMITS = ("frames", "messages", "connections", "hellos", "queue_full", "blocked", "outbox")
"""The ``limit`` label of ``chat_limited_total``."""


class Metrics:
    """The metrics of one node, in a registry of their own (several nodes may share a process)."""

    def __init__(self, topics: Iterable[str]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.topics = ("none", *topics)
        self.queue_length = Gauge(
            "chat_queue_length",
            "Seekers waiting, by their first topic ('none' when they chose none); cluster-wide.",
            ["topic"],
            registry=r,
        )
        self.wait_seconds = Histogram(
            "chat_wait_seconds",
            "Seconds a seeker waited from request to being matched.",
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.sessions_active = Gauge(
            "chat_sessions_active", "Conversations in progress; cluster-wide.", registry=r
        )
        self.listeners = Gauge(
            "chat_listeners",
            "Signed-in listeners and supervisors by state; cluster-wide.",
            ["state"],
            registry=r,
        )
        self.messages_relayed = Counter(
            "chat_messages_relayed", "Messages accepted and relayed by this node.", registry=r
        )
        self.sessions_ended = Counter(
            "chat_sessions_ended", "Sessions ended by this node, by reason.", ["reason"], registry=r
        )
        self.connections = Gauge(
            "chat_connections",
            "Open WebSocket connections on this node, by role.",
            ["role"],
            registry=r,
        )
        self.errors = Counter(
            "chat_errors", "Error frames sent by this node, by code.", ["code"], registry=r
        )
        self.reports = Counter(
            "chat_reports", "Reports received by this node, by reason.", ["reason"], registry=r
        )
        self.feedback = Counter(
            "chat_feedback",
            "Seeker feedback scores received (no link to anyone).",
            ["score"],
            registry=r,
        )
        self.risk_flags = Counter(
            "chat_risk_flags",
            "Risk flags raised (never the words), by where: intro or message.",
            ["where"],
            registry=r,
        )
        self.escalations = Counter(
            "chat_escalations", "Sessions escalated to supervisors.", registry=r
        )
        self.supervisor_joins = Counter(
            "chat_supervisor_joins", "Supervisors joining escalated sessions.", registry=r
        )
        self.transfers = Counter(
            "chat_transfers", "Sessions handed over, by to whom.", ["to"], registry=r
        )
        self.debriefs = Counter("chat_debriefs", "Debriefs asked for by listeners.", registry=r)
        self.blocks = Counter("chat_blocks", "Seekers barred by a listener.", registry=r)
        self.limited = Counter(
            "chat_limited",
            "Frames or connections refused by a limit, by limit.",
            ["limit"],
            registry=r,
        )
        self.listener_session_seconds = Histogram(
            "chat_listener_session_seconds",
            "How long listeners' conversations last (for workload, not for rating anyone).",
            buckets=(60, 300, 600, 1200, 1800, 2700, 3600, 5400, 7200),
            registry=r,
        )
        for where in ("intro", "message"):
            self.risk_flags.labels(where)
        for to in ("listener", "supervisor"):
            self.transfers.labels(to)
        for limit in LIMITS:
            self.limited.labels(limit)
        for topic in self.topics:
            self.queue_length.labels(topic)
        for state in ListenerState:
            self.listeners.labels(state.value)
        for reason in EndReason:
            self.sessions_ended.labels(reason.value)
        for role in Role:
            self.connections.labels(role.value)
        for score in range(1, 6):
            self.feedback.labels(str(score))

    def set_queue(self, by_topic: Mapping[str, int]) -> None:
        """Publish the waiting count per first topic (topics not present read 0)."""
        for topic in self.topics:
            self.queue_length.labels(topic).set(by_topic.get(topic, 0))

    def set_listeners(self, by_state: Mapping[ListenerState, int]) -> None:
        for state in ListenerState:
            self.listeners.labels(state.value).set(by_state.get(state, 0))

    def render(self) -> bytes:
        """The Prometheus text exposition of this node's registry."""
        return generate_latest(self.registry)
