"""The listener console on a real server: several chats in tabs, notifications, staff actions.

Seekers here are raw ``WireClient``s (tests/support): the console is what is
under test, and they make the other side's frames exact and quick.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Page, expect

import protocol
from chatserver.server import ChatServer
from chatserver.types import Role
from tests.browser.actors import ListenerConsole
from tests.browser.conftest import OpenPage
from tests.support.cast import Cast, listener_token
from tests.support.wire import NOISE, WireClient

pytestmark = pytest.mark.browser

StartServer = Callable[..., Awaitable[ChatServer]]


async def console(open_page: OpenPage, server: ChatServer, token: str) -> ListenerConsole:
    listener = ListenerConsole(
        await open_page(f"http://127.0.0.1:{server.port}/listener", name="console")
    )
    await listener.sign_in(token)
    return listener


async def matched(cast: Cast, topics: list[str] | None = None) -> tuple[WireClient, str]:
    seeker = await cast.seeker()
    session = await cast.request(seeker, topics or [])
    await seeker.expect(protocol.Matched)
    return seeker, session


async def hide(page: Page, hidden: bool) -> None:
    """Pretend the tab went to the background (or came back)."""
    await page.evaluate(
        """(hidden) => {
            Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        hidden,
    )


async def test_two_chats_in_tabs_with_unread_badges_sound_and_title_when_hidden(
    open_page: OpenPage, start_server: StartServer
) -> None:
    server = await start_server(listener={"capacity": 2})
    cast = Cast(server.url)
    try:
        listener = await console(open_page, server, listener_token("Sam"))
        first, one = await matched(cast)
        second, two = await matched(cast)
        tabs = listener.tabs()
        await expect(tabs).to_have_count(2)
        await expect(tabs.nth(0)).to_have_attribute("aria-selected", "true")

        await second.send(protocol.Send(session=two, text="hello from two", id="a"))
        await expect(tabs.nth(1).locator(".badge.unread")).to_be_visible()
        await tabs.nth(0).focus()
        await listener.page.keyboard.press("ArrowRight")  # tabs move with the arrow keys
        await expect(tabs.nth(1)).to_have_attribute("aria-selected", "true")
        await expect(tabs.nth(1)).to_be_focused()
        await expect(tabs.nth(1).locator(".badge.unread")).to_be_hidden()
        await listener.expect_conversation(["hello from two"])

        await hide(listener.page, True)
        await first.send(protocol.Send(session=one, text="are you there?", id="b"))
        await expect(listener.page).to_have_title("(1) Listener console")
        await expect(listener.page.locator("body")).to_have_attribute("data-beeps", "1")
        await hide(listener.page, False)
        await expect(listener.page).to_have_title("Listener console")

        await listener.select(first.welcome.handle if first.welcome else "")
        await listener.expect_conversation(["are you there?"])
        await listener.say("Yes, I'm here.")
        message = await first.expect(protocol.Message, skip=NOISE | {"sent"})
        assert message.text == "Yes, I'm here."

        second.ws.transport.abort()  # their connection drops
        await listener.select(second.welcome.handle if second.welcome else "")
        await expect(listener.panel().locator(".away-line")).to_be_visible()
    finally:
        await cast.close_all()


async def test_ending_with_a_block_asks_first_and_bars_the_seeker(
    open_page: OpenPage, server: ChatServer, cast: Cast
) -> None:
    """Needs issue 6 on the server for the ``blocked`` reason."""
    listener = await console(open_page, server, listener_token("Sam"))
    seeker, session = await matched(cast)
    panel = listener.panel()
    await panel.get_by_role("button", name="End chat").click()
    dialog = listener.page.get_by_role("dialog")
    await expect(dialog).to_contain_text(f"End the chat with {seeker.welcome.handle}?")  # type: ignore[union-attr]
    await dialog.get_by_role("button", name="Cancel").click()  # nothing happens without the confirm
    await seeker.nothing(0.3)

    await panel.get_by_role("button", name="End chat").click()
    await dialog.get_by_label("Why (for the service; never shown to them)").select_option("unsafe")
    await dialog.get_by_label("Also block this person for a while").check()
    await dialog.get_by_role("button", name="End chat").click()
    ended = await seeker.expect(protocol.Ended)
    assert (ended.session, ended.reason) == (session, "blocked")
    await expect(panel.locator(".ended-line")).to_contain_text("blocked")
    await panel.get_by_role("button", name="Close").click()
    await expect(listener.tabs()).to_have_count(0)


async def test_supervisor_joins_an_escalated_chat_and_leaves_it(
    open_page: OpenPage, server: ChatServer, cast: Cast
) -> None:
    """Needs issue 6 on the server: escalate, escalation, overview, join, member_joined, leave."""
    listener = await console(open_page, server, listener_token("Sam"))
    seeker, session = await matched(cast)
    supervisor = await console(open_page, server, listener_token("Alex", role=Role.SUPERVISOR))
    await expect(supervisor.page.locator("#supervision")).to_be_visible()
    await expect(supervisor.page.locator("#overview .live")).to_have_count(1)

    await listener.panel().get_by_role("button", name="Ask a supervisor").click()
    dialog = listener.page.get_by_role("dialog")
    await dialog.get_by_label("A note for the supervisor (optional)").fill("They mention a plan")
    await dialog.get_by_role("button", name="Ask for help").click()

    notice = supervisor.page.locator("#notices .escalation").first
    await expect(notice).to_contain_text("Sam asked for help")
    await expect(notice).to_contain_text("They mention a plan")
    await notice.get_by_role("button", name="Join").click()
    await expect(supervisor.tabs()).to_have_count(1)
    await expect(supervisor.panel()).to_contain_text("Joined as supervisor")
    await expect(listener.panel().locator(".note-line").last).to_contain_text(
        "Alex (supervisor) joined."
    )
    joined = await seeker.expect(protocol.MemberJoined)
    assert joined.name == "Alex"

    await supervisor.say("Hi, I'm Alex, Sam's supervisor.")
    heard = await seeker.expect(protocol.Message)
    assert (heard.text, heard.sender) == ("Hi, I'm Alex, Sam's supervisor.", "Alex")
    await expect(listener.messages()).to_have_text(["Hi, I'm Alex, Sam's supervisor."])
    await expect(listener.panel().locator(".msg .who")).to_have_text(["Alex"])

    await supervisor.panel().get_by_role("button", name="Leave this chat").click()
    await expect(supervisor.panel().locator(".ended-line")).to_contain_text("You left this chat.")
    await expect(listener.panel().locator(".note-line").last).to_contain_text("Alex left.")
    assert session
