"""The review's remaining findings about the console, each checked in a real browser:

- the session is the browser's, not the tab's: a new tab of the console is signed in, signing out
  in one tab signs out every tab, nothing is kept in localStorage, and another browser session
  (another context) starts signed out;
- on a 390 px phone: no sideways scrolling, a short header, tables as cards;
- URLs and dates never break inside a word (at phone and desktop widths);
- errors in the field's words ("Phone number", not "PhoneNumber"), the API's own answer included
  when only the API could tell; the browser's rules agree with the API's on the same values;
- error pages in words, never an API path;
- the empty location parameters of a trace folded away.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from conftest import Server, random_number
from console_kit import (  # noqa: F401 (fixtures)
    PHONE,
    Console,
    browser_fixture,
    console_fixture,
    expect,
    new_number,
    phone_fixture,
)
from receiver import Receiver

pytestmark = pytest.mark.slow
ROOT = "/2010-04-01/Accounts"
EXT = "/switchboard/v1/Accounts"


def signed_in_as(page: Any) -> str:
    text: str = page.locator("#who").inner_text()
    return text


def test_the_session_is_shared_by_the_browsers_tabs(
    console: Console, server: Server, browser: Any, store_kind: str
) -> None:
    own = server.account_sid
    first = console.page
    console.sign_in(own, server.auth_token)
    assert first.evaluate("localStorage.length") == 0

    # A new tab of the same browser session is signed in.
    second = console.new_tab()
    console.goto(f"/accounts/{own}/applications", second)
    assert own in signed_in_as(second)
    expect(second.locator("main h1")).to_have_text("Applications")
    assert second.evaluate("localStorage.length") == 0
    console.shot("second-tab", page=second)

    # Signing out in one tab signs out every tab, without a reload.
    console.goto(f"/accounts/{own}/numbers")
    second.get_by_role("button", name="Sign out").click()
    expect(first.locator("main h1")).to_have_text("Sign in")
    assert "Signed out (in another tab)." in first.inner_text("main")
    assert first.evaluate("sessionStorage.length") == 0
    assert signed_in_as(first) == ""
    console.check_clean()

    # Signing in in one tab signs in the other, which stays on its page.
    console.submit_sign_in(own, server.auth_token)
    expect(first.locator("main h1")).to_have_text("Phone numbers")
    expect(second.locator("#who")).to_contain_text(own)
    # Its page was the sign-in form, at the console's start: signed in, it goes to the account.
    expect(second.locator("main h1")).not_to_have_text("Sign in")
    assert second.url.endswith(f"/console/accounts/{own}")

    # Another browser session (another context: other cookies, other storage) starts signed out.
    other = Console(browser, server, store_kind, "other-session")
    try:
        other.goto("/")
        expect(other.page.locator("main h1")).to_have_text("Sign in")
    finally:
        other.close()

    # Closing every tab ends the session: a tab opened afterwards asks for credentials.
    first.close()
    second.close()
    third = console.new_tab()
    console.goto("/", third)
    expect(third.locator("main h1")).to_have_text("Sign in")
    console.page = third


PAGE_CHECK = """() => {
  const html = document.documentElement;
  const shown = (el) => el.getClientRects().length > 0;
  // (Headers of tables shown as cards are clipped away: read out, not drawn.)
  const overflowing = [...document.querySelectorAll(".table-wrap, pre, main *")]
    .filter((el) => shown(el) && !el.closest("thead, .visually-hidden"))
    .filter((el) => el.getBoundingClientRect().right > html.clientWidth + 1)
    .map((el) => el.outerHTML.slice(0, 100));
  const tables = [...document.querySelectorAll("table.cards-narrow")].filter(shown);
  const row = (t) => t.querySelector("tbody tr");
  return {
    scrollWidth: html.scrollWidth,
    clientWidth: html.clientWidth,
    header: document.querySelector("header.top").getBoundingClientRect().height,
    overflowing,
    tables: tables.length,
    asCards: tables.filter((t) => !row(t) || getComputedStyle(row(t)).display !== "table-row")
      .length,
    // Cells of a card take the card's whole width (a column squeezed to a sliver is what made
    // pages tall).
    narrowCells: [...document.querySelectorAll("table.cards-narrow:not(.params) td")]
      .filter((td) => shown(td) && td.getBoundingClientRect().width
        < td.parentElement.getBoundingClientRect().width - 1)
      .map((td) => td.outerHTML.slice(0, 80)),
  };
}"""

MID_WORD = """(selector) => {
  const bad = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.getClientRects().length) continue;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let prev = null;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent;
      for (let i = 0; i < text.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        if (!rect) continue;
        const ch = text[i];
        const word = /[A-Za-z0-9]/;
        if (prev && word.test(prev.ch) && word.test(ch) && rect.top > prev.top + 2) {
          bad.push(`${el.textContent.slice(0, 60)} (between ${prev.ch} and ${ch})`);
        }
        prev = { ch, top: rect.top };
      }
    }
  }
  return bad;
}"""
WORDS = ".url, .date, .sid, code"


def traffic(server: Server, receiver: Receiver) -> dict[str, str]:
    """An account with long URLs, a number, a key, and a call's trace and requests."""
    client = server.client()
    long_path = "/voice/handlers/inbound-calls/with-a-rather-long-path/that-goes-on?campaign="
    app = client.applications.create(
        friendly_name="A name long enough to wrap on a phone screen",
        voice_url=receiver.script(
            "/voice/handlers/inbound-calls/with-a-rather-long-path/that-goes-on"
        )
        + "?campaign=spring-2026&source=newsletter&medium=email",
        status_callback=receiver.script("/status-callback-endpoint-with-long-name"),
        sms_url="https://sms-handlers.example.com" + long_path + "x",
    )
    number = new_number()
    pn = client.incoming_phone_numbers.create(
        phone_number=number, voice_application_sid=app.sid, sms_application_sid=app.sid
    )
    key = client.new_keys.create(friendly_name="deploy key")
    with server.http() as h:
        call = h.post(
            f"{EXT}/{server.account_sid}/InboundCalls",
            data={"To": number, "From": "+14155550100", "FromCity": "Paris", "CallerName": "A"},
        ).json()
        rq = h.get(f"{EXT}/{server.account_sid}/Requests").json()["requests"][0]["sid"]
    return {"AP": app.sid, "PN": pn.sid, "SK": key.sid, "CA": call["call_sid"], "RQ": rq}


