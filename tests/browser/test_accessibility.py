"""The widget by keyboard alone, on a 320 px screen, with reduced motion, on a hostile host page."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, Route, expect

from chatserver.server import ChatServer
from tests.browser.actors import ListenerConsole, Seeker
from tests.browser.conftest import OpenPage, save_screenshot
from tests.support.cast import listener_token

pytestmark = pytest.mark.browser

FOCUSED = """() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    if (!el) return "";
    return [el.tagName.toLowerCase(), el.id, el.className, el.getAttribute("name"),
            el.getAttribute("value"), (el.textContent || "").trim().slice(0, 30)].join("|");
}"""


async def focused(page: Page) -> str:
    """tag|id|class|name|value|text of the element with focus, inside the widget's shadow root."""
    description: str = await page.evaluate(FOCUSED)
    return description


async def tab_to(page: Page, needle: str, most: int = 25) -> str:
    """Press Tab until the focused element's description contains ``needle``."""
    for _ in range(most):
        await page.keyboard.press("Tab")
        where = await focused(page)
        if needle in where:
            return where
    raise AssertionError(f"never reached {needle!r} with Tab; last was {where!r}")


async def test_keyboard_alone_starts_a_chat_sends_and_ends_it(
    open_page: OpenPage, server: ChatServer
) -> None:
    base = f"http://127.0.0.1:{server.port}"
    listener = ListenerConsole(await open_page(base + "/listener", name="listener"))
    await listener.sign_in(listener_token("Sam", ["anxiety"]))
    page = await open_page(base + "/", name="seeker")
    keys = page.keyboard

    await tab_to(page, "cw-launcher")
    await keys.press("Enter")
    assert "cw-title" in await focused(page)  # the panel's heading first, then its controls
    assert (await tab_to(page, "|")).split("|")[2] == "cw-exit"  # "Leave quickly" comes first
    await tab_to(page, "|topic|anxiety|")
    await keys.press("Space")
    await tab_to(page, "cw-intro")
    await keys.type("I feel anxious all the time")
    await keys.press("Tab")
    assert "Start a chat" in await focused(page)
    await keys.press("Enter")

    seeker = Seeker(page)
    await seeker.wait_for_listener("Sam")
    await expect(seeker.find("#cw-message")).to_be_focused()  # ready to write at once
    await keys.type("hello from the keyboard")
    await keys.press("Enter")
    await keys.type("line one")
    await keys.press("Shift+Enter")
    await keys.type("line two")
    await keys.press("Enter")
    await listener.expect_conversation(["hello from the keyboard", "line one\nline two"])
    await expect(listener.panel().locator(".intro")).to_contain_text("I feel anxious all the time")

    await tab_to(page, "End chat")
    await keys.press("Enter")
    assert "Yes, end it" in await focused(page)
    await keys.press("Escape")  # changed my mind
    assert "End chat" in await focused(page)
    await keys.press("Enter")
    await keys.press("Enter")
    await expect(seeker.find(".cw-ended")).to_be_visible()
    assert "The chat has ended" in await focused(page)
    await expect(listener.panel().locator(".ended-line")).to_be_visible()

    await keys.press("Escape")  # minimise: focus goes back to the launcher
    assert "cw-launcher" in await focused(page)
    await expect(seeker.find(".cw-launcher")).to_have_attribute("aria-expanded", "false")


async def test_controls_are_labelled_and_new_messages_are_announced(
    open_page: OpenPage, server: ChatServer
) -> None:
    base = f"http://127.0.0.1:{server.port}"
    listener = ListenerConsole(await open_page(base + "/listener", name="listener"))
    await listener.sign_in(listener_token("Sam"))
    page = await open_page(base + "/", name="seeker")
    seeker = Seeker(page)
    await seeker.open()
    await expect(page.get_by_role("dialog", name="Talk to someone")).to_be_visible()
    await expect(page.get_by_role("button", name="Minimise chat")).to_be_visible()
    await expect(page.get_by_label("What's on your mind? (optional)")).to_be_visible()
    await expect(
        page.get_by_role("group", name="What would you like to talk about?")
    ).to_be_visible()
    await seeker.start()
    await seeker.wait_for_listener("Sam")
    log = page.get_by_role("log", name="Conversation")
    await expect(log).to_have_attribute("aria-live", "polite")
    await listener.say("Hello, I'm Sam")
    await expect(log).to_contain_text("Hello, I'm Sam")
    await expect(page.get_by_label("Your message")).to_be_editable()


