"""Where a chatserver node's time goes under the ping-pong load: py-spy samples, summarised.

``py-spy record --format raw`` writes collapsed stacks (``frame;frame;... count``,
which speedscope and flamegraph.pl read). This module runs it on the first
node of a system while the load generator drives the ping-pong, then sums
the samples by function (self and inclusive) and by area (the socket
library, the protocol codec, the node logic, the broker, logging...).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .systems import System

if TYPE_CHECKING:
    from .run import Bench

__all__ = ["profile_system", "summarize_collapsed"]

FRAME_RE = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")
ROOT_FILES = (
    "<frozen runpy>", "bench/launch.py", "chatserver/__main__.py", "chatserver/cli.py",
    "asyncio/runners.py",
)  # fmt: skip
"""Frames every sample passes through (the process's entry): left out of the inclusive list."""
LOOP_FRAME = "Runner.run (asyncio/runners.py)"
"""With uvloop, time in the C event loop (polling, transport writes) shows as this frame."""
AREAS = [
    ("chatserver: broker", "chatserver/broker/"),
    ("protocol (encode/decode/validate)", "protocol/"),
    ("logging (structlog)", "structlog/"),
    ("metrics (prometheus_client)", "prometheus_client/"),
    ("redis-py", "redis/"),
    ("websockets", "websockets/"),
    ("msgpack", "msgpack/"),
    ("asyncio (Python parts)", "asyncio/locks.py"),
    ("asyncio (Python parts)", "asyncio/tasks.py"),
    ("asyncio (Python parts)", "asyncio/mixins.py"),
    ("asyncio (Python parts)", "asyncio/queues.py"),
    ("asyncio (Python parts)", "asyncio/timeouts.py"),
    ("dataclasses", "dataclasses.py"),
    ("contextlib", "contextlib.py"),
]


def _parse(frame: str) -> tuple[str, str]:
    match = FRAME_RE.match(frame.strip())
    if match is None:
        return frame.strip(), ""
    path = match.group("file")
    for marker in ("site-packages/", "python3.11/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return match.group("func"), path


def _area(path: str) -> str:
    for name, marker in AREAS:
        if marker in path:
            return name
    if path.startswith("chatserver/"):
        return f"chatserver: {path.removeprefix('chatserver/')}"
    if path == "asyncio/runners.py":
        return "event loop (uvloop, in C)"
    return "other"


def summarize_collapsed(text: str, top: int = 25) -> dict[str, Any]:
    """Self and inclusive sample shares by function, and self time by area."""
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    total = 0
    for line in text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_parse(f) for f in stack.split(";") if f]
        if not frames:
            continue
        leaf_func, leaf_path = frames[-1]
        self_time[f"{leaf_func} ({leaf_path})"] += count
        # the innermost project or library frame decides the area of a sample
        area = "other"
        for _, path in reversed(frames):
            area = _area(path)
            if area not in ("other", "asyncio", "event loop (uvloop, in C)"):
                break
        if frames[-1][1] == "asyncio/runners.py":
            area = "event loop (uvloop, in C)"
        areas[area] += count
        for name in {f"{func} ({path})" for func, path in frames if path not in ROOT_FILES}:
            inclusive[name] += count
        if len(frames) and f"{leaf_func} ({leaf_path})" == LOOP_FRAME:
            inclusive["event loop itself (uvloop, in C)"] += count

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(k, 100.0 * v / total) for k, v in counter.most_common(top)] if total else []

    return {
        "samples": total,
        "top_self": share(self_time),
        "top_inclusive": share(inclusive),
        "by_area": share(areas),
    }


def profile_system(bench: Bench, system: System, out_dir: Path) -> dict[str, Any]:
    """Sample the system's first node while the load generator runs a ping-pong."""
    a = bench.args
    seconds = 6.0
    target = system.procs[0]
    raw = out_dir / f"profile-{system.name}.txt"
    import shutil
    import sys

    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    load = bench.loadgen({
        "kind": system.kind, "mode": "relay", "seeker_url": system.seeker_url,
        "listener_url": system.listener_url, "server_pids": system.pids,
        "pairs": a.pairs, "seconds": seconds, "warmup": 1.0, "rate": a.rate,
        "profile_argv": [py_spy, "record", "--pid", str(target.pid), "--rate", "250",
                         "--nonblocking", "--format", "raw", "--output", str(raw)],
    })  # fmt: skip
    text = raw.read_text() if raw.exists() else ""
    summary = summarize_collapsed(text)
    summary["file"] = raw.name
    summary["pingpong_msgs_per_s"] = load["pingpong"]["msgs_per_s"]
    summary["server_cpu_us_per_msg"] = load["pingpong"]["server_cpu_us_per_msg"]
    return summary
