"""Isolation matrix: every endpoint and method, every kind of credentials, every kind of owner.

Credentials: account A's token, A's subaccount's token, A's API key, a closed account's token, a
deleted key, none at all. Resources: A's, A's subaccount's, an unrelated account B's, each
addressed through its owner's path. Exactly the allowed pairs succeed; every refused pair is
answered exactly as the same request naming a resource (or an account) that does not exist, so a
refusal reveals nothing about existence; a refused write changes nothing and requests no webhook.

The rules (docs/api.md, "Who may do what"):
- a principal acts on its own account and on its subaccounts, through the account's path;
- an API key acts as its account, except on /Accounts and /Keys (403, 20403);
- a subaccount cannot create subaccounts (403, 20403);
- a closed account's credentials: 401, 20005; a deleted key, wrong or no credentials, or
  credentials that do not grant the account in the path: 401, 20003;
- another account's resource through your own path: 404, 20404, as an unknown SID.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from conftest import Server, random_number
from errors import assert_error, describe, error_problem
from receiver import Receiver
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

ROOT = "/2010-04-01/Accounts"
EXT = "/switchboard/v1/Accounts"
OWNERS = ("A", "A_sub", "B")
CREDS = ("A", "A_sub", "A_key", "closed", "deleted_key", "none")
# Which owners' resources each principal may reach (through the owner's path).
GRANTS: dict[str, frozenset[str]] = {
    "A": frozenset({"A", "A_sub"}),
    "A_key": frozenset({"A", "A_sub"}),
    "A_sub": frozenset({"A_sub"}),
}
# Credentials refused whatever they ask for.
ALWAYS_REFUSED: dict[str, tuple[int, int]] = {
    "closed": (401, 20005),
    "deleted_key": (401, 20003),
    "none": (401, 20003),
}
PLACEHOLDER = re.compile(r"\{(AC|AP|PN|SK|CA|OC|SM|RE|DV|RQ|MS|ME)\}")
# Placeholders whose SIDs have another prefix: MS is a sent message (an MMS, so MM…), SM the
# trace of a simulated inbound one; OC is a call made with `Calls.json` (CA…), CA the trace of a
# simulated inbound one.
SID_PREFIX = {"MS": "MM", "OC": "CA"}
HANDSET = "+14155550177"


def random_sid(prefix: str) -> str:
    return SID_PREFIX.get(prefix, prefix) + secrets.token_hex(16)


def call_form(o: Owner) -> dict[str, str]:
    """A call made with `Calls.json` from the owner's number (its TwiML given: no webhook)."""
    return {"To": HANDSET, "From": o.number, "Twiml": "<Response><Say>Hi</Say></Response>"}


def made_call(h: httpx.Client, owner: Owner) -> str:
    """A call of `owner`'s, made with `Calls.json` and settled (ended)."""
    made = expect_ok(h.post(f"{ROOT}/{owner.sid}/Calls.json", data=call_form(owner)), 201)
    expect_ok(h.post(f"{EXT}/{owner.sid}/Settle", data={"Timeout": "30"}), 200)
    sid: str = made["sid"]
    return sid


@dataclass
class Owner:
    """An account and one resource of every kind it owns."""

    name: str
    sid: str
    token: str
    # AC, AP, PN, SK, CA, OC, SM, RE, DV, RQ, MS, ME -> SID
    ids: dict[str, str] = field(default_factory=dict)
    number: str = ""
    quiet_number: str = ""  # a number with no webhooks (a handset's message to it calls nobody)
    key_secret: str = ""  # the secret of ids["SK"], which signs the owner's Access Tokens

    def access_token(self, grant: VoiceGrant) -> str:
        token = AccessToken(self.sid, self.ids["SK"], self.key_secret, identity="matrix")
        token.add_grant(grant)
        return str(token.to_jwt())

    def register_form(self) -> dict[str, str]:
        """Registers a Voice SDK device of this owner (`…/Clients`)."""
        return {"Token": self.access_token(VoiceGrant(incoming_allow=True))}

    def client_call_form(self) -> dict[str, str]:
        """A Voice SDK device's call through this owner's application (`…/ClientCalls`)."""
        grant = VoiceGrant(outgoing_application_sid=self.ids["AP"])
        return {"Token": self.access_token(grant), "Param": "To=+14155550100"}


@dataclass
class World:
    server: Server
    receiver: Receiver
    owners: dict[str, Owner]
    auths: dict[str, tuple[str, str] | None]
    closed_sid: str
    _clients: dict[str, httpx.Client] = field(default_factory=dict)

    def client(self, cred: str) -> httpx.Client:
        """One keep-alive client per set of credentials (closed with the world)."""
        if cred not in self._clients:
            self._clients[cred] = httpx.Client(
                base_url=self.server.url, auth=self.auths[cred], timeout=30
            )
        return self._clients[cred]

    def owner_client(self, owner: str) -> httpx.Client:
        return self.client(owner)  # the owners A, A_sub and B have credentials of those names

    def close(self) -> None:
        for c in self._clients.values():
            c.close()


