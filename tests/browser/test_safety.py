"""Safety in the pages: leaving quickly, and help shown at once when someone is at risk."""

from __future__ import annotations

import pytest
from playwright.async_api import Route, expect

from chatserver.server import ChatServer
from tests.browser.actors import ListenerConsole, Seeker
from tests.browser.conftest import OpenPage
from tests.support.cast import listener_token

pytestmark = pytest.mark.browser

EXIT_URL = "https://www.bbc.co.uk/weather"


async def neutral_page(route: Route) -> None:
    await route.fulfill(content_type="text/html", body="<!doctype html><title>Weather</title>")


async def test_leave_quickly_ends_the_chat_clears_storage_and_goes_elsewhere(
    open_page: OpenPage, server: ChatServer
) -> None:
    base = f"http://127.0.0.1:{server.port}"
    listener = ListenerConsole(await open_page(base + "/listener", name="listener"))
    await listener.sign_in(listener_token("Sam"))
    page = await open_page(name="seeker")
    await page.route(EXIT_URL, neutral_page)  # the default exit: a neutral page elsewhere
    await page.goto(base + "/")
    seeker = Seeker(page)
    await page.evaluate("sessionStorage.setItem('host-site', 'kept')")
    await seeker.start(intro="someone might come in")
    await seeker.wait_for_listener("Sam")
    assert any(key.startswith("chatserver:") for key in await seeker.storage())

    await seeker.find(".cw-exit").click()
    await page.wait_for_url(EXIT_URL)
    await expect(listener.panel().locator(".ended-line")).to_contain_text("They ended the chat.")
    # leaving replaced the chat page in the history: Back does not return to it
    await page.go_back()
    assert page.url == "about:blank"

    # the chat's origin, in this same tab: nothing of the chat is left, the host's own data is
    await page.goto(base + "/")
    assert await seeker.storage() == {"host-site": "kept"}
    await seeker.open()
    await expect(seeker.find(".cw-start")).to_be_visible()


async def test_resources_are_shown_at_once_after_a_risk_intro(
    open_page: OpenPage, server: ChatServer
) -> None:
    """Needs issue 6 on the server: risk triage, resources, urgent queue entries, risk flags."""
    base = f"http://127.0.0.1:{server.port}"
    listener = ListenerConsole(await open_page(base + "/listener", name="listener"))
    await listener.sign_in(listener_token("Sam"), ready=False)
    seeker = Seeker(await open_page(base + "/", name="seeker"))

    await seeker.start(intro="I don't know, sometimes I want to kill myself")
    resources = seeker.find(".cw-resources")
    await expect(resources).to_be_visible()
    assert await resources.get_attribute("data-reason") == "risk"
    for item in server.config.resources["default"]:
        await expect(resources).to_contain_text(item["name"])
    await expect(seeker.find(".cw-position")).to_be_visible()  # still waiting, first in line

    entry = listener.queue_entries().first
    await expect(entry.locator(".badge.urgent")).to_be_visible()
    await expect(entry.locator(".badge.risk")).to_be_visible()
    await entry.get_by_role("button", name="Take").click()
    await seeker.wait_for_listener("Sam")
    await expect(listener.panel().locator(".risk-banner")).to_be_visible()
    await expect(resources).to_be_visible()  # still there in the conversation
