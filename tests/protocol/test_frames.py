"""Every frame type, one rule at a time: round trips, required fields, types, limits."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import msgpack
import pytest

import protocol
from protocol import (
    CLIENT_FRAMES,
    DEFAULT_LIMITS,
    END_REASONS,
    REPORT_REASONS,
    SERVER_FRAMES,
    BadFrame,
    ErrorCode,
    Frame,
    InvalidField,
    Limits,
    ProtocolError,
    TooLarge,
    UnknownType,
    decode,
    encode,
    from_dict,
    to_dict,
)
from protocol.codec import Direction
from protocol.fields import MAX_IDENT, MAX_LABEL, MAX_SEQ_MAP, MAX_TOKEN, MAX_TOPICS, describe

SECRET = "a distinctive secret sentence 7f3a9c"
"""Stands for what a person wrote: no error may ever repeat it (longer than 32 characters)."""

SESSION = "Qm3vX9a2LkPzR1sT"

SAMPLES: dict[type[Frame], Frame] = {
    protocol.Hello: protocol.Hello(
        v=1, role="listener", token="t.o.k", resume="r-1", last_seq={SESSION: 3}, lang="en-GB",
        region="gb",
    ),
    protocol.Request: protocol.Request(topics=("anxiety", "grief"), intro="Bonsoir 🌙"),
    protocol.Ready: protocol.Ready(),
    protocol.Away: protocol.Away(),
    protocol.Take: protocol.Take(seeker=SESSION),
    protocol.Send: protocol.Send(session=SESSION, text="Ça va? 👋🏽", id="m-1"),
    protocol.Typing: protocol.Typing(session=SESSION),
    protocol.End: protocol.End(session=SESSION, reason="done", block=True),
    protocol.ResourcesRequest: protocol.ResourcesRequest(),
    protocol.Escalate: protocol.Escalate(session=SESSION, note="Sie spricht von Abschied"),
    protocol.Join: protocol.Join(session=SESSION),
    protocol.Leave: protocol.Leave(session=SESSION),
    protocol.Transfer: protocol.Transfer(session=SESSION, to="supervisor", note="needs more"),
    protocol.DebriefRequest: protocol.DebriefRequest(session=SESSION),
    protocol.Report: protocol.Report(session=SESSION, reason="spam"),
    protocol.Feedback: protocol.Feedback(session=SESSION, score=4),
    protocol.Welcome: protocol.Welcome(
        v=1, role="seeker", handle="Quiet Heron", resume="r-1", resumed=False
    ),
    protocol.Queued: protocol.Queued(session=SESSION, position=1, waiting=2, eta_s=90),
    protocol.Queue: protocol.Queue(
        waiting=1,
        entries=(
            protocol.QueueEntry(
                id=SESSION, topics=("work",), waited_s=3, priority="urgent", risk=True
            ),
        ),
    ),
    protocol.Matched: protocol.Matched(
        session=SESSION, peer="Zoë", topics=("stress",), intro="Hola 🙂", risk=True,
        handover="gentle, likes short replies",
    ),
    protocol.Message: protocol.Message(session=SESSION, seq=1, text="Grüße ✨", ts=1,
                                       sender="Ada"),
    protocol.Sent: protocol.Sent(session=SESSION, id="m-1", seq=1, ts=0),
    protocol.PeerTyping: protocol.PeerTyping(session=SESSION),
    protocol.Ended: protocol.Ended(session=SESSION, reason="idle"),
    protocol.Service: protocol.Service(available=False),
    protocol.PeerAway: protocol.PeerAway(session=SESSION),
    protocol.PeerBack: protocol.PeerBack(session=SESSION),
    protocol.Reconnect: protocol.Reconnect(after_ms=500),
    protocol.Error: protocol.Error(code="invalid_field", message="send.id: expected", ref="send"),
    protocol.Resources: protocol.Resources(
        reason="risk",
        items=(
            protocol.ResourceItem(name="Samaritans", phone="116 123", sms="85258",
                                  url="https://www.samaritans.org", hours="24/7"),
        ),
    ),
    protocol.RiskFlag: protocol.RiskFlag(session=SESSION),
    protocol.Escalation: protocol.Escalation(
        session=SESSION, listener="Sam", topics=("grief",), risk=True, note="help"
    ),
    protocol.Reported: protocol.Reported(session=SESSION, reason="abuse", by="listener"),
    protocol.Debrief: protocol.Debrief(listener="Sam", session=SESSION),
    protocol.MemberJoined: protocol.MemberJoined(session=SESSION, name="Ada", role="supervisor"),
    protocol.MemberLeft: protocol.MemberLeft(session=SESSION, name="Ada"),
    protocol.Transferred: protocol.Transferred(session=SESSION, peer="Robin"),
    protocol.BreakSuggested: protocol.BreakSuggested(worked_s=7200),
    protocol.Overview: protocol.Overview(
        waiting=2,
        sessions=(
            protocol.SessionInfo(id=SESSION, topics=("grief",), listener="Sam", started_s=60,
                                 risk=True, escalated=True, supervised=False),
        ),
    ),
}  # fmt: skip
"""One frame of each class with every optional field set."""

ALL_CLASSES = {*CLIENT_FRAMES.values(), *SERVER_FRAMES.values()}


def direction_of(cls: type[Frame]) -> Direction:
    return "client" if issubclass(cls, protocol.ClientFrame) else "server"


def sample_ids(cls: type[Frame]) -> str:
    return f"{direction_of(cls)}-{cls.TYPE}"


def required_only(frame: Frame) -> Frame:
    """The same frame with every optional field left unset."""
    kept = {
        f.name: getattr(frame, f.name)
        for f in dataclasses.fields(frame)  # type: ignore[arg-type]
        if f.metadata["required"]
    }
    return type(frame)(**kept)


def raw_of(cls: type[Frame], /, **changes: Any) -> dict[str, Any]:
    """The wire map of the sample of ``cls``, with ``changes`` applied (None removes a key)."""
    raw = to_dict(SAMPLES[cls])
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return raw


def fails(cls: type[Frame], /, **changes: Any) -> ProtocolError:
    """Decode the changed sample of ``cls`` from bytes; it must fail; return the error."""
    return fails_within(DEFAULT_LIMITS, cls, **changes)


def fails_within(limits: Limits, cls: type[Frame], /, **changes: Any) -> ProtocolError:
    data = msgpack.packb(raw_of(cls, **changes), use_bin_type=True)
    with pytest.raises(ProtocolError) as info:
        decode(data, direction=direction_of(cls), limits=limits)
    return info.value


def accepts(cls: type[Frame], /, **changes: Any) -> Frame:
    """Decode the changed sample of ``cls`` from bytes; it must succeed."""
    return accepts_within(DEFAULT_LIMITS, cls, **changes)


def accepts_within(limits: Limits, cls: type[Frame], /, **changes: Any) -> Frame:
    data = msgpack.packb(raw_of(cls, **changes), use_bin_type=True)
    return decode(data, direction=direction_of(cls), limits=limits)


def required_fields() -> Iterator[tuple[type[Frame], str]]:
    for cls in SAMPLES:
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.metadata["required"]:
                yield cls, f.name


def all_fields() -> Iterator[tuple[type[Frame], str]]:
    for cls in SAMPLES:
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            yield cls, f.name


def field_ids(case: tuple[type[Frame], str]) -> str:
    return f"{sample_ids(case[0])}.{case[1]}"


# --- the samples themselves ---------------------------------------------------


def test_samples_cover_every_frame_class_of_both_directions() -> None:
    assert set(SAMPLES) == ALL_CLASSES


@pytest.mark.parametrize("cls", list(SAMPLES), ids=sample_ids)
def test_samples_set_every_optional_field(cls: type[Frame]) -> None:
    frame = SAMPLES[cls]
    for f in dataclasses.fields(frame):  # type: ignore[arg-type]
        if not f.metadata["required"]:
            assert getattr(frame, f.name) not in (None, ()), f.name


# --- round trips --------------------------------------------------------------


@pytest.mark.parametrize("cls", list(SAMPLES), ids=sample_ids)
def test_a_frame_with_every_field_round_trips_through_bytes(cls: type[Frame]) -> None:
    frame = SAMPLES[cls]
    assert decode(encode(frame), direction=direction_of(cls)) == frame


@pytest.mark.parametrize("cls", list(SAMPLES), ids=sample_ids)
def test_a_frame_with_only_required_fields_round_trips_through_bytes(cls: type[Frame]) -> None:
    frame = required_only(SAMPLES[cls])
    assert decode(encode(frame), direction=direction_of(cls)) == frame


@pytest.mark.parametrize("cls", list(SAMPLES), ids=sample_ids)
def test_a_frame_round_trips_through_its_map(cls: type[Frame]) -> None:
    frame = SAMPLES[cls]
    assert from_dict(to_dict(frame), direction=direction_of(cls)) == frame


def test_to_dict_puts_type_first_and_leaves_unset_optional_fields_out() -> None:
    raw = to_dict(protocol.Hello(v=1, role="seeker"))
    assert list(raw) == ["type", "v", "role"]
    assert raw == {"type": "hello", "v": 1, "role": "seeker"}


def test_to_dict_turns_tuples_into_lists_and_nested_entries_into_maps() -> None:
    raw = to_dict(SAMPLES[protocol.Queue])
    assert raw["entries"] == [
        {"id": SESSION, "topics": ["work"], "waited_s": 3, "priority": "urgent", "risk": True}
    ]
    assert isinstance(raw["entries"][0]["topics"], list)


def test_to_dict_copies_a_mapping_field_into_a_plain_dict() -> None:
    raw = to_dict(SAMPLES[protocol.Hello])
    assert raw["last_seq"] == {SESSION: 3}
    assert type(raw["last_seq"]) is dict


def test_encode_writes_strings_as_msgpack_str_not_bin() -> None:
    data = encode(protocol.Ready())
    assert data == b"\x81\xa4type\xa5ready"


def test_frames_are_frozen() -> None:
    frame = protocol.Send(session=SESSION, text="Hi", id="m-1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        frame.text = "changed"  # type: ignore[misc]


# --- required fields ----------------------------------------------------------


@pytest.mark.parametrize("case", list(required_fields()), ids=field_ids)
def test_each_missing_required_field_is_named_with_the_frame_type_as_ref(
    case: tuple[type[Frame], str],
) -> None:
    cls, name = case
    exc = fails(cls, **{name: None})
    assert isinstance(exc, InvalidField)
    assert exc.code is ErrorCode.INVALID_FIELD
    assert exc.field == name
    assert exc.ref == cls.TYPE
    assert exc.message.startswith(f"{name}: required field is missing")


@pytest.mark.parametrize("case", list(required_fields()), ids=field_ids)
def test_a_nil_required_field_counts_as_missing(case: tuple[type[Frame], str]) -> None:
    cls, name = case
    raw = raw_of(cls)
    raw[name] = None
    with pytest.raises(InvalidField) as info:
        from_dict(raw, direction=direction_of(cls))
    assert info.value.field == name


def test_send_without_text_names_the_field() -> None:
    exc = fails(protocol.Send, text=None)
    assert (exc.code, exc.field, exc.ref) == (ErrorCode.INVALID_FIELD, "text", "send")


def test_a_nil_optional_field_counts_as_absent() -> None:
    raw = raw_of(protocol.End)
    raw["reason"] = None
    raw["block"] = None
    assert from_dict(raw, direction="client") == protocol.End(session=SESSION)


def test_absent_topics_decode_as_an_empty_tuple() -> None:
    frame = accepts(protocol.Request, topics=None, intro=None)
    assert frame == protocol.Request()
    assert isinstance(frame, protocol.Request) and frame.topics == ()


def test_a_queue_entry_without_its_id_is_named_by_its_path() -> None:
    exc = fails(protocol.Queue, entries=[{"waited_s": 1}])
    assert (exc.field, exc.ref) == ("entries[0].id", "queue")


# --- wrong types --------------------------------------------------------------

WRONG_FOR: dict[type, list[Any]] = {
    str: [0, 1.5, True, b"bytes", ["x"], {"x": 1}],
    int: ["1", 1.5, True, False, b"\x01", [1], {"n": 1}],
    bool: [1, 0, "true", b"\x01", [True]],
    tuple: ["anxiety", 1, True, b"x", {"a": 1}],
    dict: [["s", 1], "s", 1, True, b"x"],
}
"""Values of another wire type than a field's, by the Python type of a valid value."""


