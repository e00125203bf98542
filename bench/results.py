"""Write ``bench/RESULTS.md`` (tables, targets met or not) and its PNG plots from one run."""

from __future__ import annotations

import datetime
import importlib
import importlib.metadata
import os
import platform
import statistics
import subprocess
from pathlib import Path
from typing import Any

__all__ = ["machine", "write_results"]

PACKAGES = [
    "websockets", "msgpack", "redis", "structlog", "PyJWT", "python-socketio",
    "python-engineio", "aiohttp", "uvloop", "matplotlib", "py-spy",
]  # fmt: skip
LABELS = {
    "relay": "(a) bare websockets relay",
    "chat-memory": "(b) chatserver, memory broker, 1 node",
    "chat-redis": "(c) chatserver, Redis, 2 nodes",
    "sio": "(d) python-socketio alone",
    "sio-redis": "(d) python-socketio + AsyncRedisManager, 2 nodes",
    "chat-memory-asyncio": "(b') chatserver, memory broker, without uvloop",
    "chat-memory-patched": "(b0) chatserver, memory broker, another checkout",
    "chat-redis-patched": "(c0) chatserver, Redis, 2 nodes, another checkout",
}


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _run(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return "unknown"


def _f(value: float | None, fmt: str = "{:.0f}") -> str:
    return "-" if value is None else fmt.format(value)


def _mark(ok: bool | None) -> str:
    return "(a figure)" if ok is None else ("**met**" if ok else "**not met**")


def machine(label: str | None) -> list[str]:
    """Where and what was measured (read when the run starts, kept in results.json)."""
    commit = _run(["git", "rev-parse", "--short", "HEAD"])
    dirty = _run(["git", "status", "--porcelain", "--", "chatserver", "protocol"])
    measured = label or (
        f"chatserver commit {commit}"
        + (" with uncommitted changes in chatserver/ or protocol/" if dirty else "")
    )
    redis = _run(["redis-server", "--version"]).split(" sha=")[0]
    versions = ", ".join(f"{p} {_version(p)}" for p in PACKAGES)
    return [
        f"- Date: {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {os.cpu_count()} cores ({_cpu_model()}), {_mem_gib()} RAM, "
        f"{platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {versions}; {redis}",
        f"- Measured: {measured}",
    ]


def _relay_section(relay: dict[str, Any], args: dict[str, Any], out_dir: Path) -> list[str]:
    s = relay["summary"]
    lines = [
        "## 1. Pairing and relay, side by side",
        "",
        f"{args['pairs']} seeker/listener pairs per system (chatserver: listeners sign in and say "
        "`ready`, seekers `request` and are matched by the server; relay and socketio: a pair "
        "key). **Throughput**: closed-loop ping-pong, one message in flight per pair, "
        f"{args['seconds']} s after {args['warmup']} s of warm-up. **Latency**: open loop at "
        f"{args['rate']:.0f} msg/s in total spread over every connection, one-way (send to the "
        "peer's receipt; one machine, one clock). Systems alternate within each of "
        f"{args['reps']} rounds (A B C ... A B C ...); figures are medians over the rounds and "
        "ratios are medians of the per-round ratios. Server CPU is user+system time of the "
        "server processes (and their Redis) during the window, per message delivered; "
        '"other processes" is the rest of the machine\'s busy time in the windows (anything '
        "above a few percent means the figures of that system are lower and its p99 higher "
        "than on a quiet machine). Every server and the load generator run on uvloop.",
        "",
        "| system | ping-pong msg/s | x relay | server CPU us/msg | relay's CPU/msg "
        "as a share of this | server CPU | load generator CPU | other processes' CPU "
        f"| p50 ms at {args['rate']:.0f}/s | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, v in s.items():
        lines.append(
            f"| {LABELS.get(name, name)} | {_f(v['pingpong_msgs_per_s'])} "
            f"| {_f(v['ratio_to_relay'], '{:.2f}x')} "
            f"| {_f(v['pingpong_server_cpu_us_per_msg'], '{:.1f}')} "
            f"| {_f(v['cpu_efficiency_ratio_to_relay'], '{:.2f}x')} "
            f"| {_f(v['pingpong_server_cpu_pct'])}% | {_f(v['pingpong_loadgen_cpu_pct'])}% "
            f"| {_f(v.get('other_cpu_pct'))}% "
            f"| {_f(v['rate_p50_ms'], '{:.2f}')} | {_f(v['rate_p99_ms'], '{:.2f}')} "
            f"| {_f(v['rate_max_ms'], '{:.1f}')} |"
        )
    lines += ["", "![throughput](throughput.png)", "", "Per round (ping-pong msg/s):", ""]
    runs = relay["runs"]
    header = "| system | " + " | ".join(f"round {i + 1}" for i in range(args["reps"])) + " |"
    lines += [header, "|---" * (args["reps"] + 1) + "|"]
    for name, rs in runs.items():
        cells = " | ".join(_f(r["pingpong"]["msgs_per_s"]) for r in rs)
        lines.append(f"| {name} | {cells} |")
    errors = {n: v["errors"] for n, v in s.items() if v.get("errors")}
    if errors:
        lines += ["", f"Error frames seen by the load generator: {errors}"]
    _plot_relay(s, out_dir / "throughput.png")
    return lines + [""]


def _targets(results: dict[str, Any]) -> list[str]:
    s = results.get("relay", {}).get("summary", {})
    rows: list[tuple[str, str, bool | None]] = []

    def get(name: str, key: str) -> float | None:
        value = s.get(name, {}).get(key)
        return float(value) if value is not None else None

    mem, red = "chat-memory", "chat-redis"
    checks = [(mem, 0.8, 5.0), (red, 0.6, 8.0)]
    for name, floor, p99max in checks:
        r = get(name, "ratio_to_relay")
        c = get(name, "cpu_efficiency_ratio_to_relay")
        rows.append((
            f"{LABELS[name]}: throughput >= {floor}x bare relay",
            f"{_f(r, '{:.2f}x')} (CPU per message: relay's is {_f(c, '{:.2f}x')} of it)",
            None if r is None else r >= floor,
        ))  # fmt: skip
        p99 = get(name, "rate_p99_ms")
        rows.append((
            f"{LABELS[name]}: p99 one-way <= {p99max:g} ms at 2,000 msg/s",
            f"{_f(p99, '{:.2f} ms')}",
            None if p99 is None else p99 <= p99max,
        ))  # fmt: skip
    for other, factor in (("sio", 2.0), ("sio-redis", 4.0)):
        base = mem if other == "sio" else red
        for name in (base,):
            if name not in s:
                continue
            r = get(name, f"ratio_to_{other}")
            rows.append((
                f"{LABELS[name]} >= {factor:g}x {LABELS[other]}",
                _f(r, "{:.2f}x"),
                None if r is None else r >= factor,
            ))  # fmt: skip
    memory = results.get("memory", [])
    for m in memory:
        if m["system"] == "chat-memory" and "failed" not in m and "probe" not in m:
            kib = m["bytes_per_conn"] / 1024
            label = "waiting in the queue" if m["queued"] else "idle after hello"
            rows.append((f"<= 20 KiB per connection ({label})", f"{kib:.1f} KiB", kib <= 20))
    for m in memory:
        if m["system"] == "chat-memory" and "probe" in m:
            held, p99 = m["held_during_probe"], m["probe"]["latency_ms"]["p99"]
            fd_limit = results.get("fd_hard_limit")
            ok = held >= min(20_000, m["count"]) and p99 is not None and p99 <= 50
            capped = ""
            if m["count"] < 20_000 and fd_limit:
                capped = (f"; this machine allows {fd_limit:,} open files per process "
                          "(`ulimit -Hn`, not raisable here), so one process cannot hold 20,000 "
                          f"sockets: {m['count']:,} asked")  # fmt: skip
            rows.append((
                "20,000 concurrent connections on one node (held while 100 more pairs talk, "
                "p99 <= 50 ms)",
                f"{held:,} held, p99 {_f(p99, '{:.1f} ms')}{capped}",
                ok if not capped else (None if ok else False),
            ))  # fmt: skip
    conc = results.get("concurrency", {}).get("chat-memory")
    if conc:
        held = _held(conc["steps"])
        relay = results.get("concurrency", {}).get("relay")
        floor = f" (bare relay: {_held(relay['steps']):,})" if relay else ""
        rows.append((
            "connections at 1 msg/s each before the p99 passes 50 ms (a figure; N connections "
            "are N msg/s, so this is bounded by throughput)",
            f"{held:,}{floor}", None,
        ))  # fmt: skip
    for key in ("chat-redis",):
        match = results.get("matching", {}).get(key)
        if not match:
            continue
        rate = statistics.median(r["matches_per_s"] for r in match)
        clean = all(r["double_matched_seekers"] == 0 and r["over_capacity"] == 0 for r in match)
        what = LABELS[key]
        rows.append((f"{what}: >= 3,000 matches/s, 1,000 seekers over two nodes",
                     f"{rate:,.0f}/s", rate >= 3000))  # fmt: skip
        rows.append((f"{what}: no double match, no listener over capacity",
                     "yes" if clean else "NO", clean))  # fmt: skip
    lines = ["## Targets", "", "| target | measured | |", "| --- | --- | --- |"]
    lines += [f"| {t} | {m} | {_mark(ok)} |" for t, m, ok in rows]
    return lines + [""]


def _held(steps: list[dict[str, Any]]) -> int:
    held = 0
    for step in steps:
        p99 = step.get("latency_ms", {}).get("p99")
        if "failed" in step or p99 is None or p99 > 50:
            break
        held = step["connections"]
    return held


def _memory_section(memory: list[dict[str, Any]]) -> list[str]:
    lines = [
        "## 2. Memory per idle connection",
        "",
        "Each case on a fresh server: 100 connections to warm up, resident memory (RSS) "
        "read, then the connections below opened (from 127.0.0.1, no compression), 5 s to "
        "settle, RSS read again.",
        "",
        "| system | connections | state | RSS before | RSS after | per connection |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for m in memory:
        if "probe" in m:
            continue  # in its own table below
        if "failed" in m:
            lines.append(f"| {LABELS.get(m['system'], m['system'])} | - | failed: "
                         f"{m['failed'][-200:]} ||||")  # fmt: skip
            continue
        state = {
            "relay": "waiting for a partner",
            "chat-memory": "seeker waiting in the queue" if m["queued"] else "seeker after hello",
            "sio": "connected to the namespace",
        }.get(m["system"], "")
        lines.append(
            f"| {LABELS.get(m['system'], m['system'])} | {m['count']:,} | {state} "
            f"| {m['rss_before'] / 2**20:.0f} MiB | {m['rss_after'] / 2**20:.0f} MiB "
            f"| **{m['bytes_per_conn'] / 1024:.1f} KiB** |"
        )
    held = [m for m in memory if "probe" in m]
    if held:
        lines += [
            "",
            "**Holding many connections.** On a fresh node, the connections below are opened "
            "and kept (seekers after `hello`, reading); then 100 more pairs are matched and "
            "talk at one message a second each for 3 s.",
            "",
            "| system | connections held | RSS after | per connection | pairing 100 more "
            "| their p50 ms | p99 ms | max ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for m in held:
            lat = m["probe"]["latency_ms"]
            lines.append(
                f"| {LABELS.get(m['system'], m['system'])} | {m['held_during_probe']:,} of "
                f"{m['count']:,} | {m['rss_after'] / 2**20:.0f} MiB "
                f"| {m['bytes_per_conn'] / 1024:.1f} KiB | {m['probe_pairing_s']:.2f} s "
                f"| {_f(lat['p50'], '{:.2f}')} | {_f(lat['p99'], '{:.2f}')} "
                f"| {_f(lat['max'], '{:.1f}')} |"
            )
    return lines + [""]


def _concurrency_section(conc: dict[str, Any], out_dir: Path) -> list[str]:
    lines = [
        "## 3. Concurrent connections at one message a second each",
        "",
        "Pairs added step by step on one node; every connection sends one message a second "
        "(so N connections = N msg/s), open loop; 3 s measured per step after 1 s. Stops when "
        "the p99 passes 50 ms. The load generator shares the two cores with the server.",
        "",
        "| system | connections | msg/s delivered | p50 ms | p99 ms | max ms | server CPU "
        "| load generator CPU | other processes' CPU | server RSS |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in conc.items():
        for st in r["steps"]:
            if "failed" in st:
                lines.append(f"| {name} | {st['connections']:,} | failed: {st['failed']} ||||||||")
                continue
            lat = st["latency_ms"]
            lines.append(
                f"| {LABELS.get(name, name)} | {st['connections']:,} | {st['msgs_per_s']:.0f} "
                f"| {_f(lat['p50'], '{:.2f}')} | {_f(lat['p99'], '{:.1f}')} "
                f"| {_f(lat['max'], '{:.0f}')} | {st['server_cpu_pct']:.0f}% "
                f"| {st['loadgen_cpu_pct']:.0f}% | {st.get('other_cpu_pct', 0):.0f}% "
                f"| {st['rss'] / 2**20:.0f} MiB |"
            )
        lines.append(f"| **{name}: held at p99 <= 50 ms** | **{_held(r['steps']):,}** |||||||||")
    _plot_concurrency(conc, out_dir / "concurrency.png")
    return lines + ["", "![concurrency](concurrency.png)", ""]


def _matching_section(matching: dict[str, list[dict[str, Any]]]) -> list[str]:
    lines = [
        "## 4. Matching throughput",
        "",
        "Listeners (capacity 4 each) ready on every node, seekers connected and welcomed, "
        "then every seeker sends `request` at once; time from the first request to the last "
        "`matched`. Seekers and listeners alternate over the nodes.",
        "",
        "| system | seekers | listeners x capacity | matched | seconds | matches/s "
        "| p50 / p99 ms to matched | double matches | over capacity | server CPU s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, runs in matching.items():
        for r in runs:
            lat = r["latency_ms"]
            lines.append(
                f"| {LABELS.get(name, name)} | {r['seekers']} | {r['listeners']} x "
                f"{r['capacity']} | {r['matched']} | {r['seconds']:.2f} "
                f"| **{r['matches_per_s']:.0f}** | {_f(lat['p50'])} / {_f(lat['p99'])} "
                f"| {r['double_matched_seekers']} | {r['over_capacity']} "
                f"| {r['server_cpu_s']:.1f} |"
            )
    return lines + [""]


def _profile_section(profile: dict[str, Any]) -> list[str]:
    lines = [
        "## 5. Profile (py-spy, ping-pong load)",
        "",
        "py-spy sampled the node at 250 Hz during the measured ping-pong window "
        "(`--nonblocking`; idle time in the event loop's poll is not sampled). Collapsed "
        "stacks are next to this file (open them in speedscope or flamegraph.pl).",
        "",
    ]
    for name, p in profile.items():
        lines += [
            f"### {LABELS.get(name, name)}: `{p['file']}`",
            "",
            f"{p['samples']} samples; {p['pingpong_msgs_per_s']:.0f} msg/s, "
            f"{_f(p['server_cpu_us_per_msg'], '{:.1f}')} us of server CPU per message.",
            "",
            "| area (innermost project or library frame) | share of busy samples |",
            "| --- | ---: |",
        ]
        lines += [f"| {k} | {v:.1f}% |" for k, v in p["by_area"]]
        lines += ["", "| function (inclusive) | share |", "| --- | ---: |"]
        lines += [f"| `{k}` | {v:.1f}% |" for k, v in p["top_inclusive"][:25]]
        lines += ["", "| function (self) | share |", "| --- | ---: |"]
        lines += [f"| `{k}` | {v:.1f}% |" for k, v in p["top_self"][:15]]
        lines.append("")
    return lines


def _pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend, or None without the plot extra."""
    try:
        importlib.import_module("matplotlib").use("Agg")
        return importlib.import_module("matplotlib.pyplot")
    except ImportError:
        return None


def _plot_relay(summary: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    if plt is None:
        return
    names = list(summary)
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4.5))
    tput = [summary[n]["pingpong_msgs_per_s"] or 0 for n in names]
    cpu = [summary[n]["pingpong_server_cpu_us_per_msg"] or 0 for n in names]
    p99 = [summary[n]["rate_p99_ms"] or 0 for n in names]
    p50 = [summary[n]["rate_p50_ms"] or 0 for n in names]
    a.barh(names, tput)
    a.set_xlabel("ping-pong messages/s (median)")
    b.barh(names, cpu, color="tab:orange")
    b.set_xlabel("server CPU per message (us)")
    c.barh(names, p99, color="tab:red", label="p99")
    c.barh(names, p50, color="tab:green", label="p50")
    c.set_xscale("log")
    c.set_xlabel("one-way latency at the fixed rate (ms, log)")
    c.legend()
    for ax in (b, c):
        ax.set_yticklabels([])
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _plot_concurrency(conc: dict[str, Any], path: Path) -> None:
    plt = _pyplot()
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, r in conc.items():
        steps = [s for s in r["steps"] if "failed" not in s and s["latency_ms"]["p99"] is not None]
        ax.plot([s["connections"] for s in steps], [s["latency_ms"]["p99"] for s in steps],
                marker="o", label=f"{name} p99")  # fmt: skip
        ax.plot([s["connections"] for s in steps], [s["latency_ms"]["p50"] for s in steps],
                marker=".", linestyle="--", label=f"{name} p50")  # fmt: skip
    ax.axhline(50, color="grey", linestyle=":", label="50 ms")
    ax.set_yscale("log")
    ax.set_xlabel("connections, each sending 1 msg/s")
    ax.set_ylabel("one-way latency (ms)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_results(results: dict[str, Any], path: Path) -> None:
    out_dir = path.parent
    args = results["args"]
    if args.get("compare_tree"):
        what = args.get("compare_label") or "another checkout"
        LABELS["chat-memory-patched"] = f"(b0) chatserver, memory broker, {what}"
        LABELS["chat-redis-patched"] = f"(c0) chatserver, Redis, 2 nodes, {what}"
    lines = [
        "# chatserver benchmarks",
        "",
        "Written by `make bench` (`python -m bench`); every figure below comes from one "
        f"invocation that took {results.get('elapsed_s', 0) / 60:.1f} minutes on this machine. "
        "Raw figures: `results.json`.",
        "",
        *(results.get("machine") or machine(args.get("label"))),
        f"- CPU already busy before the run (other processes): "
        f"{results.get('busy_before_pct', 0):.0f}%",
        "",
    ]
    lines += _targets(results)
    if "relay" in results:
        lines += _relay_section(results["relay"], args, out_dir)
    if "memory" in results:
        lines += _memory_section(results["memory"])
    if "concurrency" in results:
        lines += _concurrency_section(results["concurrency"], out_dir)
    if "matching" in results:
        lines += _matching_section(results["matching"])
    if results.get("profile"):
        lines += _profile_section(results["profile"])
    if results.get("failures"):
        lines += ["## Parts that failed in this run", ""]
        for part, why in results["failures"].items():
            lines += [f"- **{part}**:", "", "```", why.strip(), "```", ""]
    findings = out_dir / "FINDINGS.md"
    if findings.exists():
        lines += [findings.read_text().rstrip(), ""]
    path.write_text("\n".join(lines) + "\n")
