"""The load test's statistics: percentiles, summaries, histograms and windows on known data."""

from __future__ import annotations

import pytest

from loadtest.recorder import read_stamp, stamp
from loadtest.stats import histogram, log_edges, percentile, summarize, windows

ONE_TO_HUNDRED = [float(v) for v in range(1, 101)]


def test_percentiles_of_one_to_a_hundred_are_their_nearest_ranks() -> None:
    assert percentile(ONE_TO_HUNDRED, 50) == 50
    assert percentile(ONE_TO_HUNDRED, 95) == 95
    assert percentile(ONE_TO_HUNDRED, 99) == 99
    assert percentile(ONE_TO_HUNDRED, 99.5) == 100
    assert percentile(ONE_TO_HUNDRED, 100) == 100
    assert percentile(ONE_TO_HUNDRED, 0) == 1


def test_percentile_of_a_small_set_is_always_an_observed_value() -> None:
    ordered = [1.0, 2.0, 3.0, 4.0]
    assert percentile(ordered, 50) == 2.0
    assert percentile(ordered, 51) == 3.0
    assert percentile(ordered, 99) == 4.0


def test_percentile_of_nothing_or_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        percentile([], 50)
    with pytest.raises(ValueError, match="from 0 to 100"):
        percentile([1.0], 101)


def test_summary_of_known_data_sorts_them_first() -> None:
    s = summarize(reversed(ONE_TO_HUNDRED))
    assert (s.count, s.p50, s.p95, s.p99, s.max) == (100, 50, 95, 99, 100)
    assert s.mean == pytest.approx(50.5)


def test_summary_of_nothing_has_no_percentiles() -> None:
    s = summarize([])
    assert s.count == 0
    assert (s.mean, s.p50, s.p95, s.p99, s.max) == (None, None, None, None, None)


def test_summary_of_a_single_value_is_that_value_everywhere() -> None:
    s = summarize([7.5])
    assert (s.count, s.mean, s.p50, s.p95, s.p99, s.max) == (1, 7.5, 7.5, 7.5, 7.5, 7.5)


def test_histogram_counts_each_value_in_its_half_open_bin() -> None:
    h = histogram([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 10.0], edges=[1.0, 2.0, 3.0])
    assert h.counts == (2, 2)  # [1, 2): 1.0, 1.5; [2, 3): 2.0, 2.5
    assert (h.under, h.over) == (1, 2)  # 0.5 below; 3.0 and 10.0 at or above the last edge
    assert h.total == 7


def test_histogram_of_nothing_is_all_zeros() -> None:
    h = histogram([], edges=[0.0, 1.0])
    assert (h.counts, h.under, h.over, h.total) == ((0,), 0, 0, 0)


def test_histogram_needs_increasing_edges() -> None:
    with pytest.raises(ValueError, match="increasing"):
        histogram([1.0], edges=[1.0])
    with pytest.raises(ValueError, match="increasing"):
        histogram([1.0], edges=[2.0, 1.0])


def test_log_edges_span_the_range_evenly_per_decade() -> None:
    edges = log_edges(1.0, 100.0, per_decade=2)
    assert edges == pytest.approx((1.0, 10**0.5, 10.0, 10**1.5, 100.0))
    with pytest.raises(ValueError, match="0 < low < high"):
        log_edges(0.0, 1.0)


def test_every_latency_lands_in_some_bin_of_the_default_edges() -> None:
    values = [0.02, 0.3, 1.0, 4.7, 50.0, 999.0]
    h = histogram(values, log_edges(0.01, 100_000.0))
    assert sum(h.counts) == len(values)


def test_windows_group_samples_by_second_and_keep_empty_ones() -> None:
    samples = [(0.1, 1.0), (0.9, 3.0), (2.5, 10.0)]
    ws = windows(samples, 1.0)
    assert [w.start_s for w in ws] == [0.0, 1.0, 2.0]
    assert [w.count for w in ws] == [2, 0, 1]
    assert (ws[0].p50, ws[0].max) == (1.0, 3.0)
    assert ws[1].p99 is None
    assert ws[2].p99 == 10.0
    assert windows([], 1.0) == []
    with pytest.raises(ValueError, match="positive width"):
        windows(samples, 0)


def test_a_stamped_message_gives_back_its_time_and_id_and_has_the_asked_size() -> None:
    text = stamp(123456789, "s1-7", 64)
    assert len(text) == 64
    assert read_stamp(text) == (123456789, "s1-7")
    assert read_stamp("hello there") is None
