"""Byte-level fuzz of ``decode()``: whatever comes in, only a ``ProtocolError`` comes out.

``decode`` is the one door from the network into the server, so random bytes,
damaged copies of the test vectors and well-formed maps full of strange
values must all end as a frame or as ``protocol.ProtocolError``, in both
directions. Anything else (a msgpack exception, ``RecursionError``,
``OverflowError``, ``TypeError`` from a checker) fails these tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import protocol
from protocol import (
    CLIENT_FRAMES,
    DEFAULT_LIMITS,
    SERVER_FRAMES,
    BadFrame,
    Limits,
    ProtocolError,
    TooLarge,
    decode,
    from_dict,
)
from protocol.codec import Direction

VECTORS = json.loads(
    (Path(protocol.__file__).with_name("vectors.json")).read_text(encoding="utf-8")
)
SEEDS: list[bytes] = [bytes.fromhex(v["hex"]) for v in VECTORS["valid"] + VECTORS["lenient"]]
DIRECTIONS: list[Direction] = ["client", "server"]
ROOMY = Limits(max_frame_bytes=1 << 24)

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def decode_both_ways(data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Decode ``data`` as each direction; a result must be a frame, a failure a ProtocolError."""
    for direction in DIRECTIONS:
        try:
            frame = decode(data, direction=direction, limits=limits)
        except ProtocolError as exc:
            assert exc.message
            assert isinstance(exc.code, protocol.ErrorCode)
        else:
            assert isinstance(frame, protocol.Frame)


def test_the_seeds_are_the_vectors() -> None:
    assert len(SEEDS) >= len(CLIENT_FRAMES) + len(SERVER_FRAMES)


# --- random bytes -------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_decode_or_raise_a_protocol_error(data: bytes) -> None:
    decode_both_ways(data)


@FUZZ
@given(st.binary(max_size=256))
def test_random_bytes_after_a_map_header_decode_or_raise_a_protocol_error(data: bytes) -> None:
    for header in (b"\x81", b"\x82\xa4type\xa4send", b"\xde\x00\x03", b"\xdf\x00\x00\x00\x02"):
        decode_both_ways(header + data)


# --- damaged vectors ----------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A vector with a few bit flips, cuts, deletions and insertions of other vectors."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "delete", "insert", "byte"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            i = min(at, len(data) - 1)
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del data[at:]
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(SEEDS))
        else:
            data[at:at] = bytes([draw(st.integers(0, 255))])
    return bytes(data)


@FUZZ
@given(mutated())
def test_damaged_vectors_decode_or_raise_a_protocol_error(data: bytes) -> None:
    decode_both_ways(data)


@pytest.mark.parametrize("seed", range(len(SEEDS)))
def test_every_truncation_of_every_vector_is_a_protocol_error(seed: int) -> None:
    data = SEEDS[seed]
    for cut in range(len(data)):
        for direction in DIRECTIONS:
            with pytest.raises(ProtocolError):
                decode(data[:cut], direction=direction)


@pytest.mark.parametrize("seed", range(len(SEEDS)))
def test_every_single_bit_flip_of_a_vector_decodes_or_raises_a_protocol_error(seed: int) -> None:
    data = SEEDS[seed]
    for i in range(min(len(data), 96)):
        for bit in range(8):
            flipped = bytearray(data)
            flipped[i] ^= 1 << bit
            decode_both_ways(bytes(flipped))


# --- well-formed maps of strange values ---------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.builds(msgpack.ExtType, st.integers(0, 127), st.binary(max_size=8)),
    st.builds(msgpack.Timestamp, st.integers(0, 2**34 - 1), st.integers(0, 999_999_999)),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=30,
)
TYPES = st.sampled_from(sorted({*CLIENT_FRAMES, *SERVER_FRAMES, "shout", ""}))
FIELD_NAMES = sorted(
    {
        name
        for cls in [
            *CLIENT_FRAMES.values(),
            *SERVER_FRAMES.values(),
            protocol.QueueEntry,
            protocol.ResourceItem,
            protocol.SessionInfo,
        ]
        for name in cls.__dataclass_fields__  # type: ignore[attr-defined]
    }
)


@st.composite
def strange_maps(draw: st.DrawFn) -> dict[str, Any]:
    """A map with a real frame type and any of the protocol's field names set to anything."""
    raw: dict[str, Any] = {"type": draw(TYPES)}
    for name in draw(st.lists(st.sampled_from(FIELD_NAMES), max_size=6, unique=True)):
        raw[name] = draw(VALUES)
    if draw(st.booleans()):
        raw["entries"] = draw(st.lists(st.dictionaries(st.sampled_from(FIELD_NAMES), VALUES)))
    return raw


@FUZZ
@given(strange_maps())
def test_maps_of_strange_values_decode_or_raise_a_protocol_error(raw: dict[str, Any]) -> None:
    decode_both_ways(msgpack.packb(raw, use_bin_type=True), ROOMY)
    for direction in DIRECTIONS:
        try:
            from_dict(raw, direction=direction)
        except ProtocolError:
            pass


@FUZZ
@given(VALUES)
def test_any_msgpack_value_decodes_or_raises_a_protocol_error(value: Any) -> None:
    decode_both_ways(msgpack.packb(value, use_bin_type=True), ROOMY)


# --- shapes that have crashed decoders elsewhere ------------------------------


@pytest.mark.parametrize("depth", [100, 1_000, 16_000, 1_000_000])
def test_deeply_nested_arrays_are_a_bad_frame_or_too_large(depth: int) -> None:
    data = b"\x81\xa4type\x91" + b"\x91" * depth + b"\xc0"
    for limits in (DEFAULT_LIMITS, ROOMY):
        with pytest.raises((BadFrame, TooLarge)):
            decode(data, direction="client", limits=limits)


def test_deep_nesting_in_an_unknown_key_is_ignored_or_a_bad_frame() -> None:
    for depth in (10, 500, 5_000):
        data = b"\x82\xa4type\xa5ready\xa1x" + b"\x81\xa1k" * depth + b"\xc0"
        decode_both_ways(data, ROOMY)


@pytest.mark.parametrize(
    "header",
    [b"\xdc\xff\xff", b"\xdd\xff\xff\xff\xff", b"\xde\xff\xff", b"\xdf\xff\xff\xff\xff"]
    + [b"\xdb\xff\xff\xff\xff", b"\xc6\xff\xff\xff\xff", b"\xc9\xff\xff\xff\xff\x05"],
    ids=["array16", "array32", "map16", "map32", "str32", "bin32", "ext32"],
)
def test_lengths_that_claim_more_than_the_frame_holds_are_a_bad_frame(header: bytes) -> None:
    with pytest.raises(BadFrame):
        decode(header + b"\x00" * 16, direction="client")
