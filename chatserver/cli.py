"""Command line: ``python -m chatserver serve`` and ``python -m chatserver token``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import importlib
import resource
import secrets
import sys
from collections.abc import Sequence

from .auth import mint_token, parse_ttl
from .config import Config, load_config
from .errors import ConfigError
from .logs import configure_logging
from .server import ChatServer
from .types import Role

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chatserver", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run a server node")
    serve.add_argument("--config", help="TOML config file (see config.example.toml)")
    serve.add_argument("--host", help="override server.host")
    serve.add_argument("--port", type=int, help="override server.port")
    serve.add_argument("--broker", choices=["memory", "redis"], help="override broker.kind")
    serve.add_argument("--redis-url", help="override redis.url")
    serve.add_argument(
        "--demo-token",
        action="store_true",
        help="print a listener and a supervisor token to try things out",
    )

    token = sub.add_parser("token", help="print a listener or supervisor token")
    token.add_argument("--config", help="TOML config file with auth.secret")
    token.add_argument("--name", required=True, help="the name seekers will see")
    token.add_argument("--topics", default="", help="comma-separated topics they are trained for")
    token.add_argument("--role", choices=["listener", "supervisor"], default="listener")
    token.add_argument("--ttl", default="8h", help="lifetime, e.g. 8h, 30m (default 8h)")
    token.add_argument("--sub", help="stable listener id (default: random)")
    token.add_argument("--capacity", type=int, help="lower this listener's capacity")
    return parser


def _serve_config(args: argparse.Namespace) -> Config:
    config = load_config(args.config)
    server: dict[str, object] = {}
    if args.host is not None:
        server["host"] = args.host
    if args.port is not None:
        server["port"] = args.port
    overrides: dict[str, dict[str, object]] = {"server": server}
    if args.broker is not None:
        overrides["broker"] = {"kind": args.broker}
    if args.redis_url is not None:
        overrides["redis"] = {"url": args.redis_url}
    return config.replace(**overrides)


def _token(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    topics = [t.strip() for t in args.topics.split(",") if t.strip()]
    print(
        mint_token(
            config.auth.secret,
            sub=args.sub or f"listener-{secrets.token_hex(4)}",
            name=args.name,
            topics=topics,
            role=Role(args.role),
            ttl_s=parse_ttl(args.ttl),
            capacity=args.capacity,
        )
    )
    return 0


GC_THRESHOLDS = (50_000, 20, 100)
"""Young collections every 50,000 allocations (default 700), older ones far less often."""


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "token":
            return _token(args)
        config = _serve_config(args)
    except (ConfigError, ValueError) as exc:
        print(f"chatserver: {exc}", file=sys.stderr)
        return 2
    configure_logging(config.logging.level, config.logging.format)
    if not config.auth.secret:
        print(
            "chatserver: auth.secret is not set; listeners cannot sign in "
            "(set CHATSERVER_AUTH_SECRET)",
            file=sys.stderr,
        )
    _raise_open_files()
    _use_uvloop()
    asyncio.run(_run(config, args.demo_token))
    return 0


def _raise_open_files() -> None:
    """Every connection is an open file: lift the soft limit (often 1,024) to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1_048_576)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _use_uvloop() -> None:
    """Run on uvloop when it is installed (the ``fast`` extra): less CPU per message and a
    steadier tail than the standard loop (bench/RESULTS.md)."""
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def _run(config: Config, demo_token: bool) -> None:
    def started(server: ChatServer) -> None:
        # What is loaded by now (modules, config, compiled scripts) lives as long as the
        # process: out of every later collection. And collect less often: with thousands
        # of connections the default thresholds ran full collections of 240-270 ms that
        # set the p99 (bench/RESULTS.md, "Where the time goes").
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        print(f"chatserver: serving on {server.url} (broker: {config.broker.kind})", flush=True)
        host = config.server.host
        print(f"chatserver: health at http://{host}:{server.port}/healthz", flush=True)
        if demo_token and config.auth.secret:
            base = f"http://{host}:{server.port}"
            token = mint_token(
                config.auth.secret, sub="demo-listener", name="Sam", topics=config.routing.topics
            )
            print(f"chatserver: try it: open {base}/ (a seeker) and {base}/listener", flush=True)
            print(f"chatserver: a demo listener token (valid 8 h): {token}", flush=True)
            supervisor = mint_token(
                config.auth.secret,
                sub="demo-supervisor",
                name="Ada",
                topics=config.routing.topics,
                role=Role.SUPERVISOR,
            )
            print(
                f"chatserver: a demo supervisor token for {base}/dashboard: {supervisor}",
                flush=True,
            )

    await ChatServer(config).run(started)
