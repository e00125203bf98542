"""Listener and supervisor tokens: HS256 JWTs minted by the service, checked at ``hello``.

Seekers never authenticate; listeners are trained people, so their ``hello``
carries a token with ``sub`` (a stable id), ``name`` (what seekers see),
``topics`` (what they are trained for), ``role`` and ``exp``; ``capacity``
is optional and may only lower the configured default.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import jwt

from protocol import CloseCode, ErrorCode

from .errors import ClientError
from .types import ListenerId, Role

__all__ = ["ListenerClaims", "mint_token", "parse_ttl", "verify_token"]

ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class ListenerClaims:
    """What a verified token says about a listener."""

    sub: ListenerId
    name: str
    topics: tuple[str, ...]
    role: Role
    capacity: int | None
    exp: int


def mint_token(
    secret: str,
    *,
    sub: str,
    name: str,
    topics: tuple[str, ...] | list[str],
    role: Role = Role.LISTENER,
    ttl_s: float = 8 * 3600,
    capacity: int | None = None,
) -> str:
    """Sign a token for a listener (``python -m chatserver token`` prints one)."""
    if not secret:
        raise ValueError("auth.secret is empty: set it in the config or CHATSERVER_AUTH_SECRET")
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": sub,
        "name": name,
        "topics": list(topics),
        "role": role.value,
        "iat": now,
        "exp": now + int(ttl_s),
    }
    if capacity is not None:
        claims["capacity"] = capacity
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _unauthorized(message: str) -> ClientError:
    return ClientError(
        ErrorCode.UNAUTHORIZED, message, ref="hello", close=CloseCode.POLICY_VIOLATION
    )


def verify_token(token: str | None, secret: str, *, leeway_s: float = 30.0) -> ListenerClaims:
    """Check a listener token's signature, expiry and claims.

    Raises:
        ClientError: ``unauthorized`` (and close 1008) saying what was wrong,
            without repeating the token.
    """
    if not secret:
        raise _unauthorized("this server has no auth.secret configured; listeners cannot sign in")
    if not token:
        raise _unauthorized("hello.token: listeners must send their token")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            leeway=leeway_s,
            options={"require": ["sub", "exp", "name", "role"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise _unauthorized("hello.token: the token has expired; ask for a new one") from exc
    except jwt.InvalidSignatureError as exc:
        raise _unauthorized("hello.token: the signature does not match this server") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise _unauthorized(f"hello.token: the '{exc.claim}' claim is missing") from exc
    except jwt.InvalidTokenError as exc:
        raise _unauthorized("hello.token: not a valid token") from exc
    return _claims(claims)


def _claims(claims: dict[str, object]) -> ListenerClaims:
    sub, name, role = claims["sub"], claims["name"], claims["role"]
    topics = claims.get("topics", [])
    capacity = claims.get("capacity")
    if not isinstance(sub, str) or not sub:
        raise _unauthorized("hello.token: 'sub' must be a non-empty string")
    if (
        not isinstance(name, str)
        or not 0 < len(name) <= 80
        or any(ord(c) < 32 or ord(c) == 127 for c in name)
    ):
        raise _unauthorized(
            "hello.token: 'name' must be 1 to 80 characters with no control characters"
        )
    if role not in (Role.LISTENER.value, Role.SUPERVISOR.value):
        raise _unauthorized("hello.token: 'role' must be 'listener' or 'supervisor'")
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise _unauthorized("hello.token: 'topics' must be a list of strings")
    if capacity is not None and (
        isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1
    ):
        raise _unauthorized("hello.token: 'capacity' must be a positive integer")
    exp = claims["exp"]
    return ListenerClaims(
        sub=ListenerId(sub),
        name=name,
        topics=tuple(topics),
        role=Role(role),
        capacity=capacity,
        exp=int(exp) if isinstance(exp, int | float) else 0,
    )


_TTL_RE = re.compile(r"(\d+(?:\.\d+)?)([smhd]?)")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_ttl(text: str) -> float:
    """``"8h"``, ``"30m"``, ``"90"`` (seconds) -> seconds."""
    match = _TTL_RE.fullmatch(text.strip())
    if not match:
        raise ValueError(f"--ttl: expected a duration like 8h, 30m or 90s, got {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]
