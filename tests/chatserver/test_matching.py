"""Matching policy: queue order, who can help whom, and the automatic routing plan."""

from __future__ import annotations

import itertools
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from chatserver.matching import (
    ListenerSlot,
    WaitingSeeker,
    best_entry_for,
    can_help,
    plan_matches,
    positions,
    queue_order,
)
from chatserver.types import ClientId, ListenerId, ListenerState, Role, SessionId


def seeker(
    session: str,
    topics: tuple[str, ...] = (),
    enqueued_ms: int = 0,
    priority: int = 0,
    ticket: int = 0,
) -> WaitingSeeker:
    return WaitingSeeker(
        session=SessionId(session),
        seeker=ClientId("S" + session),
        topics=topics,
        enqueued_ms=enqueued_ms,
        priority=priority,
        ticket=ticket,
    )


def slot(
    listener: str,
    topics: tuple[str, ...] = ("anxiety",),
    *,
    role: Role = Role.LISTENER,
    capacity: int = 1,
    load: int = 0,
    ready: bool = True,
    idle_since_ms: int = 0,
) -> ListenerSlot:
    return ListenerSlot(
        listener=ListenerId(listener),
        client=ClientId("L" + listener),
        name=listener.title(),
        role=role,
        topics=topics,
        capacity=capacity,
        load=load,
        ready=ready,
        idle_since_ms=idle_since_ms,
    )


def pairs(plan: list[tuple[WaitingSeeker, ListenerSlot]]) -> list[tuple[str, str]]:
    return [(entry.session, chosen.listener) for entry, chosen in plan]


# --- queue order and positions -----------------------------------------------


def test_urgent_seekers_come_before_older_normal_ones() -> None:
    old = seeker("old", enqueued_ms=1)
    urgent = seeker("urgent", enqueued_ms=50, priority=1)
    assert queue_order([old, urgent]) == [urgent, old]


def test_seekers_of_equal_priority_are_served_oldest_first() -> None:
    first, second, third = (seeker(s, enqueued_ms=t) for s, t in [("c", 10), ("a", 20), ("b", 30)])
    assert queue_order([third, first, second]) == [first, second, third]


def test_queue_order_sorts_by_priority_then_age_across_a_mixed_queue() -> None:
    entries = [
        seeker("n2", enqueued_ms=2),
        seeker("u2", enqueued_ms=4, priority=1),
        seeker("n1", enqueued_ms=1),
        seeker("u1", enqueued_ms=3, priority=1),
    ]
    assert [e.session for e in queue_order(entries)] == ["u1", "u2", "n1", "n2"]


def test_seekers_in_the_same_millisecond_are_ordered_by_arrival_ticket() -> None:
    same_time = [seeker(s, enqueued_ms=5, ticket=t) for s, t in [("a", 3), ("b", 1), ("c", 2)]]
    for permutation in itertools.permutations(same_time):
        assert [e.session for e in queue_order(permutation)] == ["b", "c", "a"]


def test_older_seeker_comes_first_whatever_the_tickets() -> None:
    older = seeker("older", enqueued_ms=1, ticket=9)
    newer = seeker("newer", enqueued_ms=2, ticket=1)
    assert queue_order([newer, older]) == [older, newer]


def test_seekers_with_equal_tickets_are_ordered_by_session_id_whatever_the_input() -> None:
    same_time = [seeker(s, enqueued_ms=5) for s in ("b", "c", "a")]
    for permutation in itertools.permutations(same_time):
        assert [e.session for e in queue_order(permutation)] == ["a", "b", "c"]


def test_queue_order_of_an_empty_queue_is_empty() -> None:
    assert queue_order([]) == []


def test_positions_count_from_one_in_the_given_order() -> None:
    ordered = [seeker("x"), seeker("y"), seeker("z")]
    assert positions(ordered) == {"x": 1, "y": 2, "z": 3}


def test_positions_of_an_empty_queue_are_empty() -> None:
    assert positions([]) == {}