def wrong_type_cases() -> Iterator[tuple[type[Frame], str, Any]]:
    for cls, name in all_fields():
        value = getattr(SAMPLES[cls], name)
        for kind, wrongs in WRONG_FOR.items():
            if type(value) is kind:
                for wrong in wrongs:
                    yield cls, name, wrong


@pytest.mark.parametrize(
    "case",
    list(wrong_type_cases()),
    ids=lambda c: f"{sample_ids(c[0])}.{c[1]}={describe(c[2]).replace(' ', '_')}",
)
def test_a_field_of_the_wrong_type_is_named(case: tuple[type[Frame], str, Any]) -> None:
    cls, name, wrong = case
    exc = fails(cls, **{name: wrong})
    assert isinstance(exc, InvalidField)
    assert exc.field is not None and exc.field.startswith(name)
    assert exc.ref == cls.TYPE


def test_wrong_type_cases_cover_every_field() -> None:
    covered = {(cls, name) for cls, name, _ in wrong_type_cases()}
    assert covered == set(all_fields())


def test_a_wrong_type_message_says_what_was_expected_and_what_came() -> None:
    exc = fails(protocol.Send, id=5)
    assert exc.message == (
        "id: expected a non-empty string of at most 64 characters, got an integer"
    )


def test_binary_data_is_not_a_string() -> None:
    exc = fails(protocol.Send, text=b"Hi")
    assert exc.field == "text"
    assert "binary data" in exc.message


