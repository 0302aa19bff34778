"""The console as a phone (issue 18), in a real browser (console_kit.py: Chromium, Playwright).

A whole IVR call made by keypad against a real webhook receiver serving a Gather menu: what
<Say> says and a player for what <Play> plays (its relative URL resolved against the document,
nothing loaded until pressed), keys sent as the Gather asks (one key; several ending with #),
words in the speech box, a message left with the record button, the trace growing beside the
call at every step, every request signed as Twilio signs it; hanging up mid-call; the recording
in the recordings list with a player that fetches the WAV with the session's credentials; a
Voice SDK client's call with a pasted Access Token. Each screen captured, at desktop and phone
widths, and clean (labels, axe-core, nothing external, no script error).
"""

from __future__ import annotations

import re
from typing import Any

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
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

pytestmark = pytest.mark.slow

WELCOME = (
    "<Response><Say>Welcome to Acme</Say><Play>hold.wav</Play>"
    '<Gather numDigits="1" action="/menu"><Say>Press 1 for your account, 2 to leave a message</Say>'
    "</Gather><Say>Goodbye</Say></Response>"
)


def menu(req: Recorded) -> str:
    digit = req.params.get("Digits")
    if digit == "1":
        return (
            '<Response><Gather input="dtmf speech" action="/account">'
            "<Say>Enter your account number then pound, or say it</Say></Gather></Response>"
        )
    if digit == "2":
        return (
            "<Response><Say>Leave a message after the beep</Say>"
            '<Record action="/recorded" maxLength="30"/></Response>'
        )
    return "<Response><Say>Sorry</Say><Redirect>/voice</Redirect></Response>"


def account(req: Recorded) -> str:
    heard = req.params.get("Digits") or req.params.get("SpeechResult", "")
    return (
        f"<Response><Say>Your account is {heard}</Say>"
        '<Gather numDigits="1" action="/menu"><Say>Press 2 to leave a message</Say></Gather>'
        "</Response>"
    )


def ivr(receiver: Receiver) -> str:
    receiver.respond("/menu", menu)
    receiver.respond("/account", account)
    receiver.script("/recorded", body="<Response><Say>Thank you</Say><Hangup/></Response>")
    return receiver.script("/voice", body=WELCOME)


def steps(page: Any) -> int:
    return int(page.locator("#phone-trace ol.timeline > li").count())


def press(page: Any, keys: str) -> None:
    keypad = page.get_by_role("group", name="Keypad")
    names = {"*": "* star", "#": "# pound"}
    for key in keys:
        keypad.get_by_role("button", name=names.get(key, key), exact=True).click()


def wait_state(page: Any, text: str) -> None:
    expect(page.locator("#call-state")).to_contain_text(text)


