"""The web console (`/console/`) in a real browser (console_kit.py: Chromium, Playwright).

Served locally under a strict policy; sign in, create an application (every bad field reported
before anything is sent), assign it to a number with the picker, simulate a call against a real
local receiver and read the trace timeline; the live request log; an API key sign-in; issue 12's
rough edges (hidden stays hidden, another account's page, refused credentials, errors without a
field, the delete confirmation). Screenshots go to test-artifacts/console/.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from conftest import Server
from console_kit import (  # noqa: F401 (fixtures)
    RENDER_BUDGET_MS,
    Console,
    browser_fixture,
    console_fixture,
    expect,
    new_number,
    seed_big_account,
)
from errors import assert_error
from receiver import Receiver

from switchboard.console import STATIC

pytestmark = pytest.mark.slow


# Served locally, by the server itself (no browser needed)


def sheet_bytes(console: Console) -> int:
    """The bytes that crossed the network for the style sheet in this page load."""
    sizes: list[int] = console.page.evaluate(
        """() => performance.getEntriesByType("resource")
                   .filter((e) => e.name.endsWith("/console.css")).map((e) => e.transferSize)"""
    )
    assert len(sizes) == 1, sizes
    return sizes[0]


def test_the_browser_reaches_nothing_but_the_server(console: Console, server: Server) -> None:
    """The tests' browser: a request for anything but the server fails on this machine and is
    noted (`Console.external`, which `check_clean` requires empty); the server's own files come
    from the HTTP cache on the next load (no request interception, which turns the cache off)."""
    console.goto("/")
    assert sheet_bytes(console) > 10_000  # a fresh context: the whole file
    elsewhere = "http://203.0.113.9/hello.mp3"  # a documentation address: nobody's
    # The console's policy lets an <audio> load any http(s) URL (what a <Play> names).
    outcome = console.page.evaluate(
        """(url) => new Promise((resolve) => {
             const audio = new Audio();
             audio.onerror = () => resolve(audio.error ? audio.error.code : -1);
             audio.oncanplay = () => resolve("loaded");
             audio.src = url;
             audio.load();
           })""",
        elsewhere,
    )
    assert outcome != "loaded"
    # (A media element may ask again after a failure: once or more, and nothing else.)
    assert console.external and set(console.external) == {elsewhere}
    failed = "Failed to load resource: net::ERR_PROXY_CONNECTION_FAILED"
    assert console.errors and set(console.errors) == {failed}
    console.external.clear()
    console.errors.clear()
    # Loaded again, the style sheet (14 KB) is revalidated, not sent again: a 304, its head alone.
    console.goto("/")
    assert sheet_bytes(console) < 1_000
    console.check_clean()


def test_console_is_served_locally_with_a_strict_policy(server: Server) -> None:
    with httpx.Client(base_url=server.url) as h:
        moved = h.get("/console")
        assert moved.status_code == 307 and moved.headers["location"] == "/console/"
        for path in ("/console/", "/console/accounts", f"/console/accounts/{server.account_sid}"):
            page = h.get(path)
            assert page.status_code == 200, path
            assert page.headers["content-type"] == "text/html; charset=utf-8"
            policy = page.headers["content-security-policy"]
            assert "default-src 'none'" in policy and "connect-src 'self'" in policy
            assert "script-src 'self'" in policy
        index = h.get("/console/").text
        assets = re.findall(r'<(?:link|script|img)\b[^>]*\b(?:href|src)="([^"]+)"', index)
        assert sorted(assets) == [
            "/console/assets/console.css",
            "/console/assets/console.js",
            "data:,",
        ]
        files = sorted(p.name for p in STATIC.iterdir() if p.suffix in (".js", ".css"))
        assert len(files) > 10  # the modules console.js imports, and the style sheet
        for asset in files:
            kind = "javascript" if asset.endswith(".js") else "text/css"
            resp = h.get(f"/console/assets/{asset}")
            assert resp.status_code == 200 and kind in resp.headers["content-type"]
            policy = resp.headers["content-security-policy"]
            assert "script-src 'self'" in policy
            # Nothing that would reach out: no absolute URLs, no imports, no web fonts.
            assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", resp.text), asset
            assert "@import" not in resp.text and "import(" not in resp.text
            # Modules import only the console's own files, by relative path.
            for imported in re.findall(r'^import [^"]*"([^"]+)";$', resp.text, re.M):
                assert imported.startswith("./") and imported[2:] in files, (asset, imported)
        assert h.get("/console/assets/missing.js").status_code == 404
        # The API's paths are untouched, and unknown paths still get Twilio's 404.
        assert_error(h.get("/nowhere.json"), 404, 20404)


# The whole path a user takes


def test_create_assign_simulate_and_see_the_trace(
    console: Console, server: Server, receiver: Receiver
) -> None:
    page = console.page
    client = server.client()
    number = client.incoming_phone_numbers.create(phone_number=new_number())
    voice = receiver.script("/voice", body="<Response><Say>Hello from the console</Say></Response>")
    fallback = receiver.script("/fallback", body="<Response><Say>Fallback</Say></Response>")
    receiver.script("/broken", status=500, content_type="text/plain", body="boom")

    # Sign in with the keyboard only: the username field has focus; Tab, type, Enter.
    page.goto(f"{server.url}/console")  # redirected to /console/
    assert page.url == f"{server.url}/console/"
    console.ready("/")
    console.shot("sign-in")
    console.check_clean()
    assert page.evaluate("document.activeElement.id") == "signin-username"
    page.keyboard.type(server.account_sid)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "signin-password"
    page.keyboard.type(server.auth_token)
    page.keyboard.press("Enter")
    console.ready(f"/accounts/{server.account_sid}")
    assert "Signed in." in page.inner_text("main")
    console.shot("account")
    console.check_clean()

    # Keyboard focus is visible.
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")

    # Create an application: first with a bad URL, which the API refuses.
    console.nav("Applications")
    console.ready(f"/accounts/{server.account_sid}/applications")
    page.get_by_role("link", name="New application").click()
    console.ready(f"/accounts/{server.account_sid}/applications/new")
    console.check_clean()
    page.get_by_label("Friendly name").fill("Console app")
    page.get_by_label("Voice URL").fill("not-a-url")
    page.get_by_label("SMS fallback URL").fill("ftp://example.com/sms")
    page.get_by_role("button", name="Create application").click()
    # Both bad fields at once, in their labels' words, with the API's code; nothing was sent.
    error = page.locator("#app-voice-url-error")
    error.wait_for(state="visible")
    assert error.inner_text() == "Voice URL is not a valid URL: not-a-url (code 21402)"
    assert page.locator("#app-sms-fallback-url-error").inner_text() == (
        "SMS fallback URL is not a valid URL: ftp://example.com/sms (code 21402)"
    )
    assert page.get_by_label("Voice URL").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("SMS fallback URL").get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.id") == "app-voice-url"
    assert page.locator("#app-form .form-error").inner_text() == (
        "Not saved: 2 fields are not valid: Voice URL, SMS fallback URL. Nothing was sent."
    )
    console.shot("validation-error")
    console.check_clean()
    assert client.applications.list(friendly_name="Console app") == []
    page.get_by_label("SMS fallback URL").fill("")

    page.get_by_label("Voice URL").fill(voice)
    page.get_by_label("Voice fallback URL").fill(fallback)
    page.get_by_role("button", name="Create application").click()
    page.wait_for_selector("text=Created application AP")
    app_sid = page.url.rsplit("/", 1)[1]
    console.ready(f"/accounts/{server.account_sid}/applications/{app_sid}")
    app = client.applications(app_sid).fetch()
    assert (app.friendly_name, app.voice_url, app.voice_fallback_url) == (
        "Console app",
        voice,
        fallback,
    )
    console.shot("application")
    console.check_clean()

    # Edit it.
    page.get_by_label("Voice method").select_option("GET")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_selector(f"text=Saved {app_sid}.")
    assert client.applications(app_sid).fetch().voice_method == "GET"

    # Assign it to the number made with the SDK, on the number's page.
    console.nav("Numbers")
    console.ready(f"/accounts/{server.account_sid}/numbers")
    page.get_by_role("link", name=number.phone_number).click()
    console.ready(f"/accounts/{server.account_sid}/numbers/{number.sid}")
    console.check_clean()
    voice_picker = page.get_by_role("group", name="Voice application")
    voice_picker.get_by_label("Filter: Voice application").fill("console")
    voice_picker.get_by_role("radio", name=re.compile("^Console app")).check()
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_selector(f"text=Saved the settings of {number.phone_number}.")
    assert client.incoming_phone_numbers(number.sid).fetch().voice_application_sid == app_sid
    console.shot("number-assigned")

    # Simulate a call to it: the receiver answers, the trace shows the request and signature.
    page.get_by_role("link", name="Simulate a call or SMS to this number").click()
    console.ready(f"/accounts/{server.account_sid}/simulate")
    console.check_clean()
    assert page.get_by_label("To (your number)").input_value() == number.phone_number
    page.get_by_label("Caller name").fill("Alice")
    page.get_by_role("button", name="Simulate").click()
    page.wait_for_selector("#trace-result ol.timeline > li")
    got = receiver.wait_for("/voice")
    assert len(got) == 1 and got[0].signature_valid
    assert got[0].method == "GET"
    step = page.locator("#trace-result ol.timeline > li").first
    text = step.inner_text()
    assert "1. voice_url" in text and "HTTP 200" in text
    assert f"GET {voice}" in text
    assert step.locator("code.sig").inner_text() == got[0].header("X-Twilio-Signature")
    assert "CallSid" in text and got[0].params["CallSid"] in text
    assert "Hello from the console" in text  # the response body
    summary = page.locator("#trace-result .trace-summary").inner_text()
    assert "completed" in summary and app_sid in summary and "Say" in summary
    assert page.evaluate("document.activeElement.id") == "trace-h"
    assert page.evaluate("window.switchboardTiming.renderMs") < RENDER_BUDGET_MS
    console.shot("trace")

    # A broken voice URL: the fallback fires, and the timeline says why.
    client.applications(app_sid).update(voice_url=receiver.url("/broken"))
    page.get_by_role("button", name="Simulate").click()
    page.wait_for_selector("#trace-result ol.timeline > li:nth-child(2)")
    steps = page.locator("#trace-result ol.timeline > li")
    assert steps.count() == 2
    assert "HTTP 500" in steps.nth(0).inner_text()
    why = steps.nth(1).locator(".why").inner_text()
    assert "Why this fallback fired" in why and "voice_url" in why and "11200" in why
    assert "ErrorCode" in steps.nth(1).inner_text()
    console.shot("trace-fallback")

    # The live request log: three requests so far; a new one appears without a reload.
    console.nav("Request log")
    console.ready(f"/accounts/{server.account_sid}/requests")
    rows = page.locator("#log-table tbody tr")
    assert rows.count() == 3
    console.check_clean()
    with server.http() as h:
        resp = h.post(
            f"/switchboard/v1/Accounts/{server.account_sid}/InboundCalls",
            data={"To": number.phone_number, "From": "+14155550199"},
        )
        assert resp.status_code == 201
    expect(rows).to_have_count(5, timeout=10_000)  # the page polls every 2 s
    assert "2 new requests" in page.locator("#log-news").inner_text()
    assert page.locator("#log-table tbody tr.fresh").count() == 2
    console.shot("request-log")

    # A stored trace opens from the log.
    page.locator("#log-table tbody tr").first.get_by_role("link", name=re.compile("^CA")).click()
    page.wait_for_selector("ol.timeline > li")
    assert "voice_fallback_url" in page.locator("main").inner_text()

    # Delete the application (two steps), and the number loses the link.
    console.goto(f"/accounts/{server.account_sid}/applications/{app_sid}")
    page.get_by_role("button", name="Delete application…").click()
    page.get_by_role("button", name="Yes, delete").click()
    console.ready(f"/accounts/{server.account_sid}/applications")
    assert "Deleted application Console app" in page.inner_text("main")
    assert client.incoming_phone_numbers(number.sid).fetch().voice_application_sid is None
    console.check_clean()

    # Sign out: back to the sign-in form, the credentials forgotten.
    page.get_by_role("button", name="Sign out").click()
    console.ready("/")
    assert page.evaluate("sessionStorage.length") == 0
    console.check_clean()


def test_subaccounts_and_sms(console: Console, server: Server) -> None:
    page = console.page
    console.sign_in(server.account_sid, server.auth_token)
    console.nav("Accounts")
    console.ready("/accounts")
    page.get_by_label("Friendly name").fill("Console sub")
    page.get_by_role("button", name="Create subaccount").click()
    page.wait_for_selector("text=Created subaccount AC")
    sub_sid = page.url.rsplit("/", 1)[1]
    console.ready(f"/accounts/{sub_sid}")
    assert "Subaccount" in page.inner_text("h1")
    # Its auth token, shown this once.
    sub_token = server.client().api.v2010.accounts(sub_sid).fetch().auth_token
    assert page.locator("#secret-value").inner_text() == sub_token
    console.check_clean()

    # Work inside the subaccount: a number added in the console, an SMS application.
    console.nav("Numbers")
    console.ready(f"/accounts/{sub_sid}/numbers")
    page.get_by_label("Phone number").fill("12345")
    page.get_by_role("button", name="Add number").click()
    page.locator("#number-phone-error").wait_for(state="visible")
    assert (
        page.locator("#number-phone-error")
        .inner_text()
        .startswith("Phone number is invalid: 12345")
    )
    phone = new_number()
    page.get_by_label("Phone number").fill(phone)
    page.get_by_role("button", name="Add number").click()
    page.wait_for_selector(f"text=Added {phone}.")
    number_sid = page.url.rsplit("/", 1)[1]

    assert sub_token not in page.inner_text("body")  # once means once
    # Webhooks of the subaccount are signed with its own token.
    receiver = Receiver(sub_token)
    try:
        sms_trace(console, sub_sid, number_sid, phone, receiver)
    finally:
        receiver.close()


def sms_trace(
    console: Console, sub_sid: str, number_sid: str, phone: str, receiver: Receiver
) -> None:
    """An SMS application made in the console, assigned from its page, and simulated."""
    page = console.page
    sms = receiver.script("/sms", body="<Response><Message>Thanks!</Message></Response>")
    console.goto(f"/accounts/{sub_sid}/applications/new")
    page.get_by_label("Friendly name").fill("Texts")
    page.get_by_label("SMS URL", exact=True).fill(sms)
    page.get_by_role("button", name="Create application").click()
    page.wait_for_selector("text=Created application AP")
    app_sid = page.url.rsplit("/", 1)[1]
    console.ready(f"/accounts/{sub_sid}/applications/{app_sid}")
    # Assign from the application's page this time (SMS only).
    page.get_by_label("Use for voice calls").uncheck()
    page.get_by_role("button", name="Assign").click()
    page.wait_for_selector(f"text={phone} now uses this application.")
    sub_client = console.server.client()
    number = sub_client.api.v2010.accounts(sub_sid).incoming_phone_numbers(number_sid).fetch()
    assert (number.sms_application_sid, number.voice_application_sid) == (app_sid, None)

    console.goto(f"/accounts/{sub_sid}/simulate")
    page.get_by_label("An SMS").check()
    page.get_by_label("Message body").fill("Hi there")
    page.get_by_role("button", name="Simulate").click()
    page.wait_for_selector("#trace-result ol.timeline > li")
    got = receiver.wait_for("/sms")
    assert got[0].params["Body"] == "Hi there" and got[0].signature_valid
    result = page.locator("#trace-result").inner_text()
    assert "1. sms_url" in result and "Thanks!" in result and "Replies" in result
    console.shot("sms-trace")
    console.check_clean()


def test_api_key_sign_in_and_refused_credentials(console: Console, server: Server) -> None:
    page = console.page
    page.goto(f"{server.url}/console/")
    console.ready("/")
    console.submit_sign_in(server.account_sid, "wrong")
    box = page.locator("#signin-password-error")
    box.wait_for(state="visible")
    assert "refused" in box.inner_text()
    assert page.get_by_label("Auth token or API key secret").get_attribute("aria-invalid") == "true"
    console.shot("refused")

    # A suspended account's right token is not "refused": the account is not active (20005).
    sub = server.client().api.v2010.accounts.create(friendly_name="Suspended")
    server.client().api.v2010.accounts(sub.sid).update(status="suspended")
    console.submit_sign_in(sub.sid, sub.auth_token)
    summary = page.locator("#sign-in .form-error")
    expect(summary).to_be_focused()
    assert summary.inner_text() == "Not signed in: Account not active (code 20005)"
    assert page.locator("#sign-in [aria-invalid]").count() == 0

    console.submit_sign_in("SK" + "0" * 32, "x")
    account_error = page.locator("#signin-account-error")
    expect(account_error).to_have_text(
        "Account SID (only with an API key) must be AC…: AC and 32 hexadecimal digits (code 20001)"
    )

    key = server.client().new_keys.create(friendly_name="console key")
    console.sign_in(key.sid, key.secret, server.account_sid)
    assert "(API key)" in page.inner_text("#who")
    assert "An API key cannot read account details." in page.inner_text("main")
    console.nav("Accounts")
    console.ready("/accounts")
    assert "An API key cannot list or manage accounts" in page.inner_text("main")
    server.client().applications.create(friendly_name="Seen with a key")
    console.goto(f"/accounts/{server.account_sid}/applications")
    assert "Seen with a key" in page.inner_text("#app-table")
    console.check_clean()


# Rough edges (issue 12): what the user sees when something goes wrong


def test_hidden_stays_hidden_and_one_page_has_no_pager(console: Console, server: Server) -> None:
    """A list of one page has no pager; nothing the script hides is drawn (check_clean looks at
    every `[hidden]` element of each page)."""
    page = console.page
    client = server.client()
    client.applications.create(friendly_name="Only one")
    client.incoming_phone_numbers.create(phone_number=new_number())
    console.sign_in(server.account_sid, server.auth_token)
    for segment, table in (("applications", "app-table"), ("numbers", "number-table")):
        console.goto(f"/accounts/{server.account_sid}/{segment}")
        expect(page.locator(f"#{table} tbody tr")).to_have_count(1)
        expect(page.locator(".pager")).to_be_hidden()
        expect(page.locator(f"#{table}-next")).to_be_hidden()
        console.check_clean()
    # The simulate form hides the SMS fields until "An SMS" is chosen, then the call's.
    console.goto(f"/accounts/{server.account_sid}/simulate")
    expect(page.get_by_label("Message body")).to_be_hidden()
    console.check_clean()
    page.get_by_label("An SMS").check()
    expect(page.get_by_label("Caller name")).to_be_hidden()
    expect(page.get_by_label("Message body")).to_be_visible()
    console.check_clean()
    console.shot("simulate-sms")


def test_another_accounts_url_says_not_found_and_keeps_the_session(
    console: Console, server: Server
) -> None:
    page = console.page
    own = server.account_sid
    other = server.create_account("Someone else")["sid"]
    console.sign_in(own, server.auth_token)
    heading = page.locator("main h1")

    missing = "0" * 32
    for route in (
        f"/accounts/{other}",  # the API answers 401 here: the path's account is not granted
        f"/accounts/{other}/applications",
        f"/accounts/{own}/applications/AP{missing}",  # 404
        f"/accounts/{own}/calls/CA{missing}",
    ):
        console.goto(route)
        expect(heading).to_have_text("Not found or not yours")
        alert = page.get_by_role("alert")
        assert "not found, or not yours" in alert.inner_text(), route
        assert page.evaluate("sessionStorage.length") == 1, route
        assert own in page.inner_text("#who")
        console.check_clean()
    console.shot("not-yours")

    # Client-side too; and the navigation leads back to the signed-in account.
    console.goto(f"/accounts/{own}")
    page.evaluate(f"history.pushState(null, '', '/console/accounts/{other}/numbers')")
    page.evaluate("dispatchEvent(new PopStateEvent('popstate'))")
    console.ready(f"/accounts/{other}/numbers")
    expect(heading).to_have_text("Not found or not yours")
    expect(heading).to_be_focused()
    console.nav("Account")
    console.ready(f"/accounts/{own}")
    assert "Not found" not in heading.inner_text()

    # A new tab on that URL: sign in, and land on the same answer, signed in (no loop).
    page.evaluate("sessionStorage.clear()")
    console.goto(f"/accounts/{other}")
    expect(heading).to_have_text("Sign in")
    console.submit_sign_in(own, server.auth_token)
    expect(heading).to_have_text("Not found or not yours")
    assert page.evaluate("sessionStorage.length") == 1
    console.check_clean()


def test_refused_credentials_sign_out_once_and_sign_in_returns(
    console: Console, server: Server
) -> None:
    """Only a 401 for the session's own credentials signs out; signing in again returns to the
    page, once."""
    page = console.page
    own = server.account_sid
    heading = page.locator("main h1")
    key = server.client().new_keys.create(friendly_name="short-lived")
    console.sign_in(key.sid, key.secret, own)
    # A key reads no account, but it is told another account is not its own all the same.
    console.goto(f"/accounts/{server.create_account('Someone else')['sid']}")
    expect(heading).to_have_text("Not found or not yours")
    console.goto(f"/accounts/{own}/applications")
    server.client().keys(key.sid).delete()
    console.nav("Numbers")
    expect(heading).to_have_text("Sign in")
    assert "credentials were refused" in page.locator("main > p.flash").inner_text()
    assert page.evaluate("sessionStorage.length") == 0
    assert page.url.endswith(f"/console/accounts/{own}/numbers")
    console.submit_sign_in(own, server.auth_token)
    expect(heading).to_have_text("Phone numbers")
    assert page.evaluate("sessionStorage.length") == 1
    console.check_clean()


def test_errors_without_a_field_are_shown_where_the_user_looks(
    console: Console, server: Server, tmp_path: Path
) -> None:
    page = console.page
    ac, token, _ = seed_big_account(server, tmp_path)
    console.sign_in(ac, token)

    # 21301: the form is long, the button at its end; the error goes up top, with the focus.
    console.goto(f"/accounts/{ac}/applications/new")
    page.get_by_label("Friendly name").fill("One too many")
    page.get_by_role("button", name="Create application").click()
    alert = page.locator("#app-form .form-error")
    expect(alert).to_be_focused()
    expect(alert).to_be_in_viewport()
    assert alert.get_attribute("role") == "alert"
    assert "application limit exceeded (code 21301)" in alert.inner_text()
    assert page.locator("#app-form [aria-invalid]").count() == 0
    console.shot("application-limit", full_page=False)
    console.check_clean()

    # An error about a field the message names in lower case goes to that field, not to To.
    console.goto(f"/accounts/{ac}/simulate")
    page.get_by_label("An SMS").check()
    page.get_by_label("Message body").fill("x" * 1601)
    page.get_by_role("button", name="Simulate").click()
    body_error = page.locator("#sim-body-error")
    expect(body_error).to_be_visible()
    assert body_error.inner_text() == (
        "Message body exceeds the 1600 character limit (it has 1601) (code 21617)"
    )
    expect(page.get_by_label("Message body")).to_be_focused()
    assert page.get_by_label("Message body").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("To (your number)").get_attribute("aria-invalid") is None
    console.check_clean()

    # Deleting what is already gone: the confirmation says so, with the focus on it.
    with httpx.Client(base_url=server.url, auth=(ac, token)) as h:
        listed = h.get(f"/2010-04-01/Accounts/{ac}/Applications.json", params={"PageSize": 1})
        app_sid = listed.json()["applications"][0]["sid"]
        console.goto(f"/accounts/{ac}/applications/{app_sid}")
        page.get_by_role("button", name="Delete application…").click()
        assert h.delete(f"/2010-04-01/Accounts/{ac}/Applications/{app_sid}.json").status_code == 204
    page.get_by_role("button", name="Yes, delete").click()
    gone = page.get_by_role("alertdialog").get_by_role("alert")
    expect(gone).to_be_focused()
    expect(gone).to_be_in_viewport()
    assert "(code 20404)" in gone.inner_text()
    console.shot("delete-gone", full_page=False)
    console.check_clean()


def test_delete_confirmation_defaults_to_cancel_and_escape_cancels(
    console: Console, server: Server
) -> None:
    page = console.page
    own = server.account_sid
    client = server.client()
    app = client.applications.create(friendly_name="Keep me")
    number = client.incoming_phone_numbers.create(phone_number=new_number())
    console.sign_in(own, server.auth_token)

    for route, ask_name, yes_name, edit_label, edit_value in (
        (
            f"/accounts/{own}/applications/{app.sid}",
            "Delete application…",
            "Yes, delete",
            "Friendly name",
            "x",
        ),
        (
            f"/accounts/{own}/numbers/{number.sid}",
            "Release number…",
            "Yes, release",
            "SMS URL",
            "y",
        ),
    ):
        console.goto(route)
        if edit_value:
            page.get_by_label(edit_label, exact=True).fill(edit_value)  # an edit not saved yet
        ask = page.get_by_role("button", name=ask_name)
        dialog = page.get_by_role("alertdialog")
        cancel = dialog.get_by_role("button", name="Cancel")

        ask.click()
        expect(cancel).to_be_focused()
        console.shot("confirm", full_page=False)
        console.check_clean()
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
        expect(ask).to_be_focused()

        page.keyboard.press("Enter")  # opens it again; Enter on the default button cancels
        expect(cancel).to_be_focused()
        page.keyboard.press("Enter")
        expect(dialog).to_have_count(0)
        expect(ask).to_be_focused()

        ask.click()
        page.keyboard.press("Shift+Tab")
        expect(dialog.get_by_role("button", name=yes_name)).to_be_focused()
        page.keyboard.press("Escape")  # from either button
        expect(dialog).to_have_count(0)
        if edit_value:  # the page was not redrawn: the edit is still there
            assert page.get_by_label(edit_label, exact=True).input_value() == edit_value
        console.check_clean()

    assert client.applications(app.sid).fetch().friendly_name == "Keep me"
    assert client.incoming_phone_numbers(number.sid).fetch().phone_number == number.phone_number
