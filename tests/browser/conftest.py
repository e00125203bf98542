"""Fixtures for the browser tests: headless Chromium beside an in-process server.

Playwright's async API runs in the test's own event loop, next to the
``ChatServer`` that ``start_server`` starts, so a test can drive pages and
raw ``WireClient``s and read the server's state in one place. These tests
use Debian's ``chromium`` (Playwright cannot download browsers here) and are
never skipped: without it they fail, saying what to install.

Every page opened through ``open_page`` records uncaught errors and Content
Security Policy violations, and the test fails at the end if there were any,
so a page that breaks its own CSP cannot pass.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.support.timing import scaled

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

OpenPage = Callable[..., Awaitable[Page]]


@pytest.fixture
def broker_kind() -> str:
    """The pages are the same on either broker (tests/e2e covers Redis); memory is faster."""
    return "memory"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    assert executable, "the browser tests need Debian's chromium: apt-get install chromium"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


class PageProblems:
    """Uncaught errors and CSP violations seen on the test's pages."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def watch(self, page: Page, name: str) -> None:
        page.on("pageerror", lambda error: self.seen.append(f"{name}: uncaught {error}"))
        page.on(
            "console",
            lambda message: (
                self.seen.append(f"{name}: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )


@pytest.fixture
async def open_page(browser: Browser) -> AsyncIterator[OpenPage]:
    """``await open_page(url, name=..., **context options)``: a page in a fresh browser context.

    Each call is a separate context (its own sessionStorage, its own network
    state), like a separate person on a separate device.
    """
    problems = PageProblems()
    contexts: list[BrowserContext] = []

    async def open_one(url: str | None = None, *, name: str = "page", **options: Any) -> Page:
        options.setdefault("viewport", {"width": 1100, "height": 760})
        context = await browser.new_context(**options)
        context.set_default_timeout(scaled(8) * 1000)
        contexts.append(context)
        page = await context.new_page()
        problems.watch(page, name)
        if url is not None:
            await page.goto(url)
        return page

    yield open_one
    for context in contexts:
        await context.close()
    assert not problems.seen, "problems on the pages:\n" + "\n".join(problems.seen)


async def save_screenshot(
    page: Page, name: str, *, committed: bool = False, **options: Any
) -> Path:
    """Save ``test-artifacts/<name>.png``. A ``committed`` one (the README's) is also copied to
    ``tests/browser/screenshots/<name>.png`` when missing or ``CHATSERVER_UPDATE_SCREENSHOTS=1``,
    so that ordinary runs leave the checkout clean."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    options.setdefault("animations", "disabled")
    await page.screenshot(path=str(path), **options)
    kept = SCREENSHOTS / f"{name}.png"
    if not committed:
        return path
    if not kept.exists() or os.environ.get("CHATSERVER_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(exist_ok=True)
        kept.write_bytes(path.read_bytes())
    return path


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``check()`` holds (server-side state that no page shows)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + scaled(timeout)
    while not check():
        assert loop.time() < deadline, f"still not true after {timeout} s"
        await asyncio.sleep(0.05)
