"""``vectors.json`` is current, and every vector holds against the codec.

A frame changed without running ``python -m protocol.make_vectors`` fails
``test_vectors_json_is_what_make_vectors_generates_now``; the others check
each vector the way another implementation would use it (PROTOCOL.md,
"Test vectors").
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import protocol
from protocol import (
    CLIENT_FRAMES,
    SERVER_FRAMES,
    Frame,
    ProtocolError,
    decode,
    encode,
    from_dict,
    make_vectors,
)
from protocol.codec import Direction

ROOT = Path(protocol.__file__).resolve().parent.parent
VECTORS_FILE = Path(protocol.__file__).resolve().with_name("vectors.json")
VECTORS: dict[str, Any] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
VALID: list[dict[str, Any]] = VECTORS["valid"]
LENIENT: list[dict[str, Any]] = VECTORS["lenient"]
INVALID: list[dict[str, Any]] = VECTORS["invalid"]


def name_of(vector: dict[str, Any]) -> str:
    return str(vector["name"])


def decoded(vector: dict[str, Any]) -> Frame:
    return decode(bytes.fromhex(vector["hex"]), direction=vector["direction"])


# --- the file is current ------------------------------------------------------


def test_vectors_json_is_what_make_vectors_generates_now() -> None:
    fresh = make_vectors.render(make_vectors.build_vectors())
    assert VECTORS_FILE.read_text(encoding="utf-8") == fresh, (
        "protocol/vectors.json is stale: run python -m protocol.make_vectors"
    )


def test_the_file_is_sorted_json_with_a_trailing_newline() -> None:
    text = VECTORS_FILE.read_text(encoding="utf-8")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text == json.dumps(VECTORS, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_the_file_states_the_version_and_limits_it_assumes() -> None:
    assert VECTORS["protocol_version"] == protocol.PROTOCOL_VERSION
    assert VECTORS["limits"] == dataclasses.asdict(protocol.DEFAULT_LIMITS)


def test_vector_names_are_unique() -> None:
    names = [v["name"] for v in VALID + LENIENT + INVALID]
    assert len(names) == len(set(names))


# --- valid vectors ------------------------------------------------------------


@pytest.mark.parametrize("vector", VALID, ids=name_of)
def test_every_valid_vector_decodes_to_its_frame(vector: dict[str, Any]) -> None:
    assert protocol.to_dict(decoded(vector)) == vector["frame"]


@pytest.mark.parametrize("vector", VALID, ids=name_of)
def test_every_valid_vector_frame_encodes_to_its_bytes(vector: dict[str, Any]) -> None:
    frame = from_dict(vector["frame"], direction=vector["direction"])
    assert encode(frame).hex() == vector["hex"]


@pytest.mark.parametrize("vector", VALID + LENIENT, ids=name_of)
def test_every_vector_names_its_direction_and_type(vector: dict[str, Any]) -> None:
    direction, kind, _ = vector["name"].split("/")
    assert vector["direction"] == direction
    assert vector["frame"]["type"] == kind


def classes_with_vectors(direction: Direction) -> dict[type[Frame], list[Frame]]:
    found: dict[type[Frame], list[Frame]] = {}
    for vector in VALID:
        if vector["direction"] == direction:
            frame = decoded(vector)
            found.setdefault(type(frame), []).append(frame)
    return found


def optional_values(frame: Frame) -> list[tuple[Any, Any]]:
    return [
        (getattr(frame, f.name), f.default)
        for f in dataclasses.fields(frame)  # type: ignore[arg-type]
        if not f.metadata["required"]
    ]


@pytest.mark.parametrize(
    ("direction", "cls"),
    [("client", cls) for cls in CLIENT_FRAMES.values()]
    + [("server", cls) for cls in SERVER_FRAMES.values()],
    ids=lambda x: x if isinstance(x, str) else x.TYPE,
)
def test_every_frame_type_has_a_required_only_and_an_all_optional_vector(
    direction: Direction, cls: type[Frame]
) -> None:
    frames = classes_with_vectors(direction).get(cls, [])
    assert any(all(v == d for v, d in optional_values(f)) for f in frames), "required only"
    assert any(all(v not in (d, None, ()) for v, d in optional_values(f)) for f in frames), (
        "all optional"
    )


def test_valid_vectors_carry_non_ascii_text_both_ways() -> None:
    for direction in ("client", "server"):
        texts = [
            value
            for v in VALID
            if v["direction"] == direction
            for key, value in v["frame"].items()
            if key in ("text", "intro")
        ]
        assert any(not t.isascii() and any(ord(c) > 0xFFFF for c in t) for t in texts)
        assert any(any(0x7F < ord(c) <= 0xFF for c in t) for t in texts)


# --- lenient vectors ----------------------------------------------------------


@pytest.mark.parametrize("vector", LENIENT, ids=name_of)
def test_every_lenient_vector_decodes_to_its_frame(vector: dict[str, Any]) -> None:
    assert protocol.to_dict(decoded(vector)) == vector["frame"]


@pytest.mark.parametrize("vector", LENIENT, ids=name_of)
def test_every_lenient_vector_is_not_what_an_encoder_writes(vector: dict[str, Any]) -> None:
    assert encode(decoded(vector)).hex() != vector["hex"]


# --- invalid vectors ----------------------------------------------------------


@pytest.mark.parametrize("vector", INVALID, ids=name_of)
def test_every_invalid_vector_fails_with_its_code_and_field(vector: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError) as info:
        decoded(vector)
    assert info.value.code.value == vector["code"]
    assert info.value.field == vector["field"]
    assert info.value.ref == vector["ref"]


@pytest.mark.parametrize(
    "name",
    [
        "not_msgpack",
        "not_a_map",
        "array",
        "missing_type",
        "non_string_type",
        "unknown_type",
        "missing_required_field",
        "wrong_field_type",
        "blank_text",
        "text_too_long",
        "too_many_topics",
        "bad_topic_name",
        "duplicate_topic",
        "boolean_for_integer",
        "score_above_range",
        "trailing_bytes",
        "invalid_utf8",
        "non_string_key",
        "frame_too_large",
        "client_frame_from_server",
        "server_frame_from_client",
    ],
)
def test_invalid_vectors_include_each_kind_of_failure(name: str) -> None:
    assert any(v["name"].endswith(f"/{name}") for v in INVALID)


# --- the generator ------------------------------------------------------------


def test_make_vectors_refuses_a_frame_that_decodes_to_another() -> None:
    listed = protocol.Request(topics=["grief"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="valid vector client/x"):
        make_vectors._valid_entry("client/x", "client", listed)


def test_make_vectors_refuses_a_lenient_vector_an_encoder_would_write() -> None:
    with pytest.raises(ValueError, match="lenient vector client/x"):
        make_vectors._lenient_entry("client/x", "client", encode(protocol.Ready()))


@pytest.mark.parametrize(
    ("data", "code"), [(encode(protocol.Ready()), "bad_frame"), (b"\xc1", "unknown_type")]
)
def test_make_vectors_refuses_an_invalid_vector_whose_error_differs(data: bytes, code: str) -> None:
    case = make_vectors._Invalid("x", "client", data, code)
    with pytest.raises(ValueError, match="invalid vector x: expected"):
        make_vectors._invalid_entry(case)


def test_make_vectors_writes_the_file_and_then_finds_it_up_to_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "vectors.json"
    assert make_vectors.main(["--check", "--output", str(out)]) == 1
    assert make_vectors.main(["--output", str(out)]) == 0
    assert out.read_bytes() == VECTORS_FILE.read_bytes()
    assert make_vectors.main(["--check", "--output", str(out)]) == 0
    out.write_text(out.read_text(encoding="utf-8").replace('"name"', '"nom"'), encoding="utf-8")
    assert make_vectors.main(["--check", "--output", str(out)]) == 1
    printed = capsys.readouterr()
    assert "out of date" in printed.err and "up to date" in printed.out


@pytest.mark.parametrize(
    "command",
    [["-m", "protocol.make_vectors"], [str(ROOT / "protocol" / "make_vectors.py")]],
    ids=["module", "file"],
)
def test_make_vectors_runs_as_a_module_and_as_a_file(command: list[str], tmp_path: Path) -> None:
    out = tmp_path / "vectors.json"
    for args in (["--output", str(out)], ["--check", "--output", str(out)]):
        done = subprocess.run(
            [sys.executable, *command, *args],
            cwd=tmp_path if command[0] != "-m" else ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    assert out.read_bytes() == VECTORS_FILE.read_bytes()
