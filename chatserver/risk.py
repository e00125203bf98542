"""Crisis triage: does what someone wrote match a configured risk pattern?

Patterns are words or phrases per language, matched whole-word and
case-insensitively; spaces in a phrase match any run of whitespace, and a
straight or curly apostrophe matches either. The text is only tested, never
kept: callers record that a flag was raised, nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

__all__ = ["RiskDetector"]


def _compile(phrases: Sequence[str]) -> re.Pattern[str] | None:
    parts = []
    for phrase in phrases:
        words = [re.escape(w).replace("'", "['’]") for w in phrase.split()]
        if words:
            parts.append(r"\s+".join(words))
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


class RiskDetector:
    """Risk patterns by language, compiled once."""

    def __init__(self, patterns: Mapping[str, Sequence[str]], default_lang: str) -> None:
        self._patterns = {lang.lower(): _compile(p) for lang, p in patterns.items()}
        self._default = default_lang.lower()

    def _pattern_for(self, lang: str | None) -> re.Pattern[str] | None:
        """The patterns for ``en-GB``, else ``en``, else the default language."""
        if lang:
            lang = lang.lower()
            for candidate in (lang, lang.split("-", 1)[0]):
                if candidate in self._patterns:
                    return self._patterns[candidate]
        return self._patterns.get(self._default)

    def matches(self, text: str, lang: str | None = None) -> bool:
        """True if ``text`` contains a risk word or phrase of ``lang``."""
        pattern = self._pattern_for(lang)
        return pattern is not None and pattern.search(text) is not None
