"""Property tests: every frame that its field constraints allow survives the wire unchanged.

Strategies are built per field kind from the constraints in ``protocol/fields.py``
(its length limits, the topic pattern, the integer ranges of each frame), so
they generate the edges too: the longest ids, five topics, 4000-character texts.
"""

from __future__ import annotations

import dataclasses
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import protocol
from protocol import (
    CLIENT_FRAMES,
    DEFAULT_LIMITS,
    END_REASONS,
    PROTOCOL_VERSION,
    REPORT_REASONS,
    SERVER_FRAMES,
    Frame,
    Limits,
    decode,
    encode,
    from_dict,
    to_dict,
)
from protocol.codec import Direction
from protocol.fields import MAX_IDENT, MAX_LABEL, MAX_SEQ_MAP, MAX_TOKEN, MAX_TOPICS, TOPIC_RE

ROOMY = Limits(max_frame_bytes=1 << 22)
"""Default text limits but a frame limit no valid frame reaches: field limits are what
is tested here (a 4000-emoji text with 64-emoji ids can outgrow 16384 bytes)."""

INT_MAX = 2**53

CONTROL = "".join(chr(c) for c in range(32)) + "\x7f"


def ids(most: int) -> st.SearchStrategy[str]:
    """Strings of 1..most characters without control characters (id, label, credential)."""
    return st.text(
        st.characters(codec="utf-8", exclude_characters=CONTROL), min_size=1, max_size=most
    )


def words(most: int) -> st.SearchStrategy[str]:
    """What a person writes: any characters, some not blank, at most ``most``."""
    edge = st.sampled_from(["🙂" * most, "é" * most, " x\n" + "\t" * (most - 3)])
    return st.one_of(
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=most).filter(str.strip),
        edge,
    )


def ints(low: int = 0, high: int = INT_MAX) -> st.SearchStrategy[int]:
    return st.one_of(st.integers(low, high), st.sampled_from([low, high]))


TOPIC = st.from_regex(TOPIC_RE, fullmatch=True)
TOPICS = st.lists(TOPIC, max_size=MAX_TOPICS, unique=True).map(tuple)
IDENT = ids(MAX_IDENT)
LABEL = ids(MAX_LABEL)
CREDENTIAL = st.one_of(
    ids(MAX_TOKEN),
    st.text(string.ascii_letters + string.digits + "-_.", min_size=MAX_TOKEN, max_size=MAX_TOKEN),
)
TEXT = words(DEFAULT_LIMITS.max_text_chars)
INTRO = words(DEFAULT_LIMITS.max_intro_chars)
NOTE = words(DEFAULT_LIMITS.max_note_chars)

