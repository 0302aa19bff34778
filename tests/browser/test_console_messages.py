"""The console's Messages page, in a real browser: the account's messages newest first with their
status, and one message with its status history and the callbacks it made. (Filters, pages and
SMS threads: test_console_logs.py.)"""

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


def test_messages_and_a_message_history(console: Console, server: Server) -> None:
    page = console.page
    client = server.client()
    number = new_number()
    client.incoming_phone_numbers.create(phone_number=number)
    receiver = Receiver(server.auth_token)
    try:
        sent = client.messages.create(
            to="+14155550188", from_=number, body="Hello console",
            status_callback=receiver.script("/status"),
        )  # fmt: skip
        with server.http() as h:
            settled = h.post(f"/switchboard/v1/Accounts/{server.account_sid}/Settle")
            assert settled.status_code == 200, settled.text
        console.sign_in(server.account_sid, server.auth_token)
        console.nav("Messages")
        console.ready(f"/accounts/{server.account_sid}/messages")
        table = page.locator("#messages-table")
        expect(table).to_contain_text("Hello console")
        expect(table).to_contain_text("delivered")
        console.check_clean()
        page.get_by_role("link", name=sent.sid).click()
        history = page.locator("#status-history li")
        expect(history).to_have_count(4)  # queued, sending, sent, delivered
        assert [t.split()[0] for t in history.all_inner_texts()] == [
            "queued", "sending", "sent", "delivered",
        ]  # fmt: skip
        expect(page.get_by_role("link", name="delivered")).to_be_visible()
        console.check_clean()
    finally:
        receiver.close()


def test_no_messages_yet(console: Console, server: Server) -> None:
    other = server.create_account("Quiet")
    console.sign_in(other["sid"], other["auth_token"])
    console.goto(f"/accounts/{other['sid']}/messages")
    expect(console.page.get_by_text("No messages yet")).to_be_visible()
