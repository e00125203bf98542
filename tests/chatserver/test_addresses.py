"""Client addresses behind proxies, and the per-address limits."""

from __future__ import annotations

from chatserver.addresses import AddressLimits, address_key, client_address


def test_a_direct_client_is_its_peer_address() -> None:
    assert client_address("198.51.100.7", "203.0.113.9", []) == "198.51.100.7"


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    proxies = ["10.0.0.0/8"]
    assert client_address("10.1.2.3", "203.0.113.9", proxies) == "203.0.113.9"
    assert client_address("198.51.100.7", "203.0.113.9", proxies) == "198.51.100.7"


def test_the_last_untrusted_hop_is_the_client() -> None:
    proxies = ["10.0.0.0/8", "192.0.2.1"]
    header = "1.1.1.1, 203.0.113.9, 192.0.2.1"
    assert client_address("10.0.0.5", header, proxies) == "203.0.113.9"


def test_when_every_hop_is_trusted_the_first_is_taken() -> None:
    assert client_address("10.0.0.5", "10.0.0.9, 10.0.0.8", ["10.0.0.0/8"]) == "10.0.0.9"


def test_garbage_in_the_header_is_not_trusted() -> None:
    assert client_address("not-an-ip", "203.0.113.9", ["10.0.0.0/8"]) == "not-an-ip"
    assert client_address("10.0.0.5", " , ", ["10.0.0.0/8"]) == "10.0.0.5"


def test_address_keys_hide_the_address_and_agree_across_nodes() -> None:
    key = address_key("s" * 32, "203.0.113.9")
    assert "203.0.113.9" not in key
    assert key == address_key("s" * 32, "203.0.113.9")
    assert key != address_key("t" * 32, "203.0.113.9")


def test_connections_per_address_are_counted_and_released() -> None:
    limits = AddressLimits(max_connections=2, hellos_per_minute=60)
    assert limits.connect("a") and limits.connect("a")
    assert not limits.connect("a")
    assert limits.connect("b")
    limits.disconnect("a")
    assert limits.connect("a")
    limits.disconnect("b")
    limits.disconnect("b")  # more disconnects than connects do no harm
    assert limits.connect("b")


def test_hellos_per_minute_allow_a_burst_then_refuse() -> None:
    limits = AddressLimits(max_connections=10, hellos_per_minute=8)
    assert [limits.hello("a") for _ in range(3)] == [True, True, False]
    assert limits.hello("b")
