"""Key names are built in one place: every key a Lua script touches is one ``Keys`` makes."""

from __future__ import annotations

import inspect
import re
from importlib import resources
from pathlib import Path

from chatserver.broker.keys import Keys

KEY_CALL = re.compile(r"\bkey\(([^()]*)\)")


def lua_key_shapes() -> set[str]:
    """Every ``key(...)`` in the Lua scripts as a shape: literals kept, variables as ``*``."""
    shapes: set[str] = set()
    for script in (resources.files("chatserver.broker") / "lua").iterdir():
        for args in KEY_CALL.findall(script.read_text()):
            if not args.strip() or args.strip() == "...":
                continue
            parts = [a.strip() for a in args.split(",")]
            shapes.add(":".join(p.strip("'") if p.startswith("'") else "*" for p in parts))
    return shapes


def python_key_shapes() -> set[str]:
    keys = Keys("P")
    shapes: set[str] = set()
    for name, member in inspect.getmembers(Keys):
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            shapes.add(getattr(keys, name).removeprefix("P:"))
        elif name == "ended":
            shapes.add("e:*")  # named by a hash of the session id, not the id itself
        elif callable(member):
            shapes.add(getattr(keys, name)("*").removeprefix("P:"))
    return shapes


def test_every_key_a_script_uses_is_built_by_keys() -> None:
    shapes = lua_key_shapes()
    assert shapes, "no key(...) calls found in the Lua scripts"
    assert shapes <= python_key_shapes() | {"epoch"}, shapes - python_key_shapes()


def test_every_key_is_documented_in_the_example_config() -> None:
    example = Path("config.example.toml").read_text()
    for shape in python_key_shapes() | {"epoch"}:
        documented = "{p}:" + re.sub(r"\*", "{x}", shape)
        pattern = re.escape(documented).replace(re.escape("{x}"), r"\{[a-z ]+\}")
        assert re.search(pattern, example), f"{documented} is not in config.example.toml"