def expect_ok(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, f"{describe(resp)}"
    if status == 204:
        return {}
    body: dict[str, Any] = resp.json()
    return body


# The world: one server per store for the whole module.


def make_owner_resources(world_server: Server, receiver: Receiver, owner: Owner) -> None:
    with httpx.Client(base_url=world_server.url, auth=(owner.sid, owner.token), timeout=30) as h:
        # A voicemail: a call with a scripted caller leaves a recording; without one, nothing.
        voice = receiver.script(f"/{owner.name}/voice", body="<Response><Record/></Response>")
        sms = receiver.script(f"/{owner.name}/sms")
        app = expect_ok(
            h.post(
                f"{ROOT}/{owner.sid}/Applications.json",
                data={"FriendlyName": f"{owner.name} app", "VoiceUrl": voice, "SmsUrl": sms},
            ),
            201,
        )
        owner.number = random_number()
        number = expect_ok(
            h.post(
                f"{ROOT}/{owner.sid}/IncomingPhoneNumbers.json",
                data={
                    "PhoneNumber": owner.number,
                    "FriendlyName": f"{owner.name} number",
                    "VoiceApplicationSid": app["sid"],
                    "SmsApplicationSid": app["sid"],
                },
            ),
            201,
        )
        call = expect_ok(
            h.post(f"{EXT}/{owner.sid}/InboundCalls", data={"To": owner.number, "From": "+1415"}),
            201,
        )
        assert call["status"] == "completed", call
        voicemail = expect_ok(
            h.post(
                f"{EXT}/{owner.sid}/InboundCalls",
                data={"To": owner.number, "From": "+1415", "Input": "record:2"},
            ),
            201,
        )
        [recording] = voicemail["recordings"]
        message = expect_ok(
            h.post(
                f"{EXT}/{owner.sid}/InboundMessages",
                data={"To": owner.number, "From": "+1415", "Body": "hi"},
            ),
            201,
        )
        assert message["status"] == "completed", message
        key = expect_ok(
            h.post(f"{ROOT}/{owner.sid}/Keys.json", data={"FriendlyName": f"{owner.name} key"}),
            201,
        )
        owner.key_secret = key["secret"]
        voice_request = expect_ok(
            h.get(f"{EXT}/{owner.sid}/Requests", params={"Purpose": "voice_url"}), 200
        )["requests"][0]
        owner.ids.update(
            AC=owner.sid,
            AP=app["sid"],
            PN=number["sid"],
            SK=key["sid"],
            CA=call["call_sid"],
            SM=message["message_sid"],
            RE=recording,
            RQ=voice_request["sid"],
            OC=made_call(h, owner),
        )
        device = expect_ok(h.post(f"{EXT}/{owner.sid}/Clients", data=owner.register_form()), 201)
        owner.ids["DV"] = device["sid"]
        owner.quiet_number = random_number()
        expect_ok(
            h.post(
                f"{ROOT}/{owner.sid}/IncomingPhoneNumbers.json",
                data={"PhoneNumber": owner.quiet_number},
            ),
            201,
        )
        owner.ids.update(sent_mms(h, owner))
        settle(h, owner)


def sent_mms(h: httpx.Client, owner: Owner) -> dict[str, str]:
    """A message the owner sends, with one media item: {"MS": its SID, "ME": the media's}."""
    sent = expect_ok(
        h.post(
            f"{ROOT}/{owner.sid}/Messages.json",
            data={"To": HANDSET, "From": owner.number, "MediaUrl": "https://m.test/a.png"},
        ),
        201,
    )
    media = expect_ok(h.get(f"{ROOT}/{owner.sid}/Messages/{sent['sid']}/Media.json"), 200)
    return {"MS": sent["sid"], "ME": media["media_list"][0]["sid"]}


def settle(h: httpx.Client, owner: Owner) -> None:
    expect_ok(h.post(f"{EXT}/{owner.sid}/Settle", data={"Timeout": "30"}), 200)


@pytest.fixture(scope="module")
def world(module_server: Server) -> Iterator[World]:
    server = module_server
    receiver = Receiver(server.auth_token)
    try:
        made_a = server.create_account("Account A")
        made_b = server.create_account("Account B")
        a = Owner("A", made_a["sid"], made_a["auth_token"])
        b = Owner("B", made_b["sid"], made_b["auth_token"])
        with httpx.Client(base_url=server.url, auth=(a.sid, a.token), timeout=30) as h:
            sub = expect_ok(h.post(f"{ROOT}.json", data={"FriendlyName": "A's child"}), 201)
            closed = expect_ok(h.post(f"{ROOT}.json", data={"FriendlyName": "closed"}), 201)
            expect_ok(h.post(f"{ROOT}/{closed['sid']}.json", data={"Status": "closed"}), 200)
            key = expect_ok(h.post(f"{ROOT}/{a.sid}/Keys.json", data={"FriendlyName": "k"}), 201)
            gone = expect_ok(h.post(f"{ROOT}/{a.sid}/Keys.json", data={"FriendlyName": "x"}), 201)
            expect_ok(h.delete(f"{ROOT}/{a.sid}/Keys/{gone['sid']}.json"), 204)
        a_sub = Owner("A_sub", sub["sid"], sub["auth_token"])
        owners = {"A": a, "A_sub": a_sub, "B": b}
        for owner in owners.values():
            make_owner_resources(server, receiver, owner)
        auths: dict[str, tuple[str, str] | None] = {
            "A": (a.sid, a.token),
            "A_sub": (a_sub.sid, a_sub.token),
            "A_key": (key["sid"], key["secret"]),
            "closed": (closed["sid"], closed["auth_token"]),
            "deleted_key": (gone["sid"], gone["secret"]),
            "none": None,
            "B": (b.sid, b.token),
        }
        world = World(server, receiver, owners, auths, closed["sid"])
        try:
            yield world
        finally:
            world.close()
    finally:
        receiver.close()


# The operations: every endpoint and method under /Accounts/{AccountSid}.


@dataclass(frozen=True)
class Op:
    method: str
    template: str  # placeholders {AC} {AP} {PN} {SK} {CA} {SM}
    success: int
    keys_allowed: bool = True
    form: Callable[[Owner], dict[str, str]] | None = None
    fresh: str | None = None  # DELETE: make a fresh resource of this kind for allowed cases
    item: str | None = None  # the kind of resource in the path (for "does not exist" variants)
    webhook: str | None = None  # a simulated call/message: the receiver path that gets hit
    media: bool = False  # the success is a WAV, not JSON

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"


def app_form(o: Owner) -> dict[str, str]:
    return {"FriendlyName": "from the matrix"}


def number_form(area: str | None = None) -> Callable[[Owner], dict[str, str]]:
    def form(o: Owner) -> dict[str, str]:
        return {"PhoneNumber": random_number(area), "FriendlyName": "from the matrix"}

    return form


def message_form(o: Owner) -> dict[str, str]:
    return {"To": HANDSET, "From": o.number, "Body": "from the matrix"}


A = "{AC}"
NUMBERS = f"{ROOT}/{A}/IncomingPhoneNumbers"
OPS: list[Op] = [
    Op("GET", f"{ROOT}/{A}.json", 200, keys_allowed=False, item="AC"),
    Op("POST", f"{ROOT}/{A}.json", 200, keys_allowed=False, form=app_form, item="AC"),
    Op("GET", f"{ROOT}/{A}/Applications.json", 200),
    Op("POST", f"{ROOT}/{A}/Applications.json", 201, form=app_form),
    Op("GET", f"{ROOT}/{A}/Applications/{{AP}}.json", 200, item="AP"),
    Op("POST", f"{ROOT}/{A}/Applications/{{AP}}.json", 200, form=app_form, item="AP"),
    Op("DELETE", f"{ROOT}/{A}/Applications/{{AP}}.json", 204, fresh="AP", item="AP"),
    Op("GET", f"{NUMBERS}.json", 200),
    Op("POST", f"{NUMBERS}.json", 201, form=number_form()),
    Op("GET", f"{NUMBERS}/Local.json", 200),
    Op("POST", f"{NUMBERS}/Local.json", 201, form=number_form()),
    Op("GET", f"{NUMBERS}/TollFree.json", 200),
    Op("POST", f"{NUMBERS}/TollFree.json", 201, form=number_form("888")),
    Op("GET", f"{NUMBERS}/Mobile.json", 200),
    Op("POST", f"{NUMBERS}/Mobile.json", 201, form=number_form()),
    Op("GET", f"{NUMBERS}/{{PN}}.json", 200, item="PN"),
    Op("POST", f"{NUMBERS}/{{PN}}.json", 200, form=app_form, item="PN"),
    Op("DELETE", f"{NUMBERS}/{{PN}}.json", 204, fresh="PN", item="PN"),
    Op("GET", f"{ROOT}/{A}/Keys.json", 200, keys_allowed=False),
    Op("POST", f"{ROOT}/{A}/Keys.json", 201, keys_allowed=False, form=app_form),
    Op("GET", f"{ROOT}/{A}/Keys/{{SK}}.json", 200, keys_allowed=False, item="SK"),
    Op("POST", f"{ROOT}/{A}/Keys/{{SK}}.json", 200, keys_allowed=False, form=app_form, item="SK"),
    Op("DELETE", f"{ROOT}/{A}/Keys/{{SK}}.json", 204, keys_allowed=False, fresh="SK", item="SK"),
    Op(
        "POST",
        f"{EXT}/{A}/InboundCalls",
        201,
        form=lambda o: {"To": o.number, "From": "+14155550100"},
        webhook="voice",
    ),
    Op("GET", f"{EXT}/{A}/InboundCalls/{{CA}}", 200, item="CA"),
    Op(
        "POST",
        f"{EXT}/{A}/InboundMessages",
        201,
        form=lambda o: {"To": o.number, "From": "+14155550100", "Body": "hi"},
        webhook="sms",
    ),
    Op("GET", f"{EXT}/{A}/InboundMessages/{{SM}}", 200, item="SM"),
    Op("GET", f"{EXT}/{A}/Requests", 200),
    # A call that is over can be neither continued nor hung up: 400 for its owner, and the
    # same refusals as everywhere for everybody else.
    Op(
        "POST",
        f"{EXT}/{A}/InboundCalls/{{CA}}/Input",
        400,
        form=lambda o: {"Input": "1"},
        item="CA",
    ),
    Op("POST", f"{EXT}/{A}/InboundCalls/{{CA}}/Hangup", 400, item="CA"),
    Op("GET", f"{ROOT}/{A}/Recordings.json", 200),
    Op("GET", f"{ROOT}/{A}/Recordings/{{RE}}.json", 200, item="RE"),
    Op("GET", f"{ROOT}/{A}/Recordings/{{RE}}.xml", 200, item="RE", media=True),
    Op("GET", f"{ROOT}/{A}/Recordings/{{RE}}.wav", 200, item="RE", media=True),
    Op("DELETE", f"{ROOT}/{A}/Recordings/{{RE}}.json", 204, fresh="RE", item="RE"),
    # Voice SDK devices: a device's call through the owner's application, registrations.
    Op("POST", f"{EXT}/{A}/ClientCalls", 201, form=Owner.client_call_form, webhook="voice"),
    Op("GET", f"{EXT}/{A}/Clients", 200),
    Op("POST", f"{EXT}/{A}/Clients", 201, form=Owner.register_form),
    Op("GET", f"{EXT}/{A}/Clients/{{DV}}", 200, item="DV"),
    Op("DELETE", f"{EXT}/{A}/Clients/{{DV}}", 204, fresh="DV", item="DV"),
    Op("GET", f"{EXT}/{A}/Requests/{{RQ}}", 200, item="RQ"),
    # A replay sends the owner's logged voice request again: to the owner's voice webhook.
    Op("POST", f"{EXT}/{A}/Requests/{{RQ}}/Replay", 201, item="RQ", webhook="voice"),
    Op(
        "POST",
        f"{EXT}/{A}/SignatureCheck",
        200,
        form=lambda o: {"Url": "https://example.com/", "Signature": "x"},
    ),
    Op("GET", f"{EXT}/{A}/Status", 200),
    # Messages: sent with the owner's number; the owner's settled MMS and its media.
    Op("GET", f"{ROOT}/{A}/Messages.json", 200),
    Op("POST", f"{ROOT}/{A}/Messages.json", 201, form=message_form),
    Op("POST", f"{ROOT}/{A}/SMS/Messages.json", 201, form=message_form),
    Op("GET", f"{ROOT}/{A}/Messages/{{MS}}.json", 200, item="MS"),
    Op("POST", f"{ROOT}/{A}/Messages/{{MS}}.json", 200, form=lambda o: {"Body": ""}, item="MS"),
    Op("DELETE", f"{ROOT}/{A}/Messages/{{MS}}.json", 204, fresh="MS", item="MS"),
    Op("GET", f"{ROOT}/{A}/Messages/{{MS}}/Media.json", 200, item="MS"),
    Op("GET", f"{ROOT}/{A}/Messages/{{MS}}/Media/{{ME}}.json", 200, item="ME"),
    Op("DELETE", f"{ROOT}/{A}/Messages/{{MS}}/Media/{{ME}}.json", 204, fresh="ME", item="ME"),
    Op("POST", f"{EXT}/{A}/Settle", 200, form=lambda o: {"Timeout": "30"}),
    Op("GET", f"{EXT}/{A}/Messages/{{MS}}", 200, item="MS"),
    Op("GET", f"{EXT}/{A}/Handsets/{HANDSET}", 200),
    Op("POST", f"{EXT}/{A}/Handsets/{HANDSET}", 200, form=lambda o: {"CallDuration": "5"}),
    Op("GET", f"{EXT}/{A}/Handsets/{HANDSET}/Messages", 200),
    Op(
        "POST",
        f"{EXT}/{A}/Handsets/{HANDSET}/Messages",
        201,
        form=lambda o: {"To": o.quiet_number, "Body": "from a handset"},
    ),
    # Calls made with `Calls.json`; the owner's call has ended, so a redirect is refused (400).
    Op("GET", f"{ROOT}/{A}/Calls.json", 200),
    Op("POST", f"{ROOT}/{A}/Calls.json", 201, form=call_form),
    Op("GET", f"{ROOT}/{A}/Calls/{{OC}}.json", 200, item="OC"),
    Op(
        "POST",
        f"{ROOT}/{A}/Calls/{{OC}}.json",
        400,
        form=lambda o: {"Twiml": "<Response/>"},
        item="OC",
    ),
    Op("DELETE", f"{ROOT}/{A}/Calls/{{OC}}.json", 204, fresh="OC", item="OC"),
    Op("GET", f"{EXT}/{A}/Calls/{{OC}}", 200, item="OC"),
]


def test_every_served_route_is_in_the_matrix() -> None:
    """Every route that names an account in its path (and each of its methods) is in OPS, so a
    new endpoint cannot ship outside the matrix. (/Accounts.json names no account: it has its
    own test below.)"""
    from switchboard.api.routes import build_routes

    kinds = ("AC", "AP", "PN", "SK", "CA", "OC", "SM", "RE", "DV", "RQ", "MS", "ME")
    sample = {k: random_sid(k) for k in kinds}
    missing = []
    for route in build_routes():
        if route.account is None:
            continue
        for method in route.methods:
            if not any(
                op.method == method and route.template.match(fill(op.template, sample))
                for op in OPS
            ):
                missing.append(f"{method} {route.template.template}")
    assert not missing, missing


def expected(cred: str, owner: str, op: Op) -> tuple[int, int | None]:
    """(status, Twilio code or None for success)."""
    if cred in ALWAYS_REFUSED:
        return ALWAYS_REFUSED[cred]
    if cred == "A_key" and not op.keys_allowed:
        return (403, 20403)
    if owner not in GRANTS[cred]:
        return (401, 20003)
    return (op.success, None)


def fill(template: str, ids: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: ids[m.group(1)], template)


def fresh_resource(world: World, owner: Owner, kind: str) -> dict[str, str]:
    """A new resource of `owner` for a DELETE that is expected to succeed: {kind: SID}, with its
    parent's where the path names it too."""
    h = world.owner_client(owner.name)
    if kind in ("MS", "ME"):
        made = sent_mms(h, owner)
        settle(h, owner)  # a message on its way cannot be deleted
        return made
    return {kind: fresh_sid(world, owner, kind)}


def fresh_sid(world: World, owner: Owner, kind: str) -> str:
    h = world.owner_client(owner.name)
    if kind == "AP":
        resp = h.post(f"{ROOT}/{owner.sid}/Applications.json", data={"FriendlyName": "tmp"})
    elif kind == "PN":
        resp = h.post(
            f"{ROOT}/{owner.sid}/IncomingPhoneNumbers.json",
            data={"PhoneNumber": random_number()},
        )
    elif kind == "RE":
        resp = h.post(
            f"{EXT}/{owner.sid}/InboundCalls",
            data={"To": owner.number, "From": "+1415", "Input": "record:1"},
        )
        made: str = expect_ok(resp, 201)["recordings"][0]
        return made
    elif kind == "DV":
        resp = h.post(f"{EXT}/{owner.sid}/Clients", data=owner.register_form())
    elif kind == "OC":
        return made_call(h, owner)
    else:
        resp = h.post(f"{ROOT}/{owner.sid}/Keys.json", data={"FriendlyName": "tmp"})
    sid: str = expect_ok(resp, 201)["sid"]
    return sid


def owner_view(world: World, owner: Owner, kind: str) -> httpx.Response:
    """The resource as its owner sees it (to prove a refused request changed nothing)."""
    paths = {
        "AC": f"{ROOT}/{owner.sid}.json",
        "AP": f"{ROOT}/{owner.sid}/Applications/{owner.ids['AP']}.json",
        "PN": f"{ROOT}/{owner.sid}/IncomingPhoneNumbers/{owner.ids['PN']}.json",
        "SK": f"{ROOT}/{owner.sid}/Keys/{owner.ids['SK']}.json",
        "CA": f"{EXT}/{owner.sid}/InboundCalls/{owner.ids['CA']}",
        "SM": f"{EXT}/{owner.sid}/InboundMessages/{owner.ids['SM']}",
        "RE": f"{ROOT}/{owner.sid}/Recordings/{owner.ids['RE']}.json",
        "DV": f"{EXT}/{owner.sid}/Clients/{owner.ids['DV']}",
        "RQ": f"{EXT}/{owner.sid}/Requests/{owner.ids['RQ']}",
        "MS": f"{ROOT}/{owner.sid}/Messages/{owner.ids['MS']}.json",
        "ME": f"{ROOT}/{owner.sid}/Messages/{owner.ids['MS']}/Media/{owner.ids['ME']}.json",
        "OC": f"{ROOT}/{owner.sid}/Calls/{owner.ids['OC']}.json",
    }
    h = world.owner_client(owner.name)
    return h.get(paths[kind])


def collection_snapshot(world: World, owner: Owner) -> dict[str, list[str]]:
    """Every SID of every collection of `owner`, for "a refused create made nothing"."""
    out: dict[str, list[str]] = {}
    h = world.owner_client(owner.name)
    for key, path in (
        ("applications", f"{ROOT}/{owner.sid}/Applications.json"),
        ("incoming_phone_numbers", f"{ROOT}/{owner.sid}/IncomingPhoneNumbers.json"),
        ("keys", f"{ROOT}/{owner.sid}/Keys.json"),
        ("clients", f"{EXT}/{owner.sid}/Clients"),
        ("calls", f"{ROOT}/{owner.sid}/Calls.json"),
    ):
        resp = h.get(path, params={"PageSize": "1000"})
        out[key] = sorted(item["sid"] for item in expect_ok(resp, 200)[key])
    accounts = h.get(f"{ROOT}.json", params={"PageSize": "1000"})
    out["accounts"] = sorted(a["sid"] for a in expect_ok(accounts, 200)["accounts"])
    return out


def fingerprint(resp: httpx.Response) -> tuple[int, str, str | None, str | None]:
    """What a caller can observe of a refusal."""
    return (
        resp.status_code,
        resp.text,
        resp.headers.get("www-authenticate"),
        resp.headers.get("content-type"),
    )


def check_allowed_body(op: Op, owner: Owner, body: dict[str, Any]) -> str | None:
    """A success must be about the owner named in the path."""
    if op.success == 204:
        return None
    if op.item == "AC":
        return None if body.get("sid") == owner.sid else f"wrong account {body.get('sid')}"
    if "account_sid" in body and body["account_sid"] != owner.sid:
        return f"answered for {body['account_sid']}, not {owner.sid}"
    for key in ("applications", "incoming_phone_numbers", "recordings", "clients", "calls"):
        for item in body.get(key, []):
            if item["account_sid"] != owner.sid:
                return f"listed {item['sid']} of {item['account_sid']}"
    return None


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.label)
def test_matrix(world: World, op: Op) -> None:
    problems: list[str] = []
    table: list[str] = []
    hits_before = {name: len(world.receiver.requests(f"/{name}/{op.webhook}")) for name in OWNERS}
    allowed_hits = dict.fromkeys(OWNERS, 0)
    before_items = {
        name: owner_view(world, world.owners[name], op.item).text
        for name in OWNERS
        if op.item is not None and op.method != "GET"
    }
    before_lists = {name: collection_snapshot(world, world.owners[name]) for name in OWNERS}
    allowed_creates: dict[str, int] = dict.fromkeys(OWNERS, 0)

    for cred in CREDS:
        for owner_name in OWNERS:
            owner = world.owners[owner_name]
            status, code = expected(cred, owner_name, op)
            ids = dict(owner.ids)
            if code is None and op.fresh is not None:
                ids.update(fresh_resource(world, owner, op.fresh))
            form = op.form(owner) if op.form is not None else None
            h = world.client(cred)
            resp = h.request(op.method, fill(op.template, ids), data=form)
            table.append(f"{cred:>11} -> {owner_name:<5} {resp.status_code} {resp.text[:60]}")
            if code is None:
                if resp.status_code != status:
                    problems.append(f"{cred} on {owner_name}: want {status}: {describe(resp)}")
                    continue
                if op.method == "POST" and op.success == 201:
                    allowed_creates[owner_name] += 1
                if op.webhook is not None:
                    allowed_hits[owner_name] += 1
                body = {} if status == 204 or op.media else resp.json()
                why = check_allowed_body(op, owner, body)
                if why:
                    problems.append(f"{cred} on {owner_name}: {why}: {describe(resp)}")
                continue
            problem = error_problem(resp, status, code)
            if problem is not None:
                problems.append(f"{cred} on {owner_name}: {problem}: {describe(resp)}")
                continue
            # Reveals nothing: the same request for a resource, and for an account, that
            # do not exist gets the very same answer.
            variants = []
            if op.item is not None and op.item != "AC":
                variants.append({**ids, op.item: random_sid(op.item)})
            variants.append({k: random_sid(k) for k in ids})
            for other in variants:
                alt = h.request(op.method, fill(op.template, other), data=form)
                if fingerprint(alt) != fingerprint(resp):
                    problems.append(
                        f"{cred} on {owner_name}: existing and unknown differ:\n"
                        f"  {describe(resp)}\n  {describe(alt)}"
                    )

    # Refused writes changed nothing; refused simulated traffic requested no webhook.
    for name in OWNERS:
        owner = world.owners[name]
        refused_only = not any(expected(c, name, op)[1] is None for c in CREDS)
        # Allowed deletes removed fresh resources: the shared one must be untouched.
        untouched = refused_only or op.method == "DELETE"
        if op.item is not None and op.method != "GET" and untouched:
            after = owner_view(world, owner, op.item).text
            if after != before_items[name]:
                problems.append(f"{name}'s {op.item} changed by refused requests: {after}")
        after_lists = collection_snapshot(world, owner)
        if op.method == "POST" and op.success == 201 and op.webhook is None:
            for key, sids in after_lists.items():
                grown = len(sids) - len(before_lists[name][key])
                if grown not in (0, allowed_creates[name]):
                    problems.append(f"{name}'s {key}: {grown} new, {allowed_creates[name]} allowed")
        elif op.method != "DELETE" and after_lists != before_lists[name]:
            problems.append(f"{name}'s collections changed: {before_lists[name]} -> {after_lists}")
        if op.webhook is not None:
            hits = len(world.receiver.requests(f"/{name}/{op.webhook}")) - hits_before[name]
            if hits != allowed_hits[name]:
                problems.append(f"{name}'s webhook got {hits}, {allowed_hits[name]} allowed")
    assert not problems, "\n".join([op.label, *problems, "", *table])


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_accounts_collection_matrix(world: World, method: str) -> None:
    """/Accounts.json names no account: each principal lists (or creates under) itself only."""
    a, a_sub = world.owners["A"], world.owners["A_sub"]
    want: dict[str, tuple[int, int | None]] = {
        "A": (200 if method == "GET" else 201, None),
        "A_sub": (200, None) if method == "GET" else (403, 20403),
        "A_key": (403, 20403),
        **ALWAYS_REFUSED,
    }
    problems = []
    for cred in CREDS:
        h = world.client(cred)
        form = {"FriendlyName": "from matrix"} if method == "POST" else None
        resp = h.request(method, f"{ROOT}.json", data=form)
        status, code = want[cred]
        if code is not None:
            problem = error_problem(resp, status, code)
            if problem is not None:
                problems.append(f"{cred}: {problem}: {describe(resp)}")
            continue
        if resp.status_code != status:
            problems.append(f"{cred}: want {status}: {describe(resp)}")
            continue
        body = resp.json()
        if method == "POST":
            if body["owner_account_sid"] != a.sid:
                problems.append(f"{cred}: created under {body['owner_account_sid']}")
            continue
        listed = {item["sid"] for item in body["accounts"]}
        if cred == "A":
            must = {a.sid, a_sub.sid, world.closed_sid}
            if not must <= listed or world.owners["B"].sid in listed:
                problems.append(f"A lists {sorted(listed)}")
            owners = {item["owner_account_sid"] for item in body["accounts"]}
            if owners != {a.sid}:
                problems.append(f"A lists accounts owned by {owners}")
        elif listed != {a_sub.sid}:
            problems.append(f"A_sub lists {sorted(listed)}")
    assert not problems, "\n".join(problems)


