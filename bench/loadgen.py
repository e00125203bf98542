"""The load generator: one process, one workload, figures as JSON.

``python -m bench.launch bench.loadgen SPEC.json OUT.json`` where the spec
names the system kind (``relay``, ``chat``, ``sio``), the URLs for seekers
and for listeners (the same node, or two nodes), the server process ids
(whose CPU time it samples from ``/proc``) and the mode:

- ``relay``: pair ``pairs`` seekers with listeners, then a closed-loop
  ping-pong (each pair one message in flight; the throughput), then an open
  loop at ``rate`` messages a second (the latency at a fixed load);
- ``idle``: open ``count`` connections that wait (chat: ``hello``, or with
  ``queued`` also a ``request``), and read the server's resident memory
  before and after;
- ``steps``: more and more pairs, each connection sending one message a
  second, until the p99 passes ``p99_limit_ms``;
- ``match``: ``seekers`` request at once with ``listeners`` of capacity
  ``capacity`` ready over the given nodes; matches per second, and a check
  that nobody was matched twice and no listener went over capacity.

It runs in its own process so its CPU is not the servers'; its own CPU use
is reported too, since on a small machine it competes with them.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from websockets.exceptions import ConnectionClosed

from loadtest.stats import summarize
from loadtest.tokens import listener_token

from .clients import ChatConn, Conn, RelayConn, SioConn, open_conn
from .procs import cpu_seconds, machine_cpu_seconds, raise_fd_limit, rss_bytes

T = TypeVar("T")
OPEN_CONCURRENCY = 64


@dataclass
class Tally:
    """What readers record: deliveries always, latencies while ``recording``."""

    delivered: int = 0
    recording: bool = False
    pingpong: bool = False
    latencies_ns: list[int] = field(default_factory=list)


def _pairing(conn: Conn, key: str) -> Callable[[], Awaitable[None]]:
    async def pair() -> None:
        if isinstance(conn, RelayConn | SioConn):
            await conn.pair(key)

    return pair


class Loadgen:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.kind: str = spec["kind"]
        self.size: int = spec.get("message_bytes", 64)
        self.server_pids: list[int] = spec.get("server_pids", [])
        self.tally = Tally()
        self.seekers: list[Conn] = []
        self.listeners: list[Conn] = []
        self.readers: list[asyncio.Task[None]] = []
        self._gate = asyncio.Semaphore(OPEN_CONCURRENCY)
        self._tokens = 0

    # --- helpers ---------------------------------------------------------------

    def server_cpu(self) -> float:
        total = 0.0
        for pid in self.server_pids:
            try:
                total += cpu_seconds(pid)
            except (FileNotFoundError, ProcessLookupError):
                pass
        return total

    async def gated(self, make: Callable[[], Awaitable[T]]) -> T:
        async with self._gate:
            return await make()

    async def open(self, url: str) -> Conn:
        return await self.gated(lambda: open_conn(self.kind, url, self.size))

    def token(self) -> str:
        self._tokens += 1
        return listener_token(
            self.spec["secret"], sub=f"bench-{id(self)}-{self._tokens}", name="Bench", topics=[]
        )

    async def reader(self, conn: Conn) -> None:
        tally = self.tally
        try:
            async for data in conn.ws:
                sent_ns = conn.read(data)
                if sent_ns is None:
                    if isinstance(conn, SioConn) and conn.needs_pong:
                        conn.needs_pong = False
                        await conn.ws.send("3")
                    continue
                tally.delivered += 1
                if tally.recording:
                    tally.latencies_ns.append(time.monotonic_ns() - sent_ns)
                if tally.pingpong:
                    await conn.send()
        except ConnectionClosed:
            pass

    def start_readers(self, conns: Sequence[Conn]) -> None:
        self.readers += [asyncio.create_task(self.reader(c)) for c in conns]

    # --- pairing ---------------------------------------------------------------

    async def add_pairs(self, count: int) -> float:
        """Open and pair ``count`` more seeker/listener pairs; returns the seconds it took."""
        t0 = time.monotonic()
        base = len(self.seekers)
        s_url, l_url = self.spec["seeker_url"], self.spec["listener_url"]
        keys = [f"p{base + i}" for i in range(count)]
        seekers: list[Conn]
        listeners: list[Conn]
        if self.kind == "chat":
            chat_l = await asyncio.gather(*(self._chat_listener(l_url) for _ in keys))
            chat_s = await asyncio.gather(*(self._chat_seeker(s_url) for _ in keys))
            await asyncio.gather(*(self.gated(c.request) for c in chat_s))
            await asyncio.gather(*(c.until_matched() for c in [*chat_s, *chat_l]))
            seekers, listeners = list(chat_s), list(chat_l)
        else:
            seekers = list(await asyncio.gather(*(self.open(s_url) for _ in keys)))
            listeners = list(await asyncio.gather(*(self.open(l_url) for _ in keys)))
            for conns in (seekers, listeners):
                await asyncio.gather(
                    *(self.gated(_pairing(c, k)) for c, k in zip(conns, keys, strict=True))
                )
            await asyncio.gather(
                *(c.wait_paired() for c in [*seekers, *listeners] if isinstance(c, RelayConn))
            )
        self.seekers += seekers
        self.listeners += listeners
        self.start_readers([*seekers, *listeners])
        return time.monotonic() - t0

    async def _chat_listener(self, url: str) -> ChatConn:
        conn = await self.open(url)
        assert isinstance(conn, ChatConn)
        await self.gated(lambda: conn.hello(self.token()))
        return conn

    async def _chat_seeker(self, url: str) -> ChatConn:
        conn = await self.open(url)
        assert isinstance(conn, ChatConn)
        await self.gated(conn.hello)
        return conn

    # --- measuring -------------------------------------------------------------

    async def window(self, seconds: float, warmup: float) -> dict[str, Any]:
        """Record deliveries and latencies for ``seconds`` after ``warmup``."""
        await asyncio.sleep(warmup)
        tally = self.tally
        tally.latencies_ns.clear()
        m0 = machine_cpu_seconds()
        d0, c0, g0, t0 = tally.delivered, self.server_cpu(), time.process_time(), time.monotonic()
        tally.recording = True
        await asyncio.sleep(seconds)
        tally.recording = False
        d1, c1, g1, t1 = tally.delivered, self.server_cpu(), time.process_time(), time.monotonic()
        others = (machine_cpu_seconds() - m0) - (c1 - c0) - (g1 - g0)
        delivered = d1 - d0
        lat = summarize(ns / 1e6 for ns in tally.latencies_ns)
        return {
            "seconds": t1 - t0,
            "delivered": delivered,
            "msgs_per_s": delivered / (t1 - t0),
            "latency_ms": lat.as_dict(),
            "server_cpu_s": c1 - c0,
            "server_cpu_pct": 100 * (c1 - c0) / (t1 - t0),
            "server_cpu_us_per_msg": 1e6 * (c1 - c0) / delivered if delivered else None,
            "loadgen_cpu_pct": 100 * (g1 - g0) / (t1 - t0),
            "other_cpu_pct": max(0.0, 100 * others / (t1 - t0)),
        }

    async def pingpong(self, seconds: float, warmup: float) -> dict[str, Any]:
        self.tally.pingpong = True
        await asyncio.gather(*(c.send() for c in self.seekers))
        spy = None
        if argv := self.spec.get("profile_argv"):
            # a profiler samples the server during the measured window only
            await asyncio.sleep(warmup)
            warmup = 0.0
            spy = await asyncio.create_subprocess_exec(*argv, "--duration", str(int(seconds)))
        result = await self.window(seconds, warmup)
        if spy is not None:
            await spy.wait()
        self.tally.pingpong = False
        await asyncio.sleep(0.3)  # let the last messages land
        return result

    async def open_loop(self, rate: float, seconds: float, warmup: float) -> dict[str, Any]:
        conns = [c for pair in zip(self.seekers, self.listeners, strict=True) for c in pair]
        stop = asyncio.Event()
        lags: list[float] = []

        async def dispatch() -> None:
            period = 1e9 / rate
            t0 = time.monotonic_ns()
            sent = 0
            while not stop.is_set():
                due = int((time.monotonic_ns() - t0) / period) + 1
                while sent < due:
                    if sent % 64 == 0:
                        lags.append((time.monotonic_ns() - (t0 + sent * period)) / 1e6)
                    await conns[sent % len(conns)].send()
                    sent += 1
                wait = (t0 + sent * period - time.monotonic_ns()) / 1e9
                await asyncio.sleep(max(0.0, min(wait, 0.05)))

        task = asyncio.create_task(dispatch())
        result = await self.window(seconds, warmup)
        stop.set()
        await task
        await asyncio.sleep(0.3)
        result["target_per_s"] = rate
        lag = summarize(lags)
        result["dispatch_lag_ms"] = lag.as_dict()
        return result

    async def close_all(self) -> None:
        if self.kind == "chat":
            await asyncio.gather(
                *(c.end() for c in self.seekers if isinstance(c, ChatConn)), return_exceptions=True
            )
            await asyncio.sleep(0.2)
        conns = [*self.seekers, *self.listeners]
        for i in range(0, len(conns), 500):
            await asyncio.gather(*(c.close() for c in conns[i : i + 500]), return_exceptions=True)
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*self.readers, return_exceptions=True)

    def chat_errors(self) -> dict[str, int]:
        """Error codes the server sent, and frames that came before ``welcome``."""
        out: dict[str, int] = {}
        for c in [*self.seekers, *self.listeners]:
            if isinstance(c, ChatConn):
                for code, n in c.errors.items():
                    out[code] = out.get(code, 0) + n
                for kind, n in c.before_welcome.items():
                    out[f"{kind}_before_welcome"] = out.get(f"{kind}_before_welcome", 0) + n
        return out

    # --- modes -----------------------------------------------------------------

    async def mode_relay(self) -> dict[str, Any]:
        spec = self.spec
        pairing_s = await self.add_pairs(spec["pairs"])
        out: dict[str, Any] = {"pairs": spec["pairs"], "pairing_s": pairing_s}
        out["pingpong"] = await self.pingpong(spec["seconds"], spec.get("warmup", 1.0))
        out["rate"] = await self.open_loop(spec["rate"], spec["seconds"], spec.get("warmup", 0.5))
        out["errors"] = self.chat_errors()
        return out

    async def mode_idle(self) -> dict[str, Any]:
        spec = self.spec
        pid = spec["server_pids"][0]
        url = spec["seeker_url"]
        queued = spec.get("queued", False)
        warm = [await self._idle_conn(url, i, queued) for i in range(100)]
        await asyncio.sleep(1.0)
        await asyncio.sleep(2.0)
        before = rss_bytes(pid)
        t0 = time.monotonic()
        conns = await asyncio.gather(
            *(self._idle_conn(url, 100 + i, False) for i in range(spec["count"]))
        )
        opened_s = time.monotonic() - t0
        if queued:  # everyone is welcomed first, then asks (so no hello waits behind the queue)
            for i in range(0, len(conns), 500):
                await asyncio.gather(
                    *(c.request() for c in conns[i : i + 500] if isinstance(c, ChatConn))
                )
                await asyncio.sleep(0.05)
        await asyncio.sleep(spec.get("settle", 3.0))
        after = rss_bytes(pid)
        out: dict[str, Any] = {
            "count": spec["count"],
            "queued": queued,
            "open_s": opened_s,
            "rss_before": before,
            "rss_after": after,
            "bytes_per_conn": (after - before) / spec["count"],
        }
        probe = spec.get("probe_pairs", 0)
        if probe:
            # With every idle connection still held, new people still meet and talk:
            # pair ``probe`` more and measure their relay at one message a second each.
            idle = [*warm, *conns]
            out["probe_pairing_s"] = await self.add_pairs(probe)
            out["probe"] = await self.open_loop(float(2 * probe), 3.0, 1.0)
            out["held_during_probe"] = sum(1 for c in conns if c.ws.close_code is None)
            self.seekers += idle
        else:
            self.seekers = [*warm, *conns]
        out["errors"] = self.chat_errors()
        return out

    async def _idle_conn(self, url: str, i: int, queued: bool) -> Conn:
        conn = await self.open(url)
        if isinstance(conn, RelayConn):
            await conn.pair(f"idle-{i}")  # nobody else has this key: it waits
        elif isinstance(conn, ChatConn):
            await self.gated(conn.hello)
            if queued:
                await conn.request()
        self.start_readers([conn])  # keep reading (queue updates, pings)
        return conn

    async def mode_steps(self) -> dict[str, Any]:
        spec = self.spec
        steps: list[dict[str, Any]] = []
        for connections in spec["steps"]:
            pairs = connections // 2
            try:
                pairing_s = await self.add_pairs(pairs - len(self.seekers))
            except (OSError, RuntimeError, TimeoutError, ConnectionClosed) as exc:
                steps.append({"connections": connections, "failed": f"{type(exc).__name__}: {exc}"})
                break
            result = await self.open_loop(
                float(2 * pairs), spec["seconds"], spec.get("warmup", 1.0)
            )
            result.update(
                connections=2 * pairs, pairing_s=pairing_s, rss=rss_bytes(self.server_pids[0])
            )
            steps.append(result)
            print(json.dumps({"step": 2 * pairs, "p99": result["latency_ms"]["p99"]}), flush=True)
            p99 = result["latency_ms"]["p99"]
            if p99 is None or p99 > spec["p99_limit_ms"]:
                break
        return {"steps": steps, "errors": self.chat_errors()}

    async def mode_match(self) -> dict[str, Any]:
        spec = self.spec
        urls: list[str] = spec["urls"]
        capacity: int = spec["capacity"]
        listeners = await asyncio.gather(
            *(self._chat_listener(urls[i % len(urls)]) for i in range(spec["listeners"]))
        )
        seekers = await asyncio.gather(
            *(self._chat_seeker(urls[i % len(urls)]) for i in range(spec["seekers"]))
        )
        self.listeners, self.seekers = list(listeners), list(seekers)
        self.start_readers(listeners)
        await asyncio.sleep(1.0)  # readiness reaches every node
        matched_at: dict[int, float] = {}

        async def wait_match(i: int, conn: ChatConn) -> None:
            await conn.until_matched()
            matched_at[i] = time.monotonic()

        c0 = self.server_cpu()
        t0 = time.monotonic()
        for conn in seekers:
            await conn.request()
        sent_s = time.monotonic() - t0
        try:
            async with asyncio.timeout(spec.get("timeout", 30.0)):
                await asyncio.gather(*(wait_match(i, c) for i, c in enumerate(seekers)))
        except TimeoutError:
            pass
        c1 = self.server_cpu()
        self.start_readers(seekers)
        await asyncio.sleep(0.5)  # any second (double) match would arrive now
        last = max(matched_at.values(), default=t0)
        seeker_sessions = [s for c in seekers for s in c.matched]
        listener_sessions = [s for c in listeners for s in c.matched]
        double = sum(1 for c in seekers if len(c.matched) > 1)
        return {
            "seekers": len(seekers),
            "listeners": len(listeners),
            "capacity": capacity,
            "nodes": len(urls),
            "requests_sent_s": sent_s,
            "matched": len(matched_at),
            "seconds": last - t0,
            "matches_per_s": len(matched_at) / (last - t0) if matched_at else 0.0,
            "latency_ms": summarize((t - t0) * 1000 for t in matched_at.values()).as_dict(),
            "server_cpu_s": c1 - c0,
            "double_matched_seekers": double,
            "sessions_unique": len(set(seeker_sessions)) == len(seeker_sessions),
            "listener_sessions_match": sorted(seeker_sessions) == sorted(listener_sessions),
            "max_listener_load": max((len(c.matched) for c in listeners), default=0),
            "over_capacity": sum(1 for c in listeners if len(c.matched) > capacity),
            "errors": self.chat_errors(),
        }


async def amain(spec: dict[str, Any]) -> dict[str, Any]:
    gen = Loadgen(spec)
    mode = spec["mode"]
    try:
        result: dict[str, Any] = await getattr(gen, f"mode_{mode}")()
    finally:
        await gen.close_all()
    result["loadgen_rusage_max_rss"] = _max_rss()
    return result


def _max_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    spec = json.loads(Path(args[0]).read_text())
    raise_fd_limit()
    # The generator's own garbage-collection pauses would show as server latency (with
    # thousands of connections a full collection takes hundreds of ms): no automatic GC
    # here; a run is short and what it leaks is freed when the process exits.
    gc.disable()
    result = asyncio.run(amain(spec))
    Path(args[1]).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
