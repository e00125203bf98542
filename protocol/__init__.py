"""Wire protocol v1 of chatserver: frames, codec, validation and error codes.

Pure: no sockets, no asyncio, nothing of the server. The specification a
client can be written from is ``PROTOCOL.md`` beside this file; the test
vectors in ``vectors.json`` pin the bytes.
"""

from .codec import DEFAULT_LIMITS, decode, encode, from_dict, to_dict
from .errors import (
    BadFrame,
    CloseCode,
    ErrorCode,
    InvalidField,
    ProtocolError,
    TooLarge,
    UnknownType,
)
from .fields import Limits
from .frames import *  # noqa: F403
from .frames import __all__ as _frames_all

__all__ = [
    "DEFAULT_LIMITS",
    "BadFrame",
    "CloseCode",
    "ErrorCode",
    "InvalidField",
    "Limits",
    "ProtocolError",
    "TooLarge",
    "UnknownType",
    "decode",
    "encode",
    "from_dict",
    "to_dict",
    *_frames_all,
]
