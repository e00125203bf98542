"""Block tags: salted, rotating, never the identity itself."""

from __future__ import annotations

from chatserver.blocks import block_tags

SECRET = "s" * 32


def test_a_tag_does_not_contain_what_it_blocks() -> None:
    current, previous = block_tags(SECRET, "seeker", "Sabc123", 3600, 1_000_000)
    assert "Sabc123" not in current and current != previous


def test_the_tag_changes_each_period_and_the_old_one_is_checked() -> None:
    now = 7200.0 * 100
    current, _ = block_tags(SECRET, "seeker", "Sabc", 7200, now)
    later_current, later_previous = block_tags(SECRET, "seeker", "Sabc", 7200, now + 7200)
    assert later_previous == current and later_current != current


def test_tags_differ_by_kind_value_and_secret() -> None:
    base = block_tags(SECRET, "seeker", "x", 60, 0)
    assert block_tags(SECRET, "address", "x", 60, 0) != base
    assert block_tags(SECRET, "seeker", "y", 60, 0) != base
    assert block_tags("t" * 32, "seeker", "x", 60, 0) != base
