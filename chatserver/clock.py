"""Wall-clock time in milliseconds: the one time base of sessions, queue and wire ``ts``."""

from __future__ import annotations

import time

__all__ = ["now_ms"]


def now_ms() -> int:
    """Milliseconds since the Unix epoch (UTC); what ``ts`` fields carry."""
    return time.time_ns() // 1_000_000
