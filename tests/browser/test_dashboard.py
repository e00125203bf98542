"""The operators' dashboard: signed in with a supervisor's token, it follows /stats live."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

import protocol
from chatserver.server import ChatServer
from chatserver.types import Role
from tests.browser.actors import Dashboard
from tests.browser.conftest import OpenPage, save_screenshot
from tests.support.cast import Cast, listener_token

pytestmark = pytest.mark.browser


async def test_dashboard_shows_the_queue_growing_as_seekers_wait(
    open_page: OpenPage, server: ChatServer, cast: Cast
) -> None:
    # some history: a chat that ended with feedback, one going on, a listener away
    seeker, _, session = await cast.pair(["grief"], name="Jo")
    await seeker.send(protocol.End(session=session))
    await seeker.expect(protocol.Ended)
    await seeker.send(protocol.Feedback(session=session, score=5))
    await cast.pair(["loneliness"], name="Kim")
    await cast.listener("Sam", ["anxiety"], ready=False)
    page = await open_page(
        f"http://127.0.0.1:{server.port}/dashboard?refresh=1",
        name="dashboard",
        viewport={"width": 1200, "height": 900},
    )
    dashboard = Dashboard(page)
    await dashboard.sign_in(listener_token("Alex", role=Role.SUPERVISOR))
    await expect(dashboard.figure("waiting")).to_have_text("0")
    await expect(dashboard.figure("available")).to_have_text("1")
    await expect(dashboard.figure("active")).to_have_text("1")
    await expect(dashboard.figure("feedback")).to_have_text("5.0 / 5")

    first = await cast.seeker()
    await cast.request(first, ["anxiety"])
    await expect(dashboard.figure("waiting")).to_have_text("1")
    for topics in (["anxiety"], ["stress"]):
        await cast.request(await cast.seeker(), topics)
    await expect(dashboard.figure("waiting")).to_have_text("3")

    by_topic = page.locator("#chart-topics table")
    await expect(by_topic).to_contain_text("anxiety2")
    await expect(by_topic).to_contain_text("stress1")
    await expect(page.locator("#chart-waiting svg")).to_have_attribute(
        "aria-label", re.compile(r"^Seekers waiting: now 3, highest 3 since \d+ s ago$")
    )
    await expect(page.locator("#chart-waiting path.line")).to_have_count(1)
    await save_screenshot(page, "dashboard", committed=True, full_page=True)


async def test_dashboard_turns_away_a_listener_token(
    open_page: OpenPage, server: ChatServer
) -> None:
    page = await open_page(f"http://127.0.0.1:{server.port}/dashboard", name="dashboard")
    await page.fill("#token", listener_token("Sam"))
    await page.click("#sign-in-form button[type=submit]")
    await expect(page.locator("#sign-in-error")).to_contain_text("not a supervisor's")
    await expect(page.locator("#board")).to_be_hidden()
    assert await page.evaluate("sessionStorage.length") == 0