def test_a_boolean_is_not_an_integer() -> None:
    exc = fails(protocol.Feedback, score=True)
    assert exc.field == "score"
    assert "got a boolean" in exc.message


# --- ids, labels and credentials ----------------------------------------------


@pytest.mark.parametrize(
    ("cls", "name", "most"),
    [
        (protocol.Send, "session", MAX_IDENT),
        (protocol.Send, "id", MAX_IDENT),
        (protocol.Take, "seeker", MAX_IDENT),
        (protocol.Matched, "peer", MAX_LABEL),
        (protocol.Welcome, "handle", MAX_LABEL),
        (protocol.Hello, "token", MAX_TOKEN),
        (protocol.Welcome, "resume", MAX_TOKEN),
    ],
)
def test_a_string_field_accepts_its_longest_and_rejects_one_more_or_empty(
    cls: type[Frame], name: str, most: int
) -> None:
    assert getattr(accepts(cls, **{name: "é" * most}), name) == "é" * most
    assert fails(cls, **{name: "é" * (most + 1)}).field == name
    assert fails(cls, **{name: ""}).field == name


@pytest.mark.parametrize("control", ["\x00", "\n", "\x1f", "\x7f"])
def test_an_id_with_a_control_character_is_refused(control: str) -> None:
    exc = fails(protocol.Send, session=f"abc{control}def")
    assert (exc.field, exc.message) == ("session", "session: expected no control characters")