# --- who can help whom -------------------------------------------------------


def test_seeker_without_topics_can_be_helped_by_any_listener() -> None:
    assert can_help(slot("ann", ("grief",)), seeker("s"))
    assert can_help(slot("bob", ()), seeker("s"))


def test_listener_trained_for_one_of_the_topics_can_help() -> None:
    assert can_help(slot("ann", ("grief", "work")), seeker("s", ("anxiety", "work")))


def test_listener_trained_for_none_of_the_topics_cannot_help() -> None:
    assert not can_help(slot("ann", ("grief", "school")), seeker("s", ("anxiety", "work")))


def test_listener_without_topics_cannot_help_seeker_with_topics() -> None:
    assert not can_help(slot("ann", ()), seeker("s", ("anxiety",)))


def test_supervisors_can_help_any_seeker() -> None:
    supervisor = slot("sue", (), role=Role.SUPERVISOR)
    assert can_help(supervisor, seeker("s", ("self_harm",)))
    assert can_help(supervisor, seeker("t"))


# --- listener state ----------------------------------------------------------


def test_ready_listener_with_room_is_available() -> None:
    listener = slot("ann", capacity=2, load=1)
    assert listener.state is ListenerState.AVAILABLE
    assert listener.has_room


def test_ready_listener_at_capacity_is_busy() -> None:
    listener = slot("ann", capacity=2, load=2)
    assert listener.state is ListenerState.BUSY
    assert not listener.has_room


def test_ready_listener_over_capacity_is_busy() -> None:
    listener = slot("ann", capacity=1, load=3)
    assert listener.state is ListenerState.BUSY
    assert not listener.has_room


def test_listener_who_is_not_ready_is_away_even_with_room() -> None:
    listener = slot("ann", capacity=3, load=0, ready=False)
    assert listener.state is ListenerState.AWAY
    assert not listener.has_room


def test_listener_who_is_not_ready_and_full_is_away() -> None:
    assert slot("ann", capacity=1, load=1, ready=False).state is ListenerState.AWAY


# --- the routing plan --------------------------------------------------------


def test_plan_with_no_seekers_is_empty() -> None:
    assert plan_matches([], [slot("ann")]) == []


def test_plan_with_no_listeners_is_empty() -> None:
    assert plan_matches([seeker("s")], []) == []


def test_least_loaded_listener_is_chosen_first() -> None:
    busy = slot("ann", capacity=3, load=2, idle_since_ms=0)
    free = slot("bob", capacity=3, load=0, idle_since_ms=999)
    assert pairs(plan_matches([seeker("s")], [busy, free])) == [("s", "bob")]


def test_among_equally_loaded_listeners_the_longest_idle_is_chosen() -> None:
    recent = slot("ann", idle_since_ms=500)
    longest = slot("bob", idle_since_ms=100)
    assert pairs(plan_matches([seeker("s")], [recent, longest])) == [("s", "bob")]


def test_among_equally_loaded_and_idle_listeners_the_lowest_id_is_chosen() -> None:
    listeners = [slot("cat"), slot("ann"), slot("bob")]
    assert pairs(plan_matches([seeker("s")], listeners)) == [("s", "ann")]


def test_work_spreads_evenly_between_listeners() -> None:
    ann = slot("ann", capacity=3, idle_since_ms=100)
    bob = slot("bob", capacity=3, idle_since_ms=50)
    queue = [seeker(f"s{i}") for i in range(4)]
    assert pairs(plan_matches(queue, [ann, bob])) == [
        ("s0", "bob"),
        ("s1", "ann"),
        ("s2", "bob"),
        ("s3", "ann"),
    ]


def test_plan_follows_the_given_queue_order() -> None:
    queue = [seeker("second"), seeker("first")]
    assert pairs(plan_matches(queue, [slot("ann")])) == [("second", "ann")]