FIELDS: dict[type[Any], dict[str, st.SearchStrategy[Any]]] = {
    protocol.Hello: {
        "v": ints(1, PROTOCOL_VERSION),
        "role": st.sampled_from(["seeker", "listener"]),
        "token": CREDENTIAL,
        "resume": CREDENTIAL,
        "last_seq": st.dictionaries(IDENT, ints(), max_size=MAX_SEQ_MAP),
        "lang": st.sampled_from(["en", "en-GB", "de", "pt-BR"]),
        "region": st.sampled_from(["gb", "ie", "us", "default"]),
    },
    protocol.Request: {"topics": TOPICS, "intro": INTRO},
    protocol.Ready: {},
    protocol.Away: {},
    protocol.Take: {"seeker": IDENT},
    protocol.Send: {"session": IDENT, "text": TEXT, "id": IDENT},
    protocol.Typing: {"session": IDENT},
    protocol.End: {
        "session": IDENT,
        "reason": st.sampled_from(END_REASONS),
        "block": st.booleans(),
    },
    protocol.ResourcesRequest: {},
    protocol.Escalate: {"session": IDENT, "note": NOTE},
    protocol.Join: {"session": IDENT},
    protocol.Leave: {"session": IDENT},
    protocol.Transfer: {
        "session": IDENT,
        "to": st.sampled_from(["listener", "supervisor"]),
        "note": NOTE,
    },
    protocol.DebriefRequest: {"session": IDENT},
    protocol.Report: {"session": IDENT, "reason": st.sampled_from(REPORT_REASONS)},
    protocol.Feedback: {"session": IDENT, "score": ints(1, 5)},
    protocol.Welcome: {
        "v": ints(1),
        "role": LABEL,
        "handle": LABEL,
        "resume": CREDENTIAL,
        "resumed": st.booleans(),
    },
    protocol.Queued: {
        "session": IDENT,
        "position": ints(1),
        "waiting": ints(1),
        "eta_s": ints(),
    },
    protocol.QueueEntry: {
        "id": IDENT,
        "topics": TOPICS,
        "waited_s": ints(),
        "priority": st.sampled_from(["normal", "urgent"]),
        "risk": st.booleans(),
    },
    protocol.Queue: {
        "waiting": ints(),
        "entries": st.lists(st.deferred(lambda: built(protocol.QueueEntry)), max_size=8).map(tuple),
    },
    protocol.Matched: {
        "session": IDENT,
        "peer": LABEL,
        "topics": TOPICS,
        "intro": INTRO,
        "risk": st.booleans(),
        "handover": NOTE,
    },
    protocol.Message: {
        "session": IDENT,
        "seq": ints(1),
        "text": TEXT,
        "ts": ints(),
        "sender": LABEL,
    },
    protocol.Sent: {"session": IDENT, "id": IDENT, "seq": ints(1), "ts": ints()},
    protocol.PeerTyping: {"session": IDENT},
    protocol.Ended: {"session": IDENT, "reason": LABEL},
    protocol.Service: {"available": st.booleans()},
    protocol.PeerAway: {"session": IDENT},
    protocol.PeerBack: {"session": IDENT},
    protocol.Reconnect: {"after_ms": ints(0, 600_000)},
    protocol.Error: {"code": LABEL, "message": NOTE, "ref": LABEL},
    protocol.ResourceItem: {"name": LABEL, "phone": LABEL, "sms": LABEL, "url": LABEL,
                            "hours": LABEL},
    protocol.Resources: {
        "reason": LABEL,
        "items": st.lists(st.deferred(lambda: built(protocol.ResourceItem)), max_size=4).map(tuple),
    },
    protocol.RiskFlag: {"session": IDENT},
    protocol.Escalation: {"session": IDENT, "listener": LABEL, "topics": TOPICS,
                          "risk": st.booleans(), "note": NOTE},
    protocol.Reported: {"session": IDENT, "reason": LABEL, "by": LABEL},
    protocol.Debrief: {"listener": LABEL, "session": IDENT},
    protocol.MemberJoined: {"session": IDENT, "name": LABEL, "role": LABEL},
    protocol.MemberLeft: {"session": IDENT, "name": LABEL},
    protocol.Transferred: {"session": IDENT, "peer": LABEL},
    protocol.BreakSuggested: {"worked_s": ints()},
    protocol.SessionInfo: {"id": IDENT, "topics": TOPICS, "listener": LABEL, "started_s": ints(),
                           "risk": st.booleans(), "escalated": st.booleans(),
                           "supervised": st.booleans()},
    protocol.Overview: {
        "waiting": ints(),
        "sessions": st.lists(st.deferred(lambda: built(protocol.SessionInfo)), max_size=4).map(
            tuple
        ),
    },
}  # fmt: skip
"""A strategy for every field of every frame, from the constraint its constructor sets."""

CASES: list[tuple[Direction, type[Frame]]] = [
    *(("client", cls) for cls in CLIENT_FRAMES.values()),
    *(("server", cls) for cls in SERVER_FRAMES.values()),
]


def case_id(case: tuple[Direction, type[Frame]]) -> str:
    return f"{case[0]}-{case[1].TYPE}"


def built(cls: type[Any]) -> st.SearchStrategy[Any]:
    """Instances of ``cls``: required fields always, each optional field set or left unset."""
    strategies = FIELDS[cls]
    kwargs: dict[str, st.SearchStrategy[Any]] = {}
    for f in dataclasses.fields(cls):
        if f.metadata["required"]:
            kwargs[f.name] = strategies[f.name]
        else:
            kwargs[f.name] = st.one_of(st.just(f.default), strategies[f.name])
    return st.builds(cls, **kwargs)


def frames_of(cls: type[Frame]) -> st.SearchStrategy[Frame]:
    return built(cls)


def test_every_field_of_every_frame_has_a_strategy() -> None:
    classes: list[type[Any]] = [
        *(cls for _, cls in CASES),
        protocol.QueueEntry,
        protocol.ResourceItem,
        protocol.SessionInfo,
    ]
    for cls in classes:
        names = {f.name for f in dataclasses.fields(cls)}
        assert set(FIELDS[cls]) == names, cls.__name__


@pytest.mark.parametrize("case", CASES, ids=case_id)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_decode_of_encode_gives_the_same_frame(
    case: tuple[Direction, type[Frame]], data: st.DataObject
) -> None:
    direction, cls = case
    frame = data.draw(frames_of(cls))
    assert decode(encode(frame), direction=direction, limits=ROOMY) == frame


@pytest.mark.parametrize("case", CASES, ids=case_id)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_from_dict_of_to_dict_gives_the_same_frame(
    case: tuple[Direction, type[Frame]], data: st.DataObject
) -> None:
    direction, cls = case
    frame = data.draw(frames_of(cls))
    assert from_dict(to_dict(frame), direction=direction) == frame


@pytest.mark.parametrize("case", CASES, ids=case_id)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_encoding_is_a_function_of_the_frame(
    case: tuple[Direction, type[Frame]], data: st.DataObject
) -> None:
    direction, cls = case
    frame = data.draw(frames_of(cls))
    data_bytes = encode(frame)
    assert encode(decode(data_bytes, direction=direction, limits=ROOMY)) == data_bytes
