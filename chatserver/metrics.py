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
