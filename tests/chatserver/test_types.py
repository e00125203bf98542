"""Ids and small enums shared by the layers."""

from __future__ import annotations

import string

from chatserver.types import Role, new_client_id, new_node_id, new_session_id

URL_SAFE = set(string.ascii_letters + string.digits + "-_")


def test_session_ids_are_url_safe_and_unique() -> None:
    ids = {new_session_id() for _ in range(500)}
    assert len(ids) == 500
    for session in ids:
        assert len(session) == 16
        assert set(session) <= URL_SAFE


def test_seeker_client_ids_start_with_s_and_are_unique() -> None:
    ids = {new_client_id() for _ in range(500)}
    assert len(ids) == 500
    for client in ids:
        assert client.startswith("S")
        assert len(client) == 17
        assert set(client) <= URL_SAFE


def test_node_ids_are_twelve_hex_digits_and_unique() -> None:
    ids = {new_node_id() for _ in range(500)}
    assert len(ids) == 500
    for node in ids:
        assert len(node) == 12
        assert set(node) <= set(string.hexdigits.lower())


def test_listeners_and_supervisors_are_staff_and_seekers_are_not() -> None:
    assert {role for role in Role if role.is_staff} == {Role.LISTENER, Role.SUPERVISOR}
