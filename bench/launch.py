"""Run a Python module as ``__main__`` on uvloop when it is installed.

``python -m bench.launch [--no-uvloop] [--trace-gc] [--gc-freeze] MODULE ARGS...``
is how the bench starts every server and load generator, so that all of
them run on the same event loop implementation (uvloop, the ``fast`` extra,
when present).

``--trace-gc`` prints, every 5 seconds, how many garbage collections of
each generation ran and the longest pause (to stderr); ``--gc-freeze``
tries the fix it suggests: ``gc.freeze()`` and a higher first-generation
threshold once the module is imported (see bench/FINDINGS.md).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import runpy
import sys
import threading
import time


def _trace_gc() -> None:
    started: dict[str, float] = {}
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started["t"] = time.perf_counter()
        elif "t" in started:
            pauses[info["generation"]].append(time.perf_counter() - started.pop("t"))

    def report() -> None:
        while True:
            time.sleep(5)
            counts = {g: len(p) for g, p in pauses.items()}
            worst = {g: round(1000 * max(p, default=0), 1) for g, p in pauses.items()}
            total = round(1000 * sum(sum(p) for p in pauses.values()), 1)
            for p in pauses.values():
                p.clear()
            print(f"gc: counts {counts} max_ms {worst} total_ms {total}", file=sys.stderr)

    gc.callbacks.append(callback)
    threading.Thread(target=report, daemon=True).start()


def main() -> None:
    args = sys.argv[1:]
    use_uvloop = True
    while args and args[0].startswith("--"):
        flag, args = args[0], args[1:]
        if flag == "--no-uvloop":
            use_uvloop = False
        elif flag == "--trace-gc":
            _trace_gc()
        elif flag == "--gc-freeze":
            gc.freeze()
            gc.set_threshold(50_000, 20, 100)
        else:
            sys.exit(f"bench.launch: unknown option {flag}")
    if not args:
        sys.exit(
            "usage: python -m bench.launch [--no-uvloop] [--trace-gc] [--gc-freeze] MODULE ..."
        )
    if use_uvloop:
        try:  # optional (the fast extra)
            uvloop = importlib.import_module("uvloop")
        except ImportError:
            pass
        else:
            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    sys.argv = [args[0], *args[1:]]
    runpy.run_module(args[0], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
