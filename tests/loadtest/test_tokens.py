"""Listener tokens come from the server's secret, in its config file or the environment."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from loadtest.tokens import SecretError, listener_token, load_secret

SECRET = "a-secret-of-at-least-thirty-two-characters"


def test_the_secret_is_read_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text(f'[auth]\nsecret = "{SECRET}"\n')
    assert load_secret(config, env={}) == SECRET


def test_the_environment_wins_over_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "server.toml"
    config.write_text('[auth]\nsecret = "ignored-ignored-ignored-ignored-ignored"\n')
    assert load_secret(config, env={"CHATSERVER_AUTH_SECRET": SECRET}) == SECRET


def test_a_missing_or_short_secret_says_how_to_give_one(tmp_path: Path) -> None:
    with pytest.raises(SecretError, match="--config FILE or set CHATSERVER_AUTH_SECRET"):
        load_secret(None, env={})
    config = tmp_path / "server.toml"
    config.write_text('[auth]\nsecret = "short"\n')
    with pytest.raises(SecretError, match="got 5 characters"):
        load_secret(config, env={})


def test_a_token_carries_the_listener_claims() -> None:
    token = listener_token(SECRET, sub="l-1", name="Sam", topics=["anxiety"], capacity=2)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["sub"] == "l-1" and claims["name"] == "Sam"
    assert claims["topics"] == ["anxiety"] and claims["role"] == "listener"
    assert claims["capacity"] == 2 and claims["exp"] > claims["iat"]
