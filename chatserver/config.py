"""Configuration: TOML sections as frozen dataclasses, checked on load.

Every key has a default here and is documented in ``config.example.toml``
(a test keeps the two in step). Loading rejects unknown sections and keys,
wrong types and out-of-range values with a message naming the key, what was
expected and what was got, so that an operator can fix it without reading
code.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from .errors import ConfigError

__all__ = [
    "AuthConfig",
    "BrokerConfig",
    "Config",
    "LimitsConfig",
    "ListenerConfig",
    "LoggingConfig",
    "QueueConfig",
    "RedisConfig",
    "RoutingConfig",
    "ServerConfig",
    "SafetyConfig",
    "SessionConfig",
    "TlsConfig",
    "load_config",
]

Check = Callable[[Any], str | None]
"""Returns ``None`` when the value is fine, else what was expected."""


def _positive(value: Any) -> str | None:
    return None if value > 0 else "a positive number"


def _non_negative(value: Any) -> str | None:
    return None if value >= 0 else "a number of at least 0"


def _port(value: Any) -> str | None:
    return None if 0 <= value <= 65535 else "a port number from 0 to 65535"


def _one_of(*allowed: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in allowed else "one of " + ", ".join(repr(a) for a in allowed)

    return check


def _setting(default: Any, check: Check | None = None) -> Any:
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata={"check": check})
    return field(default=default, metadata={"check": check})


@dataclass(frozen=True, slots=True)
class TlsConfig:
    cert: str = _setting("")
    key: str = _setting("")


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = _setting("127.0.0.1")
    port: int = _setting(8765, _port)
    max_frame_bytes: int = _setting(16_384, _positive)
    hello_timeout_s: float = _setting(10.0, _positive)
    outbox_max_bytes: int = _setting(1_048_576, _positive)
    ping_interval_s: float = _setting(20.0, _positive)
    compression: bool = _setting(False)
    drain_timeout_s: float = _setting(20.0, _positive)
    allowed_origins: list[str] = _setting([])
    staff_origins: list[str] = _setting([])
    trusted_proxies: list[str] = _setting([])
    tls: TlsConfig = field(default_factory=TlsConfig)


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    kind: str = _setting("memory", _one_of("memory", "redis"))


@dataclass(frozen=True, slots=True)
class RedisConfig:
    url: str = _setting("redis://127.0.0.1:6379/0")
    prefix: str = _setting("chat")
    pool_size: int = _setting(32, _positive)
    heartbeat_s: float = _setting(5.0, _positive)
    node_timeout_s: float = _setting(15.0, _positive)


@dataclass(frozen=True, slots=True)
class AuthConfig:
    secret: str = _setting("")
    leeway_s: float = _setting(30.0, _non_negative)


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    mode: str = _setting("auto", _one_of("auto", "manual"))
    topics: list[str] = _setting(
        [
            "anxiety",
            "depression",
            "stress",
            "loneliness",
            "relationships",
            "grief",
            "self_harm",
            "school",
            "work",
            "identity",
        ]
    )
    assign_supervisors: bool = _setting(False)


@dataclass(frozen=True, slots=True)
class ListenerConfig:
    capacity: int = _setting(1, _positive)
    max_capacity: int = _setting(3, _positive)
    cooldown_s: float = _setting(0.0, _non_negative)
    risk_cooldown_s: float = _setting(300.0, _non_negative)
    max_continuous_s: float = _setting(7200.0, _positive)
    rest_s: float = _setting(600.0, _non_negative)


@dataclass(frozen=True, slots=True)
class SessionConfig:
    idle_timeout_s: float = _setting(1800.0, _positive)
    resume_grace_s: float = _setting(60.0, _non_negative)
    history_max_messages: int = _setting(1000, _positive)
    history_max_bytes: int = _setting(1_048_576, _positive)


@dataclass(frozen=True, slots=True)
class QueueConfig:
    update_interval_ms: int = _setting(250, _positive)
    listing_max: int = _setting(50, _positive)
    max_waiting: int = _setting(500, _positive)
    long_wait_s: float = _setting(600.0, _positive)


@dataclass(frozen=True, slots=True)
class LimitsConfig:
    max_text_chars: int = _setting(4000, _positive)
    max_intro_chars: int = _setting(1000, _positive)
    messages_per_s: float = _setting(5.0, _positive)
    message_burst: int = _setting(20, _positive)
    frames_per_s: float = _setting(20.0, _positive)
    frames_burst: int = _setting(60, _positive)
    max_violations: int = _setting(10, _positive)
    violation_window_s: float = _setting(60.0, _positive)
    max_connections_per_address: int = _setting(20, _positive)
    hellos_per_minute: int = _setting(30, _positive)


DEFAULT_RISK_PATTERNS = {
    "en": [
        "suicide", "suicidal", "kill myself", "killing myself", "end my life",
        "ending my life", "take my own life", "want to die", "wanna die", "better off dead",
        "no reason to live", "not worth living", "self harm", "self-harm", "hurt myself",
        "hurting myself", "cut myself", "cutting myself", "overdose", "hang myself",
        "don't want to be here anymore", "can't go on",
    ]
}  # fmt: skip
"""English phrases for crisis triage: a starting point that the service's clinical lead
must review (config.example.toml says so)."""

DEFAULT_RESOURCES: dict[str, list[dict[str, str]]] = {
    "default": [
        {"name": "Emergency services", "phone": "112 / 911 / 999",
         "hours": "if you are in danger now"},
        {"name": "Find a Helpline (free, confidential helplines worldwide)",
         "url": "https://findahelpline.com", "hours": "24/7 directory"},
    ],
    "gb": [
        {"name": "Emergency services", "phone": "999"},
        {"name": "Samaritans", "phone": "116 123", "url": "https://www.samaritans.org",
         "hours": "24/7"},
        {"name": "Shout", "sms": "85258", "hours": "24/7"},
    ],
    "us": [
        {"name": "Emergency services", "phone": "911"},
        {"name": "988 Suicide & Crisis Lifeline", "phone": "988", "sms": "988",
         "url": "https://988lifeline.org", "hours": "24/7"},
    ],
}  # fmt: skip
"""Helplines by region; the operator replaces them with their own (and has them reviewed)."""


@dataclass(frozen=True, slots=True)
class SafetyConfig:
    default_lang: str = _setting("en")
    block_ttl_s: float = _setting(86400.0, _positive)
    block_address: bool = _setting(False)
    block_address_ttl_s: float = _setting(3600.0, _positive)
    risk_patterns: dict[str, list[str]] = field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_RISK_PATTERNS.items()},
        metadata={"check": None},
    )


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    level: str = _setting("info", _one_of("debug", "info", "warning", "error"))
    format: str = _setting("auto", _one_of("auto", "json", "console"))


@dataclass(frozen=True, slots=True)
class Config:
    server: ServerConfig = field(default_factory=ServerConfig)
    broker: BrokerConfig = field(default_factory=BrokerConfig)
    redis: RedisConfig = field(default_factory=RedisConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    listener: ListenerConfig = field(default_factory=ListenerConfig)
    session: SessionConfig = field(default_factory=SessionConfig)
    queue: QueueConfig = field(default_factory=QueueConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    safety: SafetyConfig = field(default_factory=SafetyConfig)
    resources: dict[str, list[dict[str, str]]] = field(
        default_factory=lambda: {k: [dict(i) for i in v] for k, v in DEFAULT_RESOURCES.items()}
    )
    logging: LoggingConfig = field(default_factory=LoggingConfig)

    def replace(self, **sections: Mapping[str, Any]) -> Config:
        """A copy with some keys changed, checked like a file: ``replace(server={"port": 0})``."""
        raw = {name: dict(values) for name, values in sections.items()}
        return _build(raw, base=self, source="overrides")


def _type_ok(expected: Any, value: Any) -> bool:
    if expected is bool:
        return isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is float:
        return (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        )
    if expected is str:
        return isinstance(value, str)
    if expected == list[str]:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if expected == dict[str, list[str]]:
        return isinstance(value, dict) and all(
            isinstance(k, str) and _type_ok(list[str], v) for k, v in value.items()
        )
    return False


_TYPE_NAMES: dict[Any, str] = {
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "a string",
    list[str]: "a list of strings",
    dict[str, list[str]]: "a table of lists of strings",
}


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"the string {value!r}" if len(value) <= 40 else "a long string"
    if isinstance(value, int | float):
        return repr(value)
    return type(value).__name__


def _build_section(cls: type[Any], raw: Mapping[str, Any], base: Any, where: str) -> Any:
    hints = get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        f = known.get(key)
        if f is None:
            raise ConfigError(f"{where}.{key}: unknown key; known keys are {', '.join(known)}")
        expected = hints[key]
        if dataclasses.is_dataclass(expected):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where}.{key}: expected a table, got {_describe(value)}")
            current = getattr(base, key)
            values[key] = _build_section(type(current), value, current, f"{where}.{key}")
            continue
        if not _type_ok(expected, value):
            name = _TYPE_NAMES.get(expected, "another type")
            raise ConfigError(f"{where}.{key}: expected {name}, got {_describe(value)}")
        check: Check | None = f.metadata.get("check")
        problem = check(value) if check else None
        if problem:
            raise ConfigError(f"{where}.{key}: expected {problem}, got {_describe(value)}")
        values[key] = float(value) if expected is float else value
    return dataclasses.replace(base, **values)


def _build(raw: Mapping[str, Any], *, base: Config, source: str) -> Config:
    sections: dict[str, Any] = {}
    known = {f.name for f in dataclasses.fields(Config)}
    for name, values in raw.items():
        if name not in known:
            raise ConfigError(f"{name}: unknown section in {source}; known are {', '.join(known)}")
        if name == "resources":
            sections[name] = _resources(values)
            continue
        if not isinstance(values, Mapping):
            raise ConfigError(f"{name}: expected a [{name}] table, got {_describe(values)}")
        sections[name] = _build_section(
            type(getattr(base, name)), values, getattr(base, name), name
        )
    config = dataclasses.replace(base, **sections)
    _check_whole(config)
    return config


RESOURCE_KEYS = {"name": 80, "phone": 80, "sms": 80, "url": 200, "hours": 80}


def _resources(raw: Any) -> dict[str, list[dict[str, str]]]:
    """``[[resources.<region>]]`` tables: helplines by region, with a ``default`` set."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"resources: expected tables of helplines, got {_describe(raw)}")
    out: dict[str, list[dict[str, str]]] = {}
    for region, items in raw.items():
        where = f"resources.{region}"
        if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
            raise ConfigError(f"{where}: expected [[{where}]] tables, got {_describe(items)}")
        if len(items) > 20:
            raise ConfigError(f"{where}: expected at most 20 helplines, got {len(items)}")
        checked = []
        for n, item in enumerate(items):
            for key, value in item.items():
                if key not in RESOURCE_KEYS:
                    raise ConfigError(
                        f"{where}[{n}].{key}: unknown key; known keys are "
                        + ", ".join(RESOURCE_KEYS)
                    )
                if not isinstance(value, str) or not 0 < len(value) <= RESOURCE_KEYS[key]:
                    raise ConfigError(
                        f"{where}[{n}].{key}: expected a string of 1 to {RESOURCE_KEYS[key]} "
                        f"characters, got {_describe(value)}"
                    )
            if "name" not in item or not {"phone", "sms", "url"} & set(item):
                raise ConfigError(f"{where}[{n}]: expected a name and a phone, sms or url")
            checked.append(dict(item))
        out[str(region).lower()] = checked
    if "default" not in out:
        raise ConfigError("resources: expected a [[resources.default]] set for everyone else")
    return out


