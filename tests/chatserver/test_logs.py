"""Logs are events with fields, and never carry what a person wrote or where they are."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from chatserver.logs import (
    PRIVATE_KEYS,
    configure_logging,
    drop_private,
    get_logger,
    pseudonymize,
)

SECRET_WORDS = "SECRET-WORDS"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the standard library's and structlog's configuration back after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    websockets_level = logging.getLogger("websockets").level
    saved = structlog.get_config()
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("websockets").setLevel(websockets_level)
    structlog.reset_defaults()
    structlog.configure(**saved)
    structlog.contextvars.clear_contextvars()


def json_lines(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


# --- drop_private ------------------------------------------------------------


def test_drop_private_removes_every_private_field_and_keeps_the_rest() -> None:
    event = {"event": "message_sent", "session": "s1", "seq": 3}
    event.update({key: SECRET_WORDS for key in PRIVATE_KEYS})
    assert drop_private(None, "info", event) == {
        "event": "message_sent",
        "session": "s1",
        "seq": 3,
    }


@pytest.mark.parametrize("key", ["text", "intro", "address", "remote_address", "ip", "note"])
def test_drop_private_removes_a_single_private_field(key: str) -> None:
    assert drop_private(None, "info", {"event": "x", key: SECRET_WORDS}) == {"event": "x"}


def test_drop_private_leaves_an_event_without_private_fields_alone() -> None:
    event = {"event": "session_ended", "reason": "idle"}
    assert drop_private(None, "info", dict(event)) == event


def test_text_intro_and_addresses_are_private_keys() -> None:
    assert {"text", "intro", "address", "remote_address"} <= PRIVATE_KEYS


def test_captured_log_call_with_text_keeps_the_event_but_not_the_text() -> None:
    log = get_logger("chatserver.test")
    with capture_logs(processors=[drop_private]) as logs:
        log.info("message_relayed", session="s1", text=SECRET_WORDS, intro=SECRET_WORDS)
    assert logs == [{"event": "message_relayed", "session": "s1", "log_level": "info"}]


# --- configure_logging end to end -------------------------------------------


@pytest.mark.usefixtures("restore_logging")
def test_json_log_line_has_the_event_and_no_private_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info", "json")
    get_logger("chatserver.test").info(
        "message_relayed", session="s1", text=SECRET_WORDS, remote_address="203.0.113.9"
    )
    err = capsys.readouterr().err
    assert SECRET_WORDS not in err
    assert "203.0.113.9" not in err
    [line] = json_lines(err)
    assert line["event"] == "message_relayed"
    assert line["session"] == "s1"
    assert line["level"] == "info"
    assert line["timestamp"].endswith("Z")
    assert not PRIVATE_KEYS.intersection(line)


@pytest.mark.usefixtures("restore_logging")
def test_context_bound_once_appears_on_every_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "json")
    structlog.contextvars.bind_contextvars(conn="c1", text=SECRET_WORDS)
    log = get_logger("chatserver.test")
    log.info("first")
    log.info("second")
    err = capsys.readouterr().err
    assert SECRET_WORDS not in err
    assert [(line["event"], line["conn"]) for line in json_lines(err)] == [
        ("first", "c1"),
        ("second", "c1"),
    ]


@pytest.mark.usefixtures("restore_logging")
def test_standard_library_records_are_rendered_as_json_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info", "json")
    logging.getLogger("some.library").warning("disk_full")
    [line] = json_lines(capsys.readouterr().err)
    assert line["event"] == "disk_full"
    assert line["level"] == "warning"


@pytest.mark.usefixtures("restore_logging")
def test_lines_below_the_level_are_not_written(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("warning", "json")
    log = get_logger("chatserver.test")
    log.info("chatter")
    log.warning("worth_a_line")
    assert [line["event"] for line in json_lines(capsys.readouterr().err)] == ["worth_a_line"]


@pytest.mark.usefixtures("restore_logging")
def test_websockets_info_lines_are_silenced(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("debug", "json")
    logging.getLogger("websockets.server").info("connection rejected (404 Not Found)")
    logging.getLogger("websockets.server").warning("frame_too_big")
    assert [line["event"] for line in json_lines(capsys.readouterr().err)] == ["frame_too_big"]


@pytest.mark.usefixtures("restore_logging")
def test_exceptions_are_rendered_with_their_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "json")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        get_logger("chatserver.test").exception("handler_failed", text=SECRET_WORDS)
    err = capsys.readouterr().err
    [line] = json_lines(err)
    assert line["event"] == "handler_failed"
    assert "RuntimeError: boom" in line["exception"]
    assert SECRET_WORDS not in err


@pytest.mark.usefixtures("restore_logging")
def test_console_format_writes_the_event_without_private_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info", "console")
    get_logger("chatserver.test").info("session_ended", reason="idle", text=SECRET_WORDS)
    err = capsys.readouterr().err
    assert "session_ended" in err
    assert "idle" in err
    assert SECRET_WORDS not in err
    with pytest.raises(json.JSONDecodeError):
        json.loads(err)


@pytest.mark.usefixtures("restore_logging")
def test_auto_format_is_json_off_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", "auto")
    get_logger("chatserver.test").info("started", port=8765)
    [line] = json_lines(capsys.readouterr().err)
    assert (line["event"], line["port"]) == ("started", 8765)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.usefixtures("restore_logging")
def test_auto_format_is_console_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    configure_logging("info", "auto")
    get_logger("chatserver.test").info("started", port=8765, intro=SECRET_WORDS)
    written = terminal.getvalue()
    assert "started" in written
    assert SECRET_WORDS not in written
    with pytest.raises(json.JSONDecodeError):
        json.loads(written)


# --- pseudonymize ------------------------------------------------------------


def test_pseudonym_is_stable_within_the_process() -> None:
    assert pseudonymize("203.0.113.9") == pseudonymize("203.0.113.9")


def test_different_addresses_get_different_pseudonyms() -> None:
    addresses = [f"203.0.113.{i}" for i in range(256)]
    assert len({pseudonymize(a) for a in addresses}) == len(addresses)


def test_pseudonym_is_short_hex_that_does_not_contain_the_address() -> None:
    for address in ["203.0.113.9", "2001:db8::1", "10.0.0.1"]:
        alias = pseudonymize(address)
        assert len(alias) == 12
        assert int(alias, 16) >= 0
        assert address not in alias


def test_pseudonym_is_salted_so_a_dictionary_of_plain_hashes_cannot_reverse_it() -> None:
    address = "203.0.113.9"
    assert pseudonymize(address) != hashlib.sha256(address.encode()).hexdigest()[:12]
