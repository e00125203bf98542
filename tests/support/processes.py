"""Real server processes (``python -m chatserver serve``) for tests that need them.

Used where an in-process server cannot show the behaviour: signals, exit
codes, what a process prints, several nodes, ``kill -9``. Each process gets
a TOML file of its own, listens on a free port chosen by the OS, and reports
its URL on stdout, which ``start`` waits for.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

from .cast import SECRET
from .timing import scaled

__all__ = ["ServerProcess", "to_toml"]

READY_RE = re.compile(r"serving on (ws://[^\s]+) ")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def to_toml(sections: dict[str, dict[str, Any]]) -> str:
    """A TOML document of ``[section] key = value`` tables (all our config needs)."""
    lines: list[str] = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in values.items())
        lines.append("")
    return "\n".join(lines)


class ServerProcess:
    """One ``chatserver serve`` child process."""

    def __init__(self, workdir: Path, name: str, sections: dict[str, dict[str, Any]]) -> None:
        self.name = name
        self.config_path = workdir / f"{name}.toml"
        base: dict[str, dict[str, Any]] = {
            "server": {"port": 0},
            "auth": {"secret": SECRET},
            "logging": {"format": "json", "level": "info"},
            "queue": {"update_interval_ms": 20},
            "limits": {"hellos_per_minute": 100_000, "max_connections_per_address": 100_000},
        }
        for section, values in sections.items():
            base.setdefault(section, {}).update(values)
        self.sections = base
        self.config_path.write_text(to_toml(base))
        self.proc: asyncio.subprocess.Process | None = None
        self.url = ""
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers: list[asyncio.Task[None]] = []
        self._ready = asyncio.Event()

    @property
    def http(self) -> str:
        return self.url.removeprefix("ws://").removesuffix("/ws")

    async def start(self, timeout: float = 15.0) -> ServerProcess:
        self._ready = asyncio.Event()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("CHATSERVER_AUTH_SECRET", None)
        env.pop("CHATSERVER_REDIS_URL", None)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "chatserver", "serve", "--config", str(self.config_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )  # fmt: skip
        assert self.proc.stdout and self.proc.stderr
        self._readers = [
            asyncio.create_task(self._read(self.proc.stdout, self.stdout)),
            asyncio.create_task(self._read(self.proc.stderr, self.stderr)),
        ]
        try:
            await asyncio.wait_for(self._ready.wait(), scaled(timeout))
        except TimeoutError:
            raise AssertionError(
                f"{self.name} did not start; stderr: {''.join(self.stderr[-20:])}"
            ) from None
        return self

    async def _read(self, stream: asyncio.StreamReader, sink: list[str]) -> None:
        while line := await stream.readline():
            text = line.decode(errors="replace")
            sink.append(text)
            if not self._ready.is_set() and (match := READY_RE.search(text)):
                self.url = match.group(1)
                self._ready.set()

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def wait(self, timeout: float = 20.0) -> int:
        """Wait for the process to exit (and its output to be read); returns its exit code."""
        assert self.proc is not None
        code = await asyncio.wait_for(self.proc.wait(), scaled(timeout))
        await asyncio.gather(*self._readers)
        return code

    async def stop(self) -> int:
        """SIGTERM and wait; SIGKILL if it will not go."""
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else 0
        self.signal(signal.SIGTERM)
        try:
            return await self.wait()
        except TimeoutError:
            self.proc.kill()
            return await self.wait()

    async def kill(self) -> None:
        """``kill -9``: no cleanup at all, as when a machine dies."""
        assert self.proc is not None
        self.proc.kill()
        await self.wait()

    def output(self) -> str:
        return "".join(self.stdout) + "".join(self.stderr)
