"""The per-account limit of 1000 applications, under concurrent creates."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from conftest import Server

LIMIT = 1000
EXTRA = 50
WORKERS = 24
LIMIT_ERROR = {
    "code": 21301,
    "message": "Cannot create application: application limit exceeded",
    "more_info": "https://www.twilio.com/docs/errors/21301",
    "status": 400,
}


def fire_creates(server: Server, sid: str, token: str, n: int) -> list[tuple[int, Any]]:
    """`n` concurrent creates for one account: (status, JSON body) of each."""
    local = threading.local()
    clients: list[httpx.Client] = []
    lock = threading.Lock()

    def one(i: int) -> tuple[int, Any]:
        http: httpx.Client | None = getattr(local, "http", None)
        if http is None:
            http = server.http(sid, token)
            local.http = http
            with lock:
                clients.append(http)
        resp = http.post(server.apps_path(sid), data={"FriendlyName": f"app-{i}"})
        return resp.status_code, resp.json()

    try:
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            return list(pool.map(one, range(n)))
    finally:
        for http in clients:
            http.close()


def list_sids(http: httpx.Client, path: str) -> list[str]:
    resp = http.get(path, params={"PageSize": 1000})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["next_page_uri"] is None
    return [a["sid"] for a in body["applications"]]


@pytest.mark.slow
def test_application_limit_under_concurrency(server: Server) -> None:
    account = server.create_account("Limited")
    sid, token = account["sid"], account["auth_token"]
    other = server.create_account("Unaffected")

    results = fire_creates(server, sid, token, LIMIT + EXTRA)

    statuses = Counter(status for status, _ in results)
    assert statuses == {201: LIMIT, 400: EXTRA}
    for status, body in results:
        if status == 400:
            assert body == LIMIT_ERROR
        else:
            assert body["account_sid"] == sid
    created = {body["sid"] for status, body in results if status == 201}
    assert len(created) == LIMIT

    with server.http(sid, token) as http:
        path = server.apps_path(sid)
        sids = list_sids(http, path)
        assert len(sids) == LIMIT
        assert set(sids) == created

        # Still full: one more create fails.
        resp = http.post(path, data={"FriendlyName": "over"})
        assert resp.status_code == 400
        assert resp.json() == LIMIT_ERROR

        # Free one slot: exactly one more create fits.
        victim = sids[500]
        assert http.delete(server.apps_path(sid, f"/{victim}.json")).status_code == 204
        resp = http.post(path, data={"FriendlyName": "refill"})
        assert resp.status_code == 201, resp.text
        resp = http.post(path, data={"FriendlyName": "over-again"})
        assert resp.status_code == 400
        assert resp.json() == LIMIT_ERROR
        assert len(list_sids(http, path)) == LIMIT

    # Other accounts are unaffected by this one's limit.
    for other_sid, other_token in (
        (other["sid"], other["auth_token"]),
        (server.account_sid, server.auth_token),
    ):
        with server.http(other_sid, other_token) as http:
            resp = http.post(server.apps_path(other_sid), data={"FriendlyName": "free"})
            assert resp.status_code == 201, resp.text
            assert resp.json()["account_sid"] == other_sid
            assert len(list_sids(http, server.apps_path(other_sid))) == 1
