"""The seeker's network goes away mid-conversation and comes back: nothing is lost or doubled.

The seeker's page reaches the server through a ``CuttableLink`` (a TCP
forwarder), so the cut is real for both ends: the browser's socket closes
with 1006 and its reconnects fail until the cable is back, and the server
sees the connection lost and holds the session (PROTOCOL.md, "Resume").
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import expect

from chatserver.server import ChatServer
from tests.browser.actors import ListenerConsole, Seeker
from tests.browser.conftest import OpenPage
from tests.browser.netcut import CuttableLink
from tests.support.cast import listener_token

pytestmark = pytest.mark.browser


@pytest.fixture
async def link(server: ChatServer) -> AsyncIterator[CuttableLink]:
    cable = await CuttableLink(server.port).start()
    yield cable
    await cable.close()


async def test_network_cut_and_restored_mid_conversation_loses_nothing(
    open_page: OpenPage, server: ChatServer, link: CuttableLink
) -> None:
    listener = ListenerConsole(
        await open_page(f"http://127.0.0.1:{server.port}/listener", name="listener")
    )
    await listener.sign_in(listener_token("Sam", ["anxiety"]))
    seeker = Seeker(await open_page(link.base + "/", name="seeker"))
    await seeker.start(topics=["anxiety"])
    await seeker.wait_for_listener("Sam")
    await seeker.say("hi, is anyone there?")
    await listener.expect_conversation(["hi, is anyone there?"])
    await listener.say("Hi, I'm here.")
    await seeker.expect_conversation(["hi, is anyone there?", "Hi, I'm here."])

    link.cut()
    await expect(seeker.find(".cw-banner")).to_contain_text("Reconnecting")
    await expect(listener.panel().locator(".away-line")).to_be_visible()
    await listener.say("Are you still there?")
    await listener.say("Take your time.")
    await seeker.say("sorry, my train went into a tunnel")  # written while offline
    await expect(seeker.find(".cw-pending")).to_have_count(1)
    await seeker.page.wait_for_timeout(700)  # a few failed reconnects
    link.restore()

    await expect(seeker.find(".cw-banner")).to_contain_text("Connected again")
    expected = [
        "hi, is anyone there?",
        "Hi, I'm here.",
        "Are you still there?",
        "Take your time.",
        "sorry, my train went into a tunnel",
    ]
    await seeker.expect_conversation(expected)
    await listener.expect_conversation(expected)
    await expect(listener.panel().locator(".away-line")).to_be_hidden()
    await expect(listener.panel().locator(".note-line").last).to_have_text(
        f"{await listener.tabs().first.locator('.tab-name').text_content()} is back."
    )

    # and the conversation carries on over the new connection
    await listener.say("Glad you're back.")
    await seeker.expect_conversation([*expected, "Glad you're back."])


async def test_reloading_the_page_resumes_the_conversation(
    open_page: OpenPage, server: ChatServer
) -> None:
    listener = ListenerConsole(
        await open_page(f"http://127.0.0.1:{server.port}/listener", name="listener")
    )
    await listener.sign_in(listener_token("Sam"))
    seeker = Seeker(await open_page(f"http://127.0.0.1:{server.port}/", name="seeker"))
    await seeker.start()
    await seeker.wait_for_listener("Sam")
    await seeker.say("before the reload")
    await listener.expect_conversation(["before the reload"])

    stored = await seeker.storage()
    assert any(key.startswith("chatserver:widget:") for key in stored)
    assert "before the reload" not in str(stored), "no words are kept in the tab"

    await seeker.page.reload()
    await seeker.wait_for_listener("Sam")
    await expect(seeker.find(".cw-note-line")).to_contain_text("Welcome back")
    await listener.say("still here")
    await seeker.expect_conversation(["still here"])
    await seeker.say("after the reload")
    await listener.expect_conversation(["before the reload", "still here", "after the reload"])