def every_page(own: str, ids: dict[str, str]) -> list[str]:
    return [
        "/accounts",
        f"/accounts/{own}",
        f"/accounts/{own}/applications",
        f"/accounts/{own}/applications/{ids['AP']}",
        f"/accounts/{own}/applications/new",
        f"/accounts/{own}/numbers",
        f"/accounts/{own}/numbers/{ids['PN']}",
        f"/accounts/{own}/keys",
        f"/accounts/{own}/keys/{ids['SK']}",
        f"/accounts/{own}/simulate",
        f"/accounts/{own}/calls/{ids['CA']}",
        f"/accounts/{own}/requests",
        f"/accounts/{own}/requests/{ids['RQ']}",
        f"/accounts/{own}/tools",
        f"/accounts/{own}/status",
    ]


def test_a_phone_screen(phone: Console, server: Server, receiver: Receiver) -> None:
    page = phone.page
    own = server.account_sid
    ids = traffic(server, receiver)
    phone.goto("/")
    phone.check_clean()
    phone.sign_in(own, server.auth_token)
    for path in every_page(own, ids):
        phone.in_app(path)
        # Open everything folded, so that nothing hides from the checks.
        page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        got = page.evaluate(PAGE_CHECK)
        assert got["scrollWidth"] <= PHONE["width"], (path, got)
        assert got["overflowing"] == [], (path, got["overflowing"])
        assert got["header"] <= 110, (path, got["header"])
        assert got["asCards"] == got["tables"], path
        assert got["narrowCells"] == [], (path, got["narrowCells"])
        assert page.evaluate(MID_WORD, WORDS) == [], path
        phone.check_clean()
        # "/accounts/AC…/numbers/PN…" -> "ac-numbers-pn"
        named = re.sub(r"\b(AC|AP|PN|SK|CA|SM|RQ)[0-9a-f]{32}", lambda m: m[1].lower(), path)
        name = re.sub(r"[^a-z]+", "-", named.removeprefix("/accounts")).strip("-")
        phone.shot(name or "accounts")


