"""``protocol`` is pure: importing it brings in no I/O framework and nothing of the server.

Checked in a fresh interpreter, since this test process has long since
imported asyncio, websockets and chatserver for other tests (STYLE 1).
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import protocol

ROOT = Path(protocol.__file__).resolve().parent.parent
FORBIDDEN = ("asyncio", "websockets", "redis", "chatserver")

PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
forbidden = {forbidden!r}
print(json.dumps(sorted(
    name for name in sys.modules
    if any(name == f or name.startswith(f + ".") for f in forbidden)
)))
"""


def imported_after(*modules: str) -> list[str]:
    """The forbidden modules loaded by importing ``modules`` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(forbidden=FORBIDDEN), *modules],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found: list[str] = json.loads(done.stdout)
    return found


def test_import_protocol_loads_no_asyncio_websockets_redis_or_chatserver() -> None:
    assert imported_after("protocol") == []


SUBMODULES = sorted(m.name for m in pkgutil.iter_modules(protocol.__path__, "protocol."))


def test_the_package_has_the_modules_this_test_expects() -> None:
    assert {"protocol.codec", "protocol.fields", "protocol.frames"} <= set(SUBMODULES)


@pytest.mark.parametrize("module", SUBMODULES)
def test_every_protocol_module_is_pure_on_its_own(module: str) -> None:
    assert imported_after(module) == []


def test_the_probe_would_see_a_forbidden_import() -> None:
    assert "asyncio" in imported_after("protocol", "asyncio")
