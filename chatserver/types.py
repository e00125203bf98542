"""Ids and small enums shared by the server's layers.

Ids are ``NewType``s so that mypy stops a session id from being passed where
a client id belongs; at run time they are plain strings.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from typing import NewType

__all__ = [
    "ClientId",
    "EndReason",
    "ListenerId",
    "ListenerState",
    "NodeId",
    "Role",
    "SessionId",
    "new_client_id",
    "new_node_id",
    "new_session_id",
]

SessionId = NewType("SessionId", str)
"""One conversation (waiting, active or ended); also the id of its queue entry."""
ClientId = NewType("ClientId", str)
"""One person's presence on the service, across reconnects (not a connection)."""
ListenerId = NewType("ListenerId", str)
"""A trained listener's identity: the ``sub`` claim of their token."""
NodeId = NewType("NodeId", str)
"""One server process."""


def new_session_id() -> SessionId:
    return SessionId(secrets.token_urlsafe(12))


def new_client_id() -> ClientId:
    """A seeker's client id ("S" + 16 random characters; listeners' start with "L")."""
    return ClientId("S" + secrets.token_urlsafe(12))


def new_node_id() -> NodeId:
    return NodeId(secrets.token_hex(6))


class Role(StrEnum):
    SEEKER = "seeker"
    LISTENER = "listener"
    SUPERVISOR = "supervisor"

    @property
    def is_staff(self) -> bool:
        return self is not Role.SEEKER


class ListenerState(StrEnum):
    """What a listener said they want: new conversations or not (``busy`` is derived)."""

    AVAILABLE = "available"
    BUSY = "busy"
    AWAY = "away"


class EndReason(StrEnum):
    """Why a session ended: the ``reason`` of ``ended`` and a metric label."""

    SEEKER_ENDED = "seeker_ended"
    LISTENER_ENDED = "listener_ended"
    LEFT_QUEUE = "left_queue"
    DISCONNECTED = "disconnected"
    IDLE = "idle"
    SERVER_SHUTDOWN = "server_shutdown"
    BLOCKED = "blocked"
    TRANSFERRED = "transferred"
    """Only for the listener who handed the session over: it goes on for the others."""
