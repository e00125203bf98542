"""Field checkers: what each field of a frame may hold, with errors that teach.

A frame class declares each field with one of the constructors below
(``ident()``, ``text()``, ``topics()``, ...). Each returns a dataclass field
whose metadata carries a checker; the codec compiles those once per frame
type, so validating a frame is a short loop of plain function calls.

A checker takes the raw decoded value, the dotted field path (for the error)
and the limits in force, and returns the value to store or raises
:class:`~protocol.errors.InvalidField` / :class:`~protocol.errors.TooLarge`.
Errors say what was expected and the *type* of what was got, never the value:
it may be someone's words.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from msgpack import ExtType

from .errors import InvalidField, TooLarge

__all__ = [
    "Checker",
    "FieldSpec",
    "decode_fields",
    "Limits",
    "boolean",
    "choice",
    "describe",
    "ident",
    "integer",
    "label",
    "nested_list",
    "seq_map",
    "words",
    "credential",
    "topic_names",
]

TOPIC_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
MAX_TOPICS = 5
MAX_IDENT = 64
MAX_LABEL = 80
MAX_TOKEN = 4096
MAX_SEQ_MAP = 64


@dataclass(frozen=True, slots=True)
class Limits:
    """Size limits a side enforces while decoding (PROTOCOL.md, "Limits").

    The server takes these from its config; clients may use the defaults.
    """

    max_frame_bytes: int = 16_384
    max_text_chars: int = 4_000
    max_intro_chars: int = 1_000
    max_note_chars: int = 500


Checker = Callable[[Any, str, Limits], Any]


def describe(value: object) -> str:
    """Name the wire type of ``value`` for an error message, never its content."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    if isinstance(value, bytes | bytearray):
        return "binary data"
    if _is_array(value):
        return f"an array of {len(value)} items"
    if isinstance(value, dict):
        return "a map"
    return "an extension value"


def _is_array(value: object) -> TypeGuard[list[Any] | tuple[Any, ...]]:
    """A msgpack array; an extension value is a (named) tuple in Python but never an array."""
    return isinstance(value, list | tuple) and not isinstance(value, ExtType)


def _field(check: Checker, *, optional: bool, default: Any = None) -> Any:
    if optional:
        return dataclasses.field(default=default, metadata={"check": check, "required": False})
    return dataclasses.field(metadata={"check": check, "required": True})


def _has_control(value: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in value)


def _ident_check(max_len: int) -> Checker:
    def check(value: Any, path: str, limits: Limits) -> str:
        if not isinstance(value, str) or not value or len(value) > max_len:
            raise InvalidField(
                f"{path}: expected a non-empty string of at most {max_len} characters, "
                f"got {describe(value)}",
                field=path,
            )
        if _has_control(value):
            raise InvalidField(f"{path}: expected no control characters", field=path)
        return value

    return check


def ident(*, optional: bool = False, max_len: int = MAX_IDENT) -> Any:
    """An opaque id: a session id, a queue entry id, a client's message id."""
    return _field(_ident_check(max_len), optional=optional)


def label(*, optional: bool = False, max_len: int = MAX_LABEL) -> Any:
    """A short display string chosen by the server: a handle, a listener's name."""
    return _field(_ident_check(max_len), optional=optional)


def credential(*, optional: bool = False) -> Any:
    """An opaque credential: a listener JWT or a resume token."""
    return _field(_ident_check(MAX_TOKEN), optional=optional)


def words(*, limit: str = "max_text_chars", optional: bool = False) -> Any:
    """Words a person wrote: non-blank, at most ``limits.<limit>`` characters."""

    def check(value: Any, path: str, limits: Limits) -> str:
        if not isinstance(value, str):
            raise InvalidField(f"{path}: expected a string, got {describe(value)}", field=path)
        most: int = getattr(limits, limit)
        if len(value) > most:
            raise TooLarge(
                f"{path}: expected at most {most} characters, got {len(value)}; "
                "split it into shorter messages",
                field=path,
            )
        if not value.strip():
            raise InvalidField(f"{path}: expected some text, got only blanks", field=path)
        return value

    return _field(check, optional=optional)


def topic_names(*, optional: bool = True) -> Any:
    """Up to five distinct topic names, each ``[a-z0-9][a-z0-9_-]{0,31}``."""

    def check(value: Any, path: str, limits: Limits) -> tuple[str, ...]:
        if not _is_array(value) or len(value) > MAX_TOPICS:
            raise InvalidField(
                f"{path}: expected an array of at most {MAX_TOPICS} topic names, "
                f"got {describe(value)}",
                field=path,
            )
        seen: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not TOPIC_RE.fullmatch(item):
                raise InvalidField(
                    f"{path}[{i}]: expected a topic name of lowercase letters, digits, "
                    f"'_' or '-' (at most 32), got {describe(item)}",
                    field=f"{path}[{i}]",
                )
            if item in seen:
                raise InvalidField(f"{path}[{i}]: topic listed twice", field=f"{path}[{i}]")
            seen.append(item)
        return tuple(seen)

    return _field(check, optional=optional, default=() if optional else None)


