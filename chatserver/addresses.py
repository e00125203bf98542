"""Client addresses: who is really connecting, and how many times, without keeping it.

Behind a reverse proxy every connection comes from the proxy; the client's
own address is the last hop of ``X-Forwarded-For`` that is not one of the
configured trusted proxies (``server.trusted_proxies``). The header is
believed only when the connection itself comes from a trusted proxy, so a
client cannot spoof it.

Limits per address (``limits.max_connections_per_address``,
``limits.hellos_per_minute``) count per node. Addresses are only ever held
in memory for counting, logged as a salted hash (``logs.pseudonymize``),
and given to the broker as a keyed hash (for optional address blocks).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from collections.abc import Iterable

from .ratelimit import TokenBucket

__all__ = ["AddressLimits", "address_key", "client_address"]


def _networks(proxies: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(p, strict=False) for p in proxies]


def _trusted(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(peer: str, forwarded_for: str | None, trusted_proxies: Iterable[str]) -> str:
    """The client's address: ``peer``, or from ``X-Forwarded-For`` when ``peer`` is trusted."""
    networks = _networks(trusted_proxies)
    if not forwarded_for or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else peer


def address_key(secret: str, address: str) -> str:
    """A keyed hash of an address, the same on every node of a service (for blocks)."""
    key = hashlib.sha256(f"{secret}:address".encode()).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


class AddressLimits:
    """Open connections and recent hellos per client address, on this node."""

    def __init__(self, max_connections: int, hellos_per_minute: int) -> None:
        self._max = max_connections
        self._rate = hellos_per_minute / 60
        self._burst = max(1, hellos_per_minute // 4)
        self._open: dict[str, int] = {}
        self._hellos: dict[str, TokenBucket] = {}

    def connect(self, address: str) -> bool:
        """Count a new connection; False (and nothing counted) when over the limit."""
        count = self._open.get(address, 0)
        if count >= self._max:
            return False
        self._open[address] = count + 1
        return True

    def disconnect(self, address: str) -> None:
        count = self._open.get(address, 0) - 1
        if count > 0:
            self._open[address] = count
        else:
            self._open.pop(address, None)

    def hello(self, address: str) -> bool:
        """Spend one hello for ``address``; False when it is over its rate."""
        now = time.monotonic()
        bucket = self._hellos.get(address)
        if bucket is None:
            if len(self._hellos) > 100_000:  # forget idle addresses rather than grow forever
                self._hellos.clear()
            bucket = self._hellos[address] = TokenBucket(self._rate, self._burst, now)
        return bucket.take(now)