def test_urls_and_dates_do_not_break_inside_words(
    console: Console, server: Server, receiver: Receiver
) -> None:
    page = console.page
    own = server.account_sid
    ids = traffic(server, receiver)
    console.sign_in(own, server.auth_token)
    for width in (1280, 900, 600):
        page.set_viewport_size({"width": width, "height": 900})
        for path in every_page(own, ids):
            console.in_app(path)
            page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
            assert page.evaluate(MID_WORD, WORDS) == [], (width, path)
    # The check itself finds a break inside a word where one is forced.
    console.goto(f"/accounts/{own}/applications")
    page.evaluate(
        """() => { const s = document.querySelector('.url');
                   s.style.wordBreak = 'break-all'; s.parentElement.style.width = '40px'; }"""
    )
    assert page.evaluate(MID_WORD, ".url") != []


def test_errors_in_the_fields_words_with_the_apis_answer(console: Console, server: Server) -> None:
    page = console.page
    own = server.account_sid
    other = server.create_account("Someone else")
    taken = random_number()
    with httpx.Client(base_url=server.url, auth=(other["sid"], other["auth_token"])) as h:
        path = f"{ROOT}/{other['sid']}/IncomingPhoneNumbers.json"
        made = h.post(path, data={"PhoneNumber": taken})
        assert made.status_code == 201
    console.sign_in(own, server.auth_token)
    console.goto(f"/accounts/{own}/numbers")
    # Only the API knows the number is taken: its answer, in the field's words, with its code.
    page.get_by_label("Phone number").fill(taken)
    page.get_by_role("button", name="Add number").click()
    error = page.locator("#number-phone-error")
    expect(error).to_have_text(f"Phone number {taken} is not available (code 21422)")
    expect(page.locator("#number-form .form-error")).to_have_text(
        f"Not saved: Phone number {taken} is not available (code 21422)"
    )
    expect(page.get_by_label("Phone number")).to_be_focused()
    console.check_clean()


RULE_CASES = {
    "url": [
        "",
        "https://example.com",
        "http://a",
        "HTTP://A.B/c?d#e",
        "ftp://x.com",
        "https:/x.com",
        "http://exa mple.com",
        "http://[::1]/",
        "http://[::1]:80/x",
        "http://[127.0.0.1]/",
        "http://[::1",
        "http://[::1]@example.com/",
        "http://a:99999/",
        "http://a:/",
        "http://a:8x/",
        "http://user:pw@host.com:8080/p",
        "http://ex_ample.com/",
        "http://-a.com/",
        "http://" + "a" * 63 + ".com/",
        "http://" + "a" * 64 + ".com/",
        "http://a..com/",
        "http://ü.com/",
        "http://a.com/é",
        "http://a.com/{x}",
        "javascript:alert(1)",
        "https://a.com/" + "x" * 4082,
        "https://a.com/" + "x" * 4083,
        "http://[fe80::1%25eth0]/",
        "http://a.com/caf%C3%A9",
        "http://a.com/%zz",
        "http://a.com/a[b]",
        "http://a.com/?q=[1]",
        "http://u@v@a.com/",
        "http://a.com/#x#y",
        "http://a.com/#x",
    ],
    "friendly_name": ["", "a", "x" * 64, "x" * 65, "é" * 64, "😀" * 64, "😀" * 65, "a\x01", "t\tb"],
    "phone": [
        "",
        "+1",
        "+123456",
        "+1234567",
        "+0123456789",
        "15005550006",
        "+1 500 555 0006",
        "+123456789012345",
        "+1234567890123456",
        "+1500555000a",
    ],
}