# Another account's resource through your own path: 404, exactly as an unknown SID.

ITEM_PATHS = [
    (f"{ROOT}/{{AC}}/Applications/{{X}}.json", "AP", ("GET", "POST", "DELETE")),
    (f"{ROOT}/{{AC}}/IncomingPhoneNumbers/{{X}}.json", "PN", ("GET", "POST", "DELETE")),
    (f"{ROOT}/{{AC}}/Keys/{{X}}.json", "SK", ("GET", "POST", "DELETE")),
    (f"{EXT}/{{AC}}/InboundCalls/{{X}}", "CA", ("GET",)),
    (f"{EXT}/{{AC}}/InboundMessages/{{X}}", "SM", ("GET",)),
    (f"{EXT}/{{AC}}/InboundCalls/{{X}}/Input", "CA", ("POST",)),
    (f"{ROOT}/{{AC}}/Recordings/{{X}}.json", "RE", ("GET", "DELETE")),
    (f"{ROOT}/{{AC}}/Recordings/{{X}}.wav", "RE", ("GET",)),
    (f"{EXT}/{{AC}}/Clients/{{X}}", "DV", ("GET", "DELETE")),
    (f"{EXT}/{{AC}}/Requests/{{X}}", "RQ", ("GET",)),
    (f"{EXT}/{{AC}}/Requests/{{X}}/Replay", "RQ", ("POST",)),
    (f"{ROOT}/{{AC}}/Messages/{{X}}.json", "MS", ("GET", "DELETE")),
    (f"{ROOT}/{{AC}}/Messages/{{X}}/Media.json", "MS", ("GET",)),
    (f"{EXT}/{{AC}}/Messages/{{X}}", "MS", ("GET",)),
]
# (credentials, the account whose path they use, whose resource they name)
CROSSINGS = [
    ("A", "A", "B"),
    ("A", "A", "A_sub"),  # a parent reaches a child's resource only through the child's path
    ("A_key", "A", "B"),
    ("A_key", "A", "A_sub"),
    ("A_sub", "A_sub", "A"),
    ("A_sub", "A_sub", "B"),
    ("A", "A_sub", "A"),  # nor a parent's resource through the child's path
]


