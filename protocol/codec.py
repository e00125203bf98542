"""Encode frames to msgpack bytes and decode bytes to checked frames.

``decode`` is the only door from the network into the program, so it never
lets anything out but a :class:`~protocol.errors.ProtocolError`: a fuzz test
holds it to that. It checks the size first (cheapest), then that the bytes
are exactly one msgpack map with a string ``type``, then every field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Literal

import msgpack

from .errors import BadFrame, ProtocolError, TooLarge, UnknownType
from .fields import Limits, decode_fields
from .frames import CLIENT_FRAMES, SERVER_FRAMES, Frame

__all__ = ["DEFAULT_LIMITS", "Direction", "decode", "encode", "from_dict", "to_dict"]

DEFAULT_LIMITS = Limits()

Direction = Literal["client", "server"]
"""Who sent the frame: ``"client"`` frames are decoded by the server."""

_REGISTRIES: dict[Direction, dict[str, type[Frame]]] = {
    "client": CLIENT_FRAMES,
    "server": SERVER_FRAMES,
}


_PLAIN = (str, int, float, bool, bytes)
_NAMES: dict[type[Any], tuple[str, ...]] = {}


def _names(cls: type[Any]) -> tuple[str, ...]:
    """Field names of a frame class, looked up once (encode is on the relay's hot path)."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def _wire(value: Any) -> Any:
    """Turn a field value into plain msgpack data (tuples to lists, nested frames to maps)."""
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, tuple | list):
        return [_wire(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _fields_dict(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _fields_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _names(type(obj)):
        value = getattr(obj, name)
        if value is not None:
            out[name] = _wire(value)
    return out


def to_dict(frame: Frame) -> dict[str, Any]:
    """The wire map of a frame: ``type`` first, optional fields left out when unset."""
    return {"type": frame.TYPE, **_fields_dict(frame)}


def encode(frame: Frame) -> bytes:
    """Encode one frame as the bytes of one binary WebSocket message."""
    packed: bytes = msgpack.packb(to_dict(frame), use_bin_type=True)
    return packed


def from_dict(
    raw: Mapping[Any, Any], *, direction: Direction, limits: Limits = DEFAULT_LIMITS
) -> Frame:
    """Check a decoded map and build its frame (``decode`` without the msgpack step)."""
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise BadFrame("expected a map with a string 'type' key", field="type")
    cls = _REGISTRIES[direction].get(kind)
    if cls is None:
        known = ", ".join(sorted(_REGISTRIES[direction]))
        shown = repr(kind) if len(kind) <= 32 else "a long string"
        raise UnknownType(f"unknown frame type {shown}; expected one of: {known}", field="type")
    try:
        frame: Frame = decode_fields(cls, raw, limits)
    except ProtocolError as exc:
        exc.ref = kind
        raise
    return frame


def decode(data: bytes, *, direction: Direction, limits: Limits = DEFAULT_LIMITS) -> Frame:
    """Decode the bytes of one binary WebSocket message into a checked frame.

    Raises:
        TooLarge: the frame is over ``limits.max_frame_bytes``.
        BadFrame: not exactly one msgpack map with a string ``type``.
        UnknownType: a ``type`` this direction does not define.
        InvalidField: a field is missing or malformed (``field`` names it).
    """
    if len(data) > limits.max_frame_bytes:
        raise TooLarge(
            f"frame of {len(data)} bytes is over the limit of {limits.max_frame_bytes} bytes"
        )
    try:
        raw = msgpack.unpackb(data, raw=False, strict_map_key=True, use_list=True)
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        # ExtraData, FormatError, StackError, UnicodeDecodeError, bad lengths and
        # non-string map keys (strict_map_key) are all ValueErrors; TypeError is for
        # data that is not bytes-like (a text WebSocket message passed on as is).
        raise BadFrame("expected one msgpack map, could not decode the bytes") from exc
    if not isinstance(raw, dict):
        raise BadFrame("expected a msgpack map, got another msgpack value")
    return from_dict(raw, direction=direction, limits=limits)
