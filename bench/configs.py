"""chatserver config files for the bench: limits raised so that the load, not policy, is measured.

The bench sends far more than a person would from one address, so the
per-connection rate limits, per-address limits, the queue bound and the
listener capacity are raised. Only keys this version of chatserver knows
are written (the server refuses unknown keys), so the bench keeps working
while the config grows.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from chatserver.config import Config

__all__ = ["SECRET", "chat_config", "write_toml"]

SECRET = "bench-secret-" + "0123456789abcdef" * 3
HIGH = 1_000_000


def _known() -> dict[str, set[str]]:
    config = Config()
    out: dict[str, set[str]] = {}
    for section in dataclasses.fields(config):
        value = getattr(config, section.name)
        if dataclasses.is_dataclass(value):
            out[section.name] = {f.name for f in dataclasses.fields(value)}
    return out


def chat_config(
    port: int,
    *,
    broker: str = "memory",
    redis_url: str | None = None,
    prefix: str = "bench",
    capacity: int = 1,
    log_level: str = "info",
) -> dict[str, dict[str, Any]]:
    """A bench config for one node (the sections and keys it knows)."""
    wanted: dict[str, dict[str, Any]] = {
        "server": {
            "host": "127.0.0.1", "port": port, "compression": False, "hello_timeout_s": 60.0,
        },
        "auth": {"secret": SECRET},
        "broker": {"kind": broker},
        "listener": {"capacity": capacity, "max_capacity": max(capacity, 8)},
        "session": {"resume_grace_s": 0.0},
        "queue": {"max_waiting": HIGH},
        "limits": {
            "messages_per_s": float(HIGH), "message_burst": HIGH,
            "frames_per_s": float(HIGH), "frames_burst": HIGH,
            "max_connections_per_address": HIGH, "hellos_per_minute": HIGH,
        },
        "logging": {"level": log_level, "format": "json"},
    }  # fmt: skip
    if broker == "redis":
        assert redis_url is not None
        wanted["redis"] = {"url": redis_url, "prefix": prefix}
    known = _known()
    return {
        section: {k: v for k, v in values.items() if k in known.get(section, set())}
        for section, values in wanted.items()
        if section in known
    }


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_toml(path: Path, sections: dict[str, dict[str, Any]]) -> Path:
    lines: list[str] = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {_value(v)}" for k, v in values.items()]
        lines.append("")
    path.write_text("\n".join(lines))
    return path
