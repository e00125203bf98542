"""The peer: python-socketio (AsyncServer on aiohttp) doing the same pairing and relay.

A client emits ``pair`` with a key and joins the room of that key (the ack
says it is in); ``m`` is forwarded to the room, skipping the sender. With
``--redis URL`` the server uses ``AsyncRedisManager``, so rooms span every
node on that Redis (the setup python-socketio documents for several nodes).

``python -m bench.launch bench.sio_server --port PORT [--redis URL]``
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

import socketio  # type: ignore[import-untyped]
from aiohttp import web


def make_app(redis_url: str | None) -> web.Application:
    manager = socketio.AsyncRedisManager(redis_url) if redis_url else None
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins="*",
        logger=False,
        engineio_logger=False,
    )
    rooms: dict[str, str] = {}

    async def pair(sid: str, key: str) -> str:
        await sio.enter_room(sid, key)
        rooms[sid] = key
        return "ok"

    async def m(sid: str, data: Any) -> None:
        room = rooms.get(sid)
        if room is not None:
            await sio.emit("m", data, room=room, skip_sid=sid)

    async def disconnect(sid: str, *args: Any) -> None:
        rooms.pop(sid, None)

    sio.on("pair", pair)
    sio.on("m", m)
    sio.on("disconnect", disconnect)

    app = web.Application()
    sio.attach(app)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", help="use AsyncRedisManager on this Redis URL")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(f"sio: serving on ws://{args.host}:{args.port}/socket.io/", flush=True)
    web.run_app(make_app(args.redis), host=args.host, port=args.port, print=None, backlog=4096)


if __name__ == "__main__":
    main()
