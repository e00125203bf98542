"""``python -m bench`` (``make bench``): every benchmark, then ``bench/RESULTS.md``.

1. **Relay**: the same pairing-and-relay workload (``pairs`` seeker/listener
   pairs; a closed-loop ping-pong for throughput, then an open loop at
   ``rate`` messages a second for latency) against each system of
   :data:`bench.systems.COMPARED`, alternating the systems within each of
   ``reps`` rounds (A B C ... A B C ...); medians, and medians of the
   per-round ratios to the bare relay.
2. **Memory** per idle connection: 10,000 connections that wait (relay: an
   unpaired key; chatserver: ``hello``, then also with a ``request`` waiting
   in the queue; socketio: connected), resident memory before and after, each
   on a fresh server.
3. **Concurrency**: more and more pairs on one node, each connection sending
   one message a second, until the p99 passes 50 ms (or 20,000 connections).
4. **Matching**: 1,000 seekers request at once over two Redis nodes with
   listeners ready on both; matches per second; no double match.
5. **Profile**: py-spy samples a chatserver node under the ping-pong load.

Load generators are separate processes (``bench/loadgen.py``); every server
and the throwaway Redis are started here and stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .configs import SECRET
from .procs import Procs, raise_fd_limit
from .profile import profile_system
from .results import machine, write_results
from .systems import COMPARED, System, start_system, stop_system

HERE = Path(__file__).resolve().parent


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.procs = Procs()
        self.redis: tuple[str, subprocess.Popen[bytes]] | None = None
        self.started = time.monotonic()

    def say(self, message: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {message}", flush=True)

    def loadgen(self, spec: dict[str, Any], timeout: float = 300.0) -> dict[str, Any]:
        n = len(list(self.procs.dir.glob("spec-*.json")))
        spec_path = self.procs.dir / f"spec-{n}.json"
        out_path = self.procs.dir / f"out-{n}.json"
        spec_path.write_text(json.dumps({"secret": SECRET, "message_bytes": 64, **spec}))
        proc = self.procs.python(f"loadgen-{n}", ["-m", "bench.launch", "bench.loadgen",
                                                   str(spec_path), str(out_path)])  # fmt: skip
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.procs.stop(proc)
            raise RuntimeError(f"load generator {n} timed out") from None
        self.procs.stop(proc)
        if proc.returncode != 0 or not out_path.exists():
            raise RuntimeError(
                f"load generator {n} failed:\n{self.procs.log(f'loadgen-{n}')[-3000:]}"
            )
        result: dict[str, Any] = json.loads(out_path.read_text())
        return result

    def need_redis(self) -> tuple[str, subprocess.Popen[bytes]]:
        if self.redis is None:
            self.redis = self.procs.redis()
        return self.redis

    def system(self, name: str, tag: str = "", capacity: int = 1) -> System:
        redis = self.need_redis() if "redis" in name else None
        tree = Path(self.args.compare_tree) if self.args.compare_tree else None
        return start_system(
            self.procs, name, redis=redis, tag=tag, capacity=capacity, compare_tree=tree
        )

    # --- 1. relay ---------------------------------------------------------------

    def relay(self) -> dict[str, Any]:
        a = self.args
        systems = {name: self.system(name) for name in a.systems}
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in a.systems}
        try:
            for rep in range(a.reps):
                for name in a.systems:
                    s = systems[name]
                    out = self.loadgen({
                        "kind": s.kind, "mode": "relay", "seeker_url": s.seeker_url,
                        "listener_url": s.listener_url, "server_pids": s.pids,
                        "pairs": a.pairs, "seconds": a.seconds, "warmup": a.warmup,
                        "rate": a.rate,
                    })  # fmt: skip
                    runs[name].append(out)
                    pp, r = out["pingpong"], out["rate"]
                    other = max(pp.get("other_cpu_pct", 0.0), r.get("other_cpu_pct", 0.0))
                    self.say(
                        f"relay round {rep + 1}/{a.reps} {name:20} (others {other:3.0f}% CPU) "
                        "ping-pong "
                        f"{pp['msgs_per_s']:8.0f} msg/s  {pp['server_cpu_us_per_msg']:6.1f} us/msg"
                        f"  | {r['msgs_per_s']:.0f} msg/s p50 {r['latency_ms']['p50']:.2f} "
                        f"p99 {r['latency_ms']['p99']:.2f} ms"
                    )
        finally:
            for s in systems.values():
                stop_system(self.procs, s)
        return {"runs": runs, "summary": summarize_relay(runs, a.systems)}

    # --- 2. memory --------------------------------------------------------------

    def memory(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        idle, hold = self.args.idle, self.args.hold
        cases = [("relay", False, idle, 0), ("chat-memory", False, idle, 0),
                 ("chat-memory", True, idle, 0), ("sio", False, idle, 0),
                 ("chat-memory", False, hold, 100)]  # fmt: skip
        for name, queued, count, probe in cases:
            s = self.system(name, tag="-mem")
            try:
                r = self.loadgen({
                    "kind": s.kind, "mode": "idle", "seeker_url": s.seeker_url,
                    "listener_url": s.listener_url, "server_pids": s.pids[:1],
                    "count": count, "queued": queued, "settle": 5.0, "probe_pairs": probe,
                }, timeout=600)  # fmt: skip
            except RuntimeError as exc:
                self.say(f"memory {name}: failed: {str(exc)[-300:]}")
                out.append({"system": name, "queued": queued, "failed": str(exc)[-300:]})
                continue
            finally:
                stop_system(self.procs, s)
            r["system"] = name
            out.append(r)
            self.say(
                f"memory {name}{' (queued)' if queued else ''}: {r['count']} idle connections, "
                f"{r['bytes_per_conn'] / 1024:.1f} KiB each"
            )
            if "probe" in r:
                self.say(
                    f"hold {name}: {r['held_during_probe']} of {count} held while {probe} more "
                    f"pairs talk: p99 {r['probe']['latency_ms']['p99']:.1f} ms"
                )
        return out

    # --- 3. concurrency ---------------------------------------------------------

    def concurrency(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        names = ["relay", "chat-memory"] + (
            ["chat-memory-patched"] if self.args.compare_tree else []
        )
        for name in names:
            s = self.system(name, tag="-conc")
            try:
                r = self.loadgen({
                    "kind": s.kind, "mode": "steps", "seeker_url": s.seeker_url,
                    "listener_url": s.listener_url, "server_pids": s.pids,
                    "steps": self.args.steps, "seconds": 3.0, "warmup": 1.0,
                    "p99_limit_ms": 50.0,
                }, timeout=600)  # fmt: skip
            finally:
                stop_system(self.procs, s)
            out[name] = r
            for step in r["steps"]:
                if "failed" in step:
                    self.say(f"concurrency {name}: {step['connections']} failed: {step['failed']}")
                else:
                    self.say(
                        f"concurrency {name}: {step['connections']} connections at 1 msg/s: "
                        f"p99 {step['latency_ms']['p99']:.1f} ms, "
                        f"server CPU {step['server_cpu_pct']:.0f}%"
                    )
        return out

    # --- 4. matching ------------------------------------------------------------

    def matching(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        a = self.args
        cases = [("chat-redis", a.match_reps), ("chat-memory", 1)]
        if a.compare_tree:
            cases += [("chat-redis-patched", a.match_reps), ("chat-memory-patched", 1)]
        for name, reps in cases:
            out[name] = []
            for rep in range(reps):
                s = self.system(name, tag=f"-match{rep}", capacity=a.match_capacity)
                try:
                    r = self.loadgen({
                        "kind": "chat", "mode": "match", "urls": s.urls, "server_pids": s.pids,
                        "seekers": a.match_seekers, "listeners": a.match_listeners,
                        "capacity": a.match_capacity,
                    })  # fmt: skip
                finally:
                    stop_system(self.procs, s)
                out[name].append(r)
                self.say(
                    f"matching {name}: {r['matched']}/{r['seekers']} matched in "
                    f"{r['seconds']:.2f} s = {r['matches_per_s']:.0f}/s, "
                    f"double {r['double_matched_seekers']}, over capacity {r['over_capacity']}"
                )
        return out

    # --- 5. profile -------------------------------------------------------------

    def profile(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if shutil.which("py-spy") is None and not (Path(sys.executable).parent / "py-spy").exists():
            self.say("profile: py-spy not installed, skipped")
            return out
        for name in ("chat-memory", "chat-redis"):
            s = self.system(name, tag="-prof")
            try:
                out[name] = profile_system(self, s, Path(self.args.out).parent)
            finally:
                stop_system(self.procs, s)
            self.say(f"profile {name}: {out[name]['samples']} samples -> {out[name]['file']}")
        return out

    def close(self, failed: bool = False) -> None:
        self.procs.stop_all(keep_logs=failed)


def other_cpu_use(seconds: float = 1.0) -> float:
    """Share of the machine's CPU (0-100) busy over ``seconds`` before the bench starts."""

    def sample() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields), idle

    total0, idle0 = sample()
    time.sleep(seconds)
    total1, idle1 = sample()
    busy = (total1 - total0) - (idle1 - idle0)
    return 100.0 * busy / max(1, total1 - total0)


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize_relay(runs: dict[str, list[dict[str, Any]]], names: list[str]) -> dict[str, Any]:
    """Medians per system, and medians of the per-round ratios to the relay."""
    base = runs.get("relay", [])
    out: dict[str, Any] = {}
    for name in names:
        rs = runs[name]
        tput = [r["pingpong"]["msgs_per_s"] for r in rs]
        cpu = [r["pingpong"]["server_cpu_us_per_msg"] for r in rs]
        ratios = [
            r["pingpong"]["msgs_per_s"] / b["pingpong"]["msgs_per_s"]
            for r, b in zip(rs, base, strict=False)
        ]
        cpu_ratios = [
            b["pingpong"]["server_cpu_us_per_msg"] / r["pingpong"]["server_cpu_us_per_msg"]
            for r, b in zip(rs, base, strict=False)
        ]
        out[name] = {
            "pingpong_msgs_per_s": _median(tput),
            "pingpong_server_cpu_us_per_msg": _median(cpu),
            "pingpong_server_cpu_pct": _median([r["pingpong"]["server_cpu_pct"] for r in rs]),
            "pingpong_loadgen_cpu_pct": _median([r["pingpong"]["loadgen_cpu_pct"] for r in rs]),
            "other_cpu_pct": _median(
                [r[k].get("other_cpu_pct", 0.0) for r in rs for k in ("pingpong", "rate")]
            ),
            "ratio_to_relay": _median(ratios),
            "cpu_efficiency_ratio_to_relay": _median(cpu_ratios),
            "rate_target": rs[0]["rate"]["target_per_s"] if rs else None,
            "rate_msgs_per_s": _median([r["rate"]["msgs_per_s"] for r in rs]),
            "rate_p50_ms": _median([r["rate"]["latency_ms"]["p50"] for r in rs]),
            "rate_p99_ms": _median([r["rate"]["latency_ms"]["p99"] for r in rs]),
            "rate_max_ms": _median([r["rate"]["latency_ms"]["max"] for r in rs]),
            "rate_server_cpu_us_per_msg": _median([r["rate"]["server_cpu_us_per_msg"] for r in rs]),
            "pairing_s": _median([r["pairing_s"] for r in rs]),
            "errors": rs[-1]["errors"] if rs else {},
        }
    for name in names:
        for other in ("sio", "sio-redis"):
            if other in out and out[other]["pingpong_msgs_per_s"]:
                ratios = [
                    r["pingpong"]["msgs_per_s"] / o["pingpong"]["msgs_per_s"]
                    for r, o in zip(runs[name], runs[other], strict=False)
                ]
                out[name][f"ratio_to_{other}"] = _median(ratios)
    return out


