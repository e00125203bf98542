"""Bad input gets a clear error with a stable code; everyone else carries on."""

from __future__ import annotations

from typing import Any

import msgpack
import pytest

import protocol
from chatserver.types import Role
from tests.conftest import StartServer
from tests.support.cast import Cast, listener_token
from tests.support.wire import WireClient

SECRET_WORDS = "my-private-words-do-not-echo"


async def conversation_still_works(cast: Cast, pair: tuple[WireClient, WireClient, str]) -> None:
    seeker, listener, session = pair
    await seeker.send(protocol.Send(session=session, text="still ok?", id=f"ok{id(cast)}"))
    assert (await listener.expect(protocol.Message)).text == "still ok?"
    await seeker.expect(protocol.Sent)


def packed(value: Any) -> bytes:
    data: bytes = msgpack.packb(value, use_bin_type=True)
    return data


# Each case: what a welcomed seeker sends, the error code, the ref, a word the message must name.
WELCOMED_CASES: list[tuple[str, bytes | str, str, str | None, str]] = [
    ("not msgpack", b"\xc1\xc1", "bad_frame", None, "msgpack"),
    ("not a map", packed([1, 2, 3]), "bad_frame", None, "map"),
    ("no type", packed({"session": "x"}), "bad_frame", None, "type"),
    ("unknown type", packed({"type": "dance"}), "unknown_type", None, "dance"),
    ("missing field", packed({"type": "send", "session": "s", "id": "1"}), "invalid_field",
     "send", "text"),
    ("wrong field type", packed({"type": "send", "session": "s", "id": "1", "text": 5}),
     "invalid_field", "send", "text"),
    ("text frame", "hello there", "bad_frame", None, "text frame"),
    ("listener frame from a seeker", packed({"type": "take"}), "forbidden", "take", "seeker"),
    ("second hello", packed({"type": "hello", "v": 1, "role": "seeker"}), "conflict", "hello",
     "already"),
    ("session that is not yours", packed({"type": "end", "session": "nope"}), "not_in_session",
     "end", "session"),
    ("text over the limit", packed({"type": "send", "session": "s", "id": "1",
                                    "text": SECRET_WORDS * 200}), "too_large", "send", "text"),
    ("bad topic", packed({"type": "request", "topics": ["Not A Topic"]}), "invalid_field",
     "request", "topics"),
    ("score out of range", packed({"type": "feedback", "session": "s", "score": 9}),
     "invalid_field", "feedback", "score"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "code", "ref", "named"),
    [case[1:] for case in WELCOMED_CASES],
    ids=[case[0] for case in WELCOMED_CASES],
)
async def test_bad_frame_gets_a_clear_error_and_nothing_else_breaks(
    cast: Cast, data: bytes | str, code: str, ref: str | None, named: str
) -> None:
    pair = await cast.pair()
    bad = await cast.seeker()
    await bad.send_raw(data)
    error = await bad.expect_error(code)
    assert error.ref == ref
    assert named in error.message
    assert SECRET_WORDS not in error.message
    # the same connection carries on ...
    await cast.request(bad)
    # ... and so does everyone else's conversation
    await conversation_still_works(cast, pair)


async def test_frame_before_hello_gets_hello_required(cast: Cast) -> None:
    pair = await cast.pair()
    early = await cast.connect()
    await early.send(protocol.Request())
    error = await early.expect_error("hello_required")
    assert error.ref == "request"
    await early.hello_seeker()  # and hello still works afterwards
    await conversation_still_works(cast, pair)


async def test_oversized_frame_gets_too_large_then_close_1009(cast: Cast) -> None:
    pair = await cast.pair()
    big = await cast.seeker()
    await big.send_raw(packed({"type": "send", "session": "s", "id": "1", "text": "x" * 20_000}))
    error = await big.expect_error("too_large")
    assert "bytes" in error.message
    assert await big.closed() == 1009
    await conversation_still_works(cast, pair)


async def test_huge_frame_is_closed_with_1009(cast: Cast) -> None:
    big = await cast.seeker()
    await big.send_raw(b"\x00" * 200_000)
    assert await big.closed() == 1009


async def test_repeated_violations_close_the_connection_with_1008(
    start_server: StartServer,
) -> None:
    server = await start_server(limits={"max_violations": 5})
    cast = Cast(server.url)
    try:
        pair = await cast.pair()
        noisy = await cast.seeker()
        for _ in range(5):
            await noisy.send_raw(b"\xc1")
        for _ in range(5):
            await noisy.expect_error("bad_frame")
        assert await noisy.closed() == 1008
        await conversation_still_works(cast, pair)
    finally:
        await cast.close_all()


async def test_no_hello_in_time_closes_with_1008(start_server: StartServer) -> None:
    server = await start_server(server={"hello_timeout_s": 0.3})
    cast = Cast(server.url)
    try:
        silent = await cast.connect()
        await silent.expect_error("hello_required")
        assert await silent.closed() == 1008
    finally:
        await cast.close_all()


AUTH_CASES = {
    "bad signature": dict(token=listener_token(secret="another-secret-" + "z" * 32)),
    "expired": dict(token=listener_token(ttl_s=-3600)),
    "missing": dict(token=None),
    "not a jwt": dict(token="not.a.token"),
}


@pytest.mark.parametrize("case", AUTH_CASES, ids=list(AUTH_CASES))
async def test_listener_auth_failure_is_unauthorized_and_closes_1008(cast: Cast, case: str) -> None:
    pair = await cast.pair()
    client = await cast.connect()
    await client.send(protocol.Hello(v=1, role="listener", **AUTH_CASES[case]))  # type: ignore[arg-type]
    error = await client.expect_error("unauthorized")
    assert error.ref == "hello"
    assert await client.closed() == 1008
    await conversation_still_works(cast, pair)


async def test_expired_token_says_it_expired(cast: Cast) -> None:
    client = await cast.connect()
    await client.send(protocol.Hello(v=1, role="listener", token=listener_token(ttl_s=-3600)))
    assert "expired" in (await client.expect_error("unauthorized")).message


async def test_listener_frames_from_a_seeker_are_forbidden(cast: Cast) -> None:
    seeker = await cast.seeker()
    for frame in (protocol.Ready(), protocol.Away(), protocol.Take()):
        await seeker.send(frame)
        assert (await seeker.expect_error("forbidden")).ref == frame.TYPE


async def test_seeker_frames_from_a_listener_are_forbidden(cast: Cast) -> None:
    listener = await cast.listener("Sam")
    await listener.send(protocol.Request())
    assert (await listener.expect_error("forbidden")).ref == "request"


async def test_supervisor_may_use_listener_frames(cast: Cast) -> None:
    supervisor = await cast.listener("Ada", role=Role.SUPERVISOR, ready=False)
    await supervisor.send(protocol.Ready())
    await supervisor.send(protocol.Take())
    await supervisor.expect_error("queue_empty")
