"""Crisis triage patterns: whole words, any case, any spacing, per language."""

from __future__ import annotations

import pytest

from chatserver.config import DEFAULT_RISK_PATTERNS
from chatserver.risk import RiskDetector

DETECTOR = RiskDetector(
    {"en": DEFAULT_RISK_PATTERNS["en"], "de": ["umbringen"], "fr": []}, default_lang="en"
)


@pytest.mark.parametrize(
    "text",
    ["I want to KILL   myself", "suicide.", "i don’t want to be here anymore", "Self-harm again"],
)
def test_risk_phrases_match_in_any_case_and_spacing(text: str) -> None:
    assert DETECTOR.matches(text, "en")


@pytest.mark.parametrize("text", ["killing time", "skill myself", "overdosed on coffee"])
def test_only_whole_words_match(text: str) -> None:
    assert not DETECTOR.matches(text, "en")


def test_a_regional_language_uses_its_base_language() -> None:
    assert DETECTOR.matches("ich will mich umbringen", "de-AT")
    assert not DETECTOR.matches("suicide", "de-AT")


def test_an_unknown_language_uses_the_default() -> None:
    assert DETECTOR.matches("suicide", "xx")
    assert DETECTOR.matches("suicide", None)


def test_a_language_without_patterns_matches_nothing() -> None:
    assert not DETECTOR.matches("suicide", "fr")