def test_chosen_slot_reports_the_load_planned_so_far() -> None:
    plan = plan_matches([seeker("a"), seeker("b")], [slot("ann", capacity=3, load=1)])
    assert [chosen.load for _, chosen in plan] == [1, 2]


def test_listener_with_capacity_three_gets_up_to_three_seekers() -> None:
    queue = [seeker(f"s{i}") for i in range(5)]
    plan = plan_matches(queue, [slot("ann", capacity=3)])
    assert pairs(plan) == [("s0", "ann"), ("s1", "ann"), ("s2", "ann")]


def test_listener_with_capacity_three_and_one_open_gets_two_more() -> None:
    queue = [seeker(f"s{i}") for i in range(5)]
    plan = plan_matches(queue, [slot("ann", capacity=3, load=1)])
    assert pairs(plan) == [("s0", "ann"), ("s1", "ann")]


def test_capacity_is_never_exceeded_even_with_many_seekers() -> None:
    queue = [seeker(f"s{i:03}") for i in range(200)]
    listeners = [slot("ann", capacity=2), slot("bob", capacity=2, load=1), slot("cat", load=1)]
    plan = plan_matches(queue, listeners)
    assert Counter(chosen.listener for _, chosen in plan) == {"ann": 2, "bob": 1}
    assert [entry.session for entry, _ in plan] == ["s000", "s001", "s002"]


def test_seeker_nobody_can_help_does_not_block_those_behind() -> None:
    queue = [seeker("grief", ("grief",)), seeker("anxious", ("anxiety",)), seeker("open")]
    plan = plan_matches(queue, [slot("ann", ("anxiety",), capacity=2)])
    assert pairs(plan) == [("anxious", "ann"), ("open", "ann")]


def test_seeker_is_matched_to_the_listener_trained_for_their_topic() -> None:
    least_loaded = slot("ann", ("work",), capacity=3)
    trained = slot("bob", ("grief",), capacity=3, load=2)
    assert pairs(plan_matches([seeker("s", ("grief",))], [least_loaded, trained])) == [("s", "bob")]


def test_away_listeners_are_never_chosen() -> None:
    away = slot("ann", capacity=3, ready=False, idle_since_ms=0)
    plan = plan_matches([seeker("a"), seeker("b")], [away])
    assert plan == []


def test_away_listener_is_passed_over_for_a_busier_ready_one() -> None:
    away = slot("ann", capacity=3, ready=False)
    ready = slot("bob", capacity=3, load=2)
    assert pairs(plan_matches([seeker("a"), seeker("b")], [away, ready])) == [("a", "bob")]


def test_full_listeners_are_never_chosen() -> None:
    assert plan_matches([seeker("a")], [slot("ann", capacity=2, load=2)]) == []


def test_supervisors_are_not_assigned_by_default() -> None:
    supervisor = slot("sue", role=Role.SUPERVISOR, capacity=3)
    assert plan_matches([seeker("a")], [supervisor]) == []


def test_supervisors_are_assigned_when_assign_supervisors_is_set() -> None:
    supervisor = slot("sue", (), role=Role.SUPERVISOR, capacity=2)
    plan = plan_matches(
        [seeker("a", ("grief",)), seeker("b")], [supervisor], assign_supervisors=True
    )
    assert pairs(plan) == [("a", "sue"), ("b", "sue")]


def test_listeners_are_preferred_to_supervisors_only_by_load_and_idleness() -> None:
    listener = slot("ann", capacity=3, load=1)
    supervisor = slot("sue", role=Role.SUPERVISOR, capacity=3, load=0)
    plan = plan_matches([seeker("a")], [listener, supervisor], assign_supervisors=True)
    assert pairs(plan) == [("a", "sue")]


# --- take without an id ------------------------------------------------------


def test_best_entry_is_the_first_seeker_the_listener_can_help() -> None:
    queue = [seeker("grief", ("grief",)), seeker("anxious", ("anxiety",)), seeker("open")]
    assert best_entry_for(slot("ann", ("anxiety",)), queue) == queue[1]


