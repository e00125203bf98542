"""The token bucket, driven by a simulated clock."""

from __future__ import annotations

import pytest

from chatserver.ratelimit import TokenBucket


def take_all(bucket: TokenBucket, now: float, attempts: int) -> list[bool]:
    return [bucket.take(now) for _ in range(attempts)]


def test_full_bucket_allows_a_burst_then_refuses() -> None:
    bucket = TokenBucket(rate=1.0, burst=5, now=100.0)
    assert take_all(bucket, 100.0, 7) == [True] * 5 + [False] * 2


def test_refused_take_spends_nothing() -> None:
    bucket = TokenBucket(rate=1.0, burst=1, now=0.0)
    assert bucket.take(0.0)
    assert not bucket.take(0.5)
    assert not bucket.take(0.9)
    assert bucket.take(1.0)


def test_tokens_refill_at_the_rate_over_time() -> None:
    bucket = TokenBucket(rate=2.0, burst=4, now=0.0)
    take_all(bucket, 0.0, 4)
    assert not bucket.take(0.0)
    assert take_all(bucket, 1.0, 3) == [True, True, False]


def test_partial_refill_is_kept_between_takes() -> None:
    bucket = TokenBucket(rate=1.0, burst=1, now=0.0)
    assert bucket.take(0.0)
    assert not bucket.take(0.6)
    assert bucket.take(1.0)


def test_refill_never_exceeds_the_burst() -> None:
    bucket = TokenBucket(rate=10.0, burst=3, now=0.0)
    take_all(bucket, 0.0, 3)
    assert take_all(bucket, 3600.0, 5) == [True] * 3 + [False] * 2


def test_sustained_rate_is_capped_at_the_rate() -> None:
    bucket = TokenBucket(rate=4.0, burst=1, now=0.0)
    # 10 s of 64 tries a second (binary fractions, so the sums are exact).
    allowed = sum(bucket.take(i / 64) for i in range(1, 641))
    assert allowed == 4 * 10


def test_retry_after_is_zero_while_tokens_are_left() -> None:
    bucket = TokenBucket(rate=1.0, burst=2, now=0.0)
    assert bucket.retry_after() == 0.0
    bucket.take(0.0)
    assert bucket.retry_after() == 0.0


def test_retry_after_says_how_long_until_the_next_token() -> None:
    bucket = TokenBucket(rate=4.0, burst=1, now=0.0)
    bucket.take(0.0)
    assert bucket.retry_after() == pytest.approx(0.25)
    assert not bucket.take(0.1)
    assert bucket.retry_after() == pytest.approx(0.15)


def test_waiting_retry_after_is_enough_for_the_next_take() -> None:
    bucket = TokenBucket(rate=3.0, burst=2, now=10.0)
    take_all(bucket, 10.0, 2)
    wait = bucket.retry_after()
    assert not bucket.take(10.0 + wait / 2)
    assert bucket.take(10.0 + wait / 2 + bucket.retry_after())
