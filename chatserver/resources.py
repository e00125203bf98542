"""Helplines to show people: the configured set for their region, or the default one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import protocol

__all__ = ["Helplines"]


class Helplines:
    """The ``[resources]`` of the config, ready to send."""

    def __init__(self, by_region: Mapping[str, Sequence[Mapping[str, str]]]) -> None:
        self._items = {
            region.lower(): tuple(protocol.ResourceItem(**dict(item)) for item in items)
            for region, items in by_region.items()
        }

    def frame(self, reason: str, region: str | None = None) -> protocol.Resources:
        """A ``resources`` frame for ``region`` (falling back to ``default``)."""
        items = self._items.get((region or "").lower()) or self._items.get("default", ())
        return protocol.Resources(reason=reason, items=items)
