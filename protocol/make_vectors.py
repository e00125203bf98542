"""Generate ``vectors.json``: frames with the exact bytes, and bytes that must fail.

Run ``python -m protocol.make_vectors`` (or ``python protocol/make_vectors.py``)
after changing a frame, and check the file in; ``--check`` only says whether
the file is stale (``tests/protocol/test_vectors.py`` fails while it is). The
output is deterministic: sorted keys, two-space indent, a trailing newline.

The file holds three lists (PROTOCOL.md, "Test vectors"):

- ``valid``: every frame with only its required fields and with every
  optional field set; ``hex`` is what :func:`protocol.encode` writes and
  ``frame`` what :func:`protocol.to_dict` gives for it.
- ``lenient``: bytes a decoder must accept although an encoder would not write
  them (unknown keys, nil for an absent field, another key order, wider
  msgpack encodings); ``frame`` is what they decode to.
- ``invalid``: bytes that must fail to decode, with the error ``code``, the
  ``field`` to blame and the ``ref`` (frame type) of the error, or null.

Every expected error below is written out by hand and checked against
:func:`protocol.decode` while generating, so a change in what the decoder
accepts shows up as a failed run, not as a silently different file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if not __package__:  # pragma: no cover - run as a file: python protocol/make_vectors.py
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import msgpack  # noqa: E402

from protocol import (
    DEFAULT_LIMITS,
    PROTOCOL_VERSION,
    Away,
    BreakSuggested,
    Debrief,
    DebriefRequest,
    End,
    Ended,
    Error,
    Escalate,
    Escalation,
    Feedback,
    Frame,
    Hello,
    Join,
    Leave,
    Matched,
    MemberJoined,
    MemberLeft,
    Message,
    Overview,
    PeerAway,
    PeerBack,
    PeerTyping,
    ProtocolError,
    Queue,
    Queued,
    QueueEntry,
    Ready,
    Reconnect,
    Report,
    Reported,
    Request,
    ResourceItem,
    Resources,
    ResourcesRequest,
    RiskFlag,
    Send,
    Sent,
    Service,
    SessionInfo,
    Take,
    Transfer,
    Transferred,
    Typing,
    Welcome,
    decode,
    encode,
    to_dict,
)
from protocol.codec import Direction  # noqa: E402

__all__ = ["VECTORS_PATH", "build_vectors", "main", "render"]

VECTORS_PATH = Path(__file__).resolve().with_name("vectors.json")

SESSION = "Qm3vX9a2LkPzR1sT"
TS = 1_767_225_600_000  # 2026-01-01T00:00:00Z in milliseconds
TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJleGFtcGxlIn0.bm90LWEtcmVhbC1zaWduYXR1cmU"
RESUME = "r8Kq2Zp0VwX4nB7cD1eF5gH9jL3mN6o"

VALID: list[tuple[str, Direction, Frame]] = [
    # client -> server
    ("hello/required", "client", Hello(v=1, role="seeker")),
    (
        "hello/all",
        "client",
        Hello(
            v=1,
            role="listener",
            token=TOKEN,
            resume=RESUME,
            last_seq={SESSION: 7, "s-2": 0},
            lang="en-GB",
            region="gb",
        ),
    ),
    ("request/required", "client", Request()),
    (
        "request/all",
        "client",
        Request(
            topics=("anxiety", "self_harm"),
            intro="Je me sens très seul ce soir 😔 — can we talk?",
        ),
    ),
    ("ready/required", "client", Ready()),
    ("away/required", "client", Away()),
    ("take/required", "client", Take()),
    ("take/all", "client", Take(seeker=SESSION)),
    ("send/required", "client", Send(session=SESSION, text="Hi", id="m-1")),
    (
        "send/non_ascii",
        "client",
        Send(session=SESSION, text="Ça va? Ich fühle mich 🙂 — 谢谢 👋🏽\nZoë", id="m-2"),
    ),
    ("typing/required", "client", Typing(session=SESSION)),
    ("end/required", "client", End(session=SESSION)),
    ("end/all", "client", End(session=SESSION, reason="done", block=True)),
    ("report/required", "client", Report(session=SESSION, reason="harassment")),
    ("feedback/required", "client", Feedback(session=SESSION, score=5)),
    ("resources_request/required", "client", ResourcesRequest()),
    ("escalate/required", "client", Escalate(session=SESSION)),
    ("escalate/all", "client", Escalate(session=SESSION, note="mentions a plan; please join")),
    ("join/required", "client", Join(session=SESSION)),
    ("leave/required", "client", Leave(session=SESSION)),
    ("transfer/required", "client", Transfer(session=SESSION)),
    (
        "transfer/all",
        "client",
        Transfer(session=SESSION, to="supervisor", note="prefers short replies 🙏"),
    ),
    ("debrief_request/required", "client", DebriefRequest()),
    ("debrief_request/all", "client", DebriefRequest(session=SESSION)),
    # server -> client
    (
        "welcome/required",
        "server",
        Welcome(v=1, role="seeker", handle="Quiet Heron", resume=RESUME),
    ),
    (
        "welcome/all",
        "server",
        Welcome(v=1, role="listener", handle="Zoë Ångström", resume=RESUME, resumed=True),
    ),
    ("queued/required", "server", Queued(session=SESSION, position=2, waiting=3)),
    ("queued/all", "server", Queued(session=SESSION, position=2, waiting=3, eta_s=240)),
    ("queue/required", "server", Queue(waiting=0, entries=())),
    (
        "queue/all",
        "server",
        Queue(
            waiting=2,
            entries=(
                QueueEntry(
                    id=SESSION,
                    topics=("grief", "loneliness"),
                    waited_s=42,
                    priority="urgent",
                    risk=True,
                ),
                QueueEntry(id="Zx81kLmN0pQrStUv", waited_s=0),
            ),
        ),
    ),
    ("matched/required", "server", Matched(session=SESSION, peer="Sam")),
    (
        "matched/all",
        "server",
        Matched(
            session=SESSION,
            peer="José",
            topics=("anxiety",),
            intro="Hola, no puedo dormir 🌙 ¿hay alguien?",
            risk=True,
            handover="Talked about exams; be gentle.",
        ),
    ),
    ("message/required", "server", Message(session=SESSION, seq=1, text="Hello", ts=TS)),
    (
        "message/non_ascii",
        "server",
        Message(
            session=SESSION, seq=2, text="Merci beaucoup 💛 ça m'aide — ありがとう", ts=TS + 1500
        ),
    ),
    (
        "message/all",
        "server",
        Message(session=SESSION, seq=3, text="I'm here too.", ts=TS + 3000, sender="Ada"),
    ),
    ("sent/required", "server", Sent(session=SESSION, id="m-1", seq=1, ts=TS)),
    ("typing/required", "server", PeerTyping(session=SESSION)),
    ("ended/required", "server", Ended(session=SESSION, reason="seeker_ended")),
    ("peer_away/required", "server", PeerAway(session=SESSION)),
    ("peer_back/required", "server", PeerBack(session=SESSION)),
    ("reconnect/required", "server", Reconnect(after_ms=750)),
    ("service/unavailable", "server", Service(available=False)),
    ("service/available", "server", Service(available=True)),
    ("resources/required", "server", Resources(reason="requested", items=())),
    (
        "resources/all",
        "server",
        Resources(
            reason="risk",
            items=(
                ResourceItem(
                    name="Samaritans",
                    phone="116 123",
                    sms="85258",
                    url="https://www.samaritans.org",
                    hours="24/7",
                ),
                ResourceItem(name="Emergency services", phone="999"),
            ),
        ),
    ),
    ("risk_flag/required", "server", RiskFlag(session=SESSION)),
    ("escalation/required", "server", Escalation(session=SESSION, listener="Sam")),
    (
        "escalation/all",
        "server",
        Escalation(session=SESSION, listener="Sam", topics=("grief",), risk=True, note="join?"),
    ),
    ("reported/required", "server", Reported(session=SESSION, reason="abuse", by="listener")),
    ("debrief/required", "server", Debrief(listener="Sam")),
    ("debrief/all", "server", Debrief(listener="Sam", session=SESSION)),
    (
        "member_joined/required",
        "server",
        MemberJoined(session=SESSION, name="Ada", role="supervisor"),
    ),
    ("member_left/required", "server", MemberLeft(session=SESSION, name="Ada")),
    ("transferred/required", "server", Transferred(session=SESSION, peer="Robin")),
    ("break_suggested/required", "server", BreakSuggested(worked_s=7200)),
    ("overview/required", "server", Overview(waiting=0, sessions=())),
    (
        "overview/all",
        "server",
        Overview(
            waiting=3,
            sessions=(
                SessionInfo(
                    id=SESSION,
                    topics=("grief",),
                    listener="Sam",
                    started_s=340,
                    risk=True,
                    escalated=True,
                    supervised=True,
                ),
                SessionInfo(id="Zx81kLmN0pQrStUv", listener="Robin", started_s=5),
            ),
        ),
    ),
    (
        "error/required",
        "server",
        Error(code="unknown_type", message="unknown frame type; expected one of: hello"),
    ),
    (
        "error/all",
        "server",
        Error(
            code="too_large",
            message="send.text: expected at most 4000 characters, got 4001; "
            "split it into shorter messages",
            ref="send",
        ),
    ),
]


def _pack(value: Any) -> bytes:
    data: bytes = msgpack.packb(value, use_bin_type=True)
    return data


def _str16(text: str) -> bytes:
    """``text`` as msgpack str 16 (0xda), wider than an encoder would choose."""
    raw = text.encode()
    return b"\xda" + len(raw).to_bytes(2, "big") + raw


LENIENT: list[tuple[str, Direction, bytes]] = [
    ("request/absent_topics", "client", _pack({"type": "request"})),
    (
        "send/unknown_keys",
        "client",
        _pack(
            {
                "type": "send",
                "session": SESSION,
                "text": "Hi",
                "id": "m-1",
                "priority": 3,
                "x_future": {"nested": [1, 2, None]},
            }
        ),
    ),
    ("end/nil_reason", "client", _pack({"type": "end", "session": SESSION, "reason": None})),
    ("hello/type_last", "client", _pack({"role": "seeker", "v": 1, "type": "hello"})),
    (
        "feedback/wide_encodings",
        "client",
        b"\x83"
        + _str16("type")
        + _str16("feedback")
        + _str16("session")
        + _str16(SESSION)
        + _str16("score")
        + b"\xcf"
        + (5).to_bytes(8, "big"),
    ),
    (
        "matched/unknown_keys",
        "server",
        _pack({"type": "matched", "session": SESSION, "peer": "Sam", "mood": "calm"}),
    ),
]


@dataclass(frozen=True, slots=True)
class _Invalid:
    name: str
    direction: Direction
    data: bytes
    code: str
    field: str | None = None
    ref: str | None = None


_SEND = {"type": "send", "session": SESSION, "text": "Hi", "id": "m-1"}


def _send(**fields: Any) -> bytes:
    """A ``send`` map with ``fields`` replaced, packed."""
    return _pack({**_SEND, **fields})


def _without(raw: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k != key}


_FEEDBACK = {"type": "feedback", "session": SESSION}
_BIG = DEFAULT_LIMITS.max_frame_bytes

INVALID: list[_Invalid] = [
    _Invalid("not_msgpack", "client", b"\xc1", "bad_frame"),
    _Invalid("empty", "client", b"", "bad_frame"),
    _Invalid("not_a_map", "client", _pack("hello"), "bad_frame"),
    _Invalid("array", "client", _pack(["type", "hello"]), "bad_frame"),
    _Invalid("missing_type", "client", _pack({"session": SESSION}), "bad_frame", "type"),
    _Invalid("nil_type", "client", _pack({"type": None}), "bad_frame", "type"),
    _Invalid("non_string_type", "client", _pack({"type": 1}), "bad_frame", "type"),
    _Invalid("binary_type", "client", _pack({"type": b"ready"}), "bad_frame", "type"),
    _Invalid("unknown_type", "client", _pack({"type": "shout"}), "unknown_type", "type"),
    _Invalid(
        "server_frame_from_client",
        "client",
        encode(Ended(session=SESSION, reason="idle")),
        "unknown_type",
        "type",
    ),
    _Invalid("client_frame_from_server", "server", _pack(_SEND), "unknown_type", "type"),
    _Invalid(
        "missing_required_field",
        "client",
        _pack(_without(_SEND, "text")),
        "invalid_field",
        "text",
        "send",
    ),
    _Invalid("nil_required_field", "client", _send(text=None), "invalid_field", "text", "send"),
    _Invalid("wrong_field_type", "client", _send(id=5), "invalid_field", "id", "send"),
    _Invalid("binary_text", "client", _send(text=b"Hi"), "invalid_field", "text", "send"),
    _Invalid("empty_id", "client", _send(id=""), "invalid_field", "id", "send"),
    _Invalid("id_too_long", "client", _send(id="m" * 65), "invalid_field", "id", "send"),
    _Invalid(
        "control_char_in_id", "client", _send(session="a\x00b"), "invalid_field", "session", "send"
    ),
    _Invalid("blank_text", "client", _send(text=" \t\n "), "invalid_field", "text", "send"),
    _Invalid(
        "text_too_long",
        "client",
        _send(text="a" * (DEFAULT_LIMITS.max_text_chars + 1)),
        "too_large",
        "text",
        "send",
    ),
    _Invalid(
        "intro_too_long",
        "client",
        _pack({"type": "request", "intro": "é" * (DEFAULT_LIMITS.max_intro_chars + 1)}),
        "too_large",
        "intro",
        "request",
    ),
    _Invalid(
        "frame_too_large",
        "client",
        _send(text="a" * _BIG),
        "too_large",
    ),
    _Invalid(
        "topics_not_an_array",
        "client",
        _pack({"type": "request", "topics": "anxiety"}),
        "invalid_field",
        "topics",
        "request",
    ),
    _Invalid(
        "too_many_topics",
        "client",
        _pack({"type": "request", "topics": ["a", "b", "c", "d", "e", "f"]}),
        "invalid_field",
        "topics",
        "request",
    ),
    _Invalid(
        "bad_topic_name",
        "client",
        _pack({"type": "request", "topics": ["grief", "Anxiety"]}),
        "invalid_field",
        "topics[1]",
        "request",
    ),
    _Invalid(
        "duplicate_topic",
        "client",
        _pack({"type": "request", "topics": ["grief", "grief"]}),
        "invalid_field",
        "topics[1]",
        "request",
    ),
    _Invalid(
        "boolean_for_integer",
        "client",
        _pack({**_FEEDBACK, "score": True}),
        "invalid_field",
        "score",
        "feedback",
    ),
    _Invalid(
        "float_for_integer",
        "client",
        _pack({**_FEEDBACK, "score": 5.0}),
        "invalid_field",
        "score",
        "feedback",
    ),
    _Invalid(
        "score_above_range",
        "client",
        _pack({**_FEEDBACK, "score": 6}),
        "invalid_field",
        "score",
        "feedback",
    ),
    _Invalid(
        "score_below_range",
        "client",
        _pack({**_FEEDBACK, "score": 0}),
        "invalid_field",
        "score",
        "feedback",
    ),
    _Invalid(
        "unsupported_version",
        "client",
        _pack({"type": "hello", "v": PROTOCOL_VERSION + 1, "role": "seeker"}),
        "invalid_field",
        "v",
        "hello",
    ),
    _Invalid(
        "unknown_role",
        "client",
        _pack({"type": "hello", "v": 1, "role": "supervisor"}),
        "invalid_field",
        "role",
        "hello",
    ),
    _Invalid(
        "negative_last_seq",
        "client",
        _pack({"type": "hello", "v": 1, "role": "seeker", "last_seq": {"s-1": -1}}),
        "invalid_field",
        "last_seq.s-1",
        "hello",
    ),
    _Invalid(
        "unknown_end_reason",
        "client",
        _pack({"type": "end", "session": SESSION, "reason": "bored"}),
        "invalid_field",
        "reason",
        "end",
    ),
    _Invalid(
        "trailing_bytes",
        "client",
        _pack({"type": "ready"}) + b"\xc0",
        "bad_frame",
    ),
    _Invalid(
        "invalid_utf8",
        "client",
        b"\x84"
        + b"".join(_pack(s) for s in ("type", "send", "session", SESSION, "id", "m-1", "text"))
        + b"\xa2\xff\xfe",
        "bad_frame",
    ),
    _Invalid("non_string_key", "client", _pack({1: "x", "type": "ready"}), "bad_frame"),
    _Invalid(
        "queue_entry_negative_wait",
        "server",
        _pack({"type": "queue", "waiting": 1, "entries": [{"id": SESSION, "waited_s": -1}]}),
        "invalid_field",
        "entries[0].waited_s",
        "queue",
    ),
    _Invalid(
        "queue_entry_not_a_map",
        "server",
        _pack({"type": "queue", "waiting": 1, "entries": [SESSION]}),
        "invalid_field",
        "entries[0]",
        "queue",
    ),
    _Invalid(
        "message_seq_zero",
        "server",
        _pack({"type": "message", "session": SESSION, "seq": 0, "text": "Hi", "ts": TS}),
        "invalid_field",
        "seq",
        "message",
    ),
    _Invalid(
        "error_message_too_long",
        "server",
        _pack({"type": "error", "code": "internal", "message": "x" * 501}),
        "too_large",
        "message",
        "error",
    ),
]


def _valid_entry(name: str, direction: Direction, frame: Frame) -> dict[str, Any]:
    data = encode(frame)
    decoded = decode(data, direction=direction)
    if decoded != frame:
        raise ValueError(f"valid vector {name}: decoding its bytes gives another frame")
    return {"name": name, "direction": direction, "hex": data.hex(), "frame": to_dict(frame)}


def _lenient_entry(name: str, direction: Direction, data: bytes) -> dict[str, Any]:
    frame = decode(data, direction=direction)
    if encode(frame) == data:
        raise ValueError(f"lenient vector {name}: encode writes these very bytes; make it valid")
    return {"name": name, "direction": direction, "hex": data.hex(), "frame": to_dict(frame)}


def _invalid_entry(case: _Invalid) -> dict[str, Any]:
    got: tuple[str, str | None, str | None] | None = None
    try:
        decode(case.data, direction=case.direction)
    except ProtocolError as exc:
        got = (exc.code.value, exc.field, exc.ref)
    expected = (case.code, case.field, case.ref)
    if got != expected:
        raise ValueError(f"invalid vector {case.name}: expected {expected}, decode gave {got}")
    return {
        "name": f"{case.direction}/{case.name}",
        "direction": case.direction,
        "hex": case.data.hex(),
        "code": case.code,
        "field": case.field,
        "ref": case.ref,
    }


def build_vectors() -> dict[str, Any]:
    """Every vector as JSON-ready data, checked against the codec as it is now.

    Raises:
        ValueError: a hand-written expectation no longer holds (names the vector).
    """
    return {
        "about": (
            "Test vectors for chatserver wire protocol v1; see PROTOCOL.md, 'Test vectors'. "
            "Generated by protocol/make_vectors.py: do not edit by hand."
        ),
        "protocol_version": PROTOCOL_VERSION,
        "limits": {
            "max_frame_bytes": DEFAULT_LIMITS.max_frame_bytes,
            "max_text_chars": DEFAULT_LIMITS.max_text_chars,
            "max_intro_chars": DEFAULT_LIMITS.max_intro_chars,
            "max_note_chars": DEFAULT_LIMITS.max_note_chars,
        },
        "valid": [
            _valid_entry(f"{direction}/{name}", direction, frame)
            for name, direction, frame in VALID
        ],
        "lenient": [
            _lenient_entry(f"{direction}/{name}", direction, data)
            for name, direction, data in LENIENT
        ],
        "invalid": [_invalid_entry(case) for case in INVALID],
    }


def render(vectors: dict[str, Any]) -> str:
    """The file's text: sorted keys, two-space indent, UTF-8 kept readable, newline at the end."""
    return json.dumps(vectors, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write ``vectors.json`` (or, with ``--check``, exit 1 if it is out of date)."""
    parser = argparse.ArgumentParser(
        prog="python -m protocol.make_vectors",
        description="Generate the wire protocol's test vectors (protocol/vectors.json).",
    )
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the file is out of date"
    )
    parser.add_argument(
        "--output", type=Path, default=VECTORS_PATH, help="where to write (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    output: Path = args.output
    text = render(build_vectors())
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current != text:
            print(f"{output}: out of date; run python -m protocol.make_vectors", file=sys.stderr)
            return 1
        print(f"{output}: up to date")
        return 0
    output.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
