"""Simulated inbound SMS: POST /switchboard/v1/Accounts/{AC}/InboundMessages, end to end.

A real `switchboard serve` process requests a real HTTP receiver on 127.0.0.1; the receiver checks
every `X-Twilio-Signature` with twilio's own RequestValidator.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from conftest import Server, free_port, run_cli
from errors import assert_error
from inbound import SENDER, messages_path, new_number, send_sms
from receiver import Receiver
from twilio.rest import Client

MESSAGE_SID = re.compile(r"^SM[0-9a-f]{32}$")
THANKS = "<Response><Message>Thanks</Message></Response>"
SERVER_ARGS = ("--webhook-timeout", "1")  # timeout cases stay quick


# Helpers


def number_with_app(client: Client, **app_fields: Any) -> tuple[str, str]:
    app = client.applications.create(friendly_name="sms", **app_fields)
    number = new_number()
    client.incoming_phone_numbers.create(phone_number=number, sms_application_sid=app.sid)
    return number, app.sid


# The SMS webhook


def test_sms_url_gets_signed_twilio_params(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, app_sid = number_with_app(client, sms_url=receiver.script("/sms"))

    trace = send_sms(http, module_server, number, body="Hello there")

    assert MESSAGE_SID.match(trace["message_sid"])
    assert trace["status"] == "completed"
    assert trace["application_sid"] == app_sid
    assert trace["from"] == SENDER
    assert trace["to"] == number
    assert trace["messages"] == []
    [got] = receiver.requests("/sms")
    assert got.method == "POST"
    assert got.signature_valid
    assert got.header("User-Agent") == "TwilioProxy/1.1"
    p = got.form
    sid = trace["message_sid"]
    assert p["MessageSid"] == sid
    assert p["SmsSid"] == sid
    assert p["SmsMessageSid"] == sid
    assert p["AccountSid"] == module_server.account_sid
    assert p["From"] == SENDER
    assert p["To"] == number
    assert p["Body"] == "Hello there"
    assert p["NumMedia"] == "0"
    assert p["NumSegments"] == "1"
    assert p["SmsStatus"] == "received"
    assert p["ApiVersion"] == "2010-04-01"
    assert "MediaUrl0" not in p
    [req] = trace["requests"]
    assert req["purpose"] == "sms_url"
    assert req["headers"]["X-Twilio-Signature"] == got.header("X-Twilio-Signature")


def test_empty_body_is_signed_with_blank_value(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, _ = number_with_app(client, sms_url=receiver.script("/sms"))
    send_sms(http, module_server, number, body="")
    [got] = receiver.requests("/sms")
    assert got.form["Body"] == ""
    assert got.signature_valid


def test_media_url_and_content_type(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, _ = number_with_app(client, sms_url=receiver.script("/sms"))
    media = "https://example.com/pictures/cat.jpg"

    send_sms(http, module_server, number, body="look", MediaUrl0=media)

    [got] = receiver.requests("/sms")
    assert got.signature_valid
    assert got.form["NumMedia"] == "1"
    assert got.form["MediaUrl0"] == media
    assert got.form["MediaContentType0"] == "image/jpeg"


def test_number_own_sms_url_without_application(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number = new_number()
    client.incoming_phone_numbers.create(phone_number=number, sms_url=receiver.script("/own"))

    trace = send_sms(http, module_server, number)

    assert trace["status"] == "completed"
    assert trace["application_sid"] is None
    [got] = receiver.requests("/own")
    assert got.signature_valid
    assert got.form["MessageSid"] == trace["message_sid"]


# Replies and their status callbacks


def test_reply_message_and_message_status_callback(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, _ = number_with_app(
        client,
        sms_url=receiver.script("/sms", body=THANKS),
        message_status_callback=receiver.script("/msg-status"),
    )

    trace = send_sms(http, module_server, number)

    assert trace["status"] == "completed"
    assert trace["twiml"] == THANKS
    assert [v["verb"] for v in trace["verbs"]] == ["Message"]
    [reply] = trace["messages"]
    assert reply["body"] == "Thanks"
    assert reply["to"] == SENDER
    assert reply["from"] == number
    assert MESSAGE_SID.match(reply["sid"])
    assert reply["sid"] != trace["message_sid"]

    callbacks = receiver.wait_for("/msg-status", 2)
    assert [c.form["MessageStatus"] for c in callbacks] == ["sent", "delivered"]
    for c in callbacks:
        assert c.method == "POST"
        assert c.signature_valid
        assert c.form["MessageSid"] == reply["sid"]
        assert c.form["AccountSid"] == module_server.account_sid
    purposes = [r["purpose"] for r in trace["requests"]]
    assert purposes[0] == "sms_url"
    assert len(purposes) == 3


@pytest.mark.parametrize(
    ("attribute", "served_at", "expected"),
    [
        ("/status", "/sms", "/status"),
        ("status", "/hooks/sms", "/hooks/status"),
        ("../status?x=1", "/hooks/deep/sms", "/hooks/status"),
    ],
)
def test_relative_message_status_callback_resolves_against_the_document(
    attribute: str,
    served_at: str,
    expected: str,
    module_server: Server,
    receiver: Receiver,
    client: Client,
    http: httpx.Client,
) -> None:
    """A relative `<Message statusCallback>` is a URL relative to the document's, as Twilio
    resolves `<Redirect>` (it was requested as a bare path and failed 11205)."""
    twiml = f'<Response><Message statusCallback="{attribute}">Thanks</Message></Response>'
    number, _ = number_with_app(client, sms_url=receiver.script(served_at, body=twiml))
    receiver.script(expected)

    trace = send_sms(http, module_server, number)

    [reply] = trace["messages"]
    callbacks = receiver.wait_for(expected, 2)
    assert [c.form["MessageStatus"] for c in callbacks] == ["sent", "delivered"]
    assert all(c.signature_valid and c.form["MessageSid"] == reply["sid"] for c in callbacks)
    status_requests = trace["requests"][1:]
    assert [r["purpose"] for r in status_requests] == ["message_status_callback"] * 2
    for request in status_requests:
        assert request["error_code"] is None, request
        assert request["url"].startswith(receiver.url(expected)), request


def test_relative_status_callback_after_redirect_resolves_against_the_redirected_document(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, _ = number_with_app(
        client,
        sms_url=receiver.script("/sms", body="<Response><Redirect>/b/reply</Redirect></Response>"),
    )
    receiver.script(
        "/b/reply",
        body='<Response><Message statusCallback="done">Thanks</Message></Response>',
    )
    receiver.script("/b/done")

    trace = send_sms(http, module_server, number)

    assert len(receiver.wait_for("/b/done", 2)) == 2
    assert [r["error_code"] for r in trace["requests"]] == [None] * 4
    assert receiver.requests("/done") == []


def test_sms_status_callback_used_when_message_status_callback_unset(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, _ = number_with_app(
        client,
        sms_url=receiver.script("/sms", body=THANKS),
        sms_status_callback=receiver.script("/sms-status"),
    )

    trace = send_sms(http, module_server, number)

    [reply] = trace["messages"]
    callbacks = receiver.wait_for("/sms-status", 2)
    assert [c.form["MessageStatus"] for c in callbacks] == ["sent", "delivered"]
    assert all(c.signature_valid for c in callbacks)
    assert all(c.form["MessageSid"] == reply["sid"] for c in callbacks)


def test_no_reply_no_status_callback(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, _ = number_with_app(
        client,
        sms_url=receiver.script("/sms"),
        message_status_callback=receiver.script("/msg-status"),
    )
    trace = send_sms(http, module_server, number)
    assert trace["messages"] == []
    assert receiver.requests("/msg-status") == []


# Fallback


def test_sms_fallback_on_500(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    primary = receiver.script("/sms", status=500, body="boom", content_type="text/plain")
    fallback = receiver.script("/sms-fallback", body=THANKS)
    number, _ = number_with_app(client, sms_url=primary, sms_fallback_url=fallback)

    trace = send_sms(http, module_server, number)

    assert trace["status"] == "completed"
    assert [r["purpose"] for r in trace["requests"]] == ["sms_url", "sms_fallback_url"]
    assert trace["requests"][0]["error_code"] == 11200
    [got] = receiver.requests("/sms-fallback")
    assert got.signature_valid
    assert got.form["ErrorCode"] == "11200"
    assert got.form["ErrorUrl"] == primary
    assert got.form["MessageSid"] == trace["message_sid"]
    [reply] = trace["messages"]
    assert reply["body"] == "Thanks"


def test_sms_failure_without_fallback(
    module_server: Server, client: Client, http: httpx.Client
) -> None:
    number, _ = number_with_app(client, sms_url=f"http://127.0.0.1:{free_port()}/sms")
    trace = send_sms(http, module_server, number)
    assert trace["status"] == "failed"
    assert trace["error_code"] == 11205


# Reading a trace back


def test_fetch_message_trace(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, _ = number_with_app(client, sms_url=receiver.script("/sms", body=THANKS))
    trace = send_sms(http, module_server, number)

    resp = http.get(f"{messages_path(module_server)}/{trace['message_sid']}")

    assert resp.status_code == 200
    stored = resp.json()
    assert stored["message_sid"] == trace["message_sid"]
    assert stored["messages"] == trace["messages"]
    assert stored["twiml"] == THANKS


def test_fetch_unknown_message_trace_is_404(module_server: Server, http: httpx.Client) -> None:
    resp = http.get(f"{messages_path(module_server)}/SM{'0' * 32}")
    assert_error(resp, 404, 20404)


# Errors


def test_to_not_a_number_of_the_account(module_server: Server, http: httpx.Client) -> None:
    resp = http.post(
        messages_path(module_server), data={"To": "+15005559875", "From": SENDER, "Body": "x"}
    )
    assert_error(resp, 404, 20404)


def test_missing_to(module_server: Server, http: httpx.Client) -> None:
    resp = http.post(messages_path(module_server), data={"From": SENDER, "Body": "x"})
    assert_error(resp, 400, 21604)


def test_missing_from(module_server: Server, client: Client, http: httpx.Client) -> None:
    number, _ = number_with_app(client, sms_url="http://127.0.0.1:9/sms")
    resp = http.post(messages_path(module_server), data={"To": number, "Body": "x"})
    assert_error(resp, 400, 21603)


def test_bad_credentials(module_server: Server, client: Client) -> None:
    number, _ = number_with_app(client, sms_url="http://127.0.0.1:9/sms")
    form = {"To": number, "From": SENDER, "Body": "x"}
    url = module_server.url + messages_path(module_server)
    assert_error(httpx.post(url, data=form, auth=(module_server.account_sid, "0" * 32)), 401, 20003)
    assert_error(httpx.post(url, data=form), 401, 20003)
    other = module_server.create_account("Other sms")
    assert_error(httpx.post(url, data=form, auth=(other["sid"], other["auth_token"])), 401, 20003)


# CLI


def test_cli_simulate_sms(module_server: Server, receiver: Receiver, client: Client) -> None:
    number, _ = number_with_app(client, sms_url=receiver.script("/sms", body=THANKS))

    out = run_cli(
        "simulate", "sms", "--to", number, "--from", SENDER, "--body", "hi",
        database_url=module_server.database_url, check=False,
    )

    assert out.returncode == 0, out.stderr
    assert "sms_url" in out.stdout
    assert "Thanks" in out.stdout
    [got] = receiver.requests("/sms")
    assert got.signature_valid
    assert got.form["Body"] == "hi"


def test_cli_simulate_sms_json(
    module_server: Server, receiver: Receiver, client: Client, http: httpx.Client
) -> None:
    number, app_sid = number_with_app(client, sms_url=receiver.script("/sms", body=THANKS))

    out = run_cli(
        "simulate", "sms", "--to", number, "--from", SENDER, "--body", "hi", "--json",
        database_url=module_server.database_url, check=False,
    )

    assert out.returncode == 0, out.stderr
    trace = json.loads(out.stdout)
    assert MESSAGE_SID.match(trace["message_sid"])
    assert trace["status"] == "completed"
    assert trace["application_sid"] == app_sid
    assert [m["body"] for m in trace["messages"]] == ["Thanks"]
    resp = http.get(f"{messages_path(module_server)}/{trace['message_sid']}")
    assert resp.status_code == 200


def test_cli_simulate_sms_failed_exits_nonzero(module_server: Server, client: Client) -> None:
    number, _ = number_with_app(client, sms_url=f"http://127.0.0.1:{free_port()}/sms")

    out = run_cli(
        "simulate", "sms", "--to", number, "--from", SENDER, "--body", "hi",
        database_url=module_server.database_url, check=False,
    )

    assert out.returncode != 0
