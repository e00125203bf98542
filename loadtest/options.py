"""What a load-test run is asked to do: the parameters, checked once.

``Options`` is what the command line builds and what :func:`loadtest.scenario.run`
takes; ``as_dict`` is how the run's parameters appear in the JSON report
(everything but the secret).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["MAX_TEXT_CHARS", "MIN_MESSAGE_BYTES", "Options"]

MIN_MESSAGE_BYTES = 32
"""A message carries its send time and id (about 30 characters); shorter is padded up."""
MAX_TEXT_CHARS = 4000
"""The server's default ``limits.max_text_chars``."""


@dataclass(frozen=True, slots=True)
class Options:
    """One run's parameters (see ``python -m loadtest --help`` for each).

    Exactly one of ``rate`` (open loop: messages per second in total, spread over
    the open conversations) and ``think_ms`` (closed loop: each side answers the
    other's message after this pause) drives the conversation.
    """

    urls: tuple[str, ...]
    secret: str = field(repr=False)
    seekers: int = 10
    listeners: int = 5
    capacity: int = 2
    topics: tuple[str, ...] = ("anxiety", "stress")
    rate: float | None = None
    think_ms: float | None = None
    message_bytes: int = 64
    duration_s: float = 10.0
    ramp_s: float = 1.0
    seed: int = 1
    session_messages: int = 0
    comeback: bool = False
    comeback_ms: float = 100.0
    drain_s: float = 5.0
    window_s: float = 1.0

    def __post_init__(self) -> None:
        problems = list(self._problems())
        if problems:
            raise ValueError("; ".join(problems))

    def _problems(self) -> list[str]:
        out: list[str] = []
        if not self.urls:
            out.append("--url: expected at least one ws:// URL, got none")
        for url in self.urls:
            if not url.startswith(("ws://", "wss://")):
                out.append(f"--url: expected a ws:// or wss:// URL, got {url!r}")
        for name in ("seekers", "listeners", "capacity"):
            value = getattr(self, name)
            if value < 1:
                out.append(f"--{name}: expected a positive integer, got {value}")
        if (self.rate is None) == (self.think_ms is None):
            out.append("--rate / --think-ms: expected exactly one of them (open or closed loop)")
        if self.rate is not None and self.rate <= 0:
            out.append(
                f"--rate: expected a positive number of messages per second, got {self.rate}"
            )
        if self.think_ms is not None and self.think_ms < 0:
            out.append(f"--think-ms: expected a number of at least 0, got {self.think_ms}")
        if not MIN_MESSAGE_BYTES <= self.message_bytes <= MAX_TEXT_CHARS:
            out.append(
                f"--message-bytes: expected {MIN_MESSAGE_BYTES} to {MAX_TEXT_CHARS}, "
                f"got {self.message_bytes}"
            )
        if self.duration_s <= 0:
            out.append(f"--duration: expected a positive number of seconds, got {self.duration_s}")
        if not 0 <= self.ramp_s < self.duration_s:
            out.append(
                f"--ramp: expected at least 0 and less than --duration ({self.duration_s}), "
                f"got {self.ramp_s}"
            )
        if self.session_messages < 0:
            out.append(f"--session-messages: expected at least 0, got {self.session_messages}")
        if not self.topics:
            out.append("--topics: expected at least one topic")
        return out

    @property
    def mode(self) -> str:
        return "open" if self.rate is not None else "closed"

    def as_dict(self) -> dict[str, Any]:
        """The parameters for the report (lists for tuples; never the secret)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "secret":
                continue
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        out["mode"] = self.mode
        return out
