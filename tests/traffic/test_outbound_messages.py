"""Messages sent through the REST API with the official twilio SDK, end to end: a real
`switchboard serve`, real receivers on 127.0.0.1 (every signature checked with twilio's own
RequestValidator), both stores.

The contract: create answers 201 `queued`; then each step (sending, sent, delivered / undelivered
/ failed with its ErrorCode) is posted to the right status callback (with `ApplicationSid` the
application's `message_status_callback`, never the request's `StatusCallback`), and
`POST …/Settle` answers once every step ran. Twilio's test numbers refuse as Twilio documents;
handsets decide outcomes, opt out with STOP until START, get Twilio's HELP reply; a message to a
Switchboard number arrives through that number's application (signed with its account's token)
and its replies come back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Server
from errors import assert_error, assert_sdk_error
from inbound import new_number
from receiver import Receiver
from twilio.request_validator import RequestValidator
from twilio.rest import Client

SERVER_ARGS = ("--delivery-delay", "0.05", "--webhook-timeout", "2")
HANDSET = "+14155550142"


def settle(http: httpx.Client, server: Server, account_sid: str | None = None) -> dict[str, Any]:
    resp = http.post(
        f"/switchboard/v1/Accounts/{account_sid or server.account_sid}/Settle",
        data={"Timeout": "20"},
    )
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    assert body["pending_jobs"] == 0
    return body


def own_number(client: Client, **fields: Any) -> str:
    number = new_number()
    client.incoming_phone_numbers.create(phone_number=number, **fields)
    return number


def statuses(receiver: Receiver, path: str) -> list[str]:
    return [r.form["MessageStatus"] for r in receiver.requests(path)]


def handset(http: httpx.Client, server: Server, number: str, **values: Any) -> dict[str, Any]:
    path = f"/switchboard/v1/Accounts/{server.account_sid}/Handsets/{number}"
    resp = http.post(path, data=values)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def handset_inbox(http: httpx.Client, server: Server, number: str) -> list[dict[str, Any]]:
    resp = http.get(f"/switchboard/v1/Accounts/{server.account_sid}/Handsets/{number}/Messages")
    assert resp.status_code == 200, resp.text
    messages: list[dict[str, Any]] = resp.json()["messages"]
    return messages


# The lifecycle and its callbacks


def test_create_answers_queued_then_every_status_reaches_the_callback(
    module_server: Server, client: Client, http: httpx.Client, receiver: Receiver
) -> None:
    sender = own_number(client)
    callback = receiver.script("/status")
    message = client.messages.create(
        to="+14155550100", from_=sender, body="Hello", status_callback=callback
    )
    assert message.status == "queued"
    assert message.sid.startswith("SM") and message.num_segments == "1"
    assert message.num_media == "0" and message.direction == "outbound-api"
    assert message.date_sent is None
    settle(http, module_server)
    assert statuses(receiver, "/status") == ["sending", "sent", "delivered"]
    for got in receiver.requests("/status"):
        assert got.signature_valid
        assert got.form["MessageSid"] == got.form["SmsSid"] == message.sid
        assert got.form["AccountSid"] == module_server.account_sid
        assert (got.form["From"], got.form["To"]) == (sender, "+14155550100")
        assert got.form["SmsStatus"] == got.form["MessageStatus"]
        assert "ErrorCode" not in got.form
    fetched = client.messages(message.sid).fetch()
    assert fetched.status == "delivered" and fetched.date_sent is not None
    # Each callback is in the request log once, under the message.
    resp = http.get(
        f"/switchboard/v1/Accounts/{module_server.account_sid}/Requests",
        params={"MessageSid": message.sid},
    )
    logged = [r for r in resp.json()["requests"] if r.get("message_sid") == message.sid]
    assert sorted(r["params"]["MessageStatus"] for r in logged) == [
        "delivered",
        "sending",
        "sent",
    ]


def test_application_sid_sends_every_status_to_the_application_and_none_to_the_request(
    module_server: Server, client: Client, http: httpx.Client, receiver: Receiver
) -> None:
    app = client.applications.create(
        friendly_name="status", message_status_callback=receiver.script("/app-status")
    )
    sender = own_number(client)
    message = client.messages.create(
        to="+14155550101",
        from_=sender,
        body="via the app",
        application_sid=app.sid,
        status_callback=receiver.script("/request-status"),
    )
    settle(http, module_server)
    assert statuses(receiver, "/app-status") == ["sending", "sent", "delivered"]
    assert receiver.requests("/request-status") == []
    assert all(r.form["MessageSid"] == message.sid for r in receiver.requests("/app-status"))
    assert all(r.signature_valid for r in receiver.requests("/app-status"))


def test_legacy_sms_path_uses_the_applications_sms_status_callback(
    module_server: Server, client: Client, http: httpx.Client, receiver: Receiver
) -> None:
    app = client.applications.create(
        friendly_name="legacy",
        sms_status_callback=receiver.script("/legacy"),
        message_status_callback=receiver.script("/modern"),
    )
    sender = own_number(client)
    resp = http.post(
        f"/2010-04-01/Accounts/{module_server.account_sid}/SMS/Messages.json",
        data={"To": "+14155550102", "From": sender, "Body": "old", "ApplicationSid": app.sid},
    )
    assert resp.status_code == 201, resp.text
    settle(http, module_server)
    assert statuses(receiver, "/legacy") == ["sending", "sent", "delivered"]
    assert receiver.requests("/modern") == []


def test_handset_outcomes_carry_twilios_error_codes(
    module_server: Server, client: Client, http: httpx.Client, receiver: Receiver
) -> None:
    sender = own_number(client)
    cases = [
        ("+14155550110", {"MessageOutcome": "undelivered"}, "undelivered", 30003),
        ("+14155550111", {"MessageOutcome": "failed"}, "failed", 30008),
        (
            "+14155550112",
            {"MessageOutcome": "undelivered", "MessageErrorCode": "30005"},
            "undelivered",
            30005,
        ),
        (
            "+14155550113",
            {"MessageOutcome": "failed", "MessageErrorCode": "30006"},
            "failed",
            30006,
        ),
    ]
    sids = {}
    for number, values, _, _ in cases:
        handset(http, module_server, number, **values)
        sids[number] = client.messages.create(
            to=number, from_=sender, body="x", status_callback=receiver.script(f"/o{number}")
        ).sid
    settle(http, module_server)
    for number, _, final, code in cases:
        got = receiver.requests(f"/o{number}")
        assert got[-1].form["MessageStatus"] == final
        assert got[-1].form["ErrorCode"] == str(code)
        expected = ["failed"] if final == "failed" else ["sending", "sent", "undelivered"]
        assert [r.form["MessageStatus"] for r in got] == expected
        message = client.messages(sids[number]).fetch()
        assert (message.status, message.error_code) == (final, code)
        assert message.error_message


# Refusals: Twilio's codes, and its test numbers


@pytest.mark.parametrize(
    ("to", "from_", "code"),
    [
        ("+15005550001", None, 21211),
        ("+15005550002", None, 21612),
        ("+15005550003", None, 21408),
        ("+15005550004", None, 21610),
        ("+15005550009", None, 21614),
        ("+14155550120", "+15005550001", 21212),
        ("+14155550120", "+15005550007", 21606),
        ("+14155550120", "+15005550008", 21611),
        ("not-a-number", None, 21211),
        ("+14155550120", "+14155550999", 21606),  # a number of nobody's
    ],
)
def test_test_numbers_and_refusals(
    module_server: Server, client: Client, to: str, from_: str | None, code: int
) -> None:
    sender = from_ or "+15005550006"  # Twilio's valid test From, any account's
    assert_sdk_error(lambda: client.messages.create(to=to, from_=sender, body="x"), 400, code)


def test_test_from_number_is_accepted(module_server: Server, client: Client) -> None:
    message = client.messages.create(to="+14155550121", from_="+15005550006", body="ok")
    assert message.status == "queued"


def test_raw_http_refusals_have_twilio_error_bodies(
    module_server: Server, client: Client, http: httpx.Client
) -> None:
    sender = own_number(client)
    path = f"/2010-04-01/Accounts/{module_server.account_sid}/Messages.json"
    base = {"To": "+14155550130", "From": sender}
    cases: list[tuple[dict[str, Any], int]] = [
        ({"From": sender, "Body": "x"}, 21604),
        ({"To": "+14155550130", "Body": "x"}, 21603),
        (base, 21602),
        ({**base, "Body": "x" * 1601}, 21617),
        ({**base, "Body": "x", "StatusCallback": "not a url"}, 21609),
        ({**base, "MediaUrl": "ftp://nope"}, 21620),
        ({**base, "MediaUrl": [f"https://m.test/{i}.png" for i in range(11)]}, 21623),
        ({**base, "Body": "x", "ApplicationSid": "AP" + "0" * 32}, 21218),
        ({**base, "Body": "x", "ValidityPeriod": "0"}, 20001),
    ]
    for data, code in cases:
        assert_error(http.post(path, data=data), 400, code)
    assert_error(http.get(f"{path[:-5]}/SM{'0' * 32}.json"), 404, 20404)


# Resource operations


def test_segments_media_list_filters_redact_delete(
    module_server: Server, client: Client, http: httpx.Client
) -> None:
    sender = own_number(client)
    to = new_number().replace("+1500", "+1415")
    gsm = client.messages.create(to=to, from_=sender, body="a" * 161)
    ucs = client.messages.create(to=to, from_=sender, body="é" * 10 + "😀" * 31)
    ext = client.messages.create(to=to, from_=sender, body="[" * 80)  # 160 septets
    mms = client.messages.create(
        to=to, from_=sender, media_url=["https://m.test/a.png", "https://m.test/b.jpg"]
    )
    assert (gsm.num_segments, ucs.num_segments, ext.num_segments) == ("2", "2", "1")
    assert mms.sid.startswith("MM") and mms.num_media == "2"
    media = client.messages(mms.sid).media.list()
    assert [m.content_type for m in media] == ["image/png", "image/jpeg"]
    one = client.messages(mms.sid).media(media[0].sid).fetch()
    assert one.parent_sid == mms.sid
    settle(http, module_server)
    listed = client.messages.list(to=to)
    assert [m.sid for m in listed] == [mms.sid, ext.sid, ucs.sid, gsm.sid]  # newest first
    assert [m.sid for m in client.messages.list(to=to, page_size=2)] == [m.sid for m in listed]
    assert client.messages.list(to=to, from_="+14155550000") == []
    sent_at = client.messages(gsm.sid).fetch().date_sent
    assert sent_at is not None
    assert gsm.sid in {m.sid for m in client.messages.list(to=to, date_sent=sent_at)}
    assert gsm.sid in {m.sid for m in client.messages.list(to=to, date_sent_before=sent_at)}
    assert gsm.sid in {m.sid for m in client.messages.list(to=to, date_sent_after=sent_at)}
    day = sent_at.date()
    assert len(client.messages.list(to=to, date_sent=day)) >= 1
    redacted = client.messages(gsm.sid).update(body="")
    assert redacted.body == "" and client.messages(gsm.sid).fetch().body == ""
    client.messages(mms.sid).media(media[0].sid).delete()
    assert len(client.messages(mms.sid).media.list()) == 1
    assert client.messages(ucs.sid).delete()
    assert_sdk_error(lambda: client.messages(ucs.sid).fetch(), 404, 20404)


# Handsets: opt-out, HELP, what they received


def test_stop_opts_out_until_start_and_help_gets_twilios_reply(
    module_server: Server, client: Client, http: httpx.Client, receiver: Receiver
) -> None:
    number = own_number(client, sms_url=receiver.script("/inbound"))
    person = "+14155550150"
    send = f"/switchboard/v1/Accounts/{module_server.account_sid}/Handsets/{person}/Messages"
    for word in ("HELP", " stop "):
        resp = http.post(send, data={"To": number, "Body": word})
        assert resp.status_code == 201, resp.text
        assert resp.json()["direction"] == "inbound"
        settle(http, module_server)
    bodies = [m["body"] for m in handset_inbox(http, module_server, person)]
    assert any("Reply STOP to unsubscribe" in b for b in bodies)
    assert any("successfully been unsubscribed" in b for b in bodies)
    assert [r.form["Body"] for r in receiver.requests("/inbound")] == ["HELP", " stop "]
    assert handset(http, module_server, person)["opted_out_of"] == [number]
    assert_sdk_error(
        lambda: client.messages.create(to=person, from_=number, body="still there?"), 400, 21610
    )
    http.post(send, data={"To": number, "Body": "START"})
    settle(http, module_server)
    assert handset(http, module_server, person)["opted_out_of"] == []
    sent = client.messages.create(to=person, from_=number, body="welcome back")
    settle(http, module_server)
    inbox = handset_inbox(http, module_server, person)
    assert inbox[0]["sid"] == sent.sid and inbox[0]["status"] == "delivered"


# Twilio-to-Twilio


def test_message_to_another_accounts_number_arrives_there_and_the_reply_comes_back(
    module_server: Server, client: Client, http: httpx.Client, receiver: Receiver
) -> None:
    other = module_server.create_account("Far end")
    far_client = module_server.client(other["sid"], other["auth_token"])
    far_receiver = Receiver(other["auth_token"])
    try:
        reply = "<Response><Message>Got it</Message></Response>"
        far_number = new_number()
        far_app = far_client.applications.create(sms_url=far_receiver.script("/far", body=reply))
        far_client.incoming_phone_numbers.create(
            phone_number=far_number, sms_application_sid=far_app.sid
        )
        home = own_number(client, sms_url=receiver.script("/home"))
        sent = client.messages.create(to=far_number, from_=home, body="Hi there")
        with module_server.http(other["sid"], other["auth_token"]) as far_http:
            settle(http, module_server)
            settle(far_http, module_server, other["sid"])
            settle(http, module_server)
        [arrived] = far_receiver.requests("/far")
        assert arrived.signature_valid  # signed with the far account's token
        assert arrived.form["AccountSid"] == other["sid"]
        assert (arrived.form["From"], arrived.form["To"]) == (home, far_number)
        assert arrived.form["Body"] == "Hi there"
        [back] = receiver.requests("/home")
        assert back.signature_valid and back.form["Body"] == "Got it"
        assert (back.form["From"], back.form["To"]) == (far_number, home)
        assert client.messages(sent.sid).fetch().status == "delivered"
        inbound = [m for m in far_client.messages.list() if m.direction == "inbound"]
        assert [m.body for m in inbound] == ["Hi there"]
        validator = RequestValidator(module_server.auth_token)
        assert not validator.validate(
            arrived.url, arrived.form, arrived.header("X-Twilio-Signature")
        )
    finally:
        far_receiver.close()


def test_settle_times_out_with_408(
    module_server: Server, client: Client, http: httpx.Client
) -> None:
    sender = own_number(client)
    for _ in range(3):
        client.messages.create(to="+14155550160", from_=sender, body="slow")
    resp = http.post(
        f"/switchboard/v1/Accounts/{module_server.account_sid}/Settle", data={"Timeout": "0"}
    )
    assert_error(resp, 408, 20408)
    assert_error(
        http.post(
            f"/switchboard/v1/Accounts/{module_server.account_sid}/Settle", data={"Timeout": "x"}
        ),
        400,
        20001,
    )
    settle(http, module_server)


def test_webhooks_that_outlast_the_jobs_lease_run_once(tmp_path: Path) -> None:
    """A message's webhooks run in one outbox job, one after another, each within the webhook
    timeout; together they may take longer than the job's lease (2 x the timeout + 5 s). The
    claim is renewed while the job runs: no request is sent twice and the job finishes. (Before,
    the lease ran out halfway and the job was claimed again, by this very process, each run
    outliving its lease in turn: the first document requested over and over, the job never
    done.) On SQLite; the store's renewal is tested on both stores (test_outbox_store)."""
    steps, delay = 30, 0.3  # 9 s of webhooks against a lease of 7 s, each 0.7 s from its timeout
    with (
        Server(f"sqlite:///{tmp_path / 'lease.db'}", tmp_path, ("--webhook-timeout", "1")) as srv,
        srv.http() as http,
    ):
        rcv = Receiver(srv.auth_token)
        try:
            for k in range(steps):
                nxt = f'<Message action="/chain-{k + 1}">step {k}</Message>'
                rcv.script(f"/chain-{k}", body=f"<Response>{nxt}</Response>", delay=delay)
            rcv.script(f"/chain-{steps}")
            number = own_number(srv.client(), sms_url=rcv.url("/chain-0"))
            person = "+14155550177"
            send = f"/switchboard/v1/Accounts/{srv.account_sid}/Handsets/{person}/Messages"
            assert http.post(send, data={"To": number, "Body": "go"}).status_code == 201
            settle(http, srv)
            got = [r.route for r in rcv.requests()]
            assert got == [f"/chain-{k}" for k in range(steps + 1)]
            assert all(r.signature_valid for r in rcv.requests())
            replies = [m["body"] for m in handset_inbox(http, srv, person)]
            assert sorted(replies) == sorted(f"step {k}" for k in range(steps))
        finally:
            rcv.close()
