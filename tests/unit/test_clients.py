"""Voice SDK clients in-process (traffic/clients.py over a real store of the session's kind, its
clock injected): who answers a rung identity, what a device's call sends its application, and how
registrations live and die with their token and key. Tokens are minted by twilio-python.

(Whole flows over HTTP, with receivers and twilio-node: tests/traffic/test_voice_sdk.py.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from switchboard.api.wire import Params
from switchboard.store import migrate, open_store
from switchboard.store.base import Store
from switchboard.store.tx import Keyset
from switchboard.traffic import clients
from switchboard.traffic.caller import Input
from switchboard.traffic.clients import Invite
from switchboard.twilio import rules
from switchboard.twilio.errors import TwilioError
from switchboard.twilio.resources import Account

PAGE = Keyset(None, None, 100)
APP_FIELDS = {"friendly_name": "softphone", "voice_url": "http://127.0.0.1:9/voice"}


# Who answers


@pytest.mark.parametrize(
    ("answers", "status", "taker", "each"),
    [
        ([], "no-answer", None, []),
        (["accept"], "completed", 0, ["accepted"]),
        (["reject"], "busy", None, ["rejected"]),
        (["reject", "reject"], "busy", None, ["rejected", "rejected"]),
        (["ignore"], "no-answer", None, ["no-answer"]),
        (["reject", "ignore"], "no-answer", None, ["rejected", "no-answer"]),
        (["ignore", "reject", "accept", "accept"], "completed", 2,
         ["canceled", "rejected", "accepted", "canceled"]),
    ],
)  # fmt: skip
def test_outcome(answers: list[str], status: str, taker: int | None, each: list[str]) -> None:
    assert clients.outcome(answers) == (status, taker, each)


def test_identity_of() -> None:
    assert clients.identity_of("client:alice") == "alice"
    assert clients.identity_of("client:") is None
    assert clients.identity_of("+15005550006") is None


def test_device_params() -> None:
    form = Params([("Param", "To=+15005550006"), ("Param", "note=a=b"), ("Param", "empty=")])
    assert clients.device_params(form) == {"To": "+15005550006", "note": "a=b", "empty": ""}


@pytest.mark.parametrize(
    ("pairs", "says"),
    [
        ([("Param", "novalue")], "name=value"),
        ([("Param", "=x")], "name=value"),
        ([("Param", "From=client:mallory")], "Twilio sets itself"),
        ([("Param", "CallSid=CA00")], "Twilio sets itself"),
        ([("Param", "a=1"), ("Param", "a=2")], "given twice"),
        ([("Param", f"p{i}=v") for i in range(101)], "At most 100"),
    ],
)
def test_bad_device_params(pairs: list[tuple[str, str]], says: str) -> None:
    with pytest.raises(TwilioError) as info:
        clients.device_params(Params(pairs))
    assert (info.value.code, info.value.status) == (20001, 400)
    assert says in info.value.message


def test_dialled_identity_and_parameters() -> None:
    warnings: list[str] = []
    plain = {"verb": "Client", "attributes": {}, "text": " alice "}
    assert clients.dialled(plain, warnings) == ("alice", {})
    nested = {
        "verb": "Client",
        "attributes": {},
        "children": [
            {"verb": "Identity", "attributes": {}, "text": "bob"},
            {"verb": "Parameter", "attributes": {"name": "ticket", "value": "42"}},
            {"verb": "Parameter", "attributes": {"name": "flag"}},
            {"verb": "Parameter", "attributes": {"value": "lost"}},
        ],
    }
    assert clients.dialled(nested, warnings) == ("bob", {"ticket": "42", "flag": ""})
    assert len(warnings) == 1 and "without a name" in warnings[0]


# Over a real store


class World:
    """A migrated store with a clock the test moves, an account with a key, an application."""

    def __init__(self, store: Store, clock: list[int]) -> None:
        self.store = store
        self.clock = clock
        self.account: Account
        self.key_sid = ""
        self.secret = rules.new_key_secret()
        self.app_sid = ""

    async def setup(self) -> None:
        self.account = await self.store.create_account("clients")
        key = await self.store.create_key(self.account.sid, "k", self.secret)
        self.key_sid = key["sid"]
        app = await self.store.create_application(self.account.sid, dict(APP_FIELDS))
        self.app_sid = app["sid"]

    def token(self, grant: VoiceGrant, identity: str = "alice", ttl: int = 3600) -> str:
        now = self.clock[0] // 1_000_000
        token = AccessToken(
            self.account.sid, self.key_sid, self.secret, identity=identity, nbf=now,
            valid_until=now + ttl,
        )  # fmt: skip
        token.add_grant(grant)
        return str(token.to_jwt())

    async def accounts(self, sid: str) -> Account | None:
        return self.account if sid == self.account.sid else None

    async def register(self, identity: str, answer: str = "accept", **more: str) -> dict[str, Any]:
        token = self.token(VoiceGrant(incoming_allow=True), identity)
        form = Params([("Token", token), ("Answer", answer), *more.items()])
        return await clients.register(self.store, form, self.accounts)

    def invite(self, identity: str, call: str = "CA" + "1" * 32, **params: str) -> Invite:
        return Invite(self.account.sid, identity, call, "+15005550006", f"client:{identity}",
                      dict(params), self.clock[0], "CA" + "0" * 32)  # fmt: skip


def in_world(database_url: str, test: Callable[[World], Awaitable[None]]) -> None:
    migrate.upgrade(database_url)
    clock = [int(time.time()) * 1_000_000]

    async def main() -> None:
        store = open_store(database_url, clock=lambda: clock[0])
        await store.open()
        try:
            world = World(store, clock)
            await world.setup()
            await test(world)
        finally:
            await store.close()

    asyncio.run(main())


def test_the_first_device_to_accept_takes_the_call(database_url: str) -> None:
    async def test(w: World) -> None:
        ignoring = await w.register("bob", "ignore")
        taking = await w.register("bob", "accept", Input="1", HangupAfter="20")
        late = await w.register("bob", "accept")
        other = await w.register("carol", "accept")
        answer = await clients.ring(w.store, w.invite("bob", ticket="42"))
        assert answer.status == "completed"
        assert answer.device_sid == taking["sid"]
        assert answer.script.inputs == [Input.parse("1")]
        assert answer.script.hangup_at == 20_000
        seen = {d["sid"]: d["calls"] for d in await w.store.list_devices(w.account.sid, PAGE)}
        assert [c["status"] for c in seen[ignoring["sid"]]] == ["canceled"]
        assert [c["status"] for c in seen[late["sid"]]] == ["canceled"]
        assert seen[other["sid"]] == []
        [call] = seen[taking["sid"]]
        assert call == {
            "call_sid": "CA" + "1" * 32,
            "parent_call_sid": "CA" + "0" * 32,
            "from": "+15005550006",
            "to": "client:bob",
            "parameters": {"ticket": "42"},
            "status": "accepted",
            "at": w.clock[0],
        }
        # Each call starts from the device's whole script: nothing is used up.
        again = await clients.ring(w.store, w.invite("bob", "CA" + "2" * 32))
        assert again.script.inputs == [Input.parse("1")]
        fetched = await w.store.get_device(w.account.sid, taking["sid"])
        assert fetched is not None
        assert [c["call_sid"] for c in fetched["calls"]] == ["CA" + "2" * 32, "CA" + "1" * 32]

    in_world(database_url, test)


def test_nobody_registered_and_rejections(database_url: str) -> None:
    async def test(w: World) -> None:
        assert (await clients.ring(w.store, w.invite("nobody"))).status == "no-answer"
        await w.register("dana", "reject")
        assert (await clients.ring(w.store, w.invite("dana"))).status == "busy"
        await w.register("dana", "ignore")
        answer = await clients.ring(w.store, w.invite("dana", "CA" + "3" * 32))
        assert (answer.status, answer.device_sid) == ("no-answer", None)

    in_world(database_url, test)


def test_a_device_lives_as_long_as_its_token_and_its_key(database_url: str) -> None:
    async def test(w: World) -> None:
        token = w.token(VoiceGrant(incoming_allow=True), "erin", ttl=60)
        device = await clients.register(w.store, Params([("Token", token)]), w.accounts)
        assert device["expires_at"] == w.clock[0] + 60_000_000
        assert device["answer"] == "accept"
        await clients.ring(w.store, w.invite("erin"))
        w.clock[0] += 60_000_000  # the token expires: so does the registration
        assert (await clients.ring(w.store, w.invite("erin"))).status == "no-answer"
        assert await w.store.list_devices(w.account.sid, PAGE) == []
        assert await w.store.get_device(w.account.sid, device["sid"]) is None
        # The next registration of the account forgets the expired device and its calls.
        fresh = await w.register("erin")
        assert (await clients.ring(w.store, w.invite("erin"))).device_sid == fresh["sid"]
        assert not await w.store.delete_device(w.account.sid, device["sid"])
        # A deleted key revokes the devices it signed for.
        assert await w.store.delete_key(w.account.sid, w.key_sid)
        assert (await clients.ring(w.store, w.invite("erin"))).status == "no-answer"
        assert await w.store.list_devices(w.account.sid, PAGE) == []

    in_world(database_url, test)


def test_limits_unregistering_and_kept_calls(database_url: str) -> None:
    async def test(w: World) -> None:
        values = {"account_sid": w.account.sid, "identity": "fay", "key_sid": w.key_sid,
                  "answer": "accept", "script": {"inputs": [], "dial_statuses": [],
                  "dial_durations": [], "hangup_at": None},
                  "expires_at": w.clock[0] + 10**9}  # fmt: skip
        first = await w.store.register_device(values, limit=2)
        await w.store.register_device(values, limit=2)
        with pytest.raises(TwilioError) as info:
            await w.store.register_device(values, limit=2)
        assert (info.value.code, info.value.status) == (20001, 400)
        assert "at most 2" in info.value.message
        assert await w.store.delete_device(w.account.sid, first["sid"])
        assert await w.store.get_device(w.account.sid, first["sid"]) is None
        third = await w.store.register_device(values, limit=2)
        calls = [(third["sid"], f"CA{i:032x}", {"status": "accepted"}) for i in range(3)]
        await w.store.record_device_calls(calls, keep=2)
        await w.store.record_device_calls(calls[2:], keep=2)  # the same call again: once
        kept = await w.store.get_device(w.account.sid, third["sid"])
        assert kept is not None
        assert [c["call_sid"] for c in kept["calls"]] == [f"CA{2:032x}", f"CA{1:032x}"]
        assert await w.store.get_device("AC" + "9" * 32, third["sid"]) is None  # per account

    in_world(database_url, test)


def test_register_refusals(database_url: str) -> None:
    async def test(w: World) -> None:
        async def code(*pairs: tuple[str, str]) -> tuple[int, int, str]:
            with pytest.raises(TwilioError) as info:
                await clients.register(w.store, Params(list(pairs)), w.accounts)
            return info.value.code, info.value.status, info.value.message

        outgoing = w.token(VoiceGrant(outgoing_application_sid=w.app_sid))
        assert (await code(("Token", outgoing)))[:2] == (20106, 401)
        assert "cannot receive calls" in (await code(("Token", outgoing)))[2]
        incoming = w.token(VoiceGrant(incoming_allow=True))
        assert (await code(("Token", incoming), ("Answer", "maybe")))[:2] == (20001, 400)
        assert (await code(("Token", incoming), ("Input", "nonsense")))[:2] == (20001, 400)
        assert (await code(("Answer", "accept")))[:2] == (20001, 400)
        assert await w.store.list_devices(w.account.sid, PAGE) == []

    in_world(database_url, test)


# A device's call


def test_a_device_call_sends_twilios_parameters_then_the_grants_then_the_devices(
    database_url: str,
) -> None:
    async def test(w: World) -> None:
        grant = VoiceGrant(
            outgoing_application_sid=w.app_sid,
            outgoing_application_params={"agent": "bob", "priority": 2, "vip": True},
        )
        form = Params([("Token", w.token(grant)), ("Param", "To=+15005550006"),
                       ("Param", "note=hi there")])  # fmt: skip
        placed = await clients.connect(w.store, form, w.accounts, "CA" + "5" * 32)
        assert placed.params == {
            "AccountSid": w.account.sid,
            "ApiVersion": "2010-04-01",
            "ApplicationSid": w.app_sid,
            "CallSid": "CA" + "5" * 32,
            "CallStatus": "ringing",
            "Called": "",
            "Caller": "client:alice",
            "Direction": "inbound",
            "From": "client:alice",
            "To": "+15005550006",
            "agent": "bob",
            "priority": "2",
            "vip": "true",
            "note": "hi there",
        }
        assert (placed.from_, placed.to) == ("client:alice", "+15005550006")
        assert placed.plan.url == APP_FIELDS["voice_url"]
        assert placed.plan.application_sid == w.app_sid
        bare = Params([("Token", w.token(VoiceGrant(outgoing_application_sid=w.app_sid)))])
        assert (await clients.connect(w.store, bare, w.accounts, "CA" + "6" * 32)).to == ""

    in_world(database_url, test)


def test_device_call_refusals(database_url: str) -> None:
    async def test(w: World) -> None:
        async def code(token: str, *pairs: tuple[str, str]) -> tuple[int, int, str]:
            form = Params([("Token", token), *pairs])
            with pytest.raises(TwilioError) as info:
                await clients.connect(w.store, form, w.accounts, "CA" + "7" * 32)
            return info.value.code, info.value.status, info.value.message

        incoming = w.token(VoiceGrant(incoming_allow=True))
        assert (await code(incoming))[:2] == (20106, 401)
        spoofing = w.token(VoiceGrant(outgoing_application_sid=w.app_sid,
                                      outgoing_application_params={"From": "+1999"}))  # fmt: skip
        assert (await code(spoofing))[:2] == (20106, 401)
        granted = w.token(VoiceGrant(outgoing_application_sid=w.app_sid,
                                     outgoing_application_params={"agent": "x"}))  # fmt: skip
        repeated = await code(granted, ("Param", "agent=y"))
        assert repeated[:2] == (20001, 400) and "outgoing.params" in repeated[2]
        elsewhere = w.token(VoiceGrant(outgoing_application_sid="AP" + "e" * 32))
        assert await code(elsewhere) == (21218, 400, f"Invalid ApplicationSid: AP{'e' * 32}")
        w.clock[0] += 3600 * 1_000_000
        assert (await code(granted))[:2] == (20104, 401)

        async def nobody(sid: str) -> Account | None:
            return None

        with pytest.raises(TwilioError) as info:
            form = Params([("Token", granted)])
            await clients.connect(w.store, form, nobody, "CA" + "8" * 32)
        assert (info.value.code, info.value.status) == (20103, 401)

    in_world(database_url, test)


def test_a_suspended_account_cannot_use_its_tokens(database_url: str) -> None:
    async def test(w: World) -> None:
        token = w.token(VoiceGrant(outgoing_application_sid=w.app_sid))
        suspended = await w.store.update_account(w.account.sid, status="suspended")
        assert suspended is not None

        async def accounts(sid: str) -> Account | None:
            return suspended if sid == w.account.sid else None

        with pytest.raises(TwilioError) as info:
            await clients.connect(w.store, Params([("Token", token)]), accounts, "CA" + "9" * 32)
        assert (info.value.code, info.value.status) == (20005, 401)

    in_world(database_url, test)
