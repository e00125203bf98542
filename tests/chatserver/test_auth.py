"""Listener tokens: minted, verified, and refused with a reason that never repeats the token."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from chatserver.auth import ListenerClaims, mint_token, parse_ttl, verify_token
from chatserver.errors import ClientError
from chatserver.types import ListenerId, Role
from protocol import CloseCode, ErrorCode

SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"
OTHER_SECRET = "another-secret-that-is-also-long-enough-9876543210"


def claims(**overrides: Any) -> dict[str, Any]:
    """A valid set of claims, with some replaced (``None`` removes a claim)."""
    base: dict[str, Any] = {
        "sub": "listener-1",
        "name": "Sam",
        "topics": ["anxiety"],
        "role": "listener",
        "exp": int(time.time()) + 3600,
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def signed(**overrides: Any) -> str:
    return jwt.encode(claims(**overrides), SECRET, algorithm="HS256")


def refusal(token: str | None, secret: str = SECRET, **kwargs: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        verify_token(token, secret, **kwargs)
    return caught.value


def assert_unauthorized(error: ClientError, token: str | None) -> None:
    assert error.code is ErrorCode.UNAUTHORIZED
    assert error.close is CloseCode.POLICY_VIOLATION
    assert error.ref == "hello"
    assert error.message == str(error)
    if token:
        assert token not in error.message
        for part in token.split("."):
            assert len(part) < 8 or part not in error.message


# --- round trip --------------------------------------------------------------


def test_minted_token_verifies_to_the_same_claims() -> None:
    before = int(time.time())
    token = mint_token(SECRET, sub="l-42", name="Sam", topics=("anxiety", "grief"), ttl_s=600)
    verified = verify_token(token, SECRET)
    assert verified == ListenerClaims(
        sub=ListenerId("l-42"),
        name="Sam",
        topics=("anxiety", "grief"),
        role=Role.LISTENER,
        capacity=None,
        exp=verified.exp,
    )
    assert before + 600 <= verified.exp <= int(time.time()) + 600


def test_minted_supervisor_token_keeps_role_and_capacity() -> None:
    token = mint_token(SECRET, sub="sup", name="Alex", topics=[], role=Role.SUPERVISOR, capacity=2)
    verified = verify_token(token, SECRET)
    assert verified.role is Role.SUPERVISOR
    assert verified.capacity == 2
    assert verified.topics == ()


def test_minted_token_has_the_default_eight_hour_lifetime() -> None:
    token = mint_token(SECRET, sub="l", name="Sam", topics=[])
    payload = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert payload["exp"] - payload["iat"] == 8 * 3600
    assert "capacity" not in payload


def test_minting_without_a_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="auth.secret is empty"):
        mint_token("", sub="l", name="Sam", topics=[])


def test_token_without_topics_claim_means_no_topics() -> None:
    assert verify_token(signed(topics=None), SECRET).topics == ()


def test_token_with_a_float_expiry_is_accepted() -> None:
    exp = time.time() + 3600.5
    assert verify_token(signed(exp=exp), SECRET).exp == int(exp)


def test_token_with_a_numeric_string_expiry_reports_no_expiry_time() -> None:
    exp = str(int(time.time()) + 3600)
    assert verify_token(signed(exp=exp), SECRET).exp == 0


# --- refusals ----------------------------------------------------------------


def test_token_signed_with_another_secret_is_unauthorized() -> None:
    token = mint_token(OTHER_SECRET, sub="l", name="Sam", topics=[])
    error = refusal(token)
    assert_unauthorized(error, token)
    assert "signature does not match" in error.message


def test_expired_token_is_unauthorized_and_says_it_expired() -> None:
    token = mint_token(SECRET, sub="l", name="Sam", topics=[], ttl_s=-120)
    error = refusal(token, leeway_s=30)
    assert_unauthorized(error, token)
    assert "expired" in error.message


def test_token_expired_within_the_leeway_is_accepted() -> None:
    token = mint_token(SECRET, sub="l", name="Sam", topics=[], ttl_s=-10)
    assert verify_token(token, SECRET, leeway_s=30).sub == "l"


def test_token_expired_just_now_is_refused_without_leeway() -> None:
    token = mint_token(SECRET, sub="l", name="Sam", topics=[], ttl_s=-10)
    assert "expired" in refusal(token, leeway_s=0).message


@pytest.mark.parametrize("missing", ["sub", "exp", "name", "role"])
def test_token_missing_a_required_claim_names_it(missing: str) -> None:
    token = signed(**{missing: None})
    error = refusal(token)
    assert_unauthorized(error, token)
    assert error.message == f"hello.token: the '{missing}' claim is missing"


@pytest.mark.parametrize("token", ["not-a-token", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.x"])
def test_garbage_token_is_unauthorized(token: str) -> None:
    error = refusal(token)
    assert_unauthorized(error, token)
    assert error.message == "hello.token: not a valid token"


def test_token_signed_with_another_algorithm_is_unauthorized() -> None:
    token = jwt.encode(claims(), SECRET + SECRET, algorithm="HS512")
    error = refusal(token, SECRET + SECRET)
    assert_unauthorized(error, token)
    assert error.message == "hello.token: not a valid token"


def test_unsigned_token_is_unauthorized() -> None:
    token = jwt.encode(claims(), None, algorithm="none")
    assert_unauthorized(refusal(token), token)


@pytest.mark.parametrize("role", ["seeker", "admin", "Listener", 1])
def test_token_with_a_role_other_than_listener_or_supervisor_is_unauthorized(role: Any) -> None:
    token = signed(role=role)
    error = refusal(token)
    assert_unauthorized(error, token)
    assert error.message == "hello.token: 'role' must be 'listener' or 'supervisor'"


@pytest.mark.parametrize("topics", ["anxiety", {"a": 1}, ["anxiety", 3], 7])
def test_token_whose_topics_are_not_a_list_of_strings_is_unauthorized(topics: Any) -> None:
    token = signed(topics=topics)
    error = refusal(token)
    assert_unauthorized(error, token)
    assert error.message == "hello.token: 'topics' must be a list of strings"


@pytest.mark.parametrize("capacity", [0, -1, True, "2", 1.5])
def test_token_with_a_capacity_that_is_not_a_positive_integer_is_unauthorized(
    capacity: Any,
) -> None:
    token = signed(capacity=capacity)
    error = refusal(token)
    assert_unauthorized(error, token)
    assert error.message == "hello.token: 'capacity' must be a positive integer"


def test_token_with_capacity_one_is_accepted() -> None:
    assert verify_token(signed(capacity=1), SECRET).capacity == 1


def test_token_with_an_empty_sub_is_unauthorized() -> None:
    token = signed(sub="")
    error = refusal(token)
    assert_unauthorized(error, token)
    assert error.message == "hello.token: 'sub' must be a non-empty string"


def test_token_with_a_non_string_sub_is_unauthorized() -> None:
    token = signed(sub=42)
    assert_unauthorized(refusal(token), token)


@pytest.mark.parametrize("name", ["", "n" * 81, 5, ["Sam"], "Sam\nSmith", "Sam\x7f"])
def test_token_with_a_bad_name_is_unauthorized(name: Any) -> None:
    token = signed(name=name)
    error = refusal(token)
    assert_unauthorized(error, token)
    assert error.message == (
        "hello.token: 'name' must be 1 to 80 characters with no control characters"
    )


def test_token_with_an_eighty_character_name_is_accepted() -> None:
    assert verify_token(signed(name="n" * 80), SECRET).name == "n" * 80


def test_server_without_a_secret_refuses_every_listener() -> None:
    token = signed()
    error = refusal(token, "")
    assert_unauthorized(error, token)
    assert "no auth.secret configured" in error.message


@pytest.mark.parametrize("token", [None, ""])
def test_listener_without_a_token_is_unauthorized(token: str | None) -> None:
    error = refusal(token)
    assert_unauthorized(error, token)
    assert error.message == "hello.token: listeners must send their token"


def test_refusal_chains_the_jwt_error() -> None:
    error = refusal(mint_token(OTHER_SECRET, sub="l", name="Sam", topics=[]))
    assert isinstance(error.__cause__, jwt.InvalidSignatureError)


# --- parse_ttl ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("8h", 8 * 3600),
        ("30m", 30 * 60),
        ("90", 90),
        ("90s", 90),
        ("1.5h", 5400),
        ("2d", 2 * 86400),
        (" 8h ", 8 * 3600),
        ("0", 0),
    ],
)
def test_parse_ttl_reads_durations_in_seconds(text: str, seconds: float) -> None:
    assert parse_ttl(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "8x", "-5", "8 h", "1.5.h", "8hours", "1e3", ".5h"])
def test_parse_ttl_rejects_anything_else_and_says_what_it_expected(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_ttl(text)
    assert str(caught.value) == f"--ttl: expected a duration like 8h, 30m or 90s, got {text!r}"
