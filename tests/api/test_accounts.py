"""Accounts and subaccounts: create, list, fetch, update, status, and who may act on whom.

Raw HTTP and the official SDK against one live server per module. Every test builds the accounts it
needs (fresh top-level accounts through the CLI, subaccounts through the API), so tests do not
see each other's data.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from conftest import Creds, Server, random_number
from errors import assert_error, assert_sdk_error

ROOT = "/2010-04-01/Accounts"
ACCOUNTS = f"{ROOT}.json"
AC_RE = re.compile(r"^AC[0-9a-f]{32}$")
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
DEFAULT_NAME_RE = re.compile(
    r"^SubAccount Created at \d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]) "
    r"(0[1-9]|1[0-2]):[0-5]\d (am|pm)$"
)
DATE_RE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000$"
)


@dataclass(frozen=True)
class Family:
    parent: Creds
    c1: Creds
    c2: Creds
    other: Creds  # an unrelated top-level account
    other_child: Creds  # a subaccount of `other`


# Helpers


def create_sub(server: Server, parent: Creds, name: str | None = None) -> dict[str, Any]:
    with server.http_as(parent) as h:
        resp = h.post(ACCOUNTS, data={} if name is None else {"FriendlyName": name})
    assert resp.status_code == 201, resp.text
    body: dict[str, Any] = resp.json()
    return body


def family(server: Server) -> Family:
    parent = server.top_level("Parent")
    other = server.top_level("Unrelated")
    return Family(
        parent=parent,
        c1=server.subaccount(parent, "Child one"),
        c2=server.subaccount(parent, "Child two"),
        other=other,
        other_child=server.subaccount(other, "Other child"),
    )


def account_path(sid: str, suffix: str = ".json") -> str:
    return f"{ROOT}/{sid}{suffix}"


def apps_path(sid: str, suffix: str = ".json") -> str:
    return f"{ROOT}/{sid}/Applications{suffix}"


def numbers_path(sid: str, suffix: str = ".json") -> str:
    return f"{ROOT}/{sid}/IncomingPhoneNumbers{suffix}"


def listed_sids(h: httpx.Client, **params: str) -> set[str]:
    resp = h.get(ACCOUNTS, params={"PageSize": "1000", **params})
    assert resp.status_code == 200, resp.text
    return {a["sid"] for a in resp.json()["accounts"]}


def set_status(server: Server, parent: Creds, child: str, status: str) -> httpx.Response:
    with server.http_as(parent) as h:
        return h.post(account_path(child), data={"Status": status})


# Create


def test_create_subaccount_http(module_server: Server) -> None:
    parent = module_server.top_level()
    with module_server.http_as(parent) as h:
        resp = h.post(ACCOUNTS)
    assert resp.status_code == 201, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    sid = body["sid"]
    assert AC_RE.match(sid)
    assert sid != parent.sid
    assert body["owner_account_sid"] == parent.sid
    assert body["status"] == "active"
    assert body["type"] == "Full"
    assert TOKEN_RE.match(body["auth_token"])
    assert DEFAULT_NAME_RE.match(body["friendly_name"]), body["friendly_name"]
    assert DATE_RE.match(body["date_created"])
    assert DATE_RE.match(body["date_updated"])
    assert body["uri"] == f"/2010-04-01/Accounts/{sid}.json"
    uris = body["subresource_uris"]
    assert {"applications", "incoming_phone_numbers", "keys"} <= set(uris)
    assert uris["applications"] == f"/2010-04-01/Accounts/{sid}/Applications.json"
    assert uris["incoming_phone_numbers"] == (
        f"/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json"
    )
    assert uris["keys"] == f"/2010-04-01/Accounts/{sid}/Keys.json"
    for uri in uris.values():
        assert uri.endswith(".json"), uri
        assert f"/{sid}/" in uri, uri


def test_create_subaccount_with_name_and_its_credentials_work(module_server: Server) -> None:
    parent = module_server.top_level()
    body = create_sub(module_server, parent, "Named child")
    assert body["friendly_name"] == "Named child"
    child = Creds(body["sid"], body["auth_token"])
    with module_server.http_as(child) as h:
        resp = h.get(apps_path(child.sid))
        assert resp.status_code == 200, resp.text
        assert resp.json()["applications"] == []
        fetched = h.get(account_path(child.sid))
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["sid"] == child.sid
    assert fetched.json()["owner_account_sid"] == parent.sid


def test_create_subaccount_sdk(module_server: Server) -> None:
    parent = module_server.top_level()
    client = module_server.client(parent.sid, parent.token)
    account = client.api.v2010.accounts.create(friendly_name="SDK child")
    assert account.sid is not None and AC_RE.match(account.sid)
    assert account.owner_account_sid == parent.sid
    assert account.friendly_name == "SDK child"
    assert account.status == "active"
    assert account.type == "Full"
    assert account.auth_token is not None and TOKEN_RE.match(account.auth_token)
    assert account.uri == f"/2010-04-01/Accounts/{account.sid}.json"
    assert account.subresource_uris is not None
    assert account.subresource_uris["applications"] == (
        f"/2010-04-01/Accounts/{account.sid}/Applications.json"
    )
    unnamed = client.api.v2010.accounts.create()
    assert unnamed.friendly_name is not None and DEFAULT_NAME_RE.match(unnamed.friendly_name)
    child_client = module_server.client(account.sid, account.auth_token)
    assert child_client.applications.list() == []


def test_friendly_name_length(module_server: Server) -> None:
    parent = module_server.top_level()
    with module_server.http_as(parent) as h:
        ok = h.post(ACCOUNTS, data={"FriendlyName": "x" * 64})
        assert ok.status_code == 201, ok.text
        assert ok.json()["friendly_name"] == "x" * 64
        assert_error(h.post(ACCOUNTS, data={"FriendlyName": "x" * 65}), 400, 20002)
        assert_error(
            h.post(account_path(ok.json()["sid"]), data={"FriendlyName": "y" * 65}), 400, 20002
        )
        assert listed_sids(h) == {parent.sid, ok.json()["sid"]}
    client = module_server.client(parent.sid, parent.token)
    assert_sdk_error(lambda: client.api.v2010.accounts.create(friendly_name="z" * 65), 400, 20002)


def test_subaccount_cannot_create_subaccount(module_server: Server) -> None:
    parent = module_server.top_level()
    child = module_server.subaccount(parent)
    with module_server.http_as(child) as h:
        assert_error(h.post(ACCOUNTS, data={"FriendlyName": "grandchild"}), 403, 20403)
        assert listed_sids(h) == {child.sid}
    assert_sdk_error(
        lambda: module_server.client(child.sid, child.token).api.v2010.accounts.create(
            friendly_name="grandchild"
        ),
        403,
        20403,
    )
    with module_server.http_as(parent) as h:
        assert listed_sids(h) == {parent.sid, child.sid}


# List


def test_list_shows_own_family_only(module_server: Server) -> None:
    fam = family(module_server)
    with module_server.http_as(fam.parent) as h:
        resp = h.get(ACCOUNTS)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert {a["sid"] for a in body["accounts"]} == {fam.parent.sid, fam.c1.sid, fam.c2.sid}
        assert body["page"] == 0
        assert body["page_size"] == 50
        assert body["uri"].startswith("/2010-04-01/Accounts.json")
    with module_server.http_as(fam.c1) as h:
        assert listed_sids(h) == {fam.c1.sid}
    with module_server.http_as(fam.c2) as h:
        assert listed_sids(h) == {fam.c2.sid}
    with module_server.http_as(fam.other) as h:
        assert listed_sids(h) == {fam.other.sid, fam.other_child.sid}
    with module_server.http_as(fam.other_child) as h:
        assert listed_sids(h) == {fam.other_child.sid}


def test_list_family_sdk(module_server: Server) -> None:
    fam = family(module_server)
    parent_client = module_server.client(fam.parent.sid, fam.parent.token)
    assert {a.sid for a in parent_client.api.v2010.accounts.list()} == {
        fam.parent.sid,
        fam.c1.sid,
        fam.c2.sid,
    }
    paged = parent_client.api.v2010.accounts.list(page_size=1)
    assert sorted(a.sid for a in paged) == sorted([fam.parent.sid, fam.c1.sid, fam.c2.sid])
    assert len(parent_client.api.v2010.accounts.list(limit=2, page_size=1)) == 2
    child_client = module_server.client(fam.c1.sid, fam.c1.token)
    assert [a.sid for a in child_client.api.v2010.accounts.list()] == [fam.c1.sid]
    other_client = module_server.client(fam.other.sid, fam.other.token)
    assert {a.sid for a in other_client.api.v2010.accounts.list(page_size=1)} == {
        fam.other.sid,
        fam.other_child.sid,
    }


def test_list_paging_http(module_server: Server) -> None:
    parent = module_server.top_level()
    children = {module_server.subaccount(parent).sid for _ in range(2)}
    seen: list[str] = []
    with module_server.http_as(parent) as h:
        resp = h.get(ACCOUNTS, params={"PageSize": "1"})
        while True:
            assert resp.status_code == 200, resp.text
            body = resp.json()
            assert body["page_size"] == 1
            assert len(body["accounts"]) <= 1
            seen.extend(a["sid"] for a in body["accounts"])
            if body["next_page_uri"] is None:
                break
            assert body["next_page_uri"].startswith("/2010-04-01/Accounts.json?")
            resp = h.get(body["next_page_uri"])
    assert sorted(seen) == sorted({parent.sid, *children})


def test_list_filters(module_server: Server) -> None:
    parent = module_server.top_level("Filter parent")
    alpha = module_server.subaccount(parent, "Alpha")
    alpha2 = module_server.subaccount(parent, "Alpha 2")
    beta = module_server.subaccount(parent, "Beta")
    assert set_status(module_server, parent, beta.sid, "suspended").status_code == 200
    with module_server.http_as(parent) as h:
        assert listed_sids(h, FriendlyName="Alpha") == {alpha.sid}
        assert listed_sids(h, FriendlyName="Alpha 2") == {alpha2.sid}
        assert listed_sids(h, FriendlyName="Alph") == set()
        assert listed_sids(h, FriendlyName="Filter parent") == {parent.sid}
        assert listed_sids(h, Status="suspended") == {beta.sid}
        assert listed_sids(h, Status="active") == {parent.sid, alpha.sid, alpha2.sid}
        assert listed_sids(h, Status="closed") == set()
        assert listed_sids(h, FriendlyName="Beta", Status="suspended") == {beta.sid}
        assert listed_sids(h, FriendlyName="Beta", Status="active") == set()
        for bad in ("bogus", "deleted"):
            assert_error(h.get(ACCOUNTS, params={"Status": bad}), 400, 20001)
    client = module_server.client(parent.sid, parent.token)
    assert [a.sid for a in client.api.v2010.accounts.list(friendly_name="Alpha")] == [alpha.sid]
    assert [a.sid for a in client.api.v2010.accounts.list(status="suspended")] == [beta.sid]
    assert_sdk_error(lambda: client.api.v2010.accounts.list(status="bogus"), 400, 20001)


# Fetch and update


def test_fetch_and_rename_by_parent_and_by_itself(module_server: Server) -> None:
    parent = module_server.top_level()
    child = module_server.subaccount(parent, "Before")
    with module_server.http_as(parent) as h:
        fetched = h.get(account_path(child.sid))
        assert fetched.status_code == 200, fetched.text
        assert fetched.json()["friendly_name"] == "Before"
        assert fetched.json()["owner_account_sid"] == parent.sid
        renamed = h.post(account_path(child.sid), data={"FriendlyName": "By parent"})
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["friendly_name"] == "By parent"
        assert renamed.json()["status"] == "active"
        own = h.post(account_path(parent.sid), data={"FriendlyName": "Parent renamed"})
        assert own.status_code == 200, own.text
        assert own.json()["friendly_name"] == "Parent renamed"
        assert own.json()["owner_account_sid"] == parent.sid
    with module_server.http_as(child) as h:
        assert h.get(account_path(child.sid)).json()["friendly_name"] == "By parent"
        itself = h.post(account_path(child.sid), data={"FriendlyName": "By itself"})
        assert itself.status_code == 200, itself.text
        assert itself.json()["friendly_name"] == "By itself"
    with module_server.http_as(parent) as h:
        assert h.get(account_path(child.sid)).json()["friendly_name"] == "By itself"


def test_fetch_and_update_sdk(module_server: Server) -> None:
    parent = module_server.top_level()
    child = module_server.subaccount(parent, "SDK before")
    client = module_server.client(parent.sid, parent.token)
    fetched = client.api.v2010.accounts(child.sid).fetch()
    assert fetched.friendly_name == "SDK before"
    assert fetched.owner_account_sid == parent.sid
    updated = client.api.v2010.accounts(child.sid).update(friendly_name="SDK after")
    assert updated.friendly_name == "SDK after"
    suspended = client.api.v2010.accounts(child.sid).update(status="suspended")
    assert suspended.status == "suspended"
    active = client.api.v2010.accounts(child.sid).update(status="active")
    assert active.status == "active"
    child_client = module_server.client(child.sid, child.token)
    assert child_client.api.v2010.accounts(child.sid).fetch().friendly_name == "SDK after"
    assert child_client.api.account.fetch().sid == child.sid
    renamed = child_client.api.v2010.accounts(child.sid).update(friendly_name="Self")
    assert renamed.friendly_name == "Self"
    assert_sdk_error(
        lambda: child_client.api.v2010.accounts(child.sid).update(status="suspended"), 403, 20403
    )
    closed = client.api.v2010.accounts(child.sid).update(status="closed")
    assert closed.status == "closed"
    assert_sdk_error(
        lambda: client.api.v2010.accounts(child.sid).update(status="active"), 400, 21479
    )


def test_status_transitions_by_parent(module_server: Server) -> None:
    parent = module_server.top_level()
    child = module_server.subaccount(parent)
    with module_server.http_as(parent) as h:
        path = account_path(child.sid)
        for status in ("suspended", "active", "suspended"):
            resp = h.post(path, data={"Status": status})
            assert resp.status_code == 200, resp.text
            assert resp.json()["status"] == status
            assert h.get(path).json()["status"] == status
        numeric = h.post(path, data={"Status": "1"})
        assert numeric.status_code == 200, numeric.text
        assert numeric.json()["status"] == "active"
        assert_error(h.post(path, data={"Status": "bogus"}), 400, 20001)
        assert h.get(path).json()["status"] == "active"
        closed = h.post(path, data={"Status": "closed"})
        assert closed.status_code == 200, closed.text
        assert closed.json()["status"] == "closed"
        body = assert_error(h.post(path, data={"Status": "active"}), 400, 21479)
        assert "closed" in body["message"]
        assert_error(h.post(path, data={"Status": "suspended"}), 400, 21479)
        assert_error(h.post(path, data={"Status": "1"}), 400, 21479)
        assert h.get(path).json()["status"] == "closed"
        assert listed_sids(h, Status="closed") == {child.sid}


def test_subaccount_cannot_change_its_own_status(module_server: Server) -> None:
    parent = module_server.top_level()
    child = module_server.subaccount(parent)
    with module_server.http_as(child) as h:
        for status in ("suspended", "closed"):
            assert_error(h.post(account_path(child.sid), data={"Status": status}), 403, 20403)
        assert h.get(account_path(child.sid)).json()["status"] == "active"


def test_accounts_have_no_delete(module_server: Server) -> None:
    parent = module_server.top_level()
    child = module_server.subaccount(parent)
    with module_server.http_as(parent) as h:
        refused = h.delete(account_path(child.sid))
        assert_error(refused, 405, 20004)
        assert refused.headers["allow"] == "GET, POST"
        assert_error(h.delete(ACCOUNTS), 405, 20004)
        fetched = h.get(account_path(child.sid))
        assert fetched.status_code == 200
        assert fetched.json()["status"] == "active"
    with module_server.http_as(child) as h:
        assert_error(h.delete(account_path(child.sid)), 405, 20004)


# Inactive accounts


@pytest.mark.parametrize("status", ["suspended", "closed"])
def test_inactive_subaccount_credentials_are_refused(module_server: Server, status: str) -> None:
    parent = module_server.top_level()
    child = module_server.subaccount(parent)
    assert set_status(module_server, parent, child.sid, status).status_code == 200
    with module_server.http_as(child) as h:
        for method, path in (
            ("GET", apps_path(child.sid)),
            ("POST", apps_path(child.sid)),
            ("GET", numbers_path(child.sid)),
            ("GET", account_path(child.sid)),
            ("GET", ACCOUNTS),
        ):
            body = assert_error(h.request(method, path), 401, 20005)
            assert body["message"] == "Account not active"
    child_client = module_server.client(child.sid, child.token)
    assert_sdk_error(lambda: child_client.applications.list(), 401, 20005)
    # The parent still sees the account.
    with module_server.http_as(parent) as h:
        assert h.get(account_path(child.sid)).json()["status"] == status


def test_reactivated_subaccount_credentials_work_again(module_server: Server) -> None:
    parent = module_server.top_level()
    child = module_server.subaccount(parent)
    assert set_status(module_server, parent, child.sid, "suspended").status_code == 200
    with module_server.http_as(child) as h:
        assert_error(h.get(apps_path(child.sid)), 401, 20005)
    assert set_status(module_server, parent, child.sid, "active").status_code == 200
    with module_server.http_as(child) as h:
        resp = h.get(apps_path(child.sid))
        assert resp.status_code == 200, resp.text
        created = h.post(apps_path(child.sid), data={"FriendlyName": "after reactivation"})
        assert created.status_code == 201, created.text
    assert module_server.client(child.sid, child.token).applications.list()[0].friendly_name == (
        "after reactivation"
    )


# Access matrix


def test_parent_acts_on_child_resources(module_server: Server) -> None:
    fam = family(module_server)
    c1 = fam.c1.sid
    with module_server.http_as(fam.parent) as h:
        created = h.post(apps_path(c1), data={"FriendlyName": "made by parent"})
        assert created.status_code == 201, created.text
        app = created.json()
        assert app["account_sid"] == c1
        assert app["uri"] == f"/2010-04-01/Accounts/{c1}/Applications/{app['sid']}.json"
        listed = h.get(apps_path(c1))
        assert listed.status_code == 200
        assert [a["sid"] for a in listed.json()["applications"]] == [app["sid"]]
        fetched = h.get(f"{ROOT}/{c1}/Applications/{app['sid']}.json")
        assert fetched.status_code == 200, fetched.text
        assert fetched.json()["friendly_name"] == "made by parent"
        number = random_number()
        made = h.post(numbers_path(c1), data={"PhoneNumber": number})
        assert made.status_code == 201, made.text
        assert made.json()["account_sid"] == c1
        numbers = h.get(numbers_path(c1))
        assert numbers.status_code == 200
        assert [n["phone_number"] for n in numbers.json()["incoming_phone_numbers"]] == [number]
        got = h.get(f"{ROOT}/{c1}/IncomingPhoneNumbers/{made.json()['sid']}.json")
        assert got.status_code == 200, got.text
        # The parent's own lists do not include the child's resources.
        assert h.get(apps_path(fam.parent.sid)).json()["applications"] == []
        assert h.get(numbers_path(fam.parent.sid)).json()["incoming_phone_numbers"] == []
    # The child sees what the parent made for it.
    with module_server.http_as(fam.c1) as h:
        assert [a["sid"] for a in h.get(apps_path(c1)).json()["applications"]] == [app["sid"]]


def test_parent_acts_on_child_resources_sdk(module_server: Server) -> None:
    fam = family(module_server)
    client = module_server.client(fam.parent.sid, fam.parent.token)
    child_api = client.api.v2010.accounts(fam.c1.sid)
    app = child_api.applications.create(friendly_name="sdk by parent")
    assert app.account_sid == fam.c1.sid
    assert [a.sid for a in child_api.applications.list()] == [app.sid]
    assert child_api.applications(app.sid).fetch().friendly_name == "sdk by parent"
    number = child_api.incoming_phone_numbers.create(phone_number=random_number())
    assert number.account_sid == fam.c1.sid
    assert [n.sid for n in child_api.incoming_phone_numbers.list()] == [number.sid]
    assert child_api.incoming_phone_numbers(number.sid).fetch().sid == number.sid
    assert client.applications.list() == []


def test_child_cannot_reach_parent_or_sibling(module_server: Server) -> None:
    fam = family(module_server)
    with module_server.http_as(fam.parent) as h:
        parent_app = h.post(apps_path(fam.parent.sid), data={"FriendlyName": "p"}).json()
        sibling_app = h.post(apps_path(fam.c2.sid), data={"FriendlyName": "c2"}).json()
    with module_server.http_as(fam.c1) as h:
        targets = ((fam.parent.sid, parent_app["sid"]), (fam.c2.sid, sibling_app["sid"]))
        for target, app_sid in targets:
            assert_error(h.get(apps_path(target)), 401, 20003)
            assert_error(h.post(apps_path(target), data={"FriendlyName": "x"}), 401, 20003)
            assert_error(h.get(f"{ROOT}/{target}/Applications/{app_sid}.json"), 401, 20003)
            assert_error(h.delete(f"{ROOT}/{target}/Applications/{app_sid}.json"), 401, 20003)
            assert_error(h.get(numbers_path(target)), 401, 20003)
            assert_error(h.post(numbers_path(target), data={"AreaCode": "415"}), 401, 20003)
            assert_error(h.get(account_path(target)), 401, 20003)
            assert_error(h.post(account_path(target), data={"FriendlyName": "hijack"}), 401, 20003)
    parent_api = module_server.client(fam.c1.sid, fam.c1.token).api.v2010.accounts(fam.parent.sid)
    assert_sdk_error(lambda: parent_api.applications.list(), 401, 20003)
    assert_sdk_error(lambda: parent_api.fetch(), 401, 20003)
    with module_server.http_as(fam.parent) as h:
        assert h.get(account_path(fam.parent.sid)).json()["friendly_name"] == "Parent"
        assert h.get(account_path(fam.c2.sid)).json()["friendly_name"] == "Child two"
        assert len(h.get(apps_path(fam.parent.sid)).json()["applications"]) == 1
        assert len(h.get(apps_path(fam.c2.sid)).json()["applications"]) == 1


def test_unrelated_account_cannot_reach_parent_or_child(module_server: Server) -> None:
    fam = family(module_server)
    for creds in (fam.other, fam.other_child):
        with module_server.http_as(creds) as h:
            for target in (fam.parent.sid, fam.c1.sid):
                assert_error(h.get(apps_path(target)), 401, 20003)
                assert_error(h.post(apps_path(target), data={"FriendlyName": "x"}), 401, 20003)
                assert_error(h.get(numbers_path(target)), 401, 20003)
                assert_error(h.get(account_path(target)), 401, 20003)
                assert_error(h.post(account_path(target), data={"Status": "suspended"}), 401, 20003)
    # Nor the other way round.
    with module_server.http_as(fam.parent) as h:
        assert_error(h.get(apps_path(fam.other.sid)), 401, 20003)
        assert_error(h.get(apps_path(fam.other_child.sid)), 401, 20003)
        assert_error(h.get(account_path(fam.other_child.sid)), 401, 20003)
        assert h.get(account_path(fam.c1.sid)).json()["status"] == "active"


def test_parent_path_does_not_reach_child_resources(module_server: Server) -> None:
    fam = family(module_server)
    with module_server.http_as(fam.parent) as h:
        app = h.post(apps_path(fam.c1.sid), data={"FriendlyName": "child app"}).json()
        path = f"{ROOT}/{fam.parent.sid}/Applications/{app['sid']}.json"
        body = assert_error(h.get(path), 404, 20404)
        assert path in body["message"]
        assert_error(h.post(path, data={"FriendlyName": "renamed"}), 404, 20404)
        assert_error(h.delete(path), 404, 20404)
        still = h.get(f"{ROOT}/{fam.c1.sid}/Applications/{app['sid']}.json")
        assert still.status_code == 200
        assert still.json()["friendly_name"] == "child app"


def test_bad_credentials_are_refused(module_server: Server) -> None:
    with httpx.Client(base_url=module_server.url, auth=(module_server.account_sid, "0" * 32)) as h:
        assert_error(h.get(ACCOUNTS), 401, 20003)
    with httpx.Client(base_url=module_server.url) as h:
        assert_error(h.get(ACCOUNTS), 401, 20003)


# XML


def test_account_xml(module_server: Server) -> None:
    parent = module_server.top_level()
    child = module_server.subaccount(parent, "Xml child")
    with module_server.http_as(parent) as h:
        resp = h.get(account_path(child.sid, suffix=""))
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(resp.content)
    assert root.tag == "TwilioResponse"
    account = root.find("Account")
    assert account is not None
    assert account.findtext("Sid") == child.sid
    assert account.findtext("FriendlyName") == "Xml child"
    assert account.findtext("OwnerAccountSid") == parent.sid
    assert account.findtext("Status") == "active"
    uris = account.find("SubresourceUris")
    assert uris is not None
    applications = uris.findtext("Applications")
    assert applications is not None and f"/{child.sid}/Applications" in applications
    numbers = uris.findtext("IncomingPhoneNumbers")
    assert numbers is not None and f"/{child.sid}/IncomingPhoneNumbers" in numbers
    assert account.findtext("Uri") is not None
    assert ROOT + "/" + child.sid in (account.findtext("Uri") or "")


def test_account_xml_error(module_server: Server) -> None:
    parent = module_server.top_level()
    child = module_server.subaccount(parent)
    with module_server.http_as(child) as h:
        resp = h.post(account_path(child.sid, suffix=""), data={"Status": "suspended"})
    assert_error(resp, 403, 20403, xml=True)
