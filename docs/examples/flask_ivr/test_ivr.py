"""The phone menu of ivr.py, tested with Switchboard's pytest plugin: no Twilio account, no
network, no port for the app. `switchboard` and `twilio_client` are the plugin's fixtures."""

from __future__ import annotations

import pytest
from ivr import MENU, create_app

APP = "https://ivr.example.test"  # never resolved: Switchboard hands its requests to the app
NUMBER = "+15005550006"
CALLER = "+14155550123"


@pytest.fixture
def website(switchboard, twilio_client):
    """The app, reachable at APP, serving NUMBER through an Application that also hears how
    the texts it sends are delivered; what the test holds is Flask's test client."""
    application = twilio_client.applications.create(
        friendly_name="Phone menu",
        voice_url=f"{APP}/voice",
        sms_url=f"{APP}/sms",
        message_status_callback=f"{APP}/message-status",
    )
    twilio_client.incoming_phone_numbers.create(
        phone_number=NUMBER,
        voice_application_sid=application.sid,
        sms_application_sid=application.sid,
    )
    app = create_app(switchboard.auth_token, twilio_client, NUMBER, application.sid)
    switchboard.route(APP, app)
    return app.test_client()


@pytest.fixture
def menu_number(website):
    return NUMBER


def test_a_caller_hears_the_menu(switchboard, menu_number):
    call = switchboard.simulate_call(to=menu_number, from_=CALLER)

    assert call["status"] == "completed"
    gather, goodbye = call["verbs"]
    assert gather["verb"] == "Gather"
    assert gather["attributes"] == {"numDigits": "1", "action": "/menu", "method": "POST"}
    assert gather["children"] == [{"verb": "Say", "attributes": {}, "text": MENU}]
    assert goodbye["verb"] == "Say"


def test_the_app_accepts_switchboards_signature(switchboard, menu_number):
    switchboard.simulate_call(to=menu_number, from_=CALLER)

    [request] = switchboard.requests()
    assert request["url"] == f"{APP}/voice"
    assert request["params"]["From"] == CALLER
    assert request["status_code"] == 200  # a bad signature would have been a 403


def test_pressing_1_connects_to_sales(switchboard, menu_number):
    call = switchboard.simulate_call(to=menu_number, from_=CALLER, Input="1")

    assert call["status"] == "completed"
    voice, menu = switchboard.requests()
    assert menu["url"] == f"{APP}/menu"
    assert menu["params"]["Digits"] == "1"
    assert menu["status_code"] == 200
    say, dial = call["verbs"][1:]  # after the Gather: what /menu answered
    assert say["text"] == "Connecting you to sales."
    assert dial["verb"] == "Dial"
    assert dial["text"] == "+15005550001"


def test_a_request_signed_with_another_token_is_refused(switchboard, menu_number):
    switchboard.route(APP, create_app(auth_token="not-the-account-token"))  # newest route wins

    call = switchboard.simulate_call(to=menu_number, from_=CALLER)

    assert call["status"] == "failed"
    assert call["error_code"] == 11200  # the app answered 403
    assert switchboard.requests()[0]["status_code"] == 403


def test_a_text_gets_the_menu_in_reply(switchboard, menu_number):
    message = switchboard.simulate_sms(to=menu_number, from_=CALLER, body="hours?")

    [reply] = message["messages"]
    assert reply["to"] == CALLER
    assert reply["from"] == menu_number
    assert reply["body"] == f"Call us: {MENU}"


def test_a_text_the_app_sends_is_delivered(switchboard, website):
    sent = website.post("/text-me", data={"phone": CALLER}).get_json()
    assert sent["status"] == "queued"  # Twilio answers at once; delivery comes later

    switchboard.settle()  # every status callback delivered

    [text] = switchboard.handset(CALLER).messages()
    assert text["from"] == NUMBER
    assert text["body"] == f"Call us: {MENU}"
    statuses = website.application.config["DELIVERY"][sent["sid"]]
    assert statuses[-1] == "delivered"
    assert "sent" in statuses


def test_a_text_to_a_phone_that_is_off_is_undelivered(switchboard, website):
    switchboard.handset(CALLER).set(message_outcome="undelivered")

    sent = website.post("/text-me", data={"phone": CALLER}).get_json()
    switchboard.settle()

    assert website.application.config["DELIVERY"][sent["sid"]][-1] == "undelivered"
    assert switchboard.handset(CALLER).messages() == []


def test_each_test_starts_from_an_empty_switchboard(twilio_client):
    assert twilio_client.applications.list() == []
    assert twilio_client.incoming_phone_numbers.list() == []