STEPS = (1000, 2000, 3000, 4000, 6000, 8000, 10000, 15000, 20000)
FD_SPARE = 500
"""Open files a process needs besides its connections (listening socket, logs, Redis...)."""


def _fd_room(wanted: int) -> int:
    """``wanted`` connections, or fewer if one process may not open that many files here.

    Each side (server, load generator) is one process holding one file per connection,
    and an unprivileged process cannot raise its hard limit (``ulimit -Hn``).
    """
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        return wanted
    return min(wanted, (hard - FD_SPARE) // 500 * 500)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--quick", action="store_true", help="one round, smaller figures (a smoke run)")
    p.add_argument("--reps", type=int, default=3, help="rounds of the relay comparison")
    p.add_argument("--pairs", type=int, default=500, help="seeker/listener pairs")
    p.add_argument("--rate", type=float, default=2000.0, help="open-loop messages per second")
    p.add_argument("--seconds", type=float, default=2.5, help="each measured window")
    p.add_argument("--warmup", type=float, default=0.75, help="before each window")
    p.add_argument("--systems", default=",".join(COMPARED), help="systems to compare")
    p.add_argument("--idle", type=int, default=10_000, help="idle connections (memory)")
    p.add_argument(
        "--hold", type=int, default=_fd_room(20_000),
        help="idle connections one node holds while new pairs still talk (default: 20,000, "
        "or as many as this machine's limit on open files per process allows)",
    )  # fmt: skip
    p.add_argument("--steps", default=",".join(str(min(n, _fd_room(n))) for n in STEPS),
                   help="connection counts for the concurrency test")  # fmt: skip
    p.add_argument("--match-seekers", type=int, default=1000)
    p.add_argument("--match-listeners", type=int, default=250)
    p.add_argument("--match-capacity", type=int, default=4)
    p.add_argument("--match-reps", type=int, default=3)
    p.add_argument("--only", default="relay,memory,concurrency,matching,profile",
                   help="which parts to run")  # fmt: skip
    p.add_argument("--out", default=str(HERE / "RESULTS.md"), help="where to write the results")
    p.add_argument("--label", help="what chatserver was measured (default: its git commit)")
    p.add_argument(
        "--compare-tree", metavar="DIR",
        help="another checkout whose chatserver also runs (as chat-memory-patched and "
        "chat-redis-patched), to measure a change before and after in one run",
    )  # fmt: skip
    p.add_argument("--compare-label", default="patched", help="what --compare-tree holds")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.systems = [s for s in args.systems.split(",") if s]
    if args.compare_tree:
        args.systems += ["chat-memory-patched", "chat-redis-patched"]
    if "relay" not in args.systems:
        args.systems.insert(0, "relay")
    args.steps = [int(s) for s in args.steps.split(",")]
    if args.quick:
        args.reps, args.seconds, args.warmup, args.idle, args.hold = 1, 1.5, 0.5, 2000, 4000
        args.steps, args.match_reps = [1000, 4000], 1
    parts = set(args.only.split(","))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    raise_fd_limit()
    busy = other_cpu_use()
    if busy > 10:
        print(
            f"bench: warning: the machine is already {busy:.0f}% busy; figures will be lower "
            "and noisier (RESULTS.md records it)",
            file=sys.stderr,
        )
    bench = Bench(args)
    results: dict[str, Any] = {
        "args": dict(vars(args)), "busy_before_pct": busy, "machine": machine(args.label),
        "fd_hard_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[1],
    }  # fmt: skip
    failed = True
    try:
        for part in ("relay", "memory", "concurrency", "matching", "profile"):
            if part in parts:
                bench.say(f"--- {part}")
                try:
                    results[part] = getattr(bench, part)()
                except RuntimeError as exc:  # one part failing does not lose the others
                    bench.say(f"{part}: failed: {str(exc)[-500:]}")
                    results.setdefault("failures", {})[part] = str(exc)[-1000:]
        failed = False
    except KeyboardInterrupt:
        bench.say("interrupted; stopping everything")
        return 130
    finally:
        bench.close(failed)
    results["elapsed_s"] = time.monotonic() - bench.started
    out = Path(args.out)
    (out.parent / "results.json").write_text(json.dumps(results, indent=1, default=str))
    write_results(results, out)
    bench.say(f"wrote {out} and {out.parent / 'results.json'}")
    return 0
