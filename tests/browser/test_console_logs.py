"""The console's calls log, messages log and SMS threads (issue 18), in a real browser, over
Twilio's Calls and Messages resources and the handsets API (issue 15), made with the official
SDK against a real server whose webhooks a real receiver answers.

An SMS thread per handset: the handset texts a number, the application's reply and your code's
messages arrive with their delivery status, updated live; STOP opts it out (your code's next
message is refused, 21610) and START back in. The messages log with its filters and a message's
status history. The calls log: Twilio's filters (status, to, from, start date) in the page's
address, pages of 50 (Older, Newer), each call's page with its status history (what its status
callbacks reported, in order, each linked to its request) and the trace of its webhooks; cards
at a phone's width. Each screen captured and clean (labels, axe-core, nothing external, no
script error).
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
from receiver import Receiver, Recorded
from twilio.base.exceptions import TwilioRestException

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
    history = page.locator("#status-history > li")
    assert [item.locator(".badge").inner_text() for item in history.all()] == [
        "queued",
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    # Its status callbacks, each named by the status it reported, linking to its request.
    reported = page.locator("ul.callbacks > li > a")
    assert reported.all_inner_texts() == ["initiated", "ringing", "in-progress", "completed"]
    reported.first.click()
    console.ready(f"/accounts/{ac}/requests/{page.url.rsplit('/', 1)[1]}")
    assert "status_callback request" in page.locator("h1").inner_text()
    assert callbacks[0].params["CallStatus"] == "initiated"
    page.go_back()
    console.ready(f"/accounts/{ac}/calls/{answered.sid}")
    main = page.locator("main").inner_text()
    assert "outbound, through the API (outbound-api)" in main and "What its webhooks did" in main
    assert page.locator("ol.timeline h3").all_inner_texts() == [
        "1. status_callback",
        "2. status_callback",
        "3. status_callback",
        "4. voice_url",
        "5. status_callback",
    ]
    console.shot("call-page")
    console.check_clean()
    # A call without a status callback: its history, and none sent.
    console.goto(f"/accounts/{ac}/calls/{canceled.sid}")
    assert page.locator("#status-history .badge").all_inner_texts()[-1] == "canceled"
    expect(page.locator("main")).to_contain_text("None: the call asked for no status callback")

    # At a phone's width: cards, nothing wider than the screen.
    page.set_viewport_size(PHONE)
    console.goto(f"/accounts/{ac}/calls")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    console.shot("calls-log-390px", full_page=False)
    console.check_clean()


def replies(req: Recorded) -> str:
    body = req.params.get("Body", "")
    if body.strip().upper() in ("STOP", "START"):
        return "<Response/>"
    return f"<Response><Message>Got: {body}</Message></Response>"


def test_an_sms_thread_with_a_stop_and_the_messages_log(
    console: Console, server: Server, receiver: Receiver
) -> None:
    axe_core.require()
    page = console.page
    ac = server.account_sid
    client = server.client()
    handset = "+14155550111"
    number = client.incoming_phone_numbers.create(
        phone_number=new_number(), friendly_name="Shop", sms_url=receiver.respond("/sms", replies)
    )
    status = receiver.script("/ms", body="")

    console.sign_in(ac, server.auth_token)
    console.nav("Phone")
    console.ready(f"/accounts/{ac}/phone")
    page.get_by_role("link", name="SMS threads per handset").click()
    console.ready(f"/accounts/{ac}/handsets")
    expect(page.locator("#no-threads")).to_contain_text("No SMS threads yet.")
    console.check_clean()
    page.get_by_label("Handset number").fill("4155550111")
    page.get_by_role("button", name="Open the thread").click()
    assert (
        page.locator("#thread-handset-error")
        .inner_text()
        .startswith("Handset number is invalid: 4155550111")
    )
    page.get_by_label("Handset number").fill(handset)
    page.get_by_role("button", name="Open the thread").click()
    console.ready(f"/accounts/{ac}/handsets/{handset}")
    assert page.locator("h1").inner_text() == f"SMS with {handset}"
    expect(page.locator("#thread-empty")).to_have_text("No messages yet.")
    assert page.get_by_label("To (your number)").input_value() == number.phone_number

    # The handset texts the number: the application's webhook gets it, its reply comes back.
    thread = page.locator("#thread")
    page.get_by_label("Text", exact=True).fill("Hello")
    page.get_by_role("button", name="Send", exact=True).click()
    got = receiver.wait_for("/sms")[0]
    assert got.signature_valid
    assert (got.params["From"], got.params["To"], got.params["Body"]) == (
        handset,
        number.phone_number,
        "Hello",
    )
    expect(thread.locator("li.mine")).to_contain_text("Hello")
    reply = thread.locator("li.theirs").first
    expect(reply).to_contain_text("Got: Hello")
    expect(reply.locator(".badge")).to_have_text("delivered", timeout=15_000)

    # Your code texts the handset: it joins the thread, its status updating live.
    sent = client.messages.create(
        to=handset, from_=number.phone_number, body="Your code is 1234", status_callback=status
    )
    coded = thread.locator("li.theirs", has_text="Your code is 1234")
    expect(coded.locator(".badge")).to_have_text("delivered", timeout=15_000)
    console.shot("sms-thread")
    console.check_clean()

    # STOP: the handset opts out of the number; your code's next message is refused (21610).
    page.get_by_role("button", name="Send STOP").click()
    note = page.locator("#opted-out")
    expect(note).to_contain_text(f"Opted out of {number.phone_number}")
    with pytest.raises(TwilioRestException) as refused:
        client.messages.create(to=handset, from_=number.phone_number, body="Sale!")
    assert refused.value.code == 21610
    assert thread.locator("li", has_text="Sale!").count() == 0
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    console.shot("sms-thread-stop-390px")
    console.check_clean()
    page.set_viewport_size({"width": 1280, "height": 900})
    # START: opted back in.
    page.get_by_role("button", name="Send START").click()
    expect(note).to_be_empty()
    client.messages.create(to=handset, from_=number.phone_number, body="Welcome back")
    expect(thread.locator("li.theirs", has_text="Welcome back")).to_be_visible()
    assert [r.params["Body"] for r in receiver.wait_for("/sms", count=3)] == [
        "Hello",
        "STOP",
        "START",
    ]
    settle(server, ac)

    # The threads list, and the messages log: filters, and a message's status history.
    console.goto(f"/accounts/{ac}/handsets")
    expect(page.locator("#thread-table")).to_contain_text(handset)
    console.nav("Messages")
    console.ready(f"/accounts/{ac}/messages")
    caption = page.locator("#messages-table-caption")
    rows = page.locator("#messages-table tbody tr")
    total = rows.count()
    assert total >= 6  # Hello, its reply, the code, STOP, START, Welcome back
    console.shot("messages-log")
    console.check_clean()
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("From", exact=True).fill(handset)
    page.get_by_role("button", name="Apply filters").click()
    console.ready(f"/accounts/{ac}/messages")
    expect(caption).to_have_text("The newest 3 messages matching the filters")
    assert sorted(rows.locator('td[data-label="Body"]').all_inner_texts()) == [
        "Hello",
        "START",
        "STOP",
    ]
    console.goto(f"/accounts/{ac}/messages?to={handset.replace('+', '%2B')}&status=delivered")
    expect(caption).to_contain_text("matching the filters (")
    assert all("delivered" in t for t in rows.locator('td[data-label="Status"]').all_inner_texts())
    page.get_by_role("link", name=sent.sid).click()
    console.ready(f"/accounts/{ac}/messages/{sent.sid}")
    assert page.locator("h1").inner_text() == f"Message {sent.sid}"
    history = page.locator("#status-history .badge").all_inner_texts()
    assert history == ["queued", "sending", "sent", "delivered"], history
    callbacks = [r.params["MessageStatus"] for r in receiver.requests("/ms")]
    assert page.locator("ul.callbacks > li > a").all_inner_texts() == callbacks
    assert callbacks[-1] == "delivered"
    expect(page.locator("main")).to_contain_text("Your code is 1234")
    console.shot("message-page")
    console.check_clean()
