"""The console's Calls page, in a real browser: the calls the account made with the API, newest
first with their status, and one call with its status history, its status callbacks and its
trace. (Filters and pages: test_console_logs.py.)"""

from __future__ import annotations

import pytest
from conftest import Server
from console_kit import (  # noqa: F401 (fixtures)
    Console,
    browser_fixture,
    console_fixture,
    expect,
    new_number,
)
from receiver import Receiver

pytestmark = pytest.mark.slow


def test_calls_and_a_call_history(console: Console, server: Server) -> None:
    page = console.page
    client = server.client()
    number = new_number()
    client.incoming_phone_numbers.create(phone_number=number)
    receiver = Receiver(server.auth_token)
    try:
        made = client.calls.create(
            to="+14155550188", from_=number, twiml="<Response><Say>Hello console</Say></Response>",
            status_callback=receiver.script("/status"),
            status_callback_event=["initiated", "ringing", "answered", "completed"],
        )  # fmt: skip
        with server.http() as h:
            settled = h.post(f"/switchboard/v1/Accounts/{server.account_sid}/Settle")
            assert settled.status_code == 200, settled.text
        console.sign_in(server.account_sid, server.auth_token)
        console.nav("Calls")
        console.ready(f"/accounts/{server.account_sid}/calls")
        table = page.locator("#calls-table")
        expect(table).to_contain_text(made.sid)
        expect(table).to_contain_text("completed")
        console.check_clean()
        page.get_by_role("link", name=made.sid).click()
        history = page.locator("#status-history li")
        expect(history).to_have_count(5)
        assert [t.split()[0] for t in history.all_inner_texts()] == [
            "queued", "initiated", "ringing", "in-progress", "completed",
        ]  # fmt: skip
        expect(page.get_by_role("link", name="ringing")).to_be_visible()
        console.check_clean()
        # Its trace, on the same page: the TwiML it ran.
        expect(page.locator("#what-ran-h")).to_have_text("What its webhooks did")
        expect(page.locator(".trace-summary")).to_contain_text("Say")
        expect(page.get_by_text("Hello console").first).to_be_visible()
    finally:
        receiver.close()


def test_no_calls_yet(console: Console, server: Server) -> None:
    other = server.create_account("Quiet")
    console.sign_in(other["sid"], other["auth_token"])
    console.goto(f"/accounts/{other['sid']}/calls")
    expect(console.page.get_by_text("No calls yet")).to_be_visible()
