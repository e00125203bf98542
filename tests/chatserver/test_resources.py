"""Helplines by region, with a default set."""

from __future__ import annotations

from chatserver.config import DEFAULT_RESOURCES
from chatserver.resources import Helplines

HELPLINES = Helplines(DEFAULT_RESOURCES)


def test_a_known_region_gets_its_helplines() -> None:
    frame = HELPLINES.frame("risk", "GB")
    assert frame.reason == "risk"
    assert "Samaritans" in {item.name for item in frame.items}


def test_an_unknown_or_missing_region_gets_the_default_set() -> None:
    default = {item.name for item in HELPLINES.frame("requested", None).items}
    assert {item.name for item in HELPLINES.frame("requested", "zz").items} == default
    assert "Emergency services" in default
