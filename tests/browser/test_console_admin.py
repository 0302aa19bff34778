"""The console shows what Twilio's console shows for these resources, in a real browser:

- a number's settings: friendly name, its own voice and SMS URLs and methods, and its
  applications chosen in a searchable picker that says which numbers use each application; a
  link about to be replaced is named as soon as it is chosen and confirmed before saving (also
  when assigning from an application's page);
- API keys: create (the secret shown once, and it works), list, rename, delete;
- subaccounts: create (the token shown once), rename, suspend, reactivate, close (confirmed:
  closing is final);
- the status page, and export and reset when the server allows them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from conftest import Server, run_cli
from console_kit import (  # noqa: F401 (fixtures)
    Console,
    browser_fixture,
    console_fixture,
    expect,
    new_number,
)

pytestmark = pytest.mark.slow
ROOT = "/2010-04-01/Accounts"


def test_number_settings_and_replacing_a_link(console: Console, server: Server) -> None:
    page = console.page
    client = server.client()
    alpha = client.applications.create(friendly_name="Alpha line")
    beta = client.applications.create(friendly_name="Beta desk")
    one = client.incoming_phone_numbers.create(
        phone_number=new_number(), voice_application_sid=alpha.sid
    )
    two = client.incoming_phone_numbers.create(
        phone_number=new_number(), voice_application_sid=alpha.sid, sms_application_sid=beta.sid
    )
    console.sign_in(server.account_sid, server.auth_token)
    console.goto(f"/accounts/{server.account_sid}/numbers/{one.sid}")
    voice = page.get_by_role("group", name="Voice application")
    sms = page.get_by_role("group", name="SMS application")

    # Each application says which numbers use it now.
    alpha_choice = voice.get_by_role("radio", name=re.compile("^Alpha line"))
    expect(alpha_choice).to_be_checked()
    choices = voice.locator(".choice").all_inner_texts()
    assert any(
        "Alpha line" in c and f"Used by {one.phone_number} (voice), {two.phone_number} (voice)" in c
        for c in choices
    ), choices
    assert any("Beta desk" in c and f"Used by {two.phone_number} (SMS)" in c for c in choices)
    expect(sms.get_by_role("radio", name=re.compile("^None"))).to_be_checked()
    console.shot("number-settings")
    console.check_clean()

    # The filter narrows the choices (the chosen one stays).
    voice.get_by_label("Filter: Voice application").fill("beta")
    expect(voice.get_by_role("radio")).to_have_count(3)  # none, the chosen one, the match
    voice.get_by_label("Filter: Voice application").fill("")

    # Every bad field at once, in its label's words; nothing sent.
    page.get_by_label("Friendly name").fill("")
    page.get_by_label("Voice fallback URL").fill("nope")
    page.get_by_label("SMS URL", exact=True).fill("mailto:x@example.com")
    page.get_by_role("button", name="Save settings").click()
    summary = page.locator("#number-settings .form-error")
    expect(summary).to_have_text(
        "Not saved: 3 fields are not valid: Friendly name, Voice fallback URL, SMS URL. "
        "Nothing was sent."
    )
    assert page.locator("#number-friendly-name-error").inner_text() == (
        "Friendly name must be 1 to 64 characters: it is empty (code 20002)"
    )
    assert (
        "Voice fallback URL is not a valid URL: nope"
        in page.locator("#number-voice-fallback-url-error").inner_text()
    )
    expect(page.get_by_label("Friendly name")).to_be_focused()
    console.shot("number-bad-fields", full_page=False)
    console.check_clean()
    assert client.incoming_phone_numbers(one.sid).fetch().friendly_name != ""

    # Fix them; choose another voice application: the replaced link is named at once.
    page.get_by_label("Friendly name").fill("Reception")
    page.get_by_label("Voice fallback URL").fill("https://example.com/fallback")
    page.get_by_label("SMS URL", exact=True).fill("https://example.com/sms")
    page.get_by_label("SMS method", exact=True).select_option("GET")
    voice.get_by_role("radio", name=re.compile("^Beta desk")).check()
    expect(page.locator("#number-voice-app-note")).to_have_text(
        "Warning: this replaces the link to “Alpha line” when you save."
    )
    # Saving asks first; Cancel (the default) sends nothing.
    save = page.get_by_role("button", name="Save settings")
    save.click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(
        "Its voice calls go to “Alpha line” now, and would go to “Beta desk”."
    )
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    console.shot("replace-link-confirm", full_page=False)
    console.check_clean()
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    expect(save).to_be_focused()
    assert client.incoming_phone_numbers(one.sid).fetch().voice_application_sid == alpha.sid

    save.click()
    dialog.get_by_role("button", name="Yes, replace").click()
    expect(page.locator("#number-settings .form-ok")).to_have_text(
        f"Saved the settings of {one.phone_number}."
    )
    saved = client.incoming_phone_numbers(one.sid).fetch()
    assert (saved.friendly_name, saved.voice_application_sid) == ("Reception", beta.sid)
    assert (saved.voice_fallback_url, saved.sms_url, saved.sms_method) == (
        "https://example.com/fallback",
        "https://example.com/sms",
        "GET",
    )
    expect(page.locator("#number-voice-app-note")).to_have_text("")
    # Its own voice URL cleared and set again: an empty URL clears it, as on the API.
    page.get_by_label("Voice URL", exact=True).fill("https://example.com/own")
    page.get_by_role("button", name="Save settings").click()  # no link replaced: no question
    expect(page.locator("#number-own-voice")).to_have_text("https://example.com/own")
    assert client.incoming_phone_numbers(one.sid).fetch().voice_url == "https://example.com/own"
    console.check_clean()


def test_assigning_from_an_application_warns_before_replacing(
    console: Console, server: Server
) -> None:
    page = console.page
    client = server.client()
    alpha = client.applications.create(friendly_name="Alpha line")
    beta = client.applications.create(friendly_name="Beta desk")
    taken = client.incoming_phone_numbers.create(
        phone_number=new_number(), voice_application_sid=alpha.sid
    )
    free = client.incoming_phone_numbers.create(phone_number=new_number())
    console.sign_in(server.account_sid, server.auth_token)
    console.goto(f"/accounts/{server.account_sid}/applications/{beta.sid}")
    picker = page.get_by_role("group", name="Number")
    note = page.locator("#assign-number-note")

    picker.get_by_role("radio", name=re.compile(re.escape(taken.phone_number))).check()
    expect(note).to_contain_text("now its voice calls go to “Alpha line”")
    page.get_by_label("Use for voice calls").uncheck()  # SMS only: nothing replaced
    expect(note).to_have_text("")
    page.get_by_label("Use for voice calls").check()
    page.get_by_role("button", name="Assign").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(f"Replace {taken.phone_number}'s link?")
    console.check_clean()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert client.incoming_phone_numbers(taken.sid).fetch().voice_application_sid == alpha.sid
    page.get_by_role("button", name="Assign").click()
    dialog.get_by_role("button", name="Yes, replace it").click()
    page.wait_for_selector(f"text={taken.phone_number} now uses this application.")
    assert client.incoming_phone_numbers(taken.sid).fetch().voice_application_sid == beta.sid

    # A number with no link is assigned without a question.
    console.ready(f"/accounts/{server.account_sid}/applications/{beta.sid}")
    picker.get_by_role("radio", name=re.compile(re.escape(free.phone_number))).check()
    expect(note).to_have_text("")
    page.get_by_role("button", name="Assign").click()
    page.wait_for_selector(f"text={free.phone_number} now uses this application.")
    assert client.incoming_phone_numbers(free.sid).fetch().sms_application_sid == beta.sid


def test_api_keys(console: Console, server: Server) -> None:
    page = console.page
    own = server.account_sid
    console.sign_in(own, server.auth_token)
    console.nav("Keys")
    console.ready(f"/accounts/{own}/keys")
    assert "No API keys yet." in page.inner_text("main")
    console.check_clean()
    page.get_by_label("Friendly name").fill("x" * 65)
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#key-name-error")).to_contain_text("1 to 64 characters (code 20002)")
    page.get_by_label("Friendly name").fill("CI runner")
    page.get_by_role("button", name="Create key").click()
    page.wait_for_selector("text=Created key SK")
    sid = page.url.rsplit("/", 1)[1]
    console.ready(f"/accounts/{own}/keys/{sid}")
    secret = page.locator("#secret-value").inner_text()
    page.get_by_role("button", name="Copy the secret").click()
    expect(page.locator("#copy-secret-status")).to_have_text("Copied the secret to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    console.shot("key-secret-once")
    console.check_clean()
    # The secret works, and is never shown again.
    with httpx.Client(base_url=server.url, auth=(sid, secret)) as h:
        assert h.get(f"{ROOT}/{own}/Applications.json").status_code == 200
    console.goto(f"/accounts/{own}/keys/{sid}")
    assert secret not in page.inner_text("body")
    assert page.locator("#secret-value").count() == 0

    page.get_by_label("Friendly name").fill("CI runner (old)")
    page.get_by_role("button", name="Rename").click()
    expect(page.locator("main h1")).to_have_text("CI runner (old)")
    assert server.client().keys(sid).fetch().friendly_name == "CI runner (old)"
    console.goto(f"/accounts/{own}/keys")
    assert "CI runner (old)" in page.inner_text("#key-table")
    page.get_by_role("link", name="CI runner (old)").click()
    console.ready(f"/accounts/{own}/keys/{sid}")
    page.get_by_role("button", name="Delete key…").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Yes, delete").click()
    console.ready(f"/accounts/{own}/keys")
    assert "Deleted key CI runner (old)" in page.inner_text("main")
    with httpx.Client(base_url=server.url, auth=(sid, secret)) as h:
        assert h.get(f"{ROOT}/{own}/Applications.json").status_code == 401
    console.check_clean()

    # Signed in with a key, the page says what a key cannot do.
    key = server.client().new_keys.create(friendly_name="viewer")
    console.page.get_by_role("button", name="Sign out").click()
    console.sign_in(key.sid, key.secret, own)
    console.goto(f"/accounts/{own}/keys")
    assert "An API key cannot list or manage API keys" in page.inner_text("main")
    console.check_clean()


def test_subaccount_rename_suspend_reactivate_close(console: Console, server: Server) -> None:
    page = console.page
    console.sign_in(server.account_sid, server.auth_token)
    console.goto("/accounts")
    page.get_by_label("Friendly name").fill("Team A")
    page.get_by_role("button", name="Create subaccount").click()
    page.wait_for_selector("text=Created subaccount AC")
    sub = page.url.rsplit("/", 1)[1]
    console.ready(f"/accounts/{sub}")
    token = page.locator("#secret-value").inner_text()
    api = server.client().api.v2010
    assert api.accounts(sub).fetch().auth_token == token

    page.get_by_label("Friendly name").fill("Team A (renamed)")
    page.get_by_role("button", name="Rename").click()
    expect(page.locator("#rename-form .form-ok")).to_have_text("Renamed to “Team A (renamed)”.")
    assert api.accounts(sub).fetch().friendly_name == "Team A (renamed)"

    page.get_by_role("button", name="Suspend").click()
    page.wait_for_selector("text=Team A (renamed) is now suspended.")
    assert api.accounts(sub).fetch().status == "suspended"
    with httpx.Client(base_url=server.url, auth=(sub, token)) as h:
        assert h.get(f"{ROOT}/{sub}.json").json()["code"] == 20005
    console.check_clean()
    page.get_by_role("button", name="Reactivate").click()
    page.wait_for_selector("text=Team A (renamed) is now active.")
    assert api.accounts(sub).fetch().status == "active"

    close = page.get_by_role("button", name="Close subaccount…")
    close.click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Closing is final")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    console.shot("close-confirm", full_page=False)
    console.check_clean()
    page.keyboard.press("Escape")
    expect(close).to_be_focused()
    assert api.accounts(sub).fetch().status == "active"
    close.click()
    dialog.get_by_role("button", name="Yes, close it for good").click()
    page.wait_for_selector("text=Closed Team A (renamed).")
    assert api.accounts(sub).fetch().status == "closed"
    assert "it cannot be reopened" in page.inner_text("main")
    assert page.get_by_role("button", name="Reactivate").count() == 0
    assert page.get_by_role("button", name="Rename").count() == 0
    console.check_clean()


def status_counts(page: Any) -> dict[str, str]:
    rows = page.locator("#count-table tbody tr").all()
    return {r.locator("td").nth(0).inner_text(): r.locator("td").nth(1).inner_text() for r in rows}


def test_status_page(console: Console, server: Server) -> None:
    page = console.page
    client = server.client()
    client.applications.create(friendly_name="one")
    client.incoming_phone_numbers.create(phone_number=new_number())
    console.sign_in(server.account_sid, server.auth_token)
    console.nav("Status")
    console.ready(f"/accounts/{server.account_sid}/status")
    with server.http() as h:
        status = h.get(f"/switchboard/v1/Accounts/{server.account_sid}/Status").json()
    props = page.locator("#server-props").inner_text()
    assert status["version"] in props and status["schema_revision"] in props
    assert ("PostgreSQL" if status["database"] == "postgresql" else "SQLite") in props
    counts = status_counts(page)
    assert counts["Applications"] == "1" and counts["Phone numbers"] == "1"
    assert counts["API keys"] == "0"
    assert "Export and reset are off" in page.inner_text("main")
    assert page.get_by_role("button", name="Reset the store…").count() == 0
    console.shot("status")
    console.check_clean()


def test_export_and_reset_when_the_server_allows_them(
    browser: Any, database_url: str, store_kind: str, tmp_path: Path
) -> None:
    srv = Server(database_url, tmp_path, extra_args=("--allow-reset",))
    srv.start()
    console = Console(browser, srv, store_kind, "export_and_reset")
    try:
        page = console.page
        client = srv.client()
        client.applications.create(friendly_name="Before the reset")
        sub = client.api.v2010.accounts.create(friendly_name="Child")
        console.sign_in(srv.account_sid, srv.auth_token)
        console.goto(f"/accounts/{srv.account_sid}/status")
        console.check_clean()
        cli = run_cli("export", database_url=srv.database_url).stdout
        for fmt in ("yaml", "json"):
            with page.expect_download() as download:
                page.get_by_role("button", name=f"Download the export ({fmt.upper()})").click()
            saved = download.value
            assert saved.suggested_filename == f"switchboard-export.{fmt}"
            text = Path(saved.path()).read_text()
            if fmt == "yaml":
                assert text == cli
            else:
                assert yaml.safe_load(text) == yaml.safe_load(cli)
        expect(page.locator("#export-status")).to_have_text("Downloaded switchboard-export.json.")

        reset = page.get_by_role("button", name="Reset the store…")
        reset.click()
        dialog = page.get_by_role("alertdialog")
        expect(dialog).to_contain_text("The main accounts stay")
        console.shot("reset-confirm", full_page=False)
        console.check_clean()
        dialog.get_by_role("button", name="Yes, empty the store").click()
        page.wait_for_selector("text=The store is reset: only the main accounts remain.")
        assert client.applications.list() == []
        assert [a.sid for a in client.api.v2010.accounts.list()] == [srv.account_sid]
        assert status_counts(page)["Applications"] == "0"  # still signed in, page redrawn
        console.check_clean()

        # A subaccount's session sees no controls (and the API would refuse it).
        other = client.api.v2010.accounts.create(friendly_name="Child again")
        page.get_by_role("button", name="Sign out").click()
        console.sign_in(other.sid, other.auth_token)
        console.goto(f"/accounts/{other.sid}/status")
        assert "Export and reset are off" in page.inner_text("main")
        assert sub.sid not in page.inner_text("main")
        console.check_clean()
    finally:
        console.close()
        srv.stop()
