"""Node metrics: every name rendered, labels low-cardinality, gauges set per label."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from chatserver.metrics import Metrics
from chatserver.types import EndReason, ListenerState, Role

TOPICS = ["anxiety", "grief"]
REQUIRED = [
    "chat_queue_length",
    "chat_wait_seconds",
    "chat_sessions_active",
    "chat_listeners",
    "chat_messages_relayed_total",
    "chat_sessions_ended_total",
    "chat_connections",
]


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the text exposition, keyed by name and sorted labels."""
    text = metrics.render().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def labelled(metrics: Metrics, name: str, label: str) -> dict[str, float]:
    return {
        dict(labels)[label]: value
        for (sample, labels), value in samples(metrics).items()
        if sample == name
    }


def test_every_required_metric_is_rendered() -> None:
    text = Metrics(TOPICS).render().decode()
    names = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    missing = [name for name in REQUIRED if name not in names]
    assert not missing


def test_queue_length_has_a_label_for_no_topic_and_each_configured_topic() -> None:
    assert labelled(Metrics(TOPICS), "chat_queue_length", "topic") == {
        "none": 0,
        "anxiety": 0,
        "grief": 0,
    }


def test_labelled_series_exist_before_anything_happens() -> None:
    metrics = Metrics(TOPICS)
    assert set(labelled(metrics, "chat_listeners", "state")) == {s.value for s in ListenerState}
    assert set(labelled(metrics, "chat_sessions_ended_total", "reason")) == {
        r.value for r in EndReason
    }
    assert set(labelled(metrics, "chat_connections", "role")) == {r.value for r in Role}


def test_set_queue_sets_each_topic_and_zeroes_the_rest() -> None:
    metrics = Metrics(TOPICS)
    metrics.set_queue({"anxiety": 3, "none": 1})
    assert labelled(metrics, "chat_queue_length", "topic") == {"none": 1, "anxiety": 3, "grief": 0}
    metrics.set_queue({"grief": 2})
    assert labelled(metrics, "chat_queue_length", "topic") == {"none": 0, "anxiety": 0, "grief": 2}


def test_set_queue_ignores_topics_that_are_not_configured() -> None:
    metrics = Metrics(TOPICS)
    metrics.set_queue({"made_up": 5, "anxiety": 1})
    assert labelled(metrics, "chat_queue_length", "topic") == {"none": 0, "anxiety": 1, "grief": 0}


def test_set_listeners_sets_each_state_and_zeroes_the_rest() -> None:
    metrics = Metrics(TOPICS)
    metrics.set_listeners({ListenerState.AVAILABLE: 2, ListenerState.AWAY: 1})
    assert labelled(metrics, "chat_listeners", "state") == {"available": 2, "busy": 0, "away": 1}
    metrics.set_listeners({ListenerState.BUSY: 4})
    assert labelled(metrics, "chat_listeners", "state") == {"available": 0, "busy": 4, "away": 0}


def test_counters_and_histogram_record_what_this_node_did() -> None:
    metrics = Metrics(TOPICS)
    metrics.messages_relayed.inc()
    metrics.messages_relayed.inc()
    metrics.sessions_ended.labels(EndReason.IDLE.value).inc()
    metrics.wait_seconds.observe(12)
    metrics.sessions_active.set(3)
    metrics.connections.labels(Role.SEEKER.value).inc()
    values = samples(metrics)
    assert values[("chat_messages_relayed_total", ())] == 2
    assert values[("chat_sessions_ended_total", (("reason", "idle"),))] == 1
    assert values[("chat_sessions_ended_total", (("reason", "left_queue"),))] == 0
    assert values[("chat_wait_seconds_count", ())] == 1
    assert values[("chat_wait_seconds_bucket", (("le", "5.0"),))] == 0
    assert values[("chat_wait_seconds_bucket", (("le", "15.0"),))] == 1
    assert values[("chat_sessions_active", ())] == 3
    assert values[("chat_connections", (("role", "seeker"),))] == 1


def test_only_low_cardinality_label_names_are_used() -> None:
    label_names = {name for _, labels in samples(Metrics(TOPICS)) for name, _ in labels}
    allowed = {"topic", "state", "reason", "role", "code", "score", "le", "where", "to", "limit"}
    assert label_names <= allowed


def test_two_nodes_in_one_process_keep_separate_metrics() -> None:
    first, second = Metrics(TOPICS), Metrics(TOPICS)
    first.set_queue({"anxiety": 7})
    assert labelled(second, "chat_queue_length", "topic")["anxiety"] == 0
