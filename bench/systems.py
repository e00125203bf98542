"""The systems under test, started as processes on free loopback ports.

- ``relay``: the bare websockets relay (``bench/relay.py``), the floor;
- ``chat-memory``: one chatserver node, in-memory broker;
- ``chat-memory-asyncio``: the same on the standard asyncio loop (without
  uvloop), to show what the ``fast`` extra buys;
- ``chat-redis``: two chatserver nodes on one Redis, seekers on the first,
  listeners on the second (every message crosses Redis);
- ``sio``: python-socketio's AsyncServer on aiohttp, one process;
- ``sio-redis``: two such processes with ``AsyncRedisManager`` on the same
  Redis, seekers on the first, listeners on the second.

``chat-memory-patched`` and ``chat-redis-patched`` run the chatserver of
another checkout (``python -m bench --compare-tree DIR``), to measure a
change before and after in the same run.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .configs import chat_config, write_toml
from .procs import Procs, free_port, wait_for_port

__all__ = ["COMPARED", "System", "start_system"]

COMPARED = ["relay", "chat-memory", "chat-redis", "sio", "sio-redis", "chat-memory-asyncio"]


@dataclass
class System:
    name: str
    kind: str
    """The wire protocol: ``relay``, ``chat`` or ``sio``."""
    seeker_url: str
    listener_url: str
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    extra_pids: list[int] = field(default_factory=list)
    """Processes whose CPU counts as the system's too (its Redis)."""

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs] + self.extra_pids

    @property
    def urls(self) -> list[str]:
        return sorted({self.seeker_url, self.listener_url})


def _launch(uvloop: bool) -> list[str]:
    return ["-m", "bench.launch", *([] if uvloop else ["--no-uvloop"])]


def _chat_node(
    procs: Procs, name: str, *, uvloop: bool = True, root: Path | None = None, **config: object
) -> tuple[str, subprocess.Popen[bytes]]:
    """One chatserver node; ``root``: run the chatserver of that checkout instead of ours."""
    port = free_port()
    path = write_toml(procs.dir / f"{name}.toml", chat_config(port, **config))  # type: ignore[arg-type]
    serve = ["chatserver", "serve", "--config", str(path)]
    if root is None:
        proc = procs.python(name, [*_launch(uvloop), *serve])
    else:
        # the launcher as a script, so that ``chatserver`` is imported from ``root`` first
        launcher = str(Path(__file__).with_name("launch.py"))
        proc = procs.python(name, [launcher, *serve], env={"PYTHONPATH": str(root)}, cwd=root)
    wait_for_port(port, proc=proc)
    return f"ws://127.0.0.1:{port}/ws", proc


def start_system(
    procs: Procs,
    name: str,
    *,
    redis: tuple[str, subprocess.Popen[bytes]] | None = None,
    tag: str = "",
    capacity: int = 1,
    compare_tree: Path | None = None,
) -> System:
    """Start ``name`` and wait until it listens; ``redis`` is needed by the Redis variants."""
    label = f"{name}{tag}"
    root = None
    if name.endswith("-patched"):
        if compare_tree is None:
            raise ValueError(f"{name} needs --compare-tree DIR")
        root, name = compare_tree, name.removesuffix("-patched")
    if name == "relay":
        port = free_port()
        proc = procs.python(label, [*_launch(True), "bench.relay", "--port", str(port)])
        wait_for_port(port, proc=proc)
        url = f"ws://127.0.0.1:{port}/"
        return System(name, "relay", url, url, [proc])
    if name in ("chat-memory", "chat-memory-asyncio"):
        url, proc = _chat_node(
            procs, label, uvloop=name == "chat-memory", capacity=capacity, root=root
        )
        return System(label.removesuffix(tag), "chat", url, url, [proc])
    if name == "chat-redis":
        assert redis is not None
        redis_url, redis_proc = redis
        prefix = f"bench{tag.replace('-', '')}{free_port()}"
        nodes = [
            _chat_node(
                procs, f"{label}-{n}", broker="redis", redis_url=redis_url, prefix=prefix,
                capacity=capacity, root=root,
            )
            for n in ("a", "b")
        ]  # fmt: skip
        return System(
            label.removesuffix(tag), "chat", nodes[0][0], nodes[1][0], [p for _, p in nodes],
            [redis_proc.pid],
        )  # fmt: skip
    if name in ("sio", "sio-redis"):
        urls: list[str] = []
        started: list[subprocess.Popen[bytes]] = []
        extra: list[int] = []
        for n in ("a", "b") if name == "sio-redis" else ("a",):
            port = free_port()
            args = [*_launch(True), "bench.sio_server", "--port", str(port)]
            if name == "sio-redis":
                assert redis is not None
                args += ["--redis", redis[0]]
                extra = [redis[1].pid]
            proc = procs.python(f"{label}-{n}", args)
            wait_for_port(port, proc=proc)
            urls.append(f"ws://127.0.0.1:{port}")
            started.append(proc)
        return System(name, "sio", urls[0], urls[-1], started, extra)
    raise ValueError(f"unknown system {name!r}; expected one of {', '.join(COMPARED)}")


def stop_system(procs: Procs, system: System) -> None:
    for proc in system.procs:
        procs.stop(proc)


def log_path(procs: Procs, name: str) -> Path:
    return procs.dir / f"{name}.log"
