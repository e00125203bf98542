"""Error codes, close codes and the protocol's exceptions.

Every code a client can see is catalogued here once; ``PROTOCOL.md`` lists the
same set (a test keeps the two in step). Exceptions carry the code, the field
that was wrong and the frame type it was found in, so the server can answer
with an ``error`` frame without re-deriving anything::

    ProtocolError            a frame the peer sent is unusable (code, field, ref)
    ├── BadFrame             not msgpack, not a map, no ``type``, text opcode
    ├── UnknownType          ``type`` names no frame this side accepts
    ├── InvalidField         a field is missing or has the wrong type/shape
    └── TooLarge             a frame or a text over the configured limit

Messages follow one rule: say what was expected and what was got, never echo
the peer's text back (it may be what a person in distress wrote).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = [
    "BadFrame",
    "CloseCode",
    "ErrorCode",
    "InvalidField",
    "ProtocolError",
    "TooLarge",
    "UnknownType",
]


class ErrorCode(StrEnum):
    """The stable ``code`` of an ``error`` frame (PROTOCOL.md, "Errors")."""

    BAD_FRAME = "bad_frame"
    """The bytes are not one msgpack map with a string ``type``, or came as text."""
    UNKNOWN_TYPE = "unknown_type"
    """``type`` is not a frame a client may send."""
    INVALID_FIELD = "invalid_field"
    """A field is missing, of the wrong type, or out of range; ``message`` names it."""
    HELLO_REQUIRED = "hello_required"
    """Any frame but ``hello`` before the ``welcome`` (a second ``hello`` is a ``conflict``)."""
    UNAUTHORIZED = "unauthorized"
    """A listener token is missing, badly signed, or expired; a resume token is unknown."""
    FORBIDDEN = "forbidden"
    """The frame is not allowed for this role (a seeker sending ``take``)."""
    NOT_IN_SESSION = "not_in_session"
    """The session does not exist, has ended, or is not yours."""
    TOO_LARGE = "too_large"
    """A frame or a text is over the server's limit."""
    RATE_LIMITED = "rate_limited"
    """Too many frames too fast; wait and try again."""
    QUEUE_EMPTY = "queue_empty"
    """``take`` found nobody waiting that this listener can help."""
    CONFLICT = "conflict"
    """The request clashes with the current state (already waiting, already taken)."""
    AT_CAPACITY = "at_capacity"
    """A listener already holds as many conversations as allowed."""
    UNAVAILABLE = "unavailable"
    """The server cannot serve right now (its shared store is unreachable); retry."""
    RESUME_EXPIRED = "resume_expired"
    """The resume token is valid but the grace window has passed; start afresh."""
    BLOCKED = "blocked"
    """This seeker was barred for a while after ending a conversation abusively."""
    QUEUE_FULL = "queue_full"
    """Too many people are waiting right now; resources follow; try again later."""
    INTERNAL = "internal"
    """Our fault: the server hit a bug; it was logged and the connection carries on."""


class CloseCode(IntEnum):
    """WebSocket close codes the server uses (RFC 6455 section 7.4)."""

    NORMAL = 1000
    """The connection is done (the answer to a client's own close)."""
    GOING_AWAY = 1001
    """The node is shutting down (after ``ended``) or draining; reconnect."""
    POLICY_VIOLATION = 1008
    """Failed authentication, no ``hello`` in time, or repeated violations: do not retry."""
    MESSAGE_TOO_BIG = 1009
    """A frame over the size limit."""
    SERVICE_RESTART = 1012
    """The node is draining for a restart (after ``reconnect``): resume elsewhere."""
    TRY_AGAIN_LATER = 1013
    """The client fell too far behind reading (or no store at hello); reconnect and resume."""
    REPLACED = 4001
    """Another connection took over this identity (resume or the same listener)."""


class ProtocolError(Exception):
    """A frame from the peer cannot be accepted.

    Attributes:
        code: the wire error code.
        message: a sentence for a person: what was expected, what was got.
        field: the dotted path of the offending field, when one is to blame.
        ref: the frame ``type`` it was found in, when known.
    """

    code: ErrorCode = ErrorCode.BAD_FRAME

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        ref: str | None = None,
        code: ErrorCode | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.ref = ref
        if code is not None:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value!r}, {self.message!r})"


class BadFrame(ProtocolError):
    """The bytes are not a frame at all."""

    code = ErrorCode.BAD_FRAME


class UnknownType(ProtocolError):
    """The frame's ``type`` is not one this side accepts."""

    code = ErrorCode.UNKNOWN_TYPE


class InvalidField(ProtocolError):
    """A field is missing or malformed; ``field`` names it."""

    code = ErrorCode.INVALID_FIELD


class TooLarge(ProtocolError):
    """A frame or a text is over its limit."""

    code = ErrorCode.TOO_LARGE