@pytest.mark.parametrize(("template", "kind", "methods"), ITEM_PATHS, ids=lambda v: str(v))
def test_foreign_resource_through_own_path_is_404(
    world: World, template: str, kind: str, methods: tuple[str, ...]
) -> None:
    problems = []
    for cred, path_owner, res_owner in CROSSINGS:
        if cred == "A_key" and kind == "SK":
            continue  # a key cannot manage keys at all (403), covered by the matrix
        account = world.owners[path_owner].sid
        foreign = world.owners[res_owner].ids[kind]
        unknown = random_sid(kind)
        for method in methods:
            form = {"FriendlyName": "crossing"} if method == "POST" else None
            h = world.client(cred)
            path = template.replace("{AC}", account)
            resp = h.request(method, path.replace("{X}", foreign), data=form)
            alt = h.request(method, path.replace("{X}", unknown), data=form)
            problem = error_problem(resp, 404, 20404)
            if problem is not None:
                problems.append(f"{cred}: {problem}: {describe(resp)}")
                continue
            if resp.text.replace(foreign, unknown) != alt.text:
                problems.append(
                    f"{cred}: differs from unknown:\n {describe(resp)}\n {describe(alt)}"
                )
        after = owner_view(world, world.owners[res_owner], kind)
        if after.status_code != 200 or "crossing" in after.text:
            problems.append(f"{res_owner}'s {kind} was touched: {after.status_code} {after.text}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("flow", ["InboundCalls", "InboundMessages"])
def test_simulated_traffic_to_a_foreign_number_is_404(world: World, flow: str) -> None:
    """Calling B's number through A's path: 404 as for a number nobody holds; no webhook."""
    b = world.owners["B"]
    hook = "voice" if flow == "InboundCalls" else "sms"
    hits = len(world.receiver.requests(f"/B/{hook}"))
    problems = []
    for cred, path_owner in (("A", "A"), ("A_key", "A"), ("A_sub", "A_sub"), ("A", "A_sub")):
        account = world.owners[path_owner].sid
        unused = random_number()
        h = world.client(cred)
        form = {"From": "+14155550100", "Body": "x"}
        resp = h.post(f"{EXT}/{account}/{flow}", data={"To": b.number, **form})
        alt = h.post(f"{EXT}/{account}/{flow}", data={"To": unused, **form})
        problem = error_problem(resp, 404, 20404)
        if problem is not None:
            problems.append(f"{cred}: {problem}: {describe(resp)}")
        elif resp.text.replace(b.number, unused) != alt.text:
            problems.append(f"{cred}: differs from unknown:\n {describe(resp)}\n {describe(alt)}")
    assert len(world.receiver.requests(f"/B/{hook}")) == hits
    assert not problems, "\n".join(problems)


def test_refusals_are_the_same_for_any_account_sid_shape(world: World) -> None:
    """B's SID, an unknown SID, a malformed one: one and the same 401 for A's credentials."""
    b = world.owners["B"]
    shapes = [b.sid, random_sid("AC"), "AC" + b.sid[2:].upper(), "AC123", "x", "SK" + b.sid[2:]]
    answers = set()
    h = world.client("A")
    for sid in shapes:
        resp = h.get(f"{ROOT}/{sid}/Applications.json")
        assert_error(resp, 401, 20003)
        answers.add(fingerprint(resp))
    assert len(answers) == 1, answers