def test_an_id_may_hold_any_other_character() -> None:
    frame = accepts(protocol.Send, id="ñ-🙂-\u0080-\u200b")
    assert isinstance(frame, protocol.Send) and frame.id == "ñ-🙂-\u0080-\u200b"


# --- words: text, intro, error message ----------------------------------------


@pytest.mark.parametrize(
    ("cls", "name", "limit"),
    [
        (protocol.Send, "text", DEFAULT_LIMITS.max_text_chars),
        (protocol.Message, "text", DEFAULT_LIMITS.max_text_chars),
        (protocol.Request, "intro", DEFAULT_LIMITS.max_intro_chars),
        (protocol.Matched, "intro", DEFAULT_LIMITS.max_intro_chars),
        (protocol.Error, "message", DEFAULT_LIMITS.max_note_chars),
    ],
)
def test_text_at_its_limit_is_accepted_and_one_more_character_is_too_large(
    cls: type[Frame], name: str, limit: int
) -> None:
    assert getattr(accepts(cls, **{name: "a" * limit}), name) == "a" * limit
    exc = fails(cls, **{name: "a" * (limit + 1)})
    assert isinstance(exc, TooLarge)
    assert (exc.code, exc.field, exc.ref) == (ErrorCode.TOO_LARGE, name, cls.TYPE)
    assert f"at most {limit} characters, got {limit + 1}" in exc.message


def test_text_limits_count_characters_not_bytes() -> None:
    emoji = "🙂" * DEFAULT_LIMITS.max_text_chars
    frame = accepts(protocol.Send, text=emoji)
    assert isinstance(frame, protocol.Send) and frame.text == emoji


def test_send_text_over_a_configured_limit_is_too_large() -> None:
    limits = Limits(max_text_chars=10)
    assert isinstance(accepts_within(limits, protocol.Send, text="0123456789"), protocol.Send)
    exc = fails_within(limits, protocol.Send, text="0123456789!")
    assert isinstance(exc, TooLarge) and exc.field == "text"


def test_request_intro_over_a_configured_limit_is_too_large() -> None:
    exc = fails_within(Limits(max_intro_chars=3), protocol.Request, intro="four")
    assert isinstance(exc, TooLarge) and (exc.field, exc.ref) == ("intro", "request")


@pytest.mark.parametrize("blank", ["", " ", "\n\t ", "\u3000"])
def test_blank_text_is_refused(blank: str) -> None:
    exc = fails(protocol.Send, text=blank)
    assert isinstance(exc, InvalidField)
    assert exc.message == "text: expected some text, got only blanks"


