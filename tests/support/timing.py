"""One time unit for tests, scaled by ``CHATSERVER_TEST_TIME_SCALE`` on slow machines."""

from __future__ import annotations

import os

__all__ = ["SCALE", "scaled"]

SCALE = float(os.environ.get("CHATSERVER_TEST_TIME_SCALE", "1"))


def scaled(seconds: float) -> float:
    """``seconds`` stretched by the machine's time scale (waits and timeouts, not config)."""
    return seconds * SCALE
