"""``python -m loadtest``: simulated seekers and listeners against one or several nodes.

Example (a server started with ``[listener] capacity = 2``, ``max_capacity >= 2``)::

    CHATSERVER_AUTH_SECRET=... python -m loadtest --url ws://127.0.0.1:8765/ws \\
        --seekers 100 --listeners 50 --capacity 2 --rate 200 --duration 30 \\
        --json run.json --plot run.png

Exit status: 0 when every acknowledged message arrived and everyone could
connect, 1 otherwise, 2 for bad options.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
from collections.abc import Sequence

from .options import Options
from .progress import Progress
from .recorder import RunResult
from .report import PlotUnavailable, render_table, write_json, write_plot
from .scenario import run
from .tokens import SecretError, load_secret

__all__ = ["main", "parse_options"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m loadtest",
        description="Load-test chatserver with simulated seekers and listeners.",
    )
    p.add_argument(
        "--url", action="append", dest="urls", metavar="URL",
        help="a node's WebSocket URL (repeat for several nodes; people are spread over them)",
    )  # fmt: skip
    p.add_argument("--config", help="the server's TOML config, for [auth] secret")
    p.add_argument("--seekers", type=int, default=10, help="simulated seekers (default 10)")
    p.add_argument("--listeners", type=int, default=5, help="simulated listeners (default 5)")
    p.add_argument(
        "--capacity", type=int, default=2,
        help="conversations per listener (the server's [listener] capacity must allow it)",
    )  # fmt: skip
    p.add_argument("--topics", default="anxiety,stress", help="comma-separated topics")
    loop = p.add_mutually_exclusive_group()
    loop.add_argument(
        "--rate", type=float, help="open loop: messages per second in total (default 50)"
    )
    loop.add_argument(
        "--think-ms", type=float, help="closed loop: each side answers after this pause"
    )
    p.add_argument("--message-bytes", type=int, default=64, help="message size (default 64)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds to run (default 10)")
    p.add_argument(
        "--ramp", type=float, default=1.0, help="seconds over which people arrive (default 1)"
    )
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument(
        "--session-messages", type=int, default=0,
        help="a seeker ends after this many messages in a conversation (0: at the end of the run)",
    )  # fmt: skip
    p.add_argument(
        "--comeback", action="store_true", help="seekers ask again after their conversation ends"
    )
    p.add_argument(
        "--drain", type=float, default=5.0,
        help="seconds to wait at the end for messages in flight (default 5)",
    )  # fmt: skip
    p.add_argument("--json", metavar="FILE", help="write every figure and the parameters here")
    p.add_argument("--plot", metavar="FILE.png", help="latency over time and histogram (PNG)")
    p.add_argument("--no-progress", action="store_true", help="no live line on the terminal")
    return p


def parse_options(args: argparse.Namespace, secret: str) -> Options:
    """Options from parsed arguments (ValueError names what is wrong)."""
    rate = args.rate if args.rate is not None or args.think_ms is not None else 50.0
    return Options(
        urls=tuple(args.urls or ["ws://127.0.0.1:8765/ws"]),
        secret=secret,
        seekers=args.seekers,
        listeners=args.listeners,
        capacity=args.capacity,
        topics=tuple(t.strip() for t in args.topics.split(",") if t.strip()),
        rate=rate,
        think_ms=args.think_ms,
        message_bytes=args.message_bytes,
        duration_s=args.duration,
        ramp_s=args.ramp,
        seed=args.seed,
        session_messages=args.session_messages,
        comeback=args.comeback,
        drain_s=args.drain,
    )


async def _run(options: Options, show_progress: bool) -> RunResult:
    progress = Progress(sys.stderr, options.duration_s) if show_progress else None
    try:
        return await run(options, on_tick=progress.tick if progress else None)
    finally:
        if progress is not None:
            progress.close()


def _use_uvloop() -> None:
    try:  # optional (the fast extra)
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        options = parse_options(args, load_secret(args.config))
    except (SecretError, ValueError) as exc:
        print(f"loadtest: {exc}", file=sys.stderr)
        return 2
    if args.plot:
        try:
            importlib.import_module("matplotlib")
        except ImportError:
            print(
                "loadtest: --plot needs matplotlib: pip install 'chatserver[plot]'",
                file=sys.stderr,
            )
            return 2
    _use_uvloop()
    result = asyncio.run(_run(options, not args.no_progress))
    render_table(result, sys.stdout)
    if args.json:
        write_json(result, args.json)
    if args.plot:
        try:
            write_plot(result, args.plot)
        except PlotUnavailable as exc:
            print(f"loadtest: {exc}", file=sys.stderr)
            return 2
    ok = result.all_delivered and not any(k.startswith("connect_") for k in result.failures)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