def test_an_ivr_call_by_keypad_speech_and_the_record_button(
    console: Console, server: Server, receiver: Receiver
) -> None:
    axe_core.require()  # check_clean() runs axe-core on every state below
    page = console.page
    ac = server.account_sid
    client = server.client()
    number = client.incoming_phone_numbers.create(
        phone_number=new_number(), friendly_name="Acme line", voice_url=ivr(receiver)
    )
    console.sign_in(ac, server.auth_token)
    console.nav("Phone")
    console.ready(f"/accounts/{ac}/phone")
    console.check_clean()
    assert page.get_by_label("To (your number)").input_value() == number.phone_number
    page.get_by_label("From (your handset)").fill("+1415")
    page.get_by_role("button", name="Call").click()
    error = page.locator("#call-from-error")
    error.wait_for(state="visible")
    assert error.inner_text().startswith("From (your handset) is invalid: +1415")
    assert receiver.requests() == []  # nothing was sent
    page.get_by_label("From (your handset)").fill("+14155550123")
    page.get_by_role("button", name="Call").click()

    # The welcome: what <Say> says, a player for what <Play> plays, then the menu waits.
    wait_state(page, f"In a call with {number.phone_number}: it waits for your keys.")
    heard = page.locator("#heard")
    expect(heard).to_contain_text("Says “Welcome to Acme”")
    expect(heard).to_contain_text("Says “Press 1 for your account, 2 to leave a message”")
    audio = heard.locator("audio")
    assert audio.get_attribute("src") == receiver.url("/hold.wav")  # relative to the document
    assert audio.get_attribute("preload") == "none" and audio.get_attribute("controls") == ""
    assert "It takes 1 key" in page.locator("#call-controls").inner_text()
    assert steps(page) == 1
    first = receiver.wait_for("/voice")[0]
    assert first.signature_valid and first.params["From"] == "+14155550123"
    assert first.params["To"] == number.phone_number
    call_sid = first.params["CallSid"]
    summary = page.locator("#phone-trace .trace-summary")
    expect(summary).to_contain_text("in-progress")
    console.shot("phone-menu")
    console.check_clean()
    assert console.external == []  # the player loaded nothing

    # 1: the account menu, which takes keys ending with # (sent on the #) or words.
    press(page, "1")
    wait_state(page, "it waits for your keys or your words")
    expect(heard).to_contain_text("You pressed 1.")
    assert steps(page) == 2
    got = receiver.wait_for("/menu")
    assert got[0].params["Digits"] == "1" and got[0].signature_valid
    press(page, "4")
    page.keyboard.press("2")  # the computer's keys press the keypad's too
    assert page.locator("#keys-entered").inner_text() == "42"
    assert len(receiver.requests("/account")) == 0  # not sent before the #
    press(page, "#")
    expect(heard).to_contain_text("Says “Your account is 42”")
    account_request = receiver.wait_for("/account")[0]
    assert account_request.params["Digits"] == "42" and account_request.signature_valid
    assert account_request.params["CallSid"] == call_sid
    assert steps(page) == 3
    console.shot("phone-account")

    # 2: a message left with the record button, about two seconds long.
    press(page, "2")
    wait_state(page, "it is recording")
    console.check_clean()
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("button", name="Stop")).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(2000)
    console.shot("phone-recording")
    page.get_by_role("button", name="Stop").click()
    wait_state(page, "Call from +14155550123 ended: completed")
    expect(heard).to_contain_text("Says “Thank you”")
    expect(heard).to_contain_text("Hangs up")
    # As long as the button was held (2 s, and the screenshot's time), in whole seconds.
    spoke = re.search(r"You recorded (\d+) seconds\.", heard.inner_text())
    assert spoke, heard.inner_text()
    seconds = int(spoke[1])
    assert 2 <= seconds <= 5, seconds
    recorded = receiver.wait_for("/recorded")[0]
    assert recorded.params["RecordingDuration"] == str(seconds) and recorded.signature_valid
    assert page.locator("#call-controls").is_hidden()
    purposes = page.locator("#phone-trace ol.timeline h3").all_inner_texts()
    assert purposes == [
        "1. voice_url",
        "2. gather_action",
        "3. gather_action",
        "4. gather_action",
        "5. record_action",
    ]
    expect(summary).to_contain_text("completed")
    trace = server.http().get(f"/switchboard/v1/Accounts/{ac}/InboundCalls/{call_sid}").json()
    assert trace["status"] == "completed" and len(trace["recordings"]) == 1
    console.shot("phone-ended")
    console.check_clean()

    # A second call, at a phone's width: words in the speech box, then hang up mid-menu.
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Call").click()
    wait_state(page, "it waits for your keys.")
    press(page, "1")
    wait_state(page, "your keys or your words")
    page.get_by_label("What you say").fill("forty two")
    page.get_by_role("button", name="Say it").click()
    expect(heard).to_contain_text("Says “Your account is forty two”")
    spoken = receiver.wait_for("/account", count=2)[1]
    assert spoken.params["SpeechResult"] == "forty two" and spoken.signature_valid
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # nothing wider than the phone
    console.shot("phone-speech-390px")
    console.check_clean()
    page.get_by_role("button", name="Hang up").click()
    wait_state(page, "ended: completed")
    # Two menu choices in the first call, one in this one: the menu it left got no action.
    assert len(receiver.requests("/menu")) == 3
    console.shot("phone-hung-up-390px")

    # A third call, left waiting at the menu: leaving the page hangs it up.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Call").click()
    wait_state(page, "it waits for your keys.")
    third = receiver.wait_for("/voice", count=3)[2].params["CallSid"]
    assert third not in (call_sid, spoken.params["CallSid"])
    # The recording, in the recordings list, with a player fed by an authenticated fetch.
    console.nav("Recordings")
    console.ready(f"/accounts/{ac}/recordings")
    with server.http() as h:
        left = h.get(f"/switchboard/v1/Accounts/{ac}/InboundCalls/{third}").json()
        for _ in range(50):
            if left["status"] != "in-progress":
                break
            page.wait_for_timeout(100)
            left = h.get(f"/switchboard/v1/Accounts/{ac}/InboundCalls/{third}").json()
    assert left["status"] == "completed" and "waiting" not in left
    rec = client.recordings.list()[0]
    table = page.locator("#rec-table")
    expect(table).to_contain_text(rec.sid)
    expect(table).to_contain_text(f"{seconds} s, one channel")
    expect(table).to_contain_text("<Record>")
    console.check_clean()
    page.get_by_role("button", name=f"Play {seconds} s").click()
    player = page.get_by_label(f"Recording {rec.sid}")
    player.wait_for()
    assert player.get_attribute("src").startswith("blob:")
    page.wait_for_function(
        "([el, s]) => el.readyState >= 1 && Math.abs(el.duration - s) < 0.05",
        arg=[player.element_handle(), seconds],
    )
    assert page.get_by_role("link", name="Save the WAV file").get_attribute("download") == (
        f"{rec.sid}.wav"
    )
    console.shot("recordings")
    console.check_clean()
    # Filters: by call, and a date range with nothing in it.
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Call SID").fill("CA123")
    page.get_by_role("button", name="Apply filters").click()
    assert page.locator("#rec-call-error").inner_text().startswith("Call SID must be CA…")
    page.get_by_label("Call SID").fill(call_sid)
    page.get_by_role("button", name="Apply filters").click()
    console.ready(f"/accounts/{ac}/recordings")
    assert f"call={call_sid}" in page.url
    expect(page.locator("#rec-caption")).to_have_text("The newest 1 recording matching the filters")
    console.goto(f"/accounts/{ac}/recordings?before=2000-01-01")
    expect(page.locator("#rec-empty")).to_have_text("No recording matches these filters.")


