"""Config loading: defaults, the example file, and errors that name the key."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from chatserver.config import (
    AuthConfig,
    Config,
    RoutingConfig,
    ServerConfig,
    _type_ok,
    load_config,
)
from chatserver.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"
GOOD_SECRET = "k" * 32
SECTIONS = {
    f.name: type(getattr(Config(), f.name))
    for f in dataclasses.fields(Config)
    if dataclasses.is_dataclass(getattr(Config(), f.name))
}
"""The table sections (``resources`` is a table of arrays of tables, checked on its own)."""


def leaf_keys(section: Any) -> list[str]:
    """Every ``key = value`` line a section has, nested tables included."""
    keys = []
    for f in dataclasses.fields(section):
        value = getattr(section, f.name)
        if dataclasses.is_dataclass(value):
            keys += leaf_keys(value)
        elif isinstance(value, dict):
            keys += list(value)
        else:
            keys.append(f.name)
    return keys


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str) -> Config:
    return load_config(write(tmp_path, text), env={})


def config_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, text)
    return str(caught.value)


# --- defaults and the example file -------------------------------------------


def test_no_file_loads_the_defaults() -> None:
    config = load_config(env={})
    assert config == Config()
    assert config.server.port == 8765
    assert config.broker.kind == "memory"
    assert config.auth.secret == ""
    assert config.session.resume_grace_s == 60.0


def test_no_file_and_no_env_argument_reads_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHATSERVER_AUTH_SECRET", GOOD_SECRET)
    monkeypatch.setenv("CHATSERVER_REDIS_URL", "redis://cache:6379/2")
    config = load_config()
    assert config.auth.secret == GOOD_SECRET
    assert config.redis.url == "redis://cache:6379/2"


def test_empty_file_loads_the_defaults(tmp_path: Path) -> None:
    assert load_text(tmp_path, "") == Config()


def test_example_file_loads_to_exactly_the_defaults() -> None:
    assert load_config(EXAMPLE, env={}) == Config()


def test_example_file_sets_every_key_of_every_section_to_its_default() -> None:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert set(raw) == set(SECTIONS) | {"resources"}
    defaults = Config()
    for name in SECTIONS:
        section = getattr(defaults, name)
        assert set(raw[name]) == {f.name for f in dataclasses.fields(section)}, name
        for key, value in raw[name].items():
            default = getattr(section, key)
            if dataclasses.is_dataclass(default):
                assert value == dataclasses.asdict(default), f"{name}.{key}"  # type: ignore[arg-type]
                continue
            assert value == default, f"{name}.{key}"
            assert type(value) is type(default), f"{name}.{key} type"
    assert raw["resources"] == defaults.resources


def test_every_key_in_the_example_file_has_a_comment_above_it() -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    keys = [i for i, line in enumerate(lines) if re.match(r"^[a-z_]+ = ", line)]
    resource_lines = sum(len(item) for items in Config().resources.values() for item in items)
    expected = sum(len(leaf_keys(s())) for s in SECTIONS.values()) + resource_lines
    assert len(keys) == expected
    table = ""
    for i, line in enumerate(lines):
        if line.startswith("["):
            table = line
        if i in keys and not table.startswith("[[resources."):
            # a helpline's keys are explained once, above the first [[resources...]]
            assert lines[i - 1].startswith("#"), f"no comment above {line!r}"


def test_example_file_header_explains_the_environment_overrides_and_secret_length() -> None:
    header = EXAMPLE.read_text(encoding="utf-8").split("[server]")[0]
    assert "CHATSERVER_AUTH_SECRET" in header
    assert "CHATSERVER_REDIS_URL" in header
    assert "32 characters" in header
    assert "secrets.token_urlsafe" in header


def test_default_lists_are_not_shared_between_configs() -> None:
    first, second = RoutingConfig(), RoutingConfig()
    first.topics.append("extra")
    assert "extra" not in second.topics


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().server.port = 1  # type: ignore[misc]


def test_file_values_override_defaults_and_leave_the_rest(tmp_path: Path) -> None:
    config = load_text(
        tmp_path,
        '[server]\nport = 9000\n[routing]\nmode = "manual"\ntopics = ["a-b", "c_d"]\n',
    )
    assert config.server.port == 9000
    assert config.server.host == ServerConfig().host
    assert config.routing.mode == "manual"
    assert config.routing.topics == ["a-b", "c_d"]
    assert config.limits == Config().limits


# --- unknown names -----------------------------------------------------------


def test_unknown_section_names_it_and_lists_the_known_sections(tmp_path: Path) -> None:
    path = write(tmp_path, "[sever]\nport = 1\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    message = str(caught.value)
    assert message.startswith("sever: unknown section in ")
    assert str(path) in message
    for name in SECTIONS:
        assert name in message


def test_unknown_key_names_it_and_lists_the_known_keys(tmp_path: Path) -> None:
    message = config_error(tmp_path, "[server]\ncolour = 'blue'\n")
    known = ", ".join(f.name for f in dataclasses.fields(ServerConfig))
    assert message == f"server.colour: unknown key; known keys are {known}"


def test_section_that_is_not_a_table_is_rejected(tmp_path: Path) -> None:
    assert config_error(tmp_path, "server = 5\n") == "server: expected a [server] table, got 5"


# --- wrong types -------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[server]\nport = 'x'", "server.port: expected an integer, got the string 'x'"),
        ("[server]\nport = true", "server.port: expected an integer, got a boolean"),
        ("[server]\nport = 8765.0", "server.port: expected an integer, got 8765.0"),
        ("[server]\nhost = 5", "server.host: expected a string, got 5"),
        ("[server]\ncompression = 1", "server.compression: expected true or false, got 1"),
        (
            "[server]\ncompression = 'yes'",
            "server.compression: expected true or false, got the string 'yes'",
        ),
        (
            "[server]\nhello_timeout_s = '10'",
            "server.hello_timeout_s: expected a number, got the string '10'",
        ),
        (
            "[server]\nhello_timeout_s = false",
            "server.hello_timeout_s: expected a number, got a boolean",
        ),
        ("[server]\nhello_timeout_s = inf", "server.hello_timeout_s: expected a number, got inf"),
        ("[server]\nhello_timeout_s = nan", "server.hello_timeout_s: expected a number, got nan"),
        (
            "[routing]\ntopics = 'anxiety'",
            "routing.topics: expected a list of strings, got the string 'anxiety'",
        ),
        (
            "[routing]\ntopics = ['anxiety', 3]",
            "routing.topics: expected a list of strings, got list",
        ),
        ("[server]\nhost = ['a']", "server.host: expected a string, got list"),
        ("[server]\nhost = {a = 1}", "server.host: expected a string, got dict"),
    ],
)
def test_wrong_type_says_what_was_expected_and_what_was_got(
    tmp_path: Path, toml: str, message: str
) -> None:
    assert config_error(tmp_path, toml + "\n") == message


def test_long_string_of_the_wrong_type_is_not_echoed(tmp_path: Path) -> None:
    value = "p" * 41
    message = config_error(tmp_path, f"[server]\nport = '{value}'\n")
    assert message == "server.port: expected an integer, got a long string"
    assert value not in message


def test_string_of_forty_characters_is_still_quoted(tmp_path: Path) -> None:
    value = "p" * 40
    message = config_error(tmp_path, f"[server]\nport = '{value}'\n")
    assert message == f"server.port: expected an integer, got the string '{value}'"


def test_integer_is_accepted_where_a_number_is_expected_and_stored_as_float(
    tmp_path: Path,
) -> None:
    config = load_text(tmp_path, "[server]\nhello_timeout_s = 5\n[limits]\nmessages_per_s = 2\n")
    assert config.server.hello_timeout_s == 5.0
    assert type(config.server.hello_timeout_s) is float
    assert type(config.limits.messages_per_s) is float


def test_type_the_loader_does_not_know_is_never_accepted() -> None:
    assert not _type_ok(dict, {})
    assert not _type_ok(list[int], [1])


# --- out of range ------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            "[session]\nidle_timeout_s = -5",
            "session.idle_timeout_s: expected a positive number, got -5",
        ),
        (
            "[session]\nidle_timeout_s = 0",
            "session.idle_timeout_s: expected a positive number, got 0",
        ),
        (
            "[session]\nresume_grace_s = -1",
            "session.resume_grace_s: expected a number of at least 0, got -1",
        ),
        (
            "[server]\nport = 70000",
            "server.port: expected a port number from 0 to 65535, got 70000",
        ),
        ("[server]\nport = -1", "server.port: expected a port number from 0 to 65535, got -1"),
        (
            "[server]\nmax_frame_bytes = 0",
            "server.max_frame_bytes: expected a positive number, got 0",
        ),
        (
            "[routing]\nmode = 'fast'",
            "routing.mode: expected one of 'auto', 'manual', got the string 'fast'",
        ),
        (
            "[broker]\nkind = 'etcd'",
            "broker.kind: expected one of 'memory', 'redis', got the string 'etcd'",
        ),
        (
            "[logging]\nlevel = 'INFO'",
            "logging.level: expected one of 'debug', 'info', 'warning', 'error', "
            "got the string 'INFO'",
        ),
        ("[auth]\nleeway_s = -0.5", "auth.leeway_s: expected a number of at least 0, got -0.5"),
    ],
)
def test_out_of_range_value_names_the_key(tmp_path: Path, toml: str, message: str) -> None:
    assert config_error(tmp_path, toml + "\n") == message


@pytest.mark.parametrize("port", [0, 65535])
def test_ports_at_the_edges_of_the_range_are_accepted(tmp_path: Path, port: int) -> None:
    assert load_text(tmp_path, f"[server]\nport = {port}\n").server.port == port


def test_zero_resume_grace_and_zero_leeway_are_accepted(tmp_path: Path) -> None:
    config = load_text(tmp_path, "[session]\nresume_grace_s = 0\n[auth]\nleeway_s = 0\n")
    assert config.session.resume_grace_s == 0.0
    assert config.auth.leeway_s == 0.0


@pytest.mark.parametrize("topic", ["", "has space", "x" * 33, "dot.ted"])
def test_badly_named_topic_is_rejected(tmp_path: Path, topic: str) -> None:
    message = config_error(tmp_path, f'[routing]\ntopics = ["anxiety", "{topic}"]\n')
    assert message == (
        f"routing.topics: expected names of letters, digits, '_' or '-', got {topic!r}"
    )


def test_topic_of_thirty_two_characters_is_accepted(tmp_path: Path) -> None:
    topic = "x" * 32
    assert load_text(tmp_path, f'[routing]\ntopics = ["{topic}"]\n').routing.topics == [topic]


# --- rules across keys -------------------------------------------------------


def test_listener_capacity_above_max_capacity_is_rejected(tmp_path: Path) -> None:
    message = config_error(tmp_path, "[listener]\ncapacity = 4\nmax_capacity = 3\n")
    assert message == "listener.capacity: expected at most listener.max_capacity (3), got 4"


def test_listener_capacity_equal_to_max_capacity_is_accepted(tmp_path: Path) -> None:
    config = load_text(tmp_path, "[listener]\ncapacity = 2\nmax_capacity = 2\n")
    assert (config.listener.capacity, config.listener.max_capacity) == (2, 2)


def test_lowering_max_capacity_below_the_default_capacity_is_rejected(tmp_path: Path) -> None:
    message = config_error(tmp_path, "[listener]\ncapacity = 3\nmax_capacity = 2\n")
    assert message.startswith("listener.capacity: expected at most listener.max_capacity (2)")


def test_short_auth_secret_is_rejected_without_echoing_it(tmp_path: Path) -> None:
    secret = "s" * 31
    message = config_error(tmp_path, f"[auth]\nsecret = '{secret}'\n")
    assert message.startswith("auth.secret: expected at least 32 characters")
    assert "got 31" in message
    assert "secrets.token_urlsafe(32)" in message
    assert secret not in message


def test_auth_secret_of_thirty_two_characters_is_accepted(tmp_path: Path) -> None:
    assert load_text(tmp_path, f"[auth]\nsecret = '{GOOD_SECRET}'\n").auth.secret == GOOD_SECRET


# --- environment -------------------------------------------------------------


def test_env_auth_secret_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, f"[auth]\nsecret = '{'f' * 40}'\n")
    config = load_config(path, env={"CHATSERVER_AUTH_SECRET": GOOD_SECRET})
    assert config.auth.secret == GOOD_SECRET


def test_env_redis_url_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[redis]\nurl = 'redis://file:6379/0'\nprefix = 'x'\n")
    config = load_config(path, env={"CHATSERVER_REDIS_URL": "redis://env:6380/1"})
    assert config.redis.url == "redis://env:6380/1"
    assert config.redis.prefix == "x"


def test_env_overrides_apply_without_a_file() -> None:
    env = {"CHATSERVER_AUTH_SECRET": GOOD_SECRET, "CHATSERVER_REDIS_URL": "redis://env/3"}
    config = load_config(env=env)
    assert config.auth == AuthConfig(secret=GOOD_SECRET)
    assert config.redis.url == "redis://env/3"
    assert config.server == ServerConfig()


def test_empty_env_values_leave_the_file_values(tmp_path: Path) -> None:
    path = write(tmp_path, f"[auth]\nsecret = '{GOOD_SECRET}'\n")
    config = load_config(path, env={"CHATSERVER_AUTH_SECRET": "", "CHATSERVER_REDIS_URL": ""})
    assert config.auth.secret == GOOD_SECRET
    assert config.redis.url == Config().redis.url


def test_unrelated_env_variables_are_ignored() -> None:
    assert load_config(env={"CHATSERVER_PORT": "1", "HOME": "/root"}) == Config()


def test_short_env_auth_secret_is_rejected_without_echoing_it() -> None:
    with pytest.raises(ConfigError, match="^auth.secret: expected at least 32") as caught:
        load_config(env={"CHATSERVER_AUTH_SECRET": "tooshort"})
    assert "tooshort" not in str(caught.value)


# --- files that cannot be read -----------------------------------------------


def test_missing_file_gives_config_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError, match="not found") as caught:
        load_config(path, env={})
    assert str(path) in str(caught.value)
    assert isinstance(caught.value.__cause__, FileNotFoundError)


def test_invalid_toml_gives_config_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[server\nport = \n")
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_config(path, env={})
    assert str(path) in str(caught.value)
    assert isinstance(caught.value.__cause__, tomllib.TOMLDecodeError)


def test_file_that_is_not_utf8_gives_config_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[server]\nhost = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_config(str(path), env={})
    assert str(path) in str(caught.value)


# --- Config.replace ----------------------------------------------------------


def test_replace_changes_only_the_given_keys() -> None:
    base = Config()
    changed = base.replace(server={"port": 0}, queue={"update_interval_ms": 20})
    assert changed.server.port == 0
    assert changed.queue.update_interval_ms == 20
    assert changed.server.host == base.server.host
    assert changed.auth == base.auth
    assert base.server.port == 8765


def test_replace_keeps_earlier_changes() -> None:
    config = Config().replace(server={"port": 1}).replace(server={"host": "0.0.0.0"})
    assert (config.server.host, config.server.port) == ("0.0.0.0", 1)


def test_replace_converts_integers_to_float_like_a_file() -> None:
    assert type(Config().replace(session={"idle_timeout_s": 3}).session.idle_timeout_s) is float


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"server": {"port": "x"}}, "server.port: expected an integer, got the string 'x'"),
        ({"server": {"port": 70000}}, "server.port: expected a port number from 0 to 65535"),
        ({"server": {"colour": 1}}, "server.colour: unknown key"),
        ({"sever": {"port": 1}}, "sever: unknown section in overrides"),
        ({"listener": {"capacity": 5}}, "listener.capacity: expected at most"),
        ({"auth": {"secret": "short"}}, "auth.secret: expected at least 32 characters"),
    ],
)
def test_replace_validates_like_a_file(sections: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Config().replace(**sections)
    assert str(caught.value).startswith(message)
