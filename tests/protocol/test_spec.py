"""PROTOCOL.md and the code agree: codes, frames, fields, roles and limits.

The spec is read as markdown: ``## Errors`` and ``## Close codes`` hold one
table row per code; ``## Frames`` has a ``### Client → server`` and a
``### Server → client`` part with a ``#### `type` `` section per frame, whose
table has one row per field (name, type, required, constraints) and, for
client frames, a ``Sent by:`` line.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import protocol
from protocol import (
    CLIENT_FRAMES,
    DEFAULT_LIMITS,
    END_REASONS,
    PROTOCOL_VERSION,
    REPORT_REASONS,
    SERVER_FRAMES,
    CloseCode,
    ErrorCode,
    Frame,
)
from protocol.fields import MAX_IDENT, MAX_LABEL, MAX_SEQ_MAP, MAX_TOKEN, MAX_TOPICS

SPEC = Path(protocol.__file__).with_name("PROTOCOL.md").read_text(encoding="utf-8")

NESTED: dict[type[Frame], tuple[str, type]] = {
    protocol.Queue: ("entries", protocol.QueueEntry),
    protocol.Resources: ("items", protocol.ResourceItem),
    protocol.Overview: ("sessions", protocol.SessionInfo),
}
"""Frames with arrays of maps: their item fields are rows named ``<field>[].<name>``."""


def section(text: str, heading: str) -> str:
    """The text under ``heading`` (a whole heading line) up to the next heading as high."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = text.splitlines()
    try:
        start = lines.index(heading)
    except ValueError:
        pytest.fail(f"PROTOCOL.md has no heading {heading!r}")
    body: list[str] = []
    for line in lines[start + 1 :]:
        match = re.match(r"(#+) ", line)
        if match and len(match.group(1)) <= level:
            break
        body.append(line)
    return "\n".join(body)