def test_a_client_call_with_a_pasted_token(
    console: Console, server: Server, receiver: Receiver
) -> None:
    axe_core.require()
    page = console.page
    ac = server.account_sid
    client = server.client()
    number = client.incoming_phone_numbers.create(phone_number=new_number())
    receiver.respond(
        "/client",
        lambda req: (
            f"<Response><Say>Hello {req.params['From']}</Say>"
            '<Gather numDigits="1" action="/picked"><Say>Pick a number</Say></Gather></Response>'
        ),
    )
    receiver.respond(
        "/picked", lambda req: f"<Response><Say>You picked {req.params['Digits']}</Say></Response>"
    )
    app = client.applications.create(friendly_name="Softphone", voice_url=receiver.url("/client"))
    with server.http() as h:
        key = h.post(f"/2010-04-01/Accounts/{ac}/Keys.json", data={"FriendlyName": "tokens"}).json()
    token = AccessToken(ac, key["sid"], key["secret"], identity="alice", ttl=600)
    token.add_grant(VoiceGrant(outgoing_application_sid=app.sid))

    console.sign_in(ac, server.auth_token)
    console.goto(f"/accounts/{ac}/phone")
    page.get_by_label("A Voice SDK client (Access Token)").check()
    assert page.get_by_label("From (your handset)").is_hidden()
    page.get_by_role("button", name="Call").click()
    assert page.locator("#call-token-error").inner_text() == "Access Token is required (code 20001)"
    page.get_by_label("Access Token", exact=True).fill("not-a-token")
    page.get_by_role("button", name="Call").click()
    expect(page.locator(".form-error")).to_contain_text("Not called:")
    assert receiver.requests() == []
    page.get_by_label("Access Token", exact=True).fill(str(token.to_jwt()))
    page.get_by_label("To parameter").fill(number.phone_number)
    page.get_by_role("button", name="Call").click()
    wait_state(page, "it waits for your keys.")
    expect(page.locator("#heard")).to_contain_text("Says “Hello client:alice”")
    got = receiver.wait_for("/client")[0]
    assert got.signature_valid
    assert (got.params["From"], got.params["To"]) == ("client:alice", number.phone_number)
    assert got.params["ApplicationSid"] == app.sid
    console.shot("phone-client")
    console.check_clean()
    press(page, "7")
    wait_state(page, "Call from client:alice ended: completed")
    expect(page.locator("#heard")).to_contain_text("Says “You picked 7”")
    assert receiver.wait_for("/picked")[0].params["Digits"] == "7"
    texts = page.locator("#phone-trace ol.timeline h3").all_inner_texts()
    assert texts == ["1. voice_url", "2. gather_action"]
    assert re.search(r"Call CA[0-9a-f]{32}", page.locator("#trace-h").inner_text())
    console.shot("phone-client-ended")
    console.check_clean()
