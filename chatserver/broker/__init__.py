"""Brokers: where shared state lives. ``create_broker`` picks one by config."""

from __future__ import annotations

from ..config import Config
from ..errors import ConfigError
from ..types import NodeId
from .base import Broker
from .memory import MemoryBroker

__all__ = ["Broker", "MemoryBroker", "create_broker"]


def create_broker(config: Config, node_id: NodeId) -> Broker:
    """The broker named by ``broker.kind``: ``memory`` (default) or ``redis``."""
    kind = config.broker.kind
    if kind == "memory":
        return MemoryBroker(node_id, config.session)
    if kind == "redis":
        from .redis import RedisBroker  # imported lazily: one-node users never load redis

        return RedisBroker(node_id, config)
    raise ConfigError(f"broker.kind: expected 'memory' or 'redis', got {kind!r}")