def test_the_browsers_rules_are_the_apis(console: Console, server: Server) -> None:
    """Every value: the console's rule (rules.js) and the API give the same verdict, with the
    same code."""
    page = console.page
    own = server.account_sid
    console.sign_in(own, server.auth_token)
    codes: dict[str, list[int | None]] = page.evaluate(
        """async (cases) => {
          const rules = await import("/console/assets/rules.js");
          const code = (rule) => (v) => rule(v)?.code ?? null;
          return {
            url: cases.url.map(code(rules.url("URL"))),
            friendly_name: cases.friendly_name.map(code(rules.friendlyName("Name"))),
            phone: cases.phone.map(code(rules.phoneNumber("Phone"))),
          };
        }""",
        RULE_CASES,
    )
    app = server.client().applications.create(friendly_name="rules")
    path = f"{ROOT}/{own}/Applications/{app.sid}.json"
    api: dict[str, list[int | None]] = {"url": [], "friendly_name": [], "phone": []}

    def code(resp: httpx.Response) -> int | None:
        answer: int | None = None if resp.status_code in (200, 201) else resp.json()["code"]
        return answer

    with server.http() as h:
        for value in RULE_CASES["url"]:
            api["url"].append(code(h.post(path, data={"VoiceUrl": value})))
        for value in RULE_CASES["friendly_name"]:
            api["friendly_name"].append(code(h.post(path, data={"FriendlyName": value})))
        for value in RULE_CASES["phone"]:
            resp = h.post(f"{ROOT}/{own}/IncomingPhoneNumbers.json", data={"PhoneNumber": value})
            api["phone"].append(code(resp))
    for kind, values in RULE_CASES.items():
        differ = [
            (v[:40], browser_code, api_code)
            for v, browser_code, api_code in zip(values, codes[kind], api[kind], strict=True)
            if browser_code != api_code
        ]
        assert differ == [], kind
    # Both verdicts occur, with every code.
    assert set(api["url"]) == {None, 21402} and set(api["friendly_name"]) == {None, 20002}
    assert set(api["phone"]) == {None, 20001, 21421}


def test_error_pages_say_it_in_words(console: Console, server: Server) -> None:
    page = console.page
    own = server.account_sid
    console.sign_in(own, server.auth_token)
    missing = "AP" + "0" * 32
    console.goto(f"/accounts/{own}/applications/{missing}")
    main = page.inner_text("main")
    assert f"Application {missing} of account {own} was not found (code 20404)" in main
    assert "/2010-04-01" not in main and ".json" not in main
    console.goto(f"/accounts/{own}/requests/RQ{'0' * 32}")
    assert f"Webhook request RQ{'0' * 32} of account {own} was not found" in page.inner_text("main")
    console.goto("/no/such/page")
    expect(page.locator("main h1")).to_have_text("Page not found")
    assert "/no/such/page" not in page.inner_text("main")
    console.check_clean()


def test_empty_location_parameters_are_folded(
    console: Console, server: Server, receiver: Receiver
) -> None:
    page = console.page
    ids = traffic(server, receiver)
    console.sign_in(server.account_sid, server.auth_token)
    console.goto(f"/accounts/{server.account_sid}/calls/{ids['CA']}")
    step = page.locator("ol.timeline > li").first
    table = step.locator("table.params").first
    assert "FromCity\nParis" in table.inner_text().replace("\t", "\n")
    assert "FromState" not in table.inner_text() and "CalledZip" not in table.inner_text()
    folded = step.locator("details.folded")
    expect(folded.locator("summary")).to_have_text("14 empty location parameters")
    expect(folded.get_by_text("FromState")).to_be_hidden()
    folded.locator("summary").click()
    expect(folded.get_by_text(re.compile("FromState"))).to_be_visible()
    console.shot("folded-location", full_page=False)
    console.check_clean()
