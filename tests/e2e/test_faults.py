"""Nothing lost: cut connections, killed nodes, rolling restarts, stalled readers.

These run real server processes (and a real Redis for the multi-node ones)
and check what the people in a conversation would: every message the sender
saw acknowledged arrives exactly once and in order, and no conversation
ends. The long ones are marked ``slow`` and sized by CHATSERVER_FAULT_SCALE
(1.0 = the sizes in the issue: 100 cuts in a 500-message conversation).
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import protocol
from chatserver.client import ChatClient
from tests.support.cast import Cast, listener_token
from tests.support.http import get
from tests.support.processes import ServerProcess
from tests.support.redis_server import RedisServer, free_port
from tests.support.timing import scaled
from tests.support.wire import StallingClient

SCALE = float(os.environ.get("CHATSERVER_FAULT_SCALE", "1"))
FAST_LIMITS = {"messages_per_s": 1000.0, "message_burst": 1000, "frames_per_s": 2000.0,
               "frames_burst": 2000}  # fmt: skip


def sized(n: int) -> int:
    return max(1, round(n * SCALE))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@dataclass
class Side:
    """One person in a conversation driven by a ChatClient: what they sent and heard."""

    client: ChatClient
    acked: list[str] = field(default_factory=list)
    sent_texts: dict[str, str] = field(default_factory=dict)
    heard: list[tuple[int, str]] = field(default_factory=list)
    ended: list[protocol.Ended] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        while True:
            frame = await self.client.recv()
            if isinstance(frame, protocol.Sent):
                self.acked.append(frame.id)
            elif isinstance(frame, protocol.Message):
                self.heard.append((frame.seq, frame.text))
            elif isinstance(frame, protocol.Ended):
                self.ended.append(frame)

    def start(self) -> None:
        self.reader = asyncio.create_task(self.read())

    async def stop(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)
        await self.client.close()


async def pair_up(urls: list[str], seeker_url: str, listener_url: str) -> tuple[Side, Side, str]:
    """A seeker and a listener (ChatClients knowing every node), matched."""
    listener = ChatClient([listener_url, *urls], role="listener", token=listener_token())
    await listener.connect()
    await listener.send(protocol.Ready())
    seeker = ChatClient([seeker_url, *urls])
    await seeker.connect()
    await seeker.send(protocol.Request())
    session = ""
    while not session:
        frame = await seeker.recv(10)
        if isinstance(frame, protocol.Matched):
            session = frame.session
    while not isinstance(await listener.recv(10), protocol.Matched):
        pass
    a, b = Side(seeker), Side(listener)
    a.start()
    b.start()
    return a, b, session


async def talk(side: Side, session: str, count: int, label: str, pause: float = 0.005) -> None:
    for i in range(count):
        text = f"{label} {i}"
        message_id = await side.client.say(session, text)
        side.sent_texts[message_id] = text
        await asyncio.sleep(pause * random.random())


async def settle(*sides: Side, timeout: float = 60) -> None:
    """Wait until every side's sends are acknowledged."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + scaled(timeout)
    while any(side.client.unacknowledged or len(side.acked) < len(side.sent_texts)
              for side in sides):  # fmt: skip
        assert loop.time() < deadline, [
            (s.client.unacknowledged, len(s.acked), len(s.sent_texts)) for s in sides
        ]
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # the last deliveries


def check_exactly_once_in_order(sender: Side, receiver: Side) -> None:
    """Everything the sender saw acknowledged arrived once, in the order it was sent."""
    assert len(sender.acked) == len(set(sender.acked)), "a sent came twice"
    expected = [sender.sent_texts[i] for i in sender.sent_texts if i in set(sender.acked)]
    heard = [text for _, text in receiver.heard if text.split(" ")[0] == expected[0].split(" ")[0]]
    assert heard == expected, f"{len(heard)} heard vs {len(expected)} acknowledged"
    seqs = [seq for seq, _ in receiver.heard]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)), "out of order or twice"


@pytest.fixture
async def cluster_dir(tmp_path: Path) -> AsyncIterator[list[ServerProcess]]:
    nodes: list[ServerProcess] = []
    yield nodes
    await asyncio.gather(*(node.stop() for node in nodes))


def node_sections(redis: RedisServer, prefix: str, **extra: dict[str, Any]) -> dict[str, Any]:
    sections: dict[str, dict[str, Any]] = {
        "broker": {"kind": "redis"},
        "redis": {"url": redis.url, "prefix": prefix, "heartbeat_s": 0.5, "node_timeout_s": 2.0},
        "limits": dict(FAST_LIMITS),
        "server": {"drain_timeout_s": 5.0},
    }
    for name, values in extra.items():
        sections.setdefault(name, {}).update(values)
    return sections


async def start_nodes(
    tmp_path: Path, nodes: list[ServerProcess], redis: RedisServer, count: int, **extra: Any
) -> list[ServerProcess]:
    prefix = f"f{secrets.token_hex(4)}"
    started = []
    for i in range(count):
        sections = node_sections(redis, prefix, server={"port": free_port()}, **extra)
        started.append(ServerProcess(tmp_path, f"n{len(nodes) + i}", sections))
    await asyncio.gather(*(node.start() for node in started))
    nodes.extend(started)
    return started