def choice(*values: str, optional: bool = False, default: str | None = None) -> Any:
    """One of a fixed set of strings."""
    allowed = frozenset(values)
    shown = ", ".join(repr(v) for v in values)

    def check(value: Any, path: str, limits: Limits) -> str:
        if not isinstance(value, str) or value not in allowed:
            got = repr(value) if isinstance(value, str) and len(value) <= 32 else describe(value)
            raise InvalidField(f"{path}: expected one of {shown}, got {got}", field=path)
        return value

    return _field(check, optional=optional, default=default)


def integer(
    *, low: int = 0, high: int = 2**53, optional: bool = False, default: int | None = None
) -> Any:
    """A whole number in ``[low, high]`` (booleans are not numbers here)."""

    def check(value: Any, path: str, limits: Limits) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidField(
                f"{path}: expected an integer from {low} to {high}, got {describe(value)}",
                field=path,
            )
        return value

    return _field(check, optional=optional, default=default)


def boolean(*, optional: bool = True, default: bool | None = None) -> Any:
    """``true`` or ``false``."""

    def check(value: Any, path: str, limits: Limits) -> bool:
        if not isinstance(value, bool):
            raise InvalidField(f"{path}: expected true or false, got {describe(value)}", field=path)
        return value

    return _field(check, optional=optional, default=default)


def seq_map(*, optional: bool = True) -> Any:
    """A map of session id to the last ``seq`` the client has (for resume)."""
    key_check = _ident_check(MAX_IDENT)

    def check(value: Any, path: str, limits: Limits) -> Mapping[str, int]:
        if not isinstance(value, dict) or len(value) > MAX_SEQ_MAP:
            raise InvalidField(
                f"{path}: expected a map of at most {MAX_SEQ_MAP} session ids to integers, "
                f"got {describe(value)}",
                field=path,
            )
        out: dict[str, int] = {}
        for key, seq in value.items():
            key_check(key, f"{path} key", limits)
            if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
                raise InvalidField(
                    f"{path}.{key}: expected an integer of at least 0, got {describe(seq)}",
                    field=f"{path}.{key}",
                )
            out[key] = seq
        return out

    return _field(check, optional=optional)


def nested_list(item_type: type[Any], *, optional: bool = False, most: int = 200) -> Any:
    """An array of small maps, each decoded as ``item_type`` (a frame-like dataclass)."""

    def check(value: Any, path: str, limits: Limits) -> tuple[Any, ...]:
        if not _is_array(value) or len(value) > most:
            raise InvalidField(
                f"{path}: expected an array of at most {most} maps, got {describe(value)}",
                field=path,
            )
        items = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise InvalidField(
                    f"{path}[{i}]: expected a map, got {describe(item)}", field=f"{path}[{i}]"
                )
            items.append(decode_fields(item_type, item, limits, prefix=f"{path}[{i}]."))
        return tuple(items)

    return _field(check, optional=optional, default=() if optional else None)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a frame, compiled from its dataclass field."""

    name: str
    check: Checker
    required: bool


_SPECS: dict[type[Any], tuple[FieldSpec, ...]] = {}


def specs_of(cls: type[Any]) -> tuple[FieldSpec, ...]:
    """The compiled field specs of a frame-like dataclass (cached per class)."""
    found = _SPECS.get(cls)
    if found is None:
        found = tuple(
            FieldSpec(f.name, f.metadata["check"], f.metadata["required"])
            for f in dataclasses.fields(cls)
        )
        _SPECS[cls] = found
    return found


def decode_fields(
    cls: type[Any], raw: Mapping[Any, Any], limits: Limits, *, prefix: str = ""
) -> Any:
    """Check every declared field of ``raw`` and build ``cls`` from them.

    Keys that ``cls`` does not declare are ignored, so that a newer peer may
    add fields without breaking an older one (PROTOCOL.md, "Compatibility").
    """
    values: dict[str, Any] = {}
    for spec in specs_of(cls):
        value = raw.get(spec.name)
        if value is None:
            if spec.required:
                raise InvalidField(
                    f"{prefix}{spec.name}: required field is missing", field=prefix + spec.name
                )
            continue
        values[spec.name] = spec.check(value, prefix + spec.name, limits)
    return cls(**values)
