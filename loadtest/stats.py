"""Latency statistics: percentiles, summaries, histograms and per-window series.

Pure functions over plain numbers (no I/O, no clock), so the figures a run
reports can be checked against known data. Percentiles use the nearest-rank
method: ``p`` of ``n`` sorted values is the value at rank ``ceil(p/100 * n)``,
always one of the observed values (as HdrHistogram and most load tools
report them), and ``p100`` is the maximum.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

__all__ = [
    "PERCENTILES",
    "Histogram",
    "Summary",
    "Window",
    "histogram",
    "log_edges",
    "percentile",
    "summarize",
    "windows",
]

PERCENTILES = (50.0, 95.0, 99.0)
"""The percentiles every latency summary reports (with the maximum)."""


def percentile(ordered: Sequence[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile of already sorted values.

    Raises:
        ValueError: ``ordered`` is empty, or ``p`` is outside 0..100.
    """
    if not ordered:
        raise ValueError("percentile: expected at least one value, got none")
    if not 0.0 <= p <= 100.0:
        raise ValueError(f"percentile: expected p from 0 to 100, got {p}")
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Summary:
    """Count and percentiles of a set of latencies (milliseconds); None when empty."""

    count: int
    mean: float | None
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def summarize(values: Iterable[float]) -> Summary:
    """Count, mean, p50/p95/p99 and maximum of ``values`` (all None when there are none)."""
    ordered = sorted(values)
    if not ordered:
        return Summary(0, None, None, None, None, None)
    p50, p95, p99 = (percentile(ordered, p) for p in PERCENTILES)
    return Summary(len(ordered), sum(ordered) / len(ordered), p50, p95, p99, ordered[-1])


@dataclass(frozen=True, slots=True)
class Histogram:
    """Counts of values per bin: bin ``i`` holds ``edges[i] <= v < edges[i + 1]``.

    Values below the first edge are counted in ``under``, values at or above
    the last edge in ``over``, so no value is lost.
    """

    edges: tuple[float, ...]
    counts: tuple[int, ...]
    under: int
    over: int

    @property
    def total(self) -> int:
        return sum(self.counts) + self.under + self.over

    def as_dict(self) -> dict[str, object]:
        return {
            "edges_ms": list(self.edges),
            "counts": list(self.counts),
            "under": self.under,
            "over": self.over,
        }


def log_edges(low: float, high: float, per_decade: int = 10) -> tuple[float, ...]:
    """Bin edges spaced evenly on a log scale from ``low`` to at least ``high``.

    Raises:
        ValueError: ``low`` is not positive, ``high <= low`` or ``per_decade < 1``.
    """
    if low <= 0 or high <= low or per_decade < 1:
        raise ValueError(
            f"log_edges: expected 0 < low < high and per_decade >= 1, "
            f"got low={low}, high={high}, per_decade={per_decade}"
        )
    steps = math.ceil(round(math.log10(high / low) * per_decade, 9))
    return tuple(low * 10 ** (i / per_decade) for i in range(steps + 1))


def histogram(values: Iterable[float], edges: Sequence[float]) -> Histogram:
    """Count ``values`` into the bins between consecutive ``edges`` (increasing).

    Raises:
        ValueError: fewer than two edges, or edges that do not increase.
    """
    if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise ValueError("histogram: expected at least two strictly increasing edges")
    counts = [0] * (len(edges) - 1)
    under = over = 0
    first, last = edges[0], edges[-1]
    for value in values:
        if value < first:
            under += 1
        elif value >= last:
            over += 1
        else:
            counts[_bin(edges, value)] += 1
    return Histogram(tuple(edges), tuple(counts), under, over)


def _bin(edges: Sequence[float], value: float) -> int:
    """Index of the bin holding ``value`` (edges[0] <= value < edges[-1]), by bisection."""
    lo, hi = 0, len(edges) - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if value < edges[mid]:
            hi = mid
        else:
            lo = mid
    return lo


@dataclass(frozen=True, slots=True)
class Window:
    """Latency percentiles of the samples taken in one window of the run."""

    start_s: float
    count: int
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def windows(samples: Iterable[tuple[float, float]], width_s: float) -> list[Window]:
    """Group ``(time_s, value)`` samples into consecutive windows of ``width_s`` seconds.

    Windows run from 0 to the last sample's window, empty ones included (with
    None percentiles), so a plot shows gaps where nothing arrived.

    Raises:
        ValueError: ``width_s`` is not positive, or a sample's time is negative.
    """
    if width_s <= 0:
        raise ValueError(f"windows: expected a positive width, got {width_s}")
    buckets: dict[int, list[float]] = {}
    for t, value in samples:
        if t < 0:
            raise ValueError(f"windows: expected sample times of at least 0, got {t}")
        buckets.setdefault(int(t // width_s), []).append(value)
    if not buckets:
        return []
    out: list[Window] = []
    for index in range(max(buckets) + 1):
        s = summarize(buckets.get(index, ()))
        out.append(Window(index * width_s, s.count, s.p50, s.p95, s.p99, s.max))
    return out