def table_rows(text: str) -> dict[str, list[str]]:
    """Rows of the markdown tables in ``text`` whose first cell is code: name -> other cells."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        match = re.match(r"\| `([^`]+)` \|(.*)\|\s*$", line)
        if match:
            name = match.group(1)
            assert name not in rows, f"{name} listed twice"
            rows[name] = [cell.strip() for cell in match.group(2).split("|")]
    return rows


def headings(text: str, level: int) -> list[str]:
    return re.findall(rf"^{'#' * level} `([a-z_]+)`$", text, flags=re.MULTILINE)


FRAMES = section(SPEC, "## Frames")
CLIENT_PART = section(FRAMES, "### Client → server")
SERVER_PART = section(FRAMES, "### Server → client")

CASES = [("client", t, cls) for t, cls in CLIENT_FRAMES.items()] + [
    ("server", t, cls) for t, cls in SERVER_FRAMES.items()
]


def frame_section(direction: str, kind: str) -> str:
    part = CLIENT_PART if direction == "client" else SERVER_PART
    return section(part, f"#### `{kind}`")


def case_id(case: tuple[str, str, type[Frame]]) -> str:
    return f"{case[0]}-{case[1]}"


# --- codes --------------------------------------------------------------------


def test_the_errors_table_lists_every_error_code_and_no_other() -> None:
    rows = table_rows(section(SPEC, "## Errors"))
    assert set(rows) == {code.value for code in ErrorCode}


@pytest.mark.parametrize("code", list(ErrorCode), ids=str)
def test_every_error_code_has_a_meaning_and_advice(code: ErrorCode) -> None:
    meaning, advice = table_rows(section(SPEC, "## Errors"))[code.value]
    assert len(meaning) > 20 and len(advice) > 10


def test_the_close_codes_table_lists_every_close_code_and_no_other() -> None:
    rows = table_rows(section(SPEC, "## Close codes"))
    assert set(rows) == {str(code.value) for code in CloseCode}


@pytest.mark.parametrize("code", list(CloseCode), ids=lambda c: c.name)
def test_every_close_code_is_named_and_says_whether_to_reconnect(code: CloseCode) -> None:
    name, when, reconnect = table_rows(section(SPEC, "## Close codes"))[str(code.value)]
    assert name == code.name.lower().replace("_", " ")
    assert when and reconnect


# --- frames -------------------------------------------------------------------


def test_every_client_frame_type_has_a_section_and_no_other() -> None:
    assert sorted(headings(CLIENT_PART, 4)) == sorted(CLIENT_FRAMES)


def test_every_server_frame_type_has_a_section_and_no_other() -> None:
    assert sorted(headings(SERVER_PART, 4)) == sorted(SERVER_FRAMES)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_field_of_a_frame_is_a_row_of_its_section(case: tuple[str, str, type[Frame]]) -> None:
    direction, kind, cls = case
    rows = table_rows(frame_section(direction, kind))
    expected: dict[str, bool] = {
        f.name: f.metadata["required"]
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
    }
    if cls in NESTED:
        prefix, item = NESTED[cls]
        for f in dataclasses.fields(item):
            expected[f"{prefix}[].{f.name}"] = f.metadata["required"]
    assert set(rows) == set(expected)
    for name, required in expected.items():
        assert rows[name][1] == ("yes" if required else "no"), f"{kind}.{name} required?"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_a_frame_without_fields_says_so(case: tuple[str, str, type[Frame]]) -> None:
    direction, kind, cls = case
    if not dataclasses.fields(cls):  # type: ignore[arg-type]
        assert "No fields." in frame_section(direction, kind)


@pytest.mark.parametrize("kind", sorted(CLIENT_FRAMES))
def test_every_client_frame_says_which_roles_may_send_it(kind: str) -> None:
    cls = CLIENT_FRAMES[kind]
    assert issubclass(cls, protocol.ClientFrame)
    match = re.search(r"^Sent by: ([a-z, ]+)\.$", frame_section("client", kind), re.MULTILINE)
    assert match, f"{kind}: no 'Sent by:' line"
    assert set(match.group(1).split(", ")) == set(cls.ROLES)


def test_the_end_section_lists_every_end_reason() -> None:
    text = frame_section("client", "end")
    for reason in END_REASONS:
        assert f'`"{reason}"`' in text


def test_the_report_section_lists_every_report_reason() -> None:
    text = frame_section("client", "report")
    for reason in REPORT_REASONS:
        assert f'`"{reason}"`' in text


def test_hello_states_the_protocol_version() -> None:
    assert SPEC.startswith(f"# chatserver wire protocol, version {PROTOCOL_VERSION}\n")
    assert f"integer 1..{PROTOCOL_VERSION}" in frame_section("client", "hello")


# --- limits -------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        DEFAULT_LIMITS.max_frame_bytes,
        DEFAULT_LIMITS.max_text_chars,
        DEFAULT_LIMITS.max_intro_chars,
        DEFAULT_LIMITS.max_note_chars,
        MAX_IDENT,
        MAX_LABEL,
        MAX_TOKEN,
        MAX_TOPICS,
        MAX_SEQ_MAP,
    ],
)
def test_the_limits_section_gives_each_default(number: int) -> None:
    assert re.search(rf"\b{number}\b", section(SPEC, "## Limits"))


@pytest.mark.parametrize(
    ("direction", "kind", "name", "limit"),
    [
        ("client", "send", "text", DEFAULT_LIMITS.max_text_chars),
        ("client", "request", "intro", DEFAULT_LIMITS.max_intro_chars),
        ("server", "message", "text", DEFAULT_LIMITS.max_text_chars),
        ("server", "matched", "intro", DEFAULT_LIMITS.max_intro_chars),
        ("server", "error", "message", DEFAULT_LIMITS.max_note_chars),
    ],
)
def test_the_text_fields_give_their_default_limit(
    direction: str, kind: str, name: str, limit: int
) -> None:
    constraints = table_rows(frame_section(direction, kind))[name][2]
    assert constraints.startswith(f"text({limit})")


def test_the_field_types_give_the_string_limits() -> None:
    types = FRAMES.split("### Client → server")[0]
    assert f"1-{MAX_IDENT} characters" in types
    assert f"1-{MAX_LABEL} characters" in types
    assert f"1-{MAX_TOKEN} characters" in types
    assert f"at most {MAX_TOPICS} distinct topic names" in types