@pytest.mark.slow
async def test_cutting_a_seeker_100_times_in_a_500_message_conversation_loses_nothing(
    redis_server: RedisServer, cluster_dir: list[ServerProcess], tmp_path: Path
) -> None:
    a, b = await start_nodes(tmp_path, cluster_dir, redis_server, 2)
    urls = [a.url, b.url]
    seeker, listener, session = await pair_up(urls, a.url, b.url)
    cuts = sized(100)
    total = sized(500)

    async def cutter() -> None:
        rng = random.Random(3)
        for _ in range(cuts):
            before = seeker.client.reconnects
            await asyncio.sleep(rng.random() * 0.04)
            seeker.client.cut()
            while seeker.client.reconnects == before:
                await asyncio.sleep(0.005)

    try:
        await asyncio.gather(
            talk(seeker, session, total // 2, "seeker", pause=0.02),
            talk(listener, session, total - total // 2, "listener", pause=0.02),
            cutter(),
        )
        await settle(seeker, listener)
        assert seeker.client.reconnects >= cuts
        check_exactly_once_in_order(seeker, listener)
        check_exactly_once_in_order(listener, seeker)
        assert seeker.ended == [] and listener.ended == []
    finally:
        await seeker.stop()
        await listener.stop()


@pytest.mark.slow
async def test_killing_the_node_under_a_seeker_loses_nothing(
    redis_server: RedisServer, cluster_dir: list[ServerProcess], tmp_path: Path
) -> None:
    a, b, c = await start_nodes(tmp_path, cluster_dir, redis_server, 3)
    seeker, listener, session = await pair_up([b.url, c.url], a.url, b.url)
    total = sized(300)

    async def killer() -> None:
        await asyncio.sleep(0.5)
        await a.kill()

    try:
        await asyncio.gather(
            talk(seeker, session, total // 2, "seeker", pause=0.01),
            talk(listener, session, total - total // 2, "listener", pause=0.01),
            killer(),
        )
        await settle(seeker, listener)
        assert seeker.client.reconnects >= 1
        check_exactly_once_in_order(seeker, listener)
        check_exactly_once_in_order(listener, seeker)
        assert seeker.ended == [] and listener.ended == []
    finally:
        await seeker.stop()
        await listener.stop()


@pytest.mark.slow
async def test_a_rolling_restart_of_three_nodes_ends_no_conversation_and_loses_nothing(
    redis_server: RedisServer, cluster_dir: list[ServerProcess], tmp_path: Path
) -> None:
    nodes = await start_nodes(tmp_path, cluster_dir, redis_server, 3)
    urls = [node.url for node in nodes]
    pairs = [await pair_up(urls, urls[i % 3], urls[(i + 1) % 3]) for i in range(sized(6))]
    stop_talking = asyncio.Event()

    async def chatter(side: Side, session: str, label: str) -> None:
        i = 0
        while not stop_talking.is_set():
            message_id = await side.client.say(session, f"{label} {i}")
            side.sent_texts[message_id] = f"{label} {i}"
            i += 1
            await asyncio.sleep(0.05)

    talkers = [
        asyncio.create_task(chatter(side, session, f"{label}{n}"))
        for n, (seeker, listener, session) in enumerate(pairs)
        for side, label in ((seeker, "s"), (listener, "l"))
    ]
    try:
        for node in nodes:
            await asyncio.sleep(0.5)
            assert await node.stop() == 0
            assert "node_draining" in node.output()
            await node.start()
            assert (await get(f"http://{node.http}/healthz"))[0] == 200
        await asyncio.sleep(1.0)
        stop_talking.set()
        await asyncio.gather(*talkers)
        sides = [side for seeker, listener, _ in pairs for side in (seeker, listener)]
        await settle(*sides)
        for seeker, listener, _ in pairs:
            assert seeker.ended == [] and listener.ended == [], "a conversation ended"
            check_exactly_once_in_order(seeker, listener)
            check_exactly_once_in_order(listener, seeker)
        assert sum(side.client.reconnects for side in sides) >= len(sides)
    finally:
        for task in talkers:
            task.cancel()
        for seeker, listener, _ in pairs:
            await seeker.stop()
            await listener.stop()


async def test_a_stalled_reader_is_cut_off_and_memory_stays_bounded(
    tmp_path: Path,
) -> None:
    node = await ServerProcess(
        tmp_path, "node",
        {"limits": {"messages_per_s": 100_000.0, "message_burst": 100_000,
                    "frames_per_s": 100_000.0, "frames_burst": 100_000},
         "server": {"outbox_max_bytes": 262_144}},
    ).start()  # fmt: skip
    cast = Cast(node.url)
    try:
        assert node.proc is not None
        flooder = await cast.listener("Sam")
        stalled = await StallingClient.connect(node.url)
        cast.clients.append(stalled)
        await stalled.hello_seeker()
        session = await cast.request(stalled)
        await stalled.expect(protocol.Matched)
        await flooder.expect(protocol.Matched)
        other_seeker, other_listener, other_session = await cast.pair(name="Bob")
        baseline = rss_kib(node.proc.pid)
        text = "x" * 3900
        peak = baseline
        for i in range(sized(2500)):  # about 10 MB at the full size, never read by the seeker
            await flooder.send(protocol.Send(session=session, text=f"{i} {text}", id=str(i)))
            if i % 250 == 0:
                peak = max(peak, rss_kib(node.proc.pid))
                # everyone else is still served while this goes on
                await other_seeker.send(protocol.Send(session=other_session, text=f"hi {i}",
                                                      id=f"o{i}"))  # fmt: skip
                assert (await other_listener.expect(protocol.Message)).text == f"hi {i}"
                await other_seeker.expect(protocol.Sent)
                while len([f for f in flooder.seen if isinstance(f, protocol.Sent)]) < i:
                    await flooder.recv()  # the flooder reads its acknowledgements
        peak = max(peak, rss_kib(node.proc.pid))
        assert peak - baseline < 40_000, f"server grew {peak - baseline} KiB"
        # the stalled seeker was disconnected (its session is held for it to resume)
        while not any(isinstance(f, protocol.PeerAway) for f in flooder.seen):
            await flooder.recv(10)
        assert "outbox_overflow" in node.output()
    finally:
        await cast.close_all()
        await node.stop()