def test_text_keeps_newlines_and_surrounding_spaces() -> None:
    frame = accepts(protocol.Send, text="  line one\nline two  ")
    assert isinstance(frame, protocol.Send) and frame.text == "  line one\nline two  "


# --- frame size ---------------------------------------------------------------


def test_a_frame_over_max_frame_bytes_is_too_large_with_no_field() -> None:
    data = encode(protocol.Send(session=SESSION, text="a" * 100, id="m-1"))
    exactly = Limits(max_frame_bytes=len(data))
    assert isinstance(decode(data, direction="client", limits=exactly), protocol.Send)
    with pytest.raises(TooLarge) as info:
        decode(data, direction="client", limits=Limits(max_frame_bytes=len(data) - 1))
    assert (info.value.field, info.value.ref) == (None, None)
    assert info.value.message == (
        f"frame of {len(data)} bytes is over the limit of {len(data) - 1} bytes"
    )


def test_the_default_frame_limit_is_checked_before_anything_else() -> None:
    garbage = b"\xc1" * (DEFAULT_LIMITS.max_frame_bytes + 1)
    with pytest.raises(TooLarge) as info:
        decode(garbage, direction="client")
    assert info.value.field is None


# --- topics -------------------------------------------------------------------


def test_as_many_topics_as_allowed_are_accepted_in_order() -> None:
    topics = [f"t{i}" for i in range(MAX_TOPICS)]
    frame = accepts(protocol.Request, topics=topics)
    assert isinstance(frame, protocol.Request) and frame.topics == tuple(topics)


def test_one_topic_too_many_names_the_array() -> None:
    exc = fails(protocol.Request, topics=[f"t{i}" for i in range(MAX_TOPICS + 1)])
    assert (exc.field, exc.ref) == ("topics", "request")


@pytest.mark.parametrize(
    "bad",
    ["Anxiety", "-lead", "_lead", "has space", "a" * 33, "", "é", "a.b", 7, None, ["x"]],
)
def test_a_bad_topic_name_is_named_by_its_index(bad: Any) -> None:
    exc = fails(protocol.Request, topics=["grief", bad])
    assert (exc.field, exc.ref) == ("topics[1]", "request")


def test_topic_names_may_use_digits_underscores_and_hyphens_up_to_32_characters() -> None:
    name = "0a_b-c" + "x" * 26
    frame = accepts(protocol.Matched, topics=[name, "9"])
    assert isinstance(frame, protocol.Matched) and frame.topics == (name, "9")


def test_a_duplicate_topic_is_named_by_its_second_index() -> None:
    exc = fails(protocol.Request, topics=["grief", "work", "grief"])
    assert exc.field == "topics[2]"
    assert exc.message == "topics[2]: topic listed twice"


# --- integers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "name", "low", "high"),
    [
        (protocol.Hello, "v", 1, protocol.PROTOCOL_VERSION),
        (protocol.Feedback, "score", 1, 5),
        (protocol.Welcome, "v", 1, 2**53),
        (protocol.Queued, "position", 1, 2**53),
        (protocol.Queued, "waiting", 1, 2**53),
        (protocol.Queue, "waiting", 0, 2**53),
        (protocol.Message, "seq", 1, 2**53),
        (protocol.Message, "ts", 0, 2**53),
        (protocol.Sent, "seq", 1, 2**53),
        (protocol.Sent, "ts", 0, 2**53),
    ],
)
def test_an_integer_field_accepts_its_bounds_and_refuses_beyond_them(
    cls: type[Frame], name: str, low: int, high: int
) -> None:
    assert getattr(accepts(cls, **{name: low}), name) == low
    assert getattr(accepts(cls, **{name: high}), name) == high
    for outside in (low - 1, high + 1):
        exc = fails(cls, **{name: outside})
        assert (exc.field, exc.ref) == (name, cls.TYPE)
        assert f"expected an integer from {low} to {high}" in exc.message


def test_the_largest_msgpack_integers_are_refused_not_crashed_on() -> None:
    assert fails(protocol.Message, seq=2**64 - 1).field == "seq"
    assert fails(protocol.Message, ts=-(2**63)).field == "ts"


def test_a_float_is_not_an_integer_even_when_whole() -> None:
    exc = fails(protocol.Feedback, score=5.0)
    assert exc.field == "score"
    assert "got a float" in exc.message


def test_a_queue_entry_with_a_negative_wait_is_named_by_its_path() -> None:
    exc = fails(protocol.Queue, entries=[{"id": "a", "waited_s": 0}, {"id": "b", "waited_s": -1}])
    assert (exc.field, exc.ref) == ("entries[1].waited_s", "queue")


# --- choices and booleans -----------------------------------------------------


