"""What a run shows: a table at the end, a JSON file, a PNG of the latencies.

The table uses ``rich`` when it is installed (the ``progress`` extra) and plain
aligned text otherwise. The plot needs ``matplotlib`` (the ``plot`` extra);
without it :func:`write_plot` raises :class:`PlotUnavailable` with the
command that installs it.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any, TextIO

from .recorder import RunResult
from .stats import Summary

__all__ = ["PlotUnavailable", "as_json", "render_table", "table_rows", "write_json", "write_plot"]

JSON_VERSION = 1


class PlotUnavailable(Exception):
    """``--plot`` needs matplotlib, which is not installed."""


def as_json(result: RunResult) -> dict[str, Any]:
    """Every figure of the run and its parameters, as plain JSON data."""
    return {
        "version": JSON_VERSION,
        "params": result.params,
        "started_at": result.started_at,
        "elapsed_s": round(result.elapsed_s, 3),
        "sessions": result.sessions,
        "match_latency_ms": result.match_latency.as_dict(),
        "relay_latency_ms": result.relay_latency.as_dict(),
        "dispatch_lag_ms": result.dispatch_lag.as_dict(),
        "messages": result.messages,
        "delivered_per_s": round(result.delivered_per_s, 1),
        "all_delivered": result.all_delivered,
        "errors": result.errors,
        "rate_limited": result.rate_limited,
        "resends": result.resends,
        "failures": result.failures,
        "reconnects": result.reconnects,
        "relay_latency_series": [w.as_dict() for w in result.series],
        "match_latency_series": [w.as_dict() for w in result.match_series],
        "relay_latency_histogram": result.histogram.as_dict(),
    }


def write_json(result: RunResult, path: str | Path) -> None:
    Path(path).write_text(json.dumps(as_json(result), indent=2) + "\n")


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def _latency_row(name: str, s: Summary) -> tuple[str, str]:
    if not s.count:
        return name, "none measured"
    return name, (
        f"p50 {_ms(s.p50)}  p95 {_ms(s.p95)}  p99 {_ms(s.p99)}  max {_ms(s.max)} ms  (n={s.count})"
    )


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def table_rows(result: RunResult) -> list[tuple[str, str]]:
    """The final table as (figure, value) rows."""
    p, m = result.params, result.messages
    load = f"{p['rate']:g} msg/s open loop" if p["mode"] == "open" else (
        f"closed loop, think {p['think_ms']:g} ms"
    )  # fmt: skip
    return [
        ("run", f"{p['seekers']} seekers, {p['listeners']} listeners x {p['capacity']}, {load}"),
        ("elapsed", f"{result.elapsed_s:.1f} s"),
        ("sessions", _counts(result.sessions)),
        _latency_row("match latency", result.match_latency),
        _latency_row("relay latency", result.relay_latency),
        _latency_row("dispatch lag", result.dispatch_lag),
        ("messages", _counts(m)),
        ("delivered", f"{result.delivered_per_s:.1f} msg/s"),
        ("all delivered", "yes" if result.all_delivered else f"NO: {m['lost']} lost"),
        ("errors", _counts(result.errors)),
        ("rate limited", f"{result.rate_limited} (resent {result.resends})"),
        ("failures", _counts(result.failures)),
        ("reconnects", str(result.reconnects)),
    ]


def render_table(result: RunResult, out: TextIO) -> None:
    """Print the final table (rich when installed and ``out`` is a terminal)."""
    rows = table_rows(result)
    if out.isatty():
        try:  # optional (the progress extra); imported by name so type checks pass without it
            console = importlib.import_module("rich.console")
            tables = importlib.import_module("rich.table")
        except ImportError:
            pass
        else:
            table = tables.Table(title="chatserver load test", show_header=False)
            table.add_column(style="bold")
            table.add_column()
            for name, value in rows:
                table.add_row(name, value)
            console.Console(file=out).print(table)
            return
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}", file=out)


def write_plot(result: RunResult, path: str | Path) -> None:
    """Relay latency percentiles over time and a latency histogram, as one PNG.

    Raises:
        PlotUnavailable: matplotlib is not installed.
    """
    try:  # optional (the plot extra); imported by name so type checks pass without it
        importlib.import_module("matplotlib").use("Agg")
        plt: Any = importlib.import_module("matplotlib.pyplot")
    except ImportError as exc:
        raise PlotUnavailable(
            "--plot needs matplotlib: pip install 'chatserver[plot]' (or pip install matplotlib)"
        ) from exc
    fig, (over_time, spread) = plt.subplots(1, 2, figsize=(12, 4.5))
    series = [w for w in result.series if w.count]
    t = [w.start_s for w in series]
    for name in ("p50", "p95", "p99", "max"):
        over_time.plot(t, [getattr(w, name) for w in series], label=name, marker=".")
    over_time.set_yscale("log")
    over_time.set_xlabel("time into the run (s)")
    over_time.set_ylabel("one-way relay latency (ms)")
    over_time.set_title("relay latency percentiles per second")
    over_time.grid(True, which="both", alpha=0.3)
    over_time.legend()
    h = result.histogram
    spread.stairs(h.counts, h.edges, fill=True)
    spread.set_xscale("log")
    filled = [i for i, c in enumerate(h.counts) if c]
    if filled:
        spread.set_xlim(h.edges[filled[0]], h.edges[filled[-1] + 1])
    spread.set_xlabel("one-way relay latency (ms)")
    spread.set_ylabel("messages")
    spread.set_title(f"latency histogram (n={result.relay_latency.count})")
    spread.grid(True, which="both", alpha=0.3)
    p = result.params
    fig.suptitle(
        f"{p['seekers']} seekers, {p['listeners']} listeners, {p['mode']} loop, "
        f"{result.delivered_per_s:.0f} msg/s delivered"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
