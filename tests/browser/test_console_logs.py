"""The console's calls log, messages log and SMS threads (issue 18), in a real browser, over
Twilio's Calls and Messages resources and the handsets API (issue 15), made with the official
SDK against a real server whose webhooks a real receiver answers.

The calls log: Twilio's filters (status, to, from, start date) in the page's address, pages of 50
(Older, Newer), each call's page with its status history (what its status callbacks reported, in
order, each linked to its request) and the trace of its webhooks; cards at a phone's width. Each
screen captured and clean (labels, axe-core, nothing external, no script error).
"""

from __future__ import annotations

import datetime as dt

import axe_core
import pytest
from conftest import Server
from console_kit import (  # noqa: F401 (fixtures)
    PHONE,
    Console,
    browser_fixture,
    console_fixture,
    expect,
    new_number,
)
from receiver import Receiver

pytestmark = pytest.mark.slow
EXT = "/switchboard/v1/Accounts"
EVENTS = ["initiated", "ringing", "answered", "completed"]


def settle(server: Server, account: str) -> None:
    with server.http() as h:
        done = h.post(f"{EXT}/{account}/Settle", data={"Timeout": "60"})
    assert done.status_code == 200, done.text


def test_calls_log_filters_pages_and_status_history(
    console: Console, server: Server, receiver: Receiver
) -> None:
    axe_core.require()
    page = console.page
    ac = server.account_sid
    client = server.client()
    out = receiver.script("/out", body="<Response><Say>Hello handset</Say></Response>")
    status = receiver.script("/status", body="")
    number = client.incoming_phone_numbers.create(phone_number=new_number())
    answered = client.calls.create(
        to="+14155550101",
        from_=number.phone_number,
        url=out,
        status_callback=status,
        status_callback_event=EVENTS,
    )
    # Canceled before it is answered (each step waits --delivery-delay, 0.2 s by default).
    canceled = client.calls.create(to="+14155550199", from_=number.phone_number, url=out)
    assert client.calls(canceled.sid).update(status="canceled").status == "canceled"
    # Enough others for a second page.
    for i in range(50):
        client.calls.create(to=f"+1415555{i:04d}", from_=number.phone_number, twiml="<Response/>")
    settle(server, ac)
    assert client.calls(answered.sid).fetch().status == "completed"
    assert client.calls(canceled.sid).fetch().status == "canceled"
    callbacks = receiver.wait_for("/status", count=4)
    assert [r.params["CallStatus"] for r in callbacks] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]

    console.sign_in(ac, server.auth_token)
    console.nav("Calls")
    console.ready(f"/accounts/{ac}/calls")
    caption = page.locator("#calls-table-caption")
    expect(caption).to_have_text("The newest 50 calls")
    rows = page.locator("#calls-table tbody tr")
    assert rows.count() == 50
    console.shot("calls-log")
    console.check_clean()
    page.get_by_role("button", name="Older").click()
    expect(caption).to_have_text("Page 2: 2 calls")
    assert rows.count() == 2
    assert page.get_by_role("button", name="Older").is_hidden()
    page.get_by_role("button", name="Newer").click()
    expect(caption).to_have_text("The newest 50 calls")

    # Filters, in the address: status (Twilio's), to, from, dates.
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Status").select_option("canceled")
    page.get_by_role("button", name="Apply filters").click()
    console.ready(f"/accounts/{ac}/calls")
    assert "status=canceled" in page.url
    expect(caption).to_have_text("The newest 1 call matching the filters")
    assert canceled.sid in rows.first.inner_text() and "canceled" in rows.first.inner_text()
    page.get_by_label("Status").select_option("")
    page.get_by_label("To", exact=True).fill("+14155550101")
    page.get_by_label("On or after").fill("not a day")
    page.get_by_role("button", name="Apply filters").click()
    assert page.locator("#calls-after-error").inner_text() == (
        "On or after must be a date, YYYY-MM-DD (code 20001)"
    )
    today = dt.datetime.now(dt.UTC).date().isoformat()
    page.get_by_label("On or after").fill(today)
    page.get_by_role("button", name="Apply filters").click()
    console.ready(f"/accounts/{ac}/calls")
    expect(caption).to_have_text("The newest 1 call matching the filters")
    assert answered.sid in rows.first.inner_text()
    console.check_clean()
    console.goto(f"/accounts/{ac}/calls?before=2000-01-01")
    expect(page.locator("#calls-empty")).to_have_text("No call matches these filters.")

    # A call's page: the resource, its status history in order, and its trace.
    console.goto(f"/accounts/{ac}/calls?to=%2B14155550101")
    page.get_by_role("link", name=answered.sid).click()
    console.ready(f"/accounts/{ac}/calls/{answered.sid}")
    assert page.locator("h1").inner_text() == f"Call {answered.sid}"
    history = page.locator("ol.status-history > li")
    assert [item.locator(".badge").inner_text() for item in history.all()] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    history.first.get_by_role("link").click()
    console.ready(f"/accounts/{ac}/requests/{page.url.rsplit('/', 1)[1]}")
    assert "status_callback request" in page.locator("h1").inner_text()
    page.go_back()
    console.ready(f"/accounts/{ac}/calls/{answered.sid}")
    main = page.locator("main").inner_text()
    assert "outbound-api" in main and "What its webhooks did" in main
    assert page.locator("ol.timeline h3").all_inner_texts() == [
        "1. status_callback",
        "2. status_callback",
        "3. status_callback",
        "4. voice_url",
        "5. status_callback",
    ]
    console.shot("call-page")
    console.check_clean()
    # A call without a status callback says why it has no history.
    console.goto(f"/accounts/{ac}/calls/{canceled.sid}")
    expect(page.locator("main")).to_contain_text("No status callback was sent")

    # At a phone's width: cards, nothing wider than the screen.
    page.set_viewport_size(PHONE)
    console.goto(f"/accounts/{ac}/calls")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    console.shot("calls-log-390px", full_page=False)
    console.check_clean()
