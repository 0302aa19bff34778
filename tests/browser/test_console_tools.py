"""The console's tools for webhooks, in a real browser against real receivers:

- the request log's filters (call or message, purpose, URL, outcome, error code: in the page's
  address, so a filtered log can be linked) and its pages (Older/Newer; live updates only on the
  newest page);
- "Copy as curl": the command, pasted into a shell, sends the same request again, byte for byte
  (method, URL, every header with the signature, body), and the receiver finds it signed;
- replay: the server sends a logged request again, signed, and logs it;
- the signature checker: valid for what the server sent, not valid once anything changes.
"""

from __future__ import annotations

import re
import subprocess
from typing import Any

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
EXT = "/switchboard/v1/Accounts"


def voice_number(server: Server, receiver: Receiver, **app: Any) -> str:
    client = server.client()
    made = client.applications.create(friendly_name="hooks", **app)
    number = new_number()
    client.incoming_phone_numbers.create(
        phone_number=number, voice_application_sid=made.sid, sms_application_sid=made.sid
    )
    return number


def call(server: Server, number: str, **form: str) -> dict[str, Any]:
    with server.http() as h:
        resp = h.post(
            f"{EXT}/{server.account_sid}/InboundCalls",
            data={"To": number, "From": "+14155550100", **form},
        )
    assert resp.status_code == 201, resp.text
    trace: dict[str, Any] = resp.json()
    return trace


def test_request_log_filters_and_pages(
    console: Console, server: Server, receiver: Receiver
) -> None:
    page = console.page
    own = server.account_sid
    number = voice_number(
        server,
        receiver,
        voice_url=receiver.script("/voice"),
        status_callback=receiver.script("/status"),
    )
    traces = [call(server, number) for _ in range(27)]  # 54 requests: more than a page of 50
    receiver.script("/broken", status=503, content_type="text/plain", body="down")
    server.client().applications.list()[0].update(voice_url=receiver.url("/broken"))
    broken = call(server, number)
    console.sign_in(own, server.auth_token)
    console.nav("Request log")
    console.ready(f"/accounts/{own}/requests")
    rows = page.locator("#log-table tbody tr")
    caption = page.locator("#log-caption")
    expect(rows).to_have_count(50)
    expect(caption).to_have_text("The newest 50 webhook requests")
    newer = page.get_by_role("button", name="Newer")
    older = page.get_by_role("button", name="Older")
    expect(newer).to_be_hidden()
    console.check_clean()

    # Older: the last 6; live updates are for the newest page only.
    older.click()
    expect(rows).to_have_count(6)
    expect(caption).to_have_text("Page 2: 6 webhook requests")
    expect(page.locator("#log-state")).to_contain_text("Showing older requests")
    expect(page.get_by_role("button", name="Pause updates")).to_be_hidden()
    expect(caption).to_be_focused()
    call(server, number)
    page.wait_for_timeout(2500)  # one poll's time: nothing moves on an older page
    expect(rows).to_have_count(6)
    newer.click()
    expect(rows).to_have_count(50)
    expect(caption).to_have_text("The newest 50 webhook requests")
    console.shot("log-pages", full_page=False)

    # Filters, from the form: failed requests with error 11200, then one call's requests.
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Outcome").select_option("failed")
    page.get_by_label("Error code").fill("11200")
    page.get_by_role("button", name="Apply filters").click()
    console.ready(f"/accounts/{own}/requests")
    assert page.url.endswith("/requests?outcome=failed&error=11200")
    expect(rows).to_have_count(2)  # the broken call's, and the one made meanwhile
    assert "voice_url" in rows.last.inner_text() and broken["call_sid"] in rows.last.inner_text()
    expect(caption).to_have_text("The newest 2 webhook requests matching the filters")
    console.shot("log-filtered")
    console.check_clean()

    page.get_by_role("link", name="Clear the filters").click()
    console.ready(f"/accounts/{own}/requests")
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Call or message SID").fill(traces[3]["call_sid"])
    page.get_by_label("Purpose").select_option("status_callback")
    page.get_by_label("URL contains").fill("/status")
    page.get_by_role("button", name="Apply filters").click()
    console.ready(f"/accounts/{own}/requests")
    expect(rows).to_have_count(1)
    assert "status_callback" in rows.first.inner_text()

    # A filtered log is a link: opened cold, it shows the same rows.
    console.goto(f"/accounts/{own}/requests?purpose=status_callback&url=%2Fstatus")
    expect(rows).to_have_count(29)  # every call's status callback (the broken one's too)
    console.goto(f"/accounts/{own}/requests?url=%2Fnowhere")
    expect(rows).to_have_count(0)
    assert "No request matches these filters." in page.inner_text("main")

    # A bad filter is told before anything is sent.
    page.get_by_label("Call or message SID").fill("CA123")
    page.get_by_label("Error code").fill("eleven")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#log-filters .form-error")).to_have_text(
        "Not filtered: 2 fields are not valid: Call or message SID, Error code. Nothing was sent."
    )
    assert page.url.endswith("?url=%2Fnowhere")
    console.check_clean()


