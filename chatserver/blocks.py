"""Block tags: what is stored to bar a seeker, without storing who they are.

Seekers are anonymous, so a block keys on their identity across resumes
(the client id every resume token of theirs leads to) or, optionally, on
their client address. Neither is stored: only an HMAC of it under a salt
derived from the service's secret and the current period of ``ttl``
seconds. The salt changes every period, so an old tag cannot be matched
with anything new; a check looks at this period and the one before, so a
block lasts its full ``ttl`` across the change.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["block_tags"]


def _tag(secret: str, kind: str, value: str, period: int) -> str:
    salt = hashlib.sha256(f"{secret}:blocks:{kind}:{period}".encode()).digest()
    return hmac.new(salt, value.encode(), hashlib.sha256).hexdigest()[:32]


def block_tags(secret: str, kind: str, value: str, ttl_s: float, now_s: float) -> tuple[str, str]:
    """(tag to write now, tag of the previous period) for ``value`` of ``kind``."""
    period = int(now_s // ttl_s)
    return _tag(secret, kind, value, period), _tag(secret, kind, value, period - 1)
