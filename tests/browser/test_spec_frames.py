"""The pages against PROTOCOL.md itself, with a scripted server standing in for the real one.

These cover frames a real server sends only in particular moments (an
expected wait, a transfer, a supervisor joining, an escalation, a break
nudge, a full queue), and check that every frame the pages send is one the
reference decoder accepts, with the fields the spec asks for.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

import protocol
from tests.browser.actors import ListenerConsole, Seeker
from tests.browser.conftest import OpenPage
from tests.browser.scripted import ScriptedServer

pytestmark = pytest.mark.browser

HOST = "http://chat.test"
HOST_PAGE = """<!doctype html><html lang="en"><title>Host</title><p>A host site</p>
<script src="/widget.js" data-topics="anxiety,stress" data-region="gb"></script></html>"""

HELPLINES = (
    protocol.ResourceItem(
        name="Samaritans", phone="116 123", url="https://www.samaritans.org", hours="24/7"
    ),
    protocol.ResourceItem(name="Shout", sms="85258"),
    protocol.ResourceItem(name="Not a link", url="javascript:alert(1)"),
)


async def scripted_page(
    open_page: OpenPage, path: str, server: ScriptedServer, **options: object
) -> Page:
    """A page from the real static files, at a made-up origin, talking to ``server``."""
    from chatserver.pages import Pages

    pages = Pages()
    page = await open_page(name=path, **options)

    async def serve(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        local = url.removeprefix(HOST)
        if local == "/host.html":
            await route.fulfill(content_type="text/html", body=HOST_PAGE)  # type: ignore[attr-defined]
            return
        asset = pages.find(local.split("?")[0])
        if asset is None:
            await route.fulfill(status=404)  # type: ignore[attr-defined]
            return
        await route.fulfill(body=asset.body, content_type=asset.content_type)  # type: ignore[attr-defined]

    await page.route(f"{HOST}/**", serve)
    await server.install(page)
    await page.goto(HOST + path)
    return page


async def test_widget_follows_the_seekers_frames_of_the_spec(open_page: OpenPage) -> None:
    server = ScriptedServer()
    page = await scripted_page(open_page, "/host.html", server, locale="en-GB")
    seeker = Seeker(page)
    await seeker.start(topics=["stress"], intro="Work")

    hello = await server.expect(protocol.Hello)
    assert (hello.role, hello.lang, hello.region, hello.resume) == ("seeker", "en-GB", "gb", None)
    request = await server.expect(protocol.Request)
    assert (request.topics, request.intro) == (("stress",), "Work")

    server.send(protocol.Queued(session="s1", position=3, waiting=5, eta_s=250))
    await expect(seeker.find(".cw-position")).to_have_text(
        "You're number 3 in the queue (5 waiting)."
    )
    await expect(seeker.find(".cw-eta")).to_have_text("Expected wait: about 4 minutes.")
    server.send(protocol.Resources(reason="long_wait", items=HELPLINES))
    resources = seeker.find(".cw-resources")
    await expect(resources).to_contain_text("The wait is long at the moment")
    await expect(resources.get_by_role("link", name="Call 116 123")).to_have_attribute(
        "href", "tel:116123"
    )
    await expect(resources.get_by_role("link", name="Text 85258")).to_have_attribute(
        "href", "sms:85258"
    )
    await expect(resources.get_by_role("link", name="Website")).to_have_attribute(
        "href", "https://www.samaritans.org/"
    )
    await expect(resources.get_by_role("link")).to_have_count(3)  # the javascript: url is no link
    await expect(seeker.find(".cw-sr-only[role=status]")).to_have_text(
        "Help is available: helplines are shown in the chat."
    )

    server.send(protocol.Matched(session="s1", peer="Sam", topics=("stress",)))
    await seeker.wait_for_listener("Sam")
    await expect(seeker.find("#cw-message")).to_be_focused()
    await seeker.find("#cw-message").press_sequentially("typing a lot of letters")
    await server.expect(protocol.Typing)
    await seeker.say("hello")
    send = await server.expect(protocol.Send)
    assert (send.session, send.text) == ("s1", "hello")
    assert [f.TYPE for f in server.received].count("typing") == 1, "typing is throttled"
    server.send(protocol.Error(code="rate_limited", message="wait 1 s", ref="send"))
    again = await server.expect(protocol.Send)  # sent again by itself, with the same id
    assert (again.id, again.text) == (send.id, "hello")
    server.send(protocol.Sent(session="s1", id=send.id, seq=1, ts=1_700_000_000_000))
    await expect(seeker.find(".cw-pending")).to_have_count(0)

    server.send(protocol.PeerTyping(session="s1"))
    await expect(seeker.find(".cw-typing")).to_have_text("Sam is typing…")
    # out of order and repeated: shown in seq order, once
    server.send(
        protocol.Message(session="s1", seq=3, text="third", ts=1_700_000_002_000),
        protocol.Message(session="s1", seq=2, text="second", ts=1_700_000_001_000),
        protocol.Message(session="s1", seq=3, text="third", ts=1_700_000_002_000),
    )
    await expect(seeker.messages()).to_have_text(["hello", "second", "third"])
    await expect(seeker.find(".cw-typing")).to_be_hidden()

    log = seeker.find(".cw-log")
    server.send(protocol.PeerAway(session="s1"))
    await expect(log).to_contain_text("Sam lost their connection")
    server.send(protocol.PeerBack(session="s1"))
    await expect(log).to_contain_text("Sam is back.")
    server.send(protocol.Transferred(session="s1", peer="Jo"))
    await seeker.wait_for_listener("Jo")
    await expect(log).to_contain_text("Your chat continues with Jo.")
    server.send(protocol.MemberJoined(session="s1", name="Alex", role="supervisor"))
    await expect(log).to_contain_text("Alex, a supervisor, joined to help.")
    server.send(
        protocol.Message(
            session="s1", seq=4, text="I'm here too", ts=1_700_000_003_000, sender="Alex"
        )
    )
    await expect(seeker.find(".cw-theirs .cw-who").last).to_have_text("Alex")
    server.send(protocol.MemberLeft(session="s1", name="Alex"))
    await expect(log).to_contain_text("Alex left the chat.")

    await seeker.find(".cw-actions .cw-link").click()  # "Get help now"
    await server.expect(protocol.ResourcesRequest)
    server.send(protocol.Service(available=False))
    await expect(seeker.find(".cw-banner")).to_be_visible()
    server.send(protocol.Service(available=True))
    await expect(seeker.find(".cw-banner")).to_have_text("Connected again.")

    server.send(protocol.Ended(session="s1", reason="listener_ended"))
    await expect(seeker.find(".cw-ended")).to_contain_text("The listener ended the chat.")
    await seeker.find("input[name=score][value='2']").check()
    await seeker.find(".cw-feedback button[type=submit]").click()
    feedback = await server.expect(protocol.Feedback)
    assert (feedback.session, feedback.score) == ("s1", 2)


async def test_widget_resumes_after_a_reconnect_frame_with_its_token_and_last_seq(
    open_page: OpenPage,
) -> None:
    server = ScriptedServer()
    seeker = Seeker(await scripted_page(open_page, "/host.html", server))
    await seeker.start()
    await server.expect(protocol.Request)
    server.send(
        protocol.Matched(session="s1", peer="Sam"),
        protocol.Message(session="s1", seq=1, text="one", ts=1_700_000_000_000),
        protocol.Message(session="s1", seq=2, text="two", ts=1_700_000_001_000),
    )
    await seeker.expect_conversation(["one", "two"])
    await seeker.say("not acknowledged yet")
    send = await server.expect(protocol.Send)

    server.send(protocol.Reconnect(after_ms=300))  # this node is draining
    await server.close(1012)
    hello = await server.expect(protocol.Hello)
    assert (hello.resume, hello.last_seq) == ("resume-token-1", {"s1": 2})
    again = await server.expect(protocol.Send)
    assert (again.id, again.text) == (send.id, "not acknowledged yet")
    # the resumed server replays the session, then what was missed; repeats are not shown
    server.send(
        protocol.Matched(session="s1", peer="Sam"),
        protocol.Message(session="s1", seq=2, text="two", ts=1_700_000_001_000),
        protocol.Sent(session="s1", id=send.id, seq=3, ts=1_700_000_002_000),
        protocol.Message(session="s1", seq=4, text="four", ts=1_700_000_003_000),
    )
    await seeker.expect_conversation(["one", "two", "not acknowledged yet", "four"])
    stored = await seeker.storage()
    (kept,) = [v for k, v in stored.items() if k.startswith("chatserver:widget:")]
    assert '"resume":"resume-token-2"' in kept and '"s1":4' in kept


async def test_widget_shows_helplines_when_the_queue_is_full_or_the_seeker_is_blocked(
    open_page: OpenPage,
) -> None:
    server = ScriptedServer()
    seeker = Seeker(await scripted_page(open_page, "/host.html", server))
    await seeker.start()
    await server.expect(protocol.Request)
    server.send(
        protocol.Error(code="queue_full", message="too many waiting", ref="request"),
        protocol.Resources(reason="queue_full", items=HELPLINES[:1]),
    )
    await expect(seeker.find(".cw-refused")).to_contain_text("Lots of people are waiting")
    await expect(seeker.find(".cw-resources")).to_contain_text("Samaritans")
    await seeker.find(".cw-refused button").click()  # try again
    await expect(seeker.find(".cw-start")).to_be_visible()

    await seeker.find(".cw-start button[type=submit]").click()
    await server.expect(protocol.Request)
    server.send(
        protocol.Error(code="blocked", message="barred for a while", ref="request"),
        protocol.Resources(reason="blocked", items=HELPLINES[:1]),
    )
    await expect(seeker.find(".cw-refused")).to_contain_text("isn't available to you")
    await expect(seeker.find(".cw-refused button")).to_have_count(0)
    await expect(seeker.find(".cw-resources")).to_contain_text("You can still reach")


async def test_console_follows_the_staff_frames_of_the_spec(open_page: OpenPage) -> None:
    server = ScriptedServer(role="supervisor", handle="Alex")
    page = await scripted_page(open_page, "/listener", server)
    console = ListenerConsole(page)
    await console.sign_in("a.supervisor.token", ready=False)
    hello = await server.expect(protocol.Hello)
    assert (hello.role, hello.token) == ("listener", "a.supervisor.token")
    await expect(page.locator("#who")).to_have_text("Alex · supervisor")
    await console.set_ready()
    await server.expect(protocol.Ready)

    server.send(
        protocol.Queue(
            waiting=2,
            entries=(
                protocol.QueueEntry(
                    id="q1", topics=("self_harm",), waited_s=75, priority="urgent", risk=True
                ),
                protocol.QueueEntry(id="q2", waited_s=10),
            ),
        )
    )
    entries = console.queue_entries()
    await expect(entries).to_have_count(2)
    await expect(entries.nth(0).locator(".badge")).to_have_text(["urgent", "risk"])
    await expect(entries.nth(0).locator(".entry-wait")).to_contain_text("waiting 1 min")
    await expect(entries.nth(1).locator(".entry-topics")).to_have_text("any topic")
    await entries.nth(1).get_by_role("button", name="Take").click()
    assert (await server.expect(protocol.Take)).seeker == "q2"
    server.send(protocol.Error(code="conflict", message="taken", ref="take"))
    await expect(page.locator("#status")).to_have_text("Someone else took them first.")

    server.send(
        protocol.Matched(
            session="s1", peer="Quiet Heron", topics=("stress",), intro="Work is too much",
            risk=True, handover="Mentioned exams",
        )
    )  # fmt: skip
    panel = console.panel()
    await expect(panel.locator(".risk-banner")).to_be_visible()
    await expect(panel).to_contain_text("Mentioned exams")
    await expect(console.tabs().first.locator(".badge.risk")).to_be_visible()

    server.send(
        protocol.Overview(
            waiting=1,
            sessions=(
                protocol.SessionInfo(
                    id="s9", listener="Kim", started_s=300, escalated=True, risk=True
                ),
                protocol.SessionInfo(id="s8", listener="Lee", topics=("grief",), started_s=30),
            ),
        ),
        protocol.Escalation(session="s9", listener="Kim", topics=("grief",), note="Please help"),
        protocol.Reported(session="s7", reason="abuse", by="seeker"),
        protocol.Debrief(listener="Lee"),
        protocol.RiskFlag(session="s8"),
    )
    overview = page.locator("#overview .live")
    await expect(overview).to_have_count(2)
    await expect(overview.nth(0).locator(".badge")).to_have_text(["risk", "asked for help"])
    notices = page.locator("#notices .notice")
    await expect(notices).to_have_count(4)
    await expect(notices.nth(0)).to_contain_text("A risk flag was raised")
    await expect(notices.nth(1)).to_contain_text("Lee asked for a debrief.")
    await expect(notices.nth(2)).to_contain_text("A seeker reported a chat (abuse).")
    await expect(notices.nth(3)).to_contain_text("Kim asked for help (grief): “Please help”")
    await overview.nth(0).get_by_role("button", name="Join Kim's chat").click()
    assert (await server.expect(protocol.Join)).session == "s9"

    server.send(protocol.BreakSuggested(worked_s=7300))
    await expect(page.locator("#break-nudge")).to_contain_text("2 h 01 min")
    await page.get_by_role("button", name="Take a break (stop new chats)").click()
    await server.expect(protocol.Away)
    await expect(page.locator("#readiness")).to_have_attribute("aria-pressed", "false")

    await panel.get_by_role("button", name="Ask a supervisor").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("A note for the supervisor (optional)").fill("x" * 501)
    await dialog.get_by_role("button", name="Ask for help").click()
    await expect(dialog.locator(".error")).to_contain_text("500 characters")
    await dialog.get_by_label("A note for the supervisor (optional)").fill("They have a plan")
    await dialog.get_by_role("button", name="Ask for help").click()
    escalate = await server.expect(protocol.Escalate)
    assert (escalate.session, escalate.note) == ("s1", "They have a plan")

    await panel.get_by_role("button", name="Transfer").click()
    await dialog.get_by_label("a supervisor").check()
    await dialog.get_by_label("Handover note (optional)").fill("Needs a calm voice")
    await dialog.get_by_role("button", name="Transfer").click()
    transfer = await server.expect(protocol.Transfer)
    assert (transfer.session, transfer.to, transfer.note) == (
        "s1",
        "supervisor",
        "Needs a calm voice",
    )

    await panel.get_by_role("button", name="Report").click()
    await dialog.get_by_label("Reason").select_option("harassment")
    await dialog.get_by_role("button", name="Report").click()
    report = await server.expect(protocol.Report)
    assert (report.session, report.reason) == ("s1", "harassment")

    await panel.get_by_role("button", name="End chat").click()
    await dialog.get_by_label("Also block this person for a while").check()
    await dialog.get_by_role("button", name="End chat").click()
    end = await server.expect(protocol.End)
    assert (end.session, end.reason, end.block) == ("s1", "done", True)

    server.send(protocol.Ended(session="s1", reason="blocked"))
    await panel.get_by_role("button", name="Ask for a debrief about this chat").click()
    debrief = await server.expect(protocol.DebriefRequest)
    assert debrief.session == "s1"
    await expect(page.locator("#status")).to_contain_text("You asked for a debrief")
