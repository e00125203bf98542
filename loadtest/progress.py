"""The live progress line on a terminal while a run goes on.

With ``rich`` installed (the ``progress`` extra) it is a rich live line; without
it, a plain line rewritten with a carriage return. Off a terminal nothing is
shown (the final table and the JSON say it all).
"""

from __future__ import annotations

import importlib
import time
from typing import Any, TextIO

from .scenario import Run
from .stats import summarize

__all__ = ["Progress"]


class Progress:
    """Call :meth:`tick` with the run every half second; :meth:`close` at the end."""

    def __init__(self, out: TextIO, duration_s: float) -> None:
        self._out = out
        self._duration = duration_s
        self._live: Any = None
        self._plain = False
        self._last = (time.monotonic(), 0)
        self._seen = 0
        if not out.isatty():
            return
        try:  # optional (the progress extra); imported by name so type checks pass without it
            console = importlib.import_module("rich.console")
            live = importlib.import_module("rich.live")
        except ImportError:
            self._plain = True
        else:
            self._live = live.Live(
                "", console=console.Console(file=out), refresh_per_second=4, transient=True
            )
            self._live.start()

    def line(self, run: Run) -> str:
        recorder = run.recorder
        now = time.monotonic()
        then, delivered_then = self._last
        rate = (recorder.delivered - delivered_then) / max(now - then, 1e-6)
        self._last = (now, recorder.delivered)
        recent = summarize(ms for _, ms in recorder.relay[self._seen :])
        self._seen = len(recorder.relay)
        p99 = f"{recent.p99:.1f} ms" if recent.p99 is not None else "-"
        errors = sum(recorder.errors.values())
        reconnects = sum(p.client.reconnects for p in run.people if p.client)
        phase = "closing" if run.closing else "draining" if run.stopping else "running"
        return (
            f"{recorder.now():5.1f}/{self._duration:g} s {phase}  "
            f"conversations {run.conversations}  matched {recorder.matched}  "
            f"delivered {recorder.delivered} ({rate:.0f}/s)  p99 {p99}  "
            f"errors {errors}  reconnects {reconnects}"
        )

    def tick(self, run: Run) -> None:
        if self._live is not None:
            self._live.update(self.line(run))
        elif self._plain:
            self._out.write("\r" + self.line(run) + "\x1b[K")
            self._out.flush()

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
        elif self._plain:
            self._out.write("\r\x1b[K")
            self._out.flush()
