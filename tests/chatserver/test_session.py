"""The session lifecycle table: every legal move, every illegal one, and why sessions end."""

from __future__ import annotations

import itertools

import pytest

from chatserver.session import (
    TRANSITIONS,
    Event,
    IllegalTransition,
    SessionRecord,
    State,
    end_reason,
    transition,
)
from chatserver.types import ClientId, EndReason, Role, SessionId

LEGAL = [
    (State.WAITING, Event.MATCH, State.ACTIVE),
    (State.WAITING, Event.END, State.ENDED),
    (State.ACTIVE, Event.END, State.ENDED),
]
ILLEGAL = [
    (state, event)
    for state, event in itertools.product(State, Event)
    if (state, event) not in TRANSITIONS
]


def test_transition_table_holds_exactly_the_documented_moves() -> None:
    assert TRANSITIONS == {(state, event): after for state, event, after in LEGAL}


@pytest.mark.parametrize(("state", "event", "after"), LEGAL)
def test_legal_event_moves_session_to_next_state(state: State, event: Event, after: State) -> None:
    assert transition(state, event) is after


@pytest.mark.parametrize(("state", "event", "after"), LEGAL)
def test_legal_event_is_legal_for_any_actor(state: State, event: Event, after: State) -> None:
    assert transition(state, event, actor="listener") is after


def test_illegal_pairs_are_the_ones_the_theory_of_operation_describes() -> None:
    assert set(ILLEGAL) == {
        (State.ACTIVE, Event.MATCH),
        (State.ENDED, Event.MATCH),
        (State.ENDED, Event.END),
    }


@pytest.mark.parametrize(("state", "event"), ILLEGAL)
@pytest.mark.parametrize("actor", ["seeker", "listener", "server"])
def test_illegal_event_raises_naming_event_actor_and_state(
    state: State, event: Event, actor: str
) -> None:
    with pytest.raises(IllegalTransition) as caught:
        transition(state, event, actor=actor)
    error = caught.value
    assert (error.state, error.event, error.actor) == (state, event, actor)
    message = str(error)
    assert event.value in message
    assert actor in message
    assert state.value in message


def test_illegal_event_without_actor_blames_the_server() -> None:
    with pytest.raises(IllegalTransition, match="^server cannot end a session that is ended$"):
        transition(State.ENDED, Event.END)


def test_ended_session_cannot_be_matched() -> None:
    with pytest.raises(IllegalTransition, match="listener cannot match a session that is ended"):
        transition(State.ENDED, Event.MATCH, actor="listener")


def test_active_session_cannot_be_matched_again() -> None:
    with pytest.raises(IllegalTransition, match="cannot match a session that is active"):
        transition(State.ACTIVE, Event.MATCH, actor="listener")


def test_illegal_transition_does_not_chain_the_lookup_error() -> None:
    with pytest.raises(IllegalTransition) as caught:
        transition(State.ENDED, Event.END)
    assert caught.value.__suppress_context__
    assert caught.value.__cause__ is None


@pytest.mark.parametrize("role", list(Role))
def test_ending_a_waiting_session_is_leaving_the_queue_whoever_ends_it(role: Role) -> None:
    assert end_reason(State.WAITING, role) is EndReason.LEFT_QUEUE


@pytest.mark.parametrize(
    ("role", "reason"),
    [
        (Role.SEEKER, EndReason.SEEKER_ENDED),
        (Role.LISTENER, EndReason.LISTENER_ENDED),
        (Role.SUPERVISOR, EndReason.LISTENER_ENDED),
    ],
)
@pytest.mark.parametrize("state", [State.ACTIVE, State.ENDED])
def test_ending_a_matched_session_names_the_side_that_ended_it(
    state: State, role: Role, reason: EndReason
) -> None:
    assert end_reason(state, role) is reason


def _record(members: list[str]) -> SessionRecord:
    return SessionRecord(
        id=SessionId("s1"),
        state=State.ACTIVE,
        seeker=ClientId("Sseeker"),
        seeker_handle="Quiet Heron",
        topics=("anxiety",),
        created_ms=1,
        members=[ClientId(m) for m in members],
    )


def test_peers_of_a_member_are_everyone_else_in_order() -> None:
    record = _record(["Sseeker", "Llistener", "Lsupervisor"])
    assert record.peers_of(ClientId("Sseeker")) == ["Llistener", "Lsupervisor"]
    assert record.peers_of(ClientId("Llistener")) == ["Sseeker", "Lsupervisor"]


def test_peers_of_an_outsider_are_all_members() -> None:
    record = _record(["Sseeker", "Llistener"])
    assert record.peers_of(ClientId("Lstranger")) == ["Sseeker", "Llistener"]


def test_peers_of_the_only_member_is_nobody() -> None:
    assert _record(["Sseeker"]).peers_of(ClientId("Sseeker")) == []


def test_new_session_record_has_no_listener_members_or_intro() -> None:
    record = _record([])
    assert record.listener is None
    assert record.listener_id is None
    assert record.intro is None
    assert record.members == []
    assert record.priority == 0


def test_session_records_do_not_share_member_lists() -> None:
    first, second = _record([]), _record([])
    first.members.append(ClientId("Sseeker"))
    assert second.members == []
