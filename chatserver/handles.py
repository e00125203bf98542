"""Friendly random handles for anonymous seekers ("Quiet Heron").

A handle lets a listener address someone kindly without knowing who they are.
It is chosen at random per connection and carries no information; words are
calm and neutral on purpose.
"""

from __future__ import annotations

import secrets

__all__ = ["random_handle"]

ADJECTIVES = (
    "Quiet", "Gentle", "Calm", "Bright", "Kind", "Brave", "Steady", "Warm", "Soft",
    "Hopeful", "Patient", "Clear", "Easy", "Silver", "Golden", "Misty", "Sunny", "Still",
    "Tender", "Open", "Lucky", "Mellow", "Cosy", "Friendly", "Wise", "Curious", "Happy",
    "Peaceful", "Restful", "Amber",
)  # fmt: skip
ANIMALS = (
    "Heron", "Otter", "Robin", "Badger", "Fox", "Owl", "Hare", "Wren", "Finch", "Seal",
    "Deer", "Swan", "Panda", "Koala", "Dolphin", "Sparrow", "Lark", "Turtle", "Beaver",
    "Puffin", "Lynx", "Bear", "Crane", "Kestrel", "Marten", "Dove", "Pony", "Rabbit",
    "Squirrel", "Whale",
)  # fmt: skip


def random_handle() -> str:
    """An adjective and an animal, e.g. ``"Quiet Heron"`` (900 combinations)."""
    return f"{secrets.choice(ADJECTIVES)} {secrets.choice(ANIMALS)}"