def run_curl(command: str) -> None:
    """The command as a user pastes it into a shell."""
    done = subprocess.run(
        ["bash", "-c", f"{command} --max-time 10 --silent --show-error --output /dev/null"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_copy_as_curl_sends_the_same_request(
    console: Console, server: Server, receiver: Receiver, method: str
) -> None:
    page = console.page
    own = server.account_sid
    hook = receiver.script("/v") + "?x=1"
    number = voice_number(server, receiver, voice_url=hook, voice_method=method)
    # Values a shell or a URL encoder could get wrong: quotes, spaces, &, =, +, %, *, ~, Unicode.
    call(server, number, FromCity='O\'Hare & "Co" = 100% *~+ Zürich', CallerName="x")
    [sent] = receiver.wait_for("/v")
    console.sign_in(own, server.auth_token)
    console.goto(f"/accounts/{own}/requests")
    first_row = page.locator("#log-table tbody tr").first
    first_row.get_by_role("link", name=re.compile("^Request")).click()
    page.wait_for_selector("h1:has-text('voice_url request')")
    page.get_by_role("button", name="Copy as curl").click()
    expect(page.locator(".copy-status")).to_have_text("Copied the curl command to the clipboard.")
    command: str = page.evaluate("navigator.clipboard.readText()")
    assert command == page.locator("pre.curl-command").text_content()
    console.shot(f"curl-{method.lower()}")
    console.check_clean()

    run_curl(command)
    first, again = receiver.wait_for("/v", 2)
    assert again.signature_valid
    assert (again.method, again.url, again.body) == (first.method, first.url, first.body)
    # Every header, but the connection's own (hop-by-hop: httpx says keep-alive, curl keeps
    # the connection alive without saying so).
    names = {n.lower() for n in first.headers} - {"connection"}
    assert {n.lower() for n in again.headers} - {"connection"} == names
    for name in names:
        assert again.header(name) == first.header(name), name
    assert first is sent


def test_copy_as_curl_from_a_trace(console: Console, server: Server, receiver: Receiver) -> None:
    page = console.page
    number = voice_number(server, receiver, voice_url=receiver.script("/voice"))
    console.sign_in(server.account_sid, server.auth_token)
    console.goto(f"/accounts/{server.account_sid}/simulate?to={number}")
    page.get_by_role("button", name="Simulate").click()
    step = page.locator("#trace-result ol.timeline > li").first
    step.get_by_role("button", name="Copy as curl").click()
    expect(step.locator(".copy-status")).to_have_text("Copied the curl command to the clipboard.")
    run_curl(page.evaluate("navigator.clipboard.readText()"))
    first, again = receiver.wait_for("/voice", 2)
    assert again.signature_valid and again.body == first.body


def test_replay_from_the_console(console: Console, server: Server, receiver: Receiver) -> None:
    page = console.page
    own = server.account_sid
    number = voice_number(server, receiver, voice_url=receiver.script("/voice"))
    trace = call(server, number)
    console.sign_in(own, server.auth_token)
    with server.http() as h:
        [original] = h.get(f"{EXT}/{own}/Requests").json()["requests"]
    console.goto(f"/accounts/{own}/requests/{original['sid']}")
    page.get_by_role("button", name="Replay").click()
    result = page.locator("#replay-result")
    expect(result).to_contain_text("Replayed: the URL answered HTTP 200")
    first, again = receiver.wait_for("/voice", 2)
    assert again.signature_valid and again.form == first.form
    console.shot("replayed")
    console.check_clean()

    result.get_by_role("link").click()
    new_sid = page.url.rsplit("/", 1)[1]
    console.ready(f"/accounts/{own}/requests/{new_sid}")
    props = page.locator("main dl.props").first.inner_text()
    assert f"Replay of\n{original['sid']}" in props and trace["call_sid"] in props
    console.goto(f"/accounts/{own}/requests")
    assert "replay" in page.locator("#log-table tbody tr").first.inner_text()
    console.check_clean()


def test_signature_checker(console: Console, server: Server, receiver: Receiver) -> None:
    page = console.page
    own = server.account_sid
    number = voice_number(server, receiver, voice_url=receiver.script("/voice"))
    call(server, number)
    [sent] = receiver.wait_for("/voice")
    console.sign_in(own, server.auth_token)
    with server.http() as h:
        [logged] = h.get(f"{EXT}/{own}/Requests").json()["requests"]

    # From a request's page, prefilled.
    console.goto(f"/accounts/{own}/requests/{logged['sid']}")
    page.get_by_role("link", name="Check its signature").click()
    console.ready(f"/accounts/{own}/tools")
    assert page.get_by_label("URL", exact=True).input_value() == sent.url
    signature = page.get_by_label("Signature", exact=True)
    assert signature.input_value() == sent.header("X-Twilio-Signature")
    page.get_by_role("button", name="Check").click()
    verdict = page.locator("#signature-verdict")
    expect(verdict).to_contain_text(f"Valid: signed with the auth token of account {own}")
    console.shot("signature-valid")
    console.check_clean()

    # One parameter changed: not valid, and why.
    params = page.get_by_label("Parameters")
    params.fill(params.input_value().replace("CallStatus=ringing", "CallStatus=completed"))
    page.get_by_role("button", name="Check").click()
    expect(verdict).to_contain_text("Not valid.")
    expect(verdict).to_contain_text("the URL must be exactly the one requested")
    # The body as received works as well as one parameter per line.
    params.fill(sent.body)
    page.get_by_role("button", name="Check").click()
    expect(verdict).to_contain_text("Valid:")

    # Missing or bad fields, every one at once, before anything is sent.
    page.get_by_label("URL", exact=True).fill("not a url")
    page.get_by_label("Signature", exact=True).fill("")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#signature-form .form-error")).to_have_text(
        "Not checked: 2 fields are not valid: URL, Signature. Nothing was sent."
    )
    console.check_clean()

    # An API key session has no auth token, and checks all the same (on the server).
    key = server.client().new_keys.create(friendly_name="checker")
    page.get_by_role("button", name="Sign out").click()
    console.sign_in(key.sid, key.secret, own)
    console.goto(f"/accounts/{own}/tools")
    page.get_by_label("URL", exact=True).fill(sent.url)
    page.get_by_label("Parameters").fill(sent.body)
    page.get_by_label("Signature", exact=True).fill(sent.header("X-Twilio-Signature") or "")
    page.get_by_role("button", name="Check").click()
    expect(verdict).to_contain_text("Valid:")
