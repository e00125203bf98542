"""The floor: a bare websockets relay that pairs two connections and forwards bytes.

Each connection's first message is a pair key; the second connection with
the same key is paired with the first, both get ``paired``, and from then on
every message one sends is forwarded as is to the other. No parsing, no
queue, no acknowledgement, no state beyond the pairing: the least a relay
on websockets can do, so its cost per message is the floor for chatserver.

``python -m bench.launch bench.relay --port PORT``
"""

from __future__ import annotations

import argparse
import asyncio

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

_waiting: dict[str | bytes, tuple[ServerConnection, asyncio.Future[ServerConnection]]] = {}


async def handler(ws: ServerConnection) -> None:
    try:
        key = await ws.recv()
        waiting = _waiting.pop(key, None)
        if waiting is None:
            future: asyncio.Future[ServerConnection] = asyncio.get_running_loop().create_future()
            _waiting[key] = (ws, future)
            try:
                peer = await future
            finally:
                if _waiting.get(key, (None,))[0] is ws:
                    del _waiting[key]
        else:
            peer, future = waiting
            future.set_result(ws)
        await ws.send(b"paired")
        async for message in ws:
            await peer.send(message)
    except ConnectionClosed:
        pass


async def amain(host: str, port: int) -> None:
    async with serve(handler, host, port, compression=None, max_size=1 << 20, backlog=4096):
        print(f"relay: serving on ws://{host}:{port}/", flush=True)
        await asyncio.get_running_loop().create_future()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    try:
        asyncio.run(amain(args.host, args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
