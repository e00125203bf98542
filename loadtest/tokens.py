"""Listener tokens for simulated listeners, minted from the server's own secret.

The load test is a client of the server, so it signs tokens itself with
PyJWT (HS256, the claims PROTOCOL.md lists under ``hello``) rather than
importing the server's auth module. The secret comes from the server's
config file (``[auth] secret``) or ``CHATSERVER_AUTH_SECRET``, which wins,
as it does for the server.
"""

from __future__ import annotations

import os
import time
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path

import jwt

__all__ = ["SECRET_ENV", "SecretError", "listener_token", "load_secret"]

SECRET_ENV = "CHATSERVER_AUTH_SECRET"
MIN_SECRET_CHARS = 32


class SecretError(Exception):
    """No usable secret: the message says where one was looked for and how to give one."""


def load_secret(config: str | Path | None, env: Mapping[str, str] | None = None) -> str:
    """The listener-token secret: ``CHATSERVER_AUTH_SECRET``, else ``[auth] secret`` of ``config``.

    Raises:
        SecretError: neither gives a secret of at least 32 characters, or the file is unreadable.
    """
    environ = os.environ if env is None else env
    secret = environ.get(SECRET_ENV, "")
    where = SECRET_ENV
    if not secret and config is not None:
        where = f"{config} [auth] secret"
        try:
            with open(config, "rb") as f:
                data = tomllib.load(f)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SecretError(f"--config: cannot read {config}: {exc}") from exc
        auth = data.get("auth", {})
        value = auth.get("secret", "") if isinstance(auth, dict) else ""
        secret = value if isinstance(value, str) else ""
    if len(secret) < MIN_SECRET_CHARS:
        got = "nothing" if not secret else f"{len(secret)} characters"
        raise SecretError(
            f"listener tokens need the server's secret: expected at least {MIN_SECRET_CHARS} "
            f"characters from {where}, got {got}; pass --config FILE or set {SECRET_ENV}"
        )
    return secret


def listener_token(
    secret: str,
    *,
    sub: str,
    name: str,
    topics: Sequence[str],
    capacity: int | None = None,
    ttl_s: float = 3600.0,
    now: float | None = None,
) -> str:
    """A signed listener token (HS256) with ``sub``, ``name``, ``topics``, ``role``, ``exp``.

    ``capacity`` adds the optional claim, which can only lower the server's default.
    """
    issued = int(time.time() if now is None else now)
    claims: dict[str, object] = {
        "sub": sub,
        "name": name,
        "topics": list(topics),
        "role": "listener",
        "iat": issued,
        "exp": issued + int(ttl_s),
    }
    if capacity is not None:
        claims["capacity"] = capacity
    return jwt.encode(claims, secret, algorithm="HS256")
