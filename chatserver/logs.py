"""Structured logs: JSON lines off a terminal, console on one, never private text.

Every record is an event name plus fields (``session_ended reason=idle``).
A processor drops any field that could carry what a person wrote or where
they connect from, so a careless ``log.info("x", text=...)`` cannot leak it;
``structlog.testing.capture_logs()`` lets tests prove it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

__all__ = ["PRIVATE_KEYS", "configure_logging", "drop_private", "get_logger", "pseudonymize"]

PRIVATE_KEYS = frozenset(
    {"text", "intro", "note", "message_text", "address", "remote_address", "ip", "peer_addr"}
)
"""Field names that never reach a log line, whatever the caller passed."""

_SALT = secrets.token_bytes(16)
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


def pseudonymize(value: str) -> str:
    """A short salted hash of a client address: links lines of one client, reveals nothing.

    The salt is random per process, so the same address hashes differently
    after a restart and the hash cannot be reversed by a dictionary of IPs.
    """
    return hmac.new(_SALT, value.encode(), hashlib.sha256).hexdigest()[:12]


def drop_private(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: remove any private field before rendering."""
    for key in PRIVATE_KEYS.intersection(event_dict):
        del event_dict[key]
    return event_dict


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    """Render structlog events and the standard library's (websockets, redis) alike."""
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    renderer: Any = (
        structlog.dev.ConsoleRenderer()
        if fmt == "console"
        else structlog.processors.JSONRenderer(sort_keys=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        drop_private,
    ]
    # Our own events are rendered by structlog and written straight to stderr: going
    # through the standard library's logging machinery cost several times as much per
    # line (bench/RESULTS.md). Lines below the level are dropped without any work.
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        logger_factory=structlog.WriteLoggerFactory(file=sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level.lower()]),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # websockets logs each rejected HTTP request (every /metrics scrape) at INFO
    # and may name peers in debug lines; only its warnings are worth a line.
    logging.getLogger("websockets").setLevel(logging.WARNING)


def get_logger(name: str) -> Any:
    """A structlog logger; bind connection context once, then log events."""
    return structlog.get_logger(name)
