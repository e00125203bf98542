"""The server's exceptions, with blame in the type.

::

    ChatServerError
    ├── ConfigError          the operator's config is wrong (names the key)
    ├── ClientError          the client's request cannot be done: becomes an ``error``
    │                        frame with a wire code; ``close`` set = also close with it
    └── BrokerError          the broker failed us
        └── BrokerUnavailable   its store is unreachable: ``error {code: unavailable}``

Anything else escaping a handler is our bug: logged once with its traceback,
answered with ``error {code: internal}``, and the node stays up.
"""

from __future__ import annotations

from protocol import CloseCode, ErrorCode

__all__ = ["BrokerError", "BrokerUnavailable", "ChatServerError", "ClientError", "ConfigError"]


class ChatServerError(Exception):
    """Base of every error the server raises on purpose."""


class ConfigError(ChatServerError):
    """A configuration key is missing, unknown or out of range."""


class ClientError(ChatServerError):
    """A client's frame was well formed but cannot be done now.

    Attributes:
        code: the wire error code.
        message: a sentence for a person, never echoing what they wrote.
        ref: the frame type it answers.
        close: when set, the connection is closed with this code after the error.
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        ref: str | None = None,
        close: CloseCode | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref
        self.close = close


class BrokerError(ChatServerError):
    """The broker could not do what was asked."""


class BrokerUnavailable(BrokerError):
    """The broker's shared store cannot be reached; the node keeps running and retries."""
