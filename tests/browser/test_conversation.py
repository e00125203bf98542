"""A seeker in the widget and a listener in the console talk through the pages, on a real server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import expect

from chatserver.server import ChatServer
from tests.browser.actors import ListenerConsole, Seeker
from tests.browser.conftest import OpenPage, eventually, save_screenshot
from tests.support.cast import listener_token

pytestmark = pytest.mark.browser

StartServer = Callable[..., Awaitable[ChatServer]]


def base(server: ChatServer) -> str:
    return f"http://127.0.0.1:{server.port}"


async def sign_in_listener(
    open_page: OpenPage, server: ChatServer, name: str = "Sam", **token: Any
) -> ListenerConsole:
    page = await open_page(base(server) + "/listener", name="listener")
    listener = ListenerConsole(page)
    await listener.sign_in(listener_token(name, ["anxiety", "stress"], **token))
    return listener


async def test_seeker_and_listener_hold_a_conversation(
    open_page: OpenPage, server: ChatServer
) -> None:
    listener = await sign_in_listener(open_page, server)
    seeker = Seeker(await open_page(base(server) + "/", name="seeker"))

    await seeker.start(topics=["anxiety"], intro="Exams are getting to me")
    await seeker.wait_for_listener("Sam")
    await expect(listener.panel().locator(".intro")).to_contain_text("Exams are getting to me")
    await expect(listener.panel().locator(".session-head")).to_contain_text("anxiety")

    # typing reaches the other side, both ways
    await seeker.find("#cw-message").press_sequentially("I can't")
    await expect(listener.panel().locator(".typing")).to_be_visible()
    await listener.panel().locator("textarea").press_sequentially("Go")
    await expect(seeker.find(".cw-typing")).to_have_text("Sam is typing…")

    await seeker.say("I can't sleep before exams")
    await listener.expect_conversation(["I can't sleep before exams"])
    await expect(seeker.find(".cw-typing")).to_be_visible()
    await listener.say("That sounds exhausting. How long has it been like this?")
    await seeker.say("Two weeks, maybe")
    await seeker.expect_conversation(
        [
            "I can't sleep before exams",
            "That sounds exhausting. How long has it been like this?",
            "Two weeks, maybe",
        ]
    )
    await listener.expect_conversation(
        [
            "I can't sleep before exams",
            "That sounds exhausting. How long has it been like this?",
            "Two weeks, maybe",
        ]
    )
    await save_screenshot(seeker.page, "widget", committed=True)
    await save_screenshot(listener.page, "listener", committed=True)

    await seeker.end()
    await expect(seeker.find(".cw-ended")).to_contain_text("You ended the chat.")
    await expect(listener.panel().locator(".ended-line")).to_contain_text("They ended the chat.")
    await seeker.find("input[name=score][value='4']").check()
    await seeker.find(".cw-feedback button[type=submit]").click()
    await expect(seeker.find(".cw-thanks")).to_contain_text("Thank you")
    await eventually(
        lambda: server.metrics.registry.get_sample_value("chat_feedback_total", {"score": "4"}) == 1
    )


async def test_seeker_chooses_a_topic_and_sees_their_place_in_the_queue(
    open_page: OpenPage, start_server: StartServer
) -> None:
    server = await start_server(routing={"mode": "manual"})
    listener = await sign_in_listener(open_page, server)
    first = Seeker(await open_page(base(server) + "/", name="first"))
    second = Seeker(await open_page(base(server) + "/", name="second"))

    await first.start(topics=["stress"], intro="Work is too much")
    await expect(first.find(".cw-position")).to_have_text("You're next in the queue (1 waiting).")
    await second.start(topics=["anxiety", "loneliness"])
    await expect(second.find(".cw-position")).to_have_text(
        "You're number 2 in the queue (2 waiting)."
    )
    await expect(first.find(".cw-position")).to_have_text("You're next in the queue (2 waiting).")

    entries = listener.queue_entries()
    await expect(entries).to_have_count(2)
    await expect(entries.nth(0).locator(".entry-topics")).to_have_text("stress")
    await expect(entries.nth(1).locator(".entry-topics")).to_have_text("anxiety, loneliness")
    await expect(listener.page.locator("#queue-count")).to_have_text("2")

    await entries.nth(1).get_by_role("button", name="Take").click()
    await second.wait_for_listener("Sam")
    await expect(listener.tabs()).to_have_count(1)
    await expect(listener.panel().locator(".session-head")).to_contain_text("anxiety, loneliness")
    await expect(first.find(".cw-position")).to_have_text("You're next in the queue (1 waiting).")
    await expect(entries).to_have_count(1)

    await first.find(".cw-waiting button").click()  # leave the queue
    await expect(first.find(".cw-ended")).to_contain_text("You left the queue.")
    await expect(first.find(".cw-feedback")).to_have_count(0)
    await expect(entries).to_have_count(0)
