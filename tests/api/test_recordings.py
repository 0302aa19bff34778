"""The Recording resource: `/2010-04-01/Accounts/{AC}/Recordings[/{RE}]`, as Twilio's API.

Recordings are made by simulated calls (`<Record>`); they are fetched, listed (newest first,
paged, filtered by call) and deleted with raw HTTP and the official SDK, in JSON and XML, their
keys in the spec's order; another account's recording is 404 like an unknown one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from conftest import SPEC_SUBSET, Server, random_number
from receiver import Receiver
from twilio.base.exceptions import TwilioRestException

SPEC = SPEC_SUBSET
RE_SID = re.compile(r"^RE[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def voicemail(module_server: Server) -> Iterator[tuple[str, Receiver]]:
    """A number whose application records every caller."""
    rcv = Receiver(module_server.auth_token)
    try:
        client = module_server.client()
        app = client.applications.create(
            voice_url=rcv.script("/vm", body="<Response><Record/></Response>")
        )
        number = random_number()
        client.incoming_phone_numbers.create(phone_number=number, voice_application_sid=app.sid)
        yield number, rcv
    finally:
        rcv.close()


def record(server: Server, number: str, seconds: int) -> tuple[str, str]:
    """A call that leaves a recording of `seconds`: (call SID, recording SID)."""
    sid = server.account_sid
    with server.http() as h:
        resp = h.post(
            f"/switchboard/v1/Accounts/{sid}/InboundCalls",
            data={"To": number, "From": "+14155550100", "Input": f"record:{seconds}"},
        )
    assert resp.status_code == 201, resp.text
    trace = resp.json()
    [recording] = trace["recordings"]
    return trace["call_sid"], recording


def spec_keys() -> list[str]:
    """The keys of the spec's example answer, in its order (Twilio's wire order)."""
    spec = json.loads(Path(SPEC).read_text())
    fetch = spec["paths"]["/2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}.json"]["get"]
    examples = fetch["responses"]["200"]["content"]["application/json"]["examples"]
    return list(next(iter(examples.values()))["value"])


def test_fetch_json_has_the_spec_fields_in_order(
    module_server: Server, voicemail: tuple[str, Receiver]
) -> None:
    number, _ = voicemail
    call_sid, sid = record(module_server, number, 3)
    account = module_server.account_sid
    with module_server.http() as h:
        resp = h.get(f"/2010-04-01/Accounts/{account}/Recordings/{sid}.json")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert list(body) == spec_keys()
    assert RE_SID.match(body["sid"])
    assert body["account_sid"] == account
    assert body["call_sid"] == call_sid
    assert body["duration"] == "3"
    assert body["channels"] == 1
    assert body["status"] == "completed"
    assert body["source"] == "RecordVerb"
    assert body["conference_sid"] is None
    assert body["error_code"] is None
    assert body["encryption_details"] is None
    path = f"/2010-04-01/Accounts/{account}/Recordings/{sid}"
    assert body["uri"] == f"{path}.json"
    assert body["media_url"] == f"{module_server.url}{path}"
    assert body["subresource_uris"] == {
        "add_on_results": f"{path}/AddOnResults.json",
        "transcriptions": f"{path}/Transcriptions.json",
    }
    assert re.match(r"^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$", body["start_time"])


def test_fetch_xml(module_server: Server, voicemail: tuple[str, Receiver]) -> None:
    number, _ = voicemail
    _, sid = record(module_server, number, 2)
    with module_server.http() as h:
        resp = h.get(f"/2010-04-01/Accounts/{module_server.account_sid}/Recordings/{sid}.xml")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/xml"
    root = ET.fromstring(resp.text)
    element = root.find("Recording")
    assert element is not None
    assert element.findtext("Sid") == sid
    assert element.findtext("Duration") == "2"
    assert element.findtext("Channels") == "1"


def test_sdk_list_fetch_delete(module_server: Server, voicemail: tuple[str, Receiver]) -> None:
    number, _ = voicemail
    call_a, first = record(module_server, number, 1)
    _, second = record(module_server, number, 4)
    client = module_server.client()

    listed = [r.sid for r in client.recordings.list(limit=1000)]
    assert listed.index(second) < listed.index(first)  # newest first, as Twilio lists them
    by_call = client.recordings.list(call_sid=call_a)
    assert [r.sid for r in by_call] == [first]
    fetched = client.recordings(second).fetch()
    assert (fetched.duration, fetched.source, fetched.channels) == ("4", "RecordVerb", 1)

    assert client.recordings(first).delete() is True
    with pytest.raises(TwilioRestException) as caught:
        client.recordings(first).fetch()
    assert caught.value.status == 404
    assert caught.value.code == 20404
    assert first not in [r.sid for r in client.recordings.list(limit=1000)]


def test_paging(module_server: Server, voicemail: tuple[str, Receiver]) -> None:
    number, _ = voicemail
    for seconds in (1, 2, 3):
        record(module_server, number, seconds)
    account = module_server.account_sid
    seen: list[str] = []
    with module_server.http() as h:
        page: dict[str, Any] = h.get(
            f"/2010-04-01/Accounts/{account}/Recordings.json", params={"PageSize": 2}
        ).json()
        assert set(page) == {
            "recordings", "end", "first_page_uri", "next_page_uri", "page", "page_size",
            "previous_page_uri", "start", "uri",
        }  # fmt: skip
        while True:
            seen += [r["sid"] for r in page["recordings"]]
            if not page["next_page_uri"]:
                break
            page = h.get(page["next_page_uri"]).json()
    assert len(seen) == len(set(seen)) >= 3
    assert seen == sorted(seen, reverse=True)
    sdk = [r.sid for r in module_server.client().recordings.list(page_size=2)]
    assert sdk == seen


def test_date_filters(module_server: Server, voicemail: tuple[str, Receiver]) -> None:
    number, _ = voicemail
    _, sid = record(module_server, number, 1)
    path = f"/2010-04-01/Accounts/{module_server.account_sid}/Recordings.json"
    with module_server.http() as h:
        today = h.get(path, params={"PageSize": 1000}).json()["recordings"][0]["date_created"]
        import email.utils

        day = email.utils.parsedate_to_datetime(today).date().isoformat()
        on = [r["sid"] for r in h.get(path, params={"DateCreated": day}).json()["recordings"]]
        before = h.get(path, params={"DateCreated<": "2000-01-01"}).json()["recordings"]
        bad = h.get(path, params={"DateCreated": "yesterday"})
    assert sid in on
    assert before == []
    assert bad.status_code == 400
    assert bad.json()["code"] == 20001


def test_another_accounts_recording_is_404_like_an_unknown_one(
    module_server: Server, voicemail: tuple[str, Receiver]
) -> None:
    number, _ = voicemail
    _, sid = record(module_server, number, 1)
    other = module_server.create_account("Other recordings")
    unknown = "RE" + "0" * 32
    with module_server.http(other["sid"], other["auth_token"]) as h:
        base = f"/2010-04-01/Accounts/{other['sid']}/Recordings"
        for suffix in (".json", ".wav", ""):
            mine = h.get(f"{base}/{sid}{suffix}")
            none = h.get(f"{base}/{unknown}{suffix}")
            assert mine.status_code == 404, suffix
            assert mine.text.replace(sid, unknown) == none.text
        assert h.delete(f"{base}/{sid}.json").status_code == 404
        assert h.get(f"{base}.json").json()["recordings"] == []
    with module_server.http() as h:
        resp = h.get(f"/2010-04-01/Accounts/{module_server.account_sid}/Recordings/{sid}.json")
        assert resp.status_code == 200  # untouched
