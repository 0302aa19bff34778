"""`Switchboard.handset(number)` and `Switchboard.settle()`: the phones outside Switchboard that
a test's messages reach, and waiting until every step and status callback of the account has
run; on both stores, through the SDK as the code under test would send."""

from __future__ import annotations

import pytest
import testing_fixtures
from receiver import Receiver
from twilio.base.exceptions import TwilioRestException

from switchboard.testing import Switchboard

engine = testing_fixtures.engine
board = testing_fixtures.board
receiver = testing_fixtures.receiver
NUMBER = "+15005550006"
PHONE = "+14155550123"


@pytest.fixture
def sms_app(board: Switchboard, receiver: Receiver) -> str:
    """NUMBER, whose application answers texts with a reply and hears delivery statuses."""
    receiver.script("/sms", body="<Response><Message>Got it</Message></Response>")
    client = board.client()
    app = client.applications.create(
        friendly_name="texts",
        sms_url=receiver.url("/sms"),
        message_status_callback=receiver.url("/status"),
    )
    client.incoming_phone_numbers.create(phone_number=NUMBER, sms_application_sid=app.sid)
    return app.sid


def test_settle_waits_for_every_status_callback(
    board: Switchboard, receiver: Receiver, sms_app: str
) -> None:
    message = board.client().messages.create(
        to=PHONE, from_=NUMBER, body="hello", application_sid=sms_app
    )
    assert message.status == "queued"

    settled = board.settle()

    assert settled["pending_jobs"] == 0
    statuses = [r.form["MessageStatus"] for r in receiver.requests("/status")]
    assert statuses[-1] == "delivered"
    assert all(r.form["MessageSid"] == message.sid for r in receiver.requests("/status"))
    assert board.client().messages(message.sid).fetch().status == "delivered"


def test_a_handset_lists_what_reached_it(board: Switchboard, sms_app: str) -> None:
    phone = board.handset(PHONE)
    assert phone.messages() == []
    client = board.client()
    first = client.messages.create(to=PHONE, from_=NUMBER, body="one", application_sid=sms_app)
    second = client.messages.create(to=PHONE, from_=NUMBER, body="two", application_sid=sms_app)
    board.settle()

    received = phone.messages()

    assert [m["sid"] for m in received] == [first.sid, second.sid]  # oldest first
    assert [m["body"] for m in received] == ["one", "two"]
    assert {m["from"] for m in received} == {NUMBER}


def test_a_handset_set_to_fail_makes_the_message_fail(
    board: Switchboard, receiver: Receiver, sms_app: str
) -> None:
    phone = board.handset(PHONE)
    settings = phone.set(message_outcome="undelivered", message_error_code=30005)
    assert settings["message_outcome"] == "undelivered"
    assert phone.settings()["message_error_code"] == 30005
    message = board.client().messages.create(
        to=PHONE, from_=NUMBER, body="anyone?", application_sid=sms_app
    )
    board.settle()

    fetched = board.client().messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30005)
    last = receiver.requests("/status")[-1].form
    assert (last["MessageStatus"], last["ErrorCode"]) == ("undelivered", "30005")
    phone.set(message_outcome="delivered")  # what is not given keeps its value
    assert phone.settings()["message_error_code"] == 30005


def test_a_handset_texts_the_app_and_stop_opts_it_out(
    board: Switchboard, receiver: Receiver, sms_app: str
) -> None:
    phone = board.handset(PHONE)

    sent = phone.send(NUMBER, "hi")

    assert sent["direction"] == "inbound" and sent["from"] == PHONE
    board.settle()  # the webhook, the app's reply and its delivery
    [hook] = receiver.requests("/sms")
    assert hook.form["Body"] == "hi" and hook.form["From"] == PHONE
    assert [m["body"] for m in phone.messages()] == ["Got it"]  # the app's reply reached it
    phone.send(NUMBER, "STOP")
    board.settle()
    assert phone.settings()["opted_out_of"] == [NUMBER]
    with pytest.raises(TwilioRestException) as refused:
        board.client().messages.create(to=PHONE, from_=NUMBER, body="still there?")
    assert refused.value.code == 21610


def test_a_handset_answers_a_call_with_its_input(board: Switchboard, receiver: Receiver) -> None:
    phone = board.handset(PHONE)
    phone.set(input=["4"], answered_by="human")
    assert phone.settings()["input"] == ["4"]
    receiver.script("/voice", body='<Response><Gather numDigits="1" action="/picked"/></Response>')
    receiver.script("/picked", body="<Response><Say>Thanks</Say></Response>")

    call = board.client().calls.create(to=PHONE, from_=NUMBER, url=receiver.url("/voice"))
    board.settle()

    assert board.client().calls(call.sid).fetch().status == "completed"
    assert receiver.requests("/picked")[0].form["Digits"] == "4"
    phone.set(input=[])  # an empty list clears the script
    assert phone.settings()["input"] == []


def test_settle_says_when_it_gave_up(
    board: Switchboard, receiver: Receiver, sms_app: str
) -> None:
    receiver.script("/status", status=204, body="", delay=1.0)  # each callback takes a second
    board.client().messages.create(to=PHONE, from_=NUMBER, body="x", application_sid=sms_app)
    with pytest.raises(TwilioRestException) as gave_up:
        board.settle(timeout=0.2)
    assert (gave_up.value.status, gave_up.value.code) == (408, 20408)
    assert board.settle(timeout=30)["pending_jobs"] == 0


def test_handset_numbers_are_checked(board: Switchboard) -> None:
    with pytest.raises(TwilioRestException) as refused:
        board.handset("12345").settings()
    assert refused.value.status == 400
    assert board.handset(PHONE).settings()["message_outcome"] == "delivered"  # the default