async def test_the_widget_works_on_a_320px_screen(open_page: OpenPage, server: ChatServer) -> None:
    base = f"http://127.0.0.1:{server.port}"
    listener = ListenerConsole(await open_page(base + "/listener", name="listener"))
    await listener.sign_in(listener_token("Sam", ["anxiety"]))
    page = await open_page(
        base + "/", name="phone", viewport={"width": 320, "height": 568}, has_touch=True
    )
    seeker = Seeker(page)
    launcher = await seeker.find(".cw-launcher").bounding_box()
    assert launcher is not None and launcher["x"] >= 0 and launcher["x"] + launcher["width"] <= 320
    await seeker.open()

    async def fits() -> None:
        box = await seeker.find(".cw-panel").bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, box
        overflow = await seeker.find(".cw-scroll").evaluate(
            "(el) => el.scrollWidth - el.clientWidth"
        )
        assert overflow <= 0, "the panel scrolls sideways"

    await fits()
    await seeker.start(topics=["anxiety", "stress"], intro="on my phone")
    await seeker.wait_for_listener("Sam")
    await seeker.say("a long message " * 12)
    await listener.expect_conversation([("a long message " * 12).strip()])
    await fits()
    send = await seeker.find(".cw-send").bounding_box()
    assert send is not None and send["x"] + send["width"] <= 320
    await save_screenshot(page, "widget-320px")


async def test_reduced_motion_turns_the_animations_off(
    open_page: OpenPage, server: ChatServer
) -> None:
    base = f"http://127.0.0.1:{server.port}/"
    moving = Seeker(await open_page(base, name="moving"))
    still = Seeker(await open_page(base, name="still", reduced_motion="reduce"))
    for seeker in (moving, still):
        await seeker.open()
    animation = "(el) => getComputedStyle(el).animationName"
    assert await moving.find(".cw-panel").evaluate(animation) == "cw-rise"
    assert await still.find(".cw-panel").evaluate(animation) == "none"


HOSTILE_PAGE = """<!doctype html>
<html><head><title>A hostile host</title><style>
html { font-size: 40px !important; }
* { font-family: "Comic Sans MS", cursive !important; font-size: 30px !important;
    color: rgb(255, 0, 0) !important; background: rgb(255, 255, 0) !important;
    line-height: 5 !important; letter-spacing: 4px !important; text-transform: uppercase !important;
    border: 4px dashed rgb(0, 0, 255) !important; box-sizing: content-box !important;
    visibility: visible; }
div, section, button, p, h2, textarea, input, label, form {
    display: inline !important; margin: 30px !important; padding: 30px !important;
    position: static !important; width: 10px !important; }
chatserver-widget { display: none !important; opacity: 0 !important;
    transform: scale(0) !important; }
button { all: unset !important; }
</style></head>
<body><h1>Welcome</h1><div id="host-box">The host's own content</div>
<script src="/widget.js" data-topics="anxiety"></script></body></html>"""


async def test_the_host_pages_css_does_not_leak_in_nor_ours_out(
    open_page: OpenPage, server: ChatServer
) -> None:
    base = f"http://127.0.0.1:{server.port}"

    async def hostile(route: Route) -> None:
        await route.fulfill(content_type="text/html", body=HOSTILE_PAGE)

    page = await open_page(name="hostile")
    await page.route(base + "/hostile.html", hostile)
    await page.goto(base + "/hostile.html")
    seeker = Seeker(page)
    host_style = "(el) => [getComputedStyle(el).color, getComputedStyle(el).fontSize]"
    before = await page.locator("#host-box").evaluate(host_style)
    sheets = await page.evaluate("document.styleSheets.length")

    await expect(seeker.find(".cw-launcher")).to_be_visible()
    await seeker.open()
    style = """(el) => { const s = getComputedStyle(el); return {
        color: s.color, background: s.backgroundColor, size: s.fontSize, family: s.fontFamily,
        transform: s.textTransform, spacing: s.letterSpacing, border: s.borderTopStyle,
        display: s.display }; }"""
    launcher_panel = await seeker.find(".cw-panel").evaluate(style)
    assert launcher_panel["size"] == "16px"
    assert "Comic Sans" not in launcher_panel["family"]
    assert launcher_panel["color"] != "rgb(255, 0, 0)"
    assert launcher_panel["background"] == "rgb(255, 255, 255)"
    assert launcher_panel["transform"] == "none" and launcher_panel["spacing"] == "normal"
    start = await seeker.find(".cw-start button[type=submit]").evaluate(style)
    assert start["background"] == "rgb(47, 93, 98)" and start["color"] == "rgb(255, 255, 255)"
    assert start["size"] == "16px" and start["border"] == "solid"
    intro = await seeker.find("#cw-intro").evaluate(style)
    assert (intro["size"], intro["display"], intro["border"]) == ("16px", "block", "solid")
    box = await seeker.find(".cw-panel").bounding_box()
    assert box is not None and box["width"] == 380

    # and the widget changed nothing of the host page
    assert await page.locator("#host-box").evaluate(host_style) == before
    assert await page.evaluate("document.styleSheets.length") == sheets
    await save_screenshot(page, "widget-hostile-host")