def test_best_entry_is_the_head_of_the_queue_when_anyone_can_help() -> None:
    queue = [seeker("open"), seeker("anxious", ("anxiety",))]
    assert best_entry_for(slot("ann", ("anxiety",)), queue) == queue[0]


def test_best_entry_is_none_when_the_listener_can_help_nobody() -> None:
    queue = [seeker("grief", ("grief",)), seeker("work", ("work",))]
    assert best_entry_for(slot("ann", ("anxiety",)), queue) is None


def test_best_entry_of_an_empty_queue_is_none() -> None:
    assert best_entry_for(slot("ann"), []) is None


def test_supervisor_best_entry_is_the_head_of_the_queue() -> None:
    queue = [seeker("grief", ("grief",)), seeker("open")]
    assert best_entry_for(slot("sue", (), role=Role.SUPERVISOR), queue) == queue[0]


# --- properties of any plan --------------------------------------------------

TOPICS = ("anxiety", "grief", "work")
topic_sets = st.lists(st.sampled_from(TOPICS), max_size=3, unique=True).map(tuple)


@st.composite
def listener_slots(draw: st.DrawFn) -> list[ListenerSlot]:
    count = draw(st.integers(min_value=0, max_value=6))
    slots = []
    for i in range(count):
        capacity = draw(st.integers(min_value=1, max_value=3))
        slots.append(
            slot(
                f"l{i}",
                draw(topic_sets),
                role=draw(st.sampled_from([Role.LISTENER, Role.SUPERVISOR])),
                capacity=capacity,
                load=draw(st.integers(min_value=0, max_value=capacity + 1)),
                ready=draw(st.booleans()),
                idle_since_ms=draw(st.integers(min_value=0, max_value=5)),
            )
        )
    return slots


@st.composite
def queues(draw: st.DrawFn) -> list[WaitingSeeker]:
    count = draw(st.integers(min_value=0, max_value=12))
    entries = [
        seeker(
            f"s{i:02}",
            draw(topic_sets),
            enqueued_ms=draw(st.integers(min_value=0, max_value=5)),
            priority=draw(st.integers(min_value=0, max_value=1)),
            ticket=draw(st.integers(min_value=0, max_value=3)),
        )
        for i in range(count)
    ]
    return queue_order(entries)


@given(queue=queues(), listeners=listener_slots(), assign_supervisors=st.booleans())
def test_any_plan_is_sound_and_leaves_nobody_waiting_who_could_be_helped(
    queue: list[WaitingSeeker], listeners: list[ListenerSlot], assign_supervisors: bool
) -> None:
    plan = plan_matches(queue, listeners, assign_supervisors=assign_supervisors)
    by_id = {listener.listener: listener for listener in listeners}

    matched = [entry.session for entry, _ in plan]
    assert len(matched) == len(set(matched)), "a seeker was assigned twice"
    assert [e for e in queue if e.session in set(matched)] == [e for e, _ in plan]

    assigned = Counter(chosen.listener for _, chosen in plan)
    for listener_id, count in assigned.items():
        original = by_id[listener_id]
        assert original.ready, "an away listener was chosen"
        assert assign_supervisors or original.role is not Role.SUPERVISOR
        assert original.load + count <= original.capacity, "capacity exceeded"

    for entry, chosen in plan:
        assert can_help(by_id[chosen.listener], entry)

    def eligible(listener: ListenerSlot) -> bool:
        return listener.ready and (assign_supervisors or listener.role is not Role.SUPERVISOR)

    with_room = [
        listener
        for listener in listeners
        if eligible(listener) and listener.load + assigned[listener.listener] < listener.capacity
    ]
    for entry in queue:
        if entry.session not in matched:
            helpers = [listener.listener for listener in with_room if can_help(listener, entry)]
            assert not helpers, f"{entry.session} left waiting while {helpers} have room"
