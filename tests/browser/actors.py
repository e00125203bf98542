"""The people in a browser test, as page objects: a seeker in the widget, a listener in the
console, an operator on the dashboard.

Each wraps a Playwright ``Page`` and speaks in the words of the scene
(``await seeker.start(topics=["anxiety"])``, ``await listener.say("hi")``), so that
the tests read as what people do. Playwright's CSS selectors pierce open shadow
roots, so ``chatserver-widget .cw-launcher`` finds the launcher inside the widget.
"""

from __future__ import annotations

from collections.abc import Sequence

from playwright.async_api import Locator, Page, expect

__all__ = ["Dashboard", "ListenerConsole", "Seeker"]

WIDGET = "chatserver-widget"


class Seeker:
    """A person using the widget on a host page."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def find(self, selector: str) -> Locator:
        return self.page.locator(f"{WIDGET} {selector}")

    async def open(self) -> None:
        await self.find(".cw-launcher").click()
        await expect(self.find(".cw-panel")).to_be_visible()

    async def start(self, topics: Sequence[str] = (), intro: str | None = None) -> None:
        """Open the widget, choose topics, write an intro, press Start."""
        if not await self.find(".cw-panel").is_visible():
            await self.open()
        for topic in topics:
            await self.find(f"input[name=topic][value={topic}]").check()
        if intro is not None:
            await self.find("#cw-intro").fill(intro)
        await self.find(".cw-start button[type=submit]").click()

    async def wait_for_listener(self, name: str) -> None:
        await expect(self.find(".cw-peer")).to_have_text(f"You're talking with {name}")

    async def say(self, text: str) -> None:
        await self.find("#cw-message").fill(text)
        await self.find(".cw-send").click()

    def messages(self, who: str = "") -> Locator:
        """Message texts in the conversation: ``who`` = "mine", "theirs" or "" (all)."""
        kind = f".cw-{who}" if who else ".cw-msg"
        return self.find(f".cw-log {kind} .cw-text")

    async def expect_conversation(self, texts: Sequence[str]) -> None:
        """The conversation shows exactly these messages, in this order, all delivered."""
        await expect(self.messages()).to_have_text(list(texts))
        await expect(self.find(".cw-pending")).to_have_count(0)

    async def end(self) -> None:
        await self.find(".cw-actions .cw-secondary").click()
        await self.find(".cw-confirm .cw-danger").click()
        await expect(self.find(".cw-ended")).to_be_visible()

    async def storage(self) -> dict[str, str]:
        """This tab's sessionStorage."""
        items: dict[str, str] = await self.page.evaluate("() => ({...sessionStorage})")
        return items


class ListenerConsole:
    """A listener (or supervisor) signed in to /listener."""

    def __init__(self, page: Page) -> None:
        self.page = page

    async def sign_in(self, token: str, *, ready: bool = True) -> None:
        await self.page.fill("#token", token)
        await self.page.click("#sign-in-form button[type=submit]")
        await expect(self.page.locator("#console")).to_be_visible()
        if ready:
            await self.set_ready()

    async def set_ready(self) -> None:
        button = self.page.locator("#readiness")
        if await button.get_attribute("aria-pressed") != "true":
            await button.click()
        await expect(button).to_have_attribute("aria-pressed", "true")

    def panel(self) -> Locator:
        """The selected conversation's panel."""
        return self.page.locator(".session:not([hidden])")

    def tabs(self) -> Locator:
        return self.page.locator("#tabs [role=tab]")

    async def select(self, peer: str) -> None:
        await self.tabs().filter(has_text=peer).click()

    async def say(self, text: str) -> None:
        await self.panel().locator("textarea").fill(text)
        await self.panel().locator(".composer button[type=submit]").click()

    def messages(self, who: str = "") -> Locator:
        kind = f".{who}" if who else ".msg"
        return self.panel().locator(f".log {kind} .text")

    async def expect_conversation(self, texts: Sequence[str]) -> None:
        await expect(self.messages()).to_have_text(list(texts))
        await expect(self.panel().locator(".pending")).to_have_count(0)

    def queue_entries(self) -> Locator:
        return self.page.locator("#queue .entry")


class Dashboard:
    """An operator looking at /dashboard."""

    def __init__(self, page: Page) -> None:
        self.page = page

    async def sign_in(self, token: str) -> None:
        await self.page.fill("#token", token)
        await self.page.click("#sign-in-form button[type=submit]")
        await expect(self.page.locator("#board")).to_be_visible()

    def figure(self, name: str) -> Locator:
        return self.page.locator(f"#fig-{name}")
