"""One short load-test run against a real server: everything sent arrives, the JSON is complete."""

from __future__ import annotations

import json
from pathlib import Path

from loadtest.options import Options
from loadtest.report import write_json
from loadtest.scenario import run
from tests.conftest import StartServer
from tests.support.cast import SECRET

HIGH_LIMITS = {
    "messages_per_s": 1000.0,
    "message_burst": 1000,
    "frames_per_s": 1000.0,
    "frames_burst": 1000,
}

JSON_FIELDS = {
    "version", "params", "started_at", "elapsed_s", "sessions", "match_latency_ms",
    "relay_latency_ms", "dispatch_lag_ms", "messages", "delivered_per_s", "all_delivered",
    "errors", "rate_limited", "resends", "failures", "reconnects", "relay_latency_series",
    "match_latency_series", "relay_latency_histogram",
}  # fmt: skip
PARAMS = {
    "urls", "seekers", "listeners", "capacity", "topics", "rate", "think_ms", "message_bytes",
    "duration_s", "ramp_s", "seed", "session_messages", "comeback", "comeback_ms", "drain_s",
    "window_s", "mode",
}  # fmt: skip
SUMMARY = {"count", "mean", "p50", "p95", "p99", "max"}


async def test_a_short_run_delivers_every_message_and_reports_every_figure(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = await start_server(listener={"capacity": 2, "max_capacity": 2}, limits=HIGH_LIMITS)
    options = Options(
        urls=(server.url,),
        secret=SECRET,
        seekers=4,
        listeners=2,
        capacity=2,
        topics=("anxiety", "stress"),
        rate=60.0,
        duration_s=2.0,
        ramp_s=0.2,
        seed=3,
    )

    result = await run(options)
    write_json(result, tmp_path / "run.json")
    report = json.loads((tmp_path / "run.json").read_text())

    assert report["sessions"] == {"requested": 4, "matched": 4, "ended": 4}
    messages = report["messages"]
    assert messages["sent"] > 50
    assert messages["sent"] == messages["acknowledged"] == messages["delivered"]
    assert messages["lost"] == messages["unacknowledged"] == messages["abandoned"] == 0
    assert report["all_delivered"] is True
    assert report["errors"] == {} and report["failures"] == {}
    assert report["rate_limited"] == 0 and report["reconnects"] == 0

    assert set(report) == JSON_FIELDS
    assert set(report["params"]) == PARAMS and "secret" not in report["params"]
    for name in ("match_latency_ms", "relay_latency_ms", "dispatch_lag_ms"):
        assert set(report[name]) == SUMMARY
    relay = report["relay_latency_ms"]
    assert relay["count"] == messages["delivered"]
    assert 0 < relay["p50"] <= relay["p95"] <= relay["p99"] <= relay["max"]
    assert report["match_latency_ms"]["count"] == 4
    assert sum(w["count"] for w in report["relay_latency_series"]) == relay["count"]
    histogram = report["relay_latency_histogram"]
    assert sum(histogram["counts"]) + histogram["under"] + histogram["over"] == relay["count"]