@pytest.mark.parametrize("reason", END_REASONS)
def test_every_end_reason_is_accepted(reason: str) -> None:
    frame = accepts(protocol.End, reason=reason)
    assert isinstance(frame, protocol.End) and frame.reason == reason


@pytest.mark.parametrize("reason", REPORT_REASONS)
def test_every_report_reason_is_accepted(reason: str) -> None:
    frame = accepts(protocol.Report, reason=reason)
    assert isinstance(frame, protocol.Report) and frame.reason == reason


def test_an_unknown_choice_lists_the_allowed_values() -> None:
    exc = fails(protocol.End, reason="bored")
    assert exc.field == "reason"
    assert exc.message == (
        "reason: expected one of 'done', 'no_reply', 'unsafe', 'other', got 'bored'"
    )


@pytest.mark.parametrize("role", ["seeker", "listener"])
def test_hello_accepts_both_roles(role: str) -> None:
    frame = accepts(protocol.Hello, role=role)
    assert isinstance(frame, protocol.Hello) and frame.role == role


def test_hello_refuses_the_supervisor_role_which_only_a_token_can_give() -> None:
    assert fails(protocol.Hello, role="supervisor").field == "role"


@pytest.mark.parametrize("resumed", [True, False])
def test_welcome_resumed_is_a_boolean(resumed: bool) -> None:
    frame = accepts(protocol.Welcome, resumed=resumed)
    assert isinstance(frame, protocol.Welcome) and frame.resumed is resumed


# --- last_seq -----------------------------------------------------------------


def test_last_seq_maps_session_ids_to_counts_from_zero() -> None:
    frame = accepts(protocol.Hello, last_seq={"a": 0, "b": 2**40})
    assert isinstance(frame, protocol.Hello) and frame.last_seq == {"a": 0, "b": 2**40}


def test_last_seq_with_too_many_sessions_names_the_map() -> None:
    many = {f"s{i}": 1 for i in range(MAX_SEQ_MAP + 1)}
    assert fails(protocol.Hello, last_seq=many).field == "last_seq"


@pytest.mark.parametrize("count", [-1, True, 1.0, "1", None])
def test_last_seq_with_a_bad_count_names_the_session(count: Any) -> None:
    exc = fails(protocol.Hello, last_seq={"s-1": count})
    assert (exc.field, exc.ref) == ("last_seq.s-1", "hello")


@pytest.mark.parametrize("key", ["", "x" * 65, "a\nb"])
def test_last_seq_with_a_bad_session_id_names_the_keys(key: str) -> None:
    exc = fails(protocol.Hello, last_seq={key: 1})
    assert exc.field == "last_seq key"


def test_last_seq_with_a_binary_key_names_the_keys() -> None:
    raw = raw_of(protocol.Hello)
    raw["last_seq"] = {b"s-1": 1}
    with pytest.raises(InvalidField) as info:
        decode(msgpack.packb(raw, use_bin_type=True), direction="client")
    assert info.value.field == "last_seq key"


# --- queue entries ------------------------------------------------------------


def test_a_queue_may_list_up_to_200_entries() -> None:
    entries = [{"id": f"s{i}", "waited_s": i} for i in range(200)]
    frame = accepts(protocol.Queue, entries=entries)
    assert isinstance(frame, protocol.Queue) and len(frame.entries) == 200
    assert fails(protocol.Queue, entries=[*entries, {"id": "x", "waited_s": 0}]).field == "entries"


def test_a_queue_entry_that_is_not_a_map_is_named_by_its_index() -> None:
    exc = fails(protocol.Queue, entries=[{"id": "a", "waited_s": 0}, "b"])
    assert exc.field == "entries[1]"


def test_unknown_keys_in_a_queue_entry_are_ignored() -> None:
    frame = accepts(protocol.Queue, entries=[{"id": "a", "waited_s": 0, "urgent": True}])
    assert isinstance(frame, protocol.Queue)
    assert frame.entries == (protocol.QueueEntry(id="a", waited_s=0),)


# --- directions and types -----------------------------------------------------

CLIENT_ONLY = sorted(set(CLIENT_FRAMES) - set(SERVER_FRAMES))
SERVER_ONLY = sorted(set(SERVER_FRAMES) - set(CLIENT_FRAMES))


def test_both_directions_have_types_of_their_own() -> None:
    assert CLIENT_ONLY and SERVER_ONLY