def _check_whole(config: Config) -> None:
    """Rules that involve more than one key."""
    if config.listener.capacity > config.listener.max_capacity:
        raise ConfigError(
            f"listener.capacity: expected at most listener.max_capacity "
            f"({config.listener.max_capacity}), got {config.listener.capacity}"
        )
    if config.auth.secret and len(config.auth.secret) < 32:
        raise ConfigError(
            f"auth.secret: expected at least 32 characters (HS256 needs a 256-bit key), "
            f"got {len(config.auth.secret)}; make one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    if bool(config.server.tls.cert) != bool(config.server.tls.key):
        raise ConfigError("server.tls: expected both cert and key (or neither)")
    if config.safety.default_lang not in config.safety.risk_patterns:
        raise ConfigError(
            f"safety.default_lang: expected one of the languages in safety.risk_patterns "
            f"({', '.join(config.safety.risk_patterns)}), got {config.safety.default_lang!r}"
        )
    for topic in config.routing.topics:
        if not topic or len(topic) > 32 or not all(c.isalnum() or c in "_-" for c in topic):
            raise ConfigError(
                f"routing.topics: expected names of letters, digits, '_' or '-', got {topic!r}"
            )


def load_config(path: str | Path | None = None, *, env: Mapping[str, str] | None = None) -> Config:
    """Load a TOML file (or only defaults when ``path`` is None), then the environment.

    ``CHATSERVER_AUTH_SECRET`` overrides ``auth.secret`` and ``CHATSERVER_REDIS_URL``
    overrides ``redis.url``, so secrets need not live in files.

    Raises:
        ConfigError: the file is missing, not TOML, or a key is wrong (named).
    """
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            with open(path, "rb") as fh:
                raw = tomllib.load(fh)
        except FileNotFoundError as exc:
            raise ConfigError(f"config file {path}: not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path}: not valid TOML ({exc})") from exc
        except UnicodeDecodeError as exc:
            # tomllib decodes the bytes before parsing, so this escapes TOMLDecodeError.
            raise ConfigError(f"config file {path}: not valid TOML (not UTF-8: {exc})") from exc
        except OSError as exc:
            raise ConfigError(f"config file {path}: cannot be read ({exc.strerror})") from exc
    config = _build(raw, base=Config(), source=str(path or "defaults"))
    from_env: dict[str, dict[str, Any]] = {}
    if secret := env.get("CHATSERVER_AUTH_SECRET"):
        from_env["auth"] = {"secret": secret}
    if url := env.get("CHATSERVER_REDIS_URL"):
        from_env["redis"] = {"url": url}
    return _build(from_env, base=config, source="the environment") if from_env else config
