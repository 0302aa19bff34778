"""The webhook request log: GET /switchboard/v1/Accounts/{AC}/Requests, and trace retention."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import httpx
from conftest import Server, query
from errors import assert_error
from inbound import CALLER, place_call
from receiver import Receiver
from twilio.rest import Client

from switchboard.store import Store, migrate, open_store
from switchboard.store.base import TraceWrite

REQUEST_SID = re.compile(r"^RQ[0-9a-f]{32}$")
ENVELOPE_KEYS = {
    "first_page_uri",
    "next_page_uri",
    "page",
    "page_size",
    "previous_page_uri",
    "uri",
    "requests",
}


def base(server: Server, account_sid: str | None = None) -> str:
    return f"/switchboard/v1/Accounts/{account_sid or server.account_sid}"


def voice_number(client: Client, number: str, **app_fields: Any) -> str:
    app = client.applications.create(friendly_name="log", **app_fields)
    client.incoming_phone_numbers.create(
        phone_number=number, voice_application_sid=app.sid, sms_application_sid=app.sid
    )
    sid: str = app.sid
    return sid


def list_requests(http: httpx.Client, server: Server, **query: Any) -> dict[str, Any]:
    resp = http.get(f"{base(server)}/Requests", params=query)
    assert resp.status_code == 200, resp.text
    page: dict[str, Any] = resp.json()
    return page


def test_requests_newest_first_after_a_call(server: Server, receiver: Receiver) -> None:
    client = server.client()
    voice = receiver.script("/voice", body="<Response><Say>Hi</Say></Response>")
    status = receiver.script("/status")
    voice_number(client, "+15005550101", voice_url=voice, status_callback=status)

    with server.http() as http:
        trace = place_call(http, server, "+15005550101")
        page = list_requests(http, server)

    assert set(page) >= ENVELOPE_KEYS
    items = page["requests"]
    assert [r["purpose"] for r in items] == ["status_callback", "voice_url"]
    assert [r["url"] for r in items] == [status, voice]
    for item in items:
        assert REQUEST_SID.match(item["sid"])
        assert item["call_sid"] == trace["call_sid"]
        assert "message_sid" not in item
        assert item["method"] == "POST"
        assert item["status_code"] == 200
        assert "X-Twilio-Signature" in item["headers"]
        assert item["params"]["CallSid"] == trace["call_sid"]
    assert len({r["sid"] for r in items}) == 2
    assert items[0]["sid"] > items[1]["sid"]


def test_requests_of_a_message_carry_message_sid(server: Server, receiver: Receiver) -> None:
    client = server.client()
    voice_number(client, "+15005550102", sms_url=receiver.script("/sms"))

    with server.http() as http:
        resp = http.post(
            f"{base(server)}/InboundMessages",
            data={"To": "+15005550102", "From": CALLER, "Body": "hi"},
        )
        assert resp.status_code == 201, resp.text
        trace = resp.json()
        page = list_requests(http, server)

    [item] = page["requests"]
    assert item["message_sid"] == trace["message_sid"]
    assert "call_sid" not in item
    assert item["purpose"] == "sms_url"


def test_requests_paging_with_next_page_uri(server: Server, receiver: Receiver) -> None:
    client = server.client()
    voice_number(
        client,
        "+15005550103",
        voice_url=receiver.script("/voice"),
        status_callback=receiver.script("/status"),
    )
    with server.http() as http:
        traces = [place_call(http, server, "+15005550103") for _ in range(3)]
        everything = list_requests(http, server, PageSize=50)["requests"]
        assert len(everything) == 6

        page = list_requests(http, server, PageSize=2)
        assert page["page_size"] == 2
        assert page["page"] == 0
        seen = list(page["requests"])
        pages = 1
        while page["next_page_uri"]:
            resp = http.get(page["next_page_uri"])
            assert resp.status_code == 200, resp.text
            page = resp.json()
            assert len(page["requests"]) <= 2
            seen.extend(page["requests"])
            pages += 1
            assert pages <= 10

    assert pages == 3
    assert [r["sid"] for r in seen] == [r["sid"] for r in everything]
    # Newest first: the last call's requests lead.
    assert seen[0]["call_sid"] == traces[-1]["call_sid"]
    assert seen[-1]["call_sid"] == traces[0]["call_sid"]
    assert seen[-1]["purpose"] == "voice_url"


def test_requests_empty_for_a_fresh_account(server: Server) -> None:
    with server.http() as http:
        page = list_requests(http, server)
    assert page["requests"] == []
    assert page["next_page_uri"] is None


def test_requests_need_credentials(server: Server) -> None:
    url = server.url + f"{base(server)}/Requests"
    for auth in (None, (server.account_sid, "0" * 32)):
        assert_error(httpx.get(url, auth=auth), 401, 20003)
    other = server.create_account("Other log")
    assert_error(httpx.get(url, auth=(other["sid"], other["auth_token"])), 401, 20003)


def test_retention_keeps_newest_traces_and_requests(
    database_url: str, tmp_path: Path
) -> None:
    srv = Server(database_url, tmp_path, ("--request-log-limit", "5"))
    srv.start()
    rcv = Receiver(srv.auth_token)
    try:
        client = srv.client()
        voice_number(client, "+15005550104", voice_url=rcv.script("/voice"))
        with srv.http() as http:
            traces = [place_call(http, srv, "+15005550104") for _ in range(8)]
            assert all(len(t["requests"]) >= 1 for t in traces)
            assert len(rcv.requests("/voice")) == 8

            items = list_requests(http, srv, PageSize=50)["requests"]
            assert 1 <= len(items) <= 5
            assert items[0]["call_sid"] == traces[-1]["call_sid"]

            kept = []
            for trace in traces:
                resp = http.get(f"{base(srv)}/InboundCalls/{trace['call_sid']}")
                assert resp.status_code in (200, 404), resp.text
                kept.append(resp.status_code == 200)
            assert sum(kept) <= 5
            assert kept[-1], "the newest trace must remain"
            assert not kept[0], "the oldest trace must be pruned"
            assert_error(http.get(f"{base(srv)}/InboundCalls/{traces[0]['call_sid']}"), 404, 20404)
            # Whatever remains is the newest: no gap of pruned traces among newer ones.
            assert kept == sorted(kept)
    finally:
        rcv.close()
        srv.stop()


def test_request_log_keeps_exactly_the_newest_rows(database_url: str) -> None:
    """The store keeps exactly the newest `keep` traces and webhook requests per account
    (counted in `log_sizes`, so trimming does not walk the log), also when `keep` shrinks,
    when writers of one account race, and after a reset."""
    migrate.upgrade(database_url)

    def rows(table: str, account_sid: str) -> list[str]:
        return [
            r[0]
            for r in query(
                database_url,
                f"SELECT sid FROM {table} WHERE account_sid = '{account_sid}' ORDER BY sid",
            )
        ]

    def sizes() -> dict[tuple[str, str], int]:
        return {(a, log): n for a, log, n in query(database_url, "SELECT * FROM log_sizes")}

    async def save(
        store: Store, account_sid: str, sid: str, requests: list[dict[str, Any]], keep: int,
        status: str = "completed",
    ) -> None:
        rows = [(store.sids.new("RQ"), r) for r in requests]
        body = {"request_sids": [r[0] for r in rows]}
        write = TraceWrite(account_sid, sid, "call", status, body, rows)
        await store.save_traffic([write], keep=keep)

    async def run() -> None:
        stores = [open_store(database_url) for _ in range(4)]
        for store in stores:
            await store.open()
        store = stores[0]
        try:
            account = await store.create_account("log")
            other = await store.create_account("other")
            made: list[str] = []
            for i in range(8):
                sid = store.sids.new("CA")
                made.append(sid)
                await save(store, account.sid, sid, [{"i": i, "n": 0}, {"i": i, "n": 1}], 5)
            await save(store, other.sid, store.sids.new("CA"), [{}], 5)
            assert rows("traces", account.sid) == made[-5:]
            assert len(rows("webhook_requests", account.sid)) == 5
            assert len(rows("traces", other.sid)) == 1  # another account's log is its own
            assert sizes()[(account.sid, "traces")] == 5
            assert sizes()[(account.sid, "webhook_requests")] == 5

            sid = store.sids.new("CA")
            await save(store, account.sid, sid, [], 2)
            assert rows("traces", account.sid) == [made[-1], sid]
            assert len(rows("webhook_requests", account.sid)) == 2  # none added, still trimmed

            # A trace saved again (an interactive call that went on) is one trace: its body
            # replaced, counted once; its new requests join the log.
            await save(store, account.sid, sid, [{"later": 1}], 2, status="in-progress")
            assert rows("traces", account.sid) == [made[-1], sid]
            assert sizes()[(account.sid, "traces")] == 2
            assert query(database_url, f"SELECT status FROM traces WHERE sid = '{sid}'") == [
                ("in-progress",)
            ]

            # Writers racing on one account's log (separate connections, as processes have).
            await asyncio.gather(
                *(
                    save(s, account.sid, s.sids.new("CA"), [{}, {}], 3)
                    for s in stores
                    for _ in range(5)
                )
            )
            assert len(rows("traces", account.sid)) == 3
            assert len(rows("webhook_requests", account.sid)) == 3
            assert sizes()[(account.sid, "traces")] == 3

            await store.reset()
            assert sizes() == {}
        finally:
            for s in stores:
                await s.close()

    asyncio.run(run())