@pytest.mark.parametrize("kind", CLIENT_ONLY)
def test_a_client_only_type_is_unknown_coming_from_the_server(kind: str) -> None:
    data = encode(SAMPLES[CLIENT_FRAMES[kind]])
    with pytest.raises(UnknownType) as info:
        decode(data, direction="server")
    assert (info.value.code, info.value.field, info.value.ref) == (
        ErrorCode.UNKNOWN_TYPE,
        "type",
        None,
    )


@pytest.mark.parametrize("kind", SERVER_ONLY)
def test_a_server_only_type_is_unknown_coming_from_a_client(kind: str) -> None:
    data = encode(SAMPLES[SERVER_FRAMES[kind]])
    with pytest.raises(UnknownType) as info:
        decode(data, direction="client")
    assert info.value.field == "type"


def test_typing_decodes_to_the_frame_of_its_direction() -> None:
    data = encode(protocol.Typing(session=SESSION))
    assert decode(data, direction="client") == protocol.Typing(session=SESSION)
    assert decode(data, direction="server") == protocol.PeerTyping(session=SESSION)


def test_an_unknown_type_lists_the_types_this_side_accepts() -> None:
    with pytest.raises(UnknownType) as info:
        from_dict({"type": "shout"}, direction="client")
    assert info.value.message == (
        "unknown frame type 'shout'; expected one of: " + ", ".join(sorted(CLIENT_FRAMES))
    )


@pytest.mark.parametrize("kind", [None, 1, True, b"ready", ["ready"], {"t": 1}])
def test_a_type_that_is_not_a_string_is_a_bad_frame(kind: Any) -> None:
    with pytest.raises(BadFrame) as info:
        from_dict({"type": kind}, direction="client")
    assert (info.value.code, info.value.field) == (ErrorCode.BAD_FRAME, "type")


def test_a_map_without_type_is_a_bad_frame() -> None:
    with pytest.raises(BadFrame) as info:
        decode(msgpack.packb({"session": SESSION}), direction="client")
    assert info.value.field == "type"


@pytest.mark.parametrize(
    "value", ["hello", 1, None, ["type", "hello"], b"\x81\xa4type\xa5ready"], ids=describe
)
def test_a_msgpack_value_that_is_not_a_map_is_a_bad_frame(value: Any) -> None:
    with pytest.raises(BadFrame) as info:
        decode(msgpack.packb(value, use_bin_type=True), direction="client")
    assert info.value.message == "expected a msgpack map, got another msgpack value"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xc1",
        b"\x81\xa4type",
        encode(protocol.Ready()) + b"\xc0",
        b"\x81\xa4type\xa2\xff\xfe",
        b"\x82\x01\xa1x\xa4type\xa5ready",
        b"\x81\x80\xa5ready",
        b"\x81\xa4type\xd5\xff\x00\x00",
        b"\x91" * 5000 + b"\xc0",
    ],
    ids=[
        "empty",
        "reserved_byte",
        "truncated",
        "trailing_bytes",
        "invalid_utf8",
        "integer_key",
        "map_key",
        "bad_timestamp",
        "deep_nesting",
    ],
)
def test_bytes_that_are_not_one_msgpack_map_are_a_bad_frame(data: bytes) -> None:
    with pytest.raises(BadFrame) as info:
        decode(data, direction="client")
    assert (info.value.field, info.value.ref) == (None, None)
    assert info.value.message == "expected one msgpack map, could not decode the bytes"


def test_decode_chains_the_msgpack_error_it_hides() -> None:
    with pytest.raises(BadFrame) as info:
        decode(b"\xc1", direction="client")
    assert isinstance(info.value.__cause__, ValueError)


# --- forward compatibility ----------------------------------------------------


@pytest.mark.parametrize("cls", list(SAMPLES), ids=sample_ids)
def test_unknown_extra_keys_are_ignored(cls: type[Frame]) -> None:
    raw = raw_of(cls)
    raw.update({"x_future": [1, {"nested": None}], "priority": 3, "ext": b"\x00"})
    data = msgpack.packb(raw, use_bin_type=True)
    assert decode(data, direction=direction_of(cls)) == SAMPLES[cls]


def test_keys_may_come_in_any_order() -> None:
    raw = dict(reversed(list(raw_of(protocol.Send).items())))
    assert next(iter(raw)) != "type"
    assert accepts(protocol.Send) == from_dict(raw, direction="client")


# --- errors never echo what a person wrote ------------------------------------

