"""The browser's msgpack codec and frame layer against protocol/vectors.json and Python.

The modules are imported in a real page of a running server (under its CSP),
so what is tested is what the widget and the console run.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import msgpack
import pytest
from playwright.async_api import Page

import protocol
from chatserver.server import ChatServer
from tests.browser.conftest import OpenPage

pytestmark = pytest.mark.browser

VECTORS: dict[str, Any] = json.loads(
    (resources.files("protocol") / "vectors.json").read_text(encoding="utf-8")
)


async def codec_page(open_page: OpenPage, server: ChatServer) -> Page:
    page = await open_page(f"http://127.0.0.1:{server.port}/", name="codec")
    await page.evaluate(
        """async () => {
            window.codec = await import("/static/msgpack.js");
            window.frames = await import("/static/protocol.js");
            window.fromHex = (hex) =>
                new Uint8Array(hex.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
            window.toHex = (bytes) =>
                Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
        }"""
    )
    return page


async def test_every_valid_and_lenient_vector_decodes_to_its_frame(
    open_page: OpenPage, server: ChatServer
) -> None:
    page = await codec_page(open_page, server)
    vectors = VECTORS["valid"] + VECTORS["lenient"]
    decoded = await page.evaluate(
        "(vectors) => vectors.map((v) => frames.decodeFrame(fromHex(v.hex), v.direction))",
        vectors,
    )
    for vector, frame in zip(vectors, decoded, strict=True):
        assert frame == vector["frame"], vector["name"]


async def test_every_valid_frame_encodes_byte_exact_and_python_decodes_it(
    open_page: OpenPage, server: ChatServer
) -> None:
    page = await codec_page(open_page, server)
    encoded = await page.evaluate(
        "(vectors) => vectors.map((v) => toHex(frames.encodeFrame(v.frame)))", VECTORS["valid"]
    )
    for vector, hex_bytes in zip(VECTORS["valid"], encoded, strict=True):
        frame = protocol.decode(bytes.fromhex(hex_bytes), direction=vector["direction"])
        assert protocol.to_dict(frame) == vector["frame"], vector["name"]
        assert hex_bytes == vector["hex"], vector["name"]


async def test_every_invalid_vector_fails_with_its_code_and_field(
    open_page: OpenPage, server: ChatServer
) -> None:
    page = await codec_page(open_page, server)
    failures = await page.evaluate(
        """(vectors) => vectors.map((v) => {
            try {
                frames.decodeFrame(fromHex(v.hex), v.direction);
                return null;
            } catch (err) {
                return { name: err.name, code: err.code, field: err.field };
            }
        })""",
        VECTORS["invalid"],
    )
    for vector, failure in zip(VECTORS["invalid"], failures, strict=True):
        assert failure is not None, f"{vector['name']} decoded"
        assert failure["name"] == "ProtocolError", vector["name"]
        assert failure["code"] == vector["code"], vector["name"]
        if vector["field"] is not None:
            assert failure["field"] == vector["field"], vector["name"]


EDGE_VALUES: list[Any] = [
    None, True, False,
    0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**53,
    -1, -32, -33, -128, -129, -32768, -32769, -(2**31), -(2**31) - 1, -(2**53),
    "", "a" * 31, "a" * 32, "b" * 255, "c" * 256, "d" * 65535, "e" * 65536,
    "é ü 中文 😀 \u0000 \U0010ffff",
    [], list(range(15)), list(range(16)), list(range(65536)),
    {}, {f"k{i}": i for i in range(15)}, {f"k{i}": i for i in range(16)},
    {f"k{i}": i for i in range(65536)},
    {"nested": [{"a": [1, {"b": None}]}, [[]], {"": ""}]},
]  # fmt: skip


async def test_msgpack_encodes_like_python_msgpack(open_page: OpenPage, server: ChatServer) -> None:
    page = await codec_page(open_page, server)
    encoded = await page.evaluate(
        "(values) => values.map((v) => toHex(codec.encode(v)))", EDGE_VALUES
    )
    for value, hex_bytes in zip(EDGE_VALUES, encoded, strict=True):
        data = bytes.fromhex(hex_bytes)
        assert msgpack.unpackb(data, raw=False, strict_map_key=True) == value, repr(value)[:60]
        assert data == msgpack.packb(value, use_bin_type=True), f"not shortest: {repr(value)[:60]}"


def _wide(value: Any) -> bytes:
    """Encodings an encoder would not choose but a decoder must read."""
    if isinstance(value, int):
        return (
            b"\xcf" + value.to_bytes(8, "big")
            if value >= 0
            else b"\xd3" + value.to_bytes(8, "big", signed=True)
        )
    if isinstance(value, str):
        raw = value.encode()
        return b"\xdb" + len(raw).to_bytes(4, "big") + raw
    raise AssertionError(value)


async def test_msgpack_decodes_wide_forms_floats_and_bin(
    open_page: OpenPage, server: ChatServer
) -> None:
    page = await codec_page(open_page, server)
    cases: list[tuple[bytes, Any]] = [
        (_wide(5), 5),
        (_wide(-5), -5),
        (_wide(2**53), 2**53),
        (_wide(-(2**53)), -(2**53)),
        (_wide(-(2**53) + 1), -(2**53) + 1),
        (_wide("hi"), "hi"),
        (b"\xd9\x02hi", "hi"),
        (b"\xda\x00\x02hi", "hi"),
        (b"\xde\x00\x01\xa1a\x01", {"a": 1}),
        (b"\xdf\x00\x00\x00\x01\xa1a\x01", {"a": 1}),
        (b"\xdc\x00\x01\x01", [1]),
        (b"\xdd\x00\x00\x00\x01\x01", [1]),
        (msgpack.packb(1.5), 1.5),
        (msgpack.packb(-0.25, use_single_float=True), -0.25),
        (msgpack.packb(1e300), 1e300),
    ]
    decoded = await page.evaluate(
        "(cases) => cases.map((hex) => codec.decode(fromHex(hex)))", [c.hex() for c, _ in cases]
    )
    assert decoded == [expected for _, expected in cases]
    binary = await page.evaluate(
        "(hex) => Array.from(codec.decode(fromHex(hex)))",
        msgpack.packb(b"\x00\x01\xff", use_bin_type=True).hex(),
    )
    assert binary == [0, 1, 255]
    # a bin key is skipped, as the reference decoder ignores it (PROTOCOL.md, "Encoding rules")
    skipped = await page.evaluate(
        "(hex) => codec.decode(fromHex(hex))",
        msgpack.packb({b"k": 1, "type": "ready"}, use_bin_type=True).hex(),
    )
    assert skipped == {"type": "ready"}


async def test_msgpack_rejects_what_the_protocol_rejects(
    open_page: OpenPage, server: ChatServer
) -> None:
    page = await codec_page(open_page, server)
    bad = {
        "trailing bytes": "01c0",
        "never used": "c1",
        "truncated string": "a5616263",
        "truncated array": "dc0010",
        "invalid utf-8": "a2c328",
        "integer key": "810101",
        "ext": "d40101",
        "over 2^53": "cf0020000000000001",
        "signed over 2^53": "d30020000000000001",
        "under -2^53": "d3ffdfffffffffffff",
        "empty": "",
        "absurd length": "dbffffffff",
    }
    errors = await page.evaluate(
        """(cases) => Object.fromEntries(Object.entries(cases).map(([name, hex]) => {
            try { codec.decode(fromHex(hex)); return [name, null]; }
            catch (err) { return [name, err.name]; }
        }))""",
        bad,
    )
    assert errors == {name: "MsgpackError" for name in bad}