PRIVATE_CASES: dict[str, Callable[[], ProtocolError]] = {
    "text_too_long": lambda: fails(protocol.Send, text=SECRET * 200),
    "text_over_a_small_limit": lambda: fails_within(
        Limits(max_text_chars=len(SECRET) - 1), protocol.Send, text=SECRET
    ),
    "intro_too_long": lambda: fails(protocol.Request, intro=SECRET * 40),
    "message_text_too_long": lambda: fails(protocol.Message, text=SECRET * 200),
    "text_in_an_id": lambda: fails(protocol.Send, id=SECRET * 2),
    "text_with_a_control_character_in_an_id": lambda: fails(protocol.Send, id=SECRET + "\n"),
    "text_as_a_label": lambda: fails(protocol.Matched, peer=SECRET * 3),
    "text_as_a_topic": lambda: fails(protocol.Request, topics=[SECRET]),
    "text_as_a_choice": lambda: fails(protocol.Report, reason=SECRET),
    "text_as_an_integer": lambda: fails(protocol.Feedback, score=SECRET),
    "text_as_a_boolean": lambda: fails(protocol.Welcome, resumed=SECRET),
    "text_as_a_last_seq_key": lambda: fails(protocol.Hello, last_seq={SECRET + "\x00": 1}),
    "text_as_a_last_seq_count": lambda: fails(protocol.Hello, last_seq={"s": SECRET}),
    "text_as_topics": lambda: fails(protocol.Request, topics=SECRET),
    "text_as_entries": lambda: fails(protocol.Queue, entries=SECRET),
    "text_as_an_entry": lambda: fails(protocol.Queue, entries=[SECRET]),
    "text_as_the_type": lambda: fails(protocol.Send, type=SECRET),
    "text_in_a_frame_too_large": lambda: fails(protocol.Send, text=SECRET * 500),
}


@pytest.mark.parametrize("case", list(PRIVATE_CASES), ids=str)
def test_error_messages_never_contain_the_offending_text(case: str) -> None:
    exc = PRIVATE_CASES[case]()
    for shown in (str(exc), repr(exc), exc.message, exc.field or "", exc.ref or ""):
        assert SECRET not in shown
        assert SECRET[:20] not in shown


# --- the exceptions themselves ------------------------------------------------


def test_protocol_error_repr_shows_code_and_message() -> None:
    exc = InvalidField("send.id: expected a string", field="id", ref="send")
    assert repr(exc) == "InvalidField('invalid_field', 'send.id: expected a string')"
    assert str(exc) == "send.id: expected a string"


def test_a_protocol_error_can_carry_another_code() -> None:
    exc = ProtocolError("slow down", code=ErrorCode.RATE_LIMITED)
    assert exc.code is ErrorCode.RATE_LIMITED
    assert ProtocolError("no code given").code is ErrorCode.BAD_FRAME


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (BadFrame, ErrorCode.BAD_FRAME),
        (UnknownType, ErrorCode.UNKNOWN_TYPE),
        (InvalidField, ErrorCode.INVALID_FIELD),
        (TooLarge, ErrorCode.TOO_LARGE),
    ],
)
def test_each_protocol_error_has_its_code(cls: type[ProtocolError], code: ErrorCode) -> None:
    exc = cls("x")
    assert exc.code is code
    assert isinstance(exc, ProtocolError)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "nil"),
        (True, "a boolean"),
        (3, "an integer"),
        (1.5, "a float"),
        ("héllo", "a string of 5 characters"),
        (b"\x00", "binary data"),
        (bytearray(b"\x00"), "binary data"),
        ([1, 2], "an array of 2 items"),
        ((1,), "an array of 1 items"),
        ({"a": 1}, "a map"),
        (msgpack.ExtType(5, b""), "an extension value"),
    ],
)
def test_describe_names_the_wire_type_never_the_value(value: Any, shown: str) -> None:
    assert describe(value) == shown


@pytest.mark.parametrize(
    ("cls", "name"), [(protocol.Request, "topics"), (protocol.Queue, "entries")]
)
def test_an_extension_value_is_not_an_array(cls: type[Frame], name: str) -> None:
    exc = fails(cls, **{name: msgpack.ExtType(5, b"ab")})
    assert exc.field == name
    assert exc.message.endswith("got an extension value")


def test_a_msgpack_timestamp_is_an_extension_value_not_an_integer() -> None:
    exc = fails(protocol.Message, ts=msgpack.Timestamp(1, 0))
    assert exc.field == "ts"
    assert exc.message.endswith("got an extension value")


def test_a_text_message_passed_on_as_a_string_is_a_bad_frame() -> None:
    with pytest.raises(BadFrame) as info:
        decode("\x81\xa4type\xa5ready", direction="client")  # type: ignore[arg-type]
    assert isinstance(info.value.__cause__, TypeError)
