"""Voice SDK clients: devices that hold an Access Token (twilio/tokens.py).

Outgoing, a device connects (`device.connect({params})`) and Twilio requests the voice URL of the
grant's TwiML App, as for an inbound call from `client:<identity>`. Incoming, a device registers
(`device.register()`) and is rung whenever a call dials its identity: `<Dial><Client>` in the
engine and `calls.create(to="client:…")` both go through `ring`, the one place that decides who
answers. No HTTP here; the store is handed in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from switchboard.traffic.caller import MAX_ENTRIES, Form, Script
from switchboard.traffic.plans import Plan, application_plan
from switchboard.traffic.twiml import WARNING
from switchboard.twilio import errors, tokens
from switchboard.twilio.errors import TokenRefusal, token_refused
from switchboard.twilio.resources import Account, Record

if TYPE_CHECKING:
    from switchboard.store.base import Store

ANSWERS = ("accept", "reject", "ignore")
MAX_DEVICES = 1000  # live devices per account (ours: Twilio documents no number)
MAX_DEVICE_CALLS = 50  # calls each device keeps for inspection (ours)
SCHEME = "client:"

# What Twilio sets itself on a client call: neither the grant's params nor the device's may
# replace one (`To` is the device's to give).
TWILIO_PARAMS = frozenset(
    {"AccountSid", "ApiVersion", "ApplicationSid", "CallSid", "CallStatus", "Called", "Caller",
     "Direction", "From"}
)  # fmt: skip

Accounts = Callable[[str], Awaitable[Account | None]]
"""The accounts the caller may act for, by SID (None: not one of them)."""


@dataclass(frozen=True)
class Invite:
    """A call ringing a client identity: what each of its devices is told."""

    account_sid: str  # devices are per account: only this account's ring
    identity: str
    call_sid: str  # the leg that rings the devices (a `<Dial>`'s `DialCallSid`)
    from_: str
    to: str  # client:<identity>
    parameters: dict[str, str] = field(default_factory=dict)  # `<Client>`'s `<Parameter>`s
    at: int = 0  # microseconds since the epoch
    parent_call_sid: str | None = None


@dataclass(frozen=True)
class Answer:
    """How ringing an identity ended."""

    status: str  # as `DialCallStatus`: completed | busy | no-answer
    device_sid: str | None = None  # the device that took the call
    script: Script = field(default_factory=Script)  # that device's side of the call


class Outgoing(NamedTuple):
    """A device's call, ready to run: whose, through which application, with what parameters."""

    account: Account
    plan: Plan
    from_: str
    to: str
    params: dict[str, str]


def identity_of(to: str) -> str | None:
    """`client:alice` -> `alice`; None for anything that does not address a client."""
    if not to.startswith(SCHEME):
        return None
    return to.removeprefix(SCHEME) or None


# Who answers


def outcome(answers: list[str]) -> tuple[str, int | None, list[str]]:
    """Devices that answer as `answers` (registration order) ring at once. Returns the call's
    `DialCallStatus`, which device takes it, and how it went for each device.

    The first device that accepts takes the call and the others are canceled; with none
    accepting, a device that ignores the call lets it ring until the `<Dial>`'s timeout
    (no-answer); when every device rejects it, the call is busy (as Twilio reports a rejected
    `CallInvite`); no device at all is no-answer.
    """
    taker = next((i for i, a in enumerate(answers) if a == "accept"), None)
    if taker is not None:
        each = ["accepted" if i == taker else "rejected" if a == "reject" else "canceled"
                for i, a in enumerate(answers)]  # fmt: skip
        return "completed", taker, each
    each = ["rejected" if a == "reject" else "no-answer" for a in answers]
    busy = bool(answers) and all(a == "reject" for a in answers)
    return ("busy" if busy else "no-answer"), None, each


async def ring(store: Store, invite: Invite) -> Answer:
    """Ring the devices registered as `invite.identity` in `invite.account_sid`: each records
    the call (with the `<Parameter>`s), and the answer says who took it. `<Dial><Client>` and
    `calls.create(to="client:…")` both call this."""
    devices = await store.ringing_devices(invite.account_sid, invite.identity)
    status, taker, each = outcome([d["answer"] for d in devices])
    seen = {
        "parent_call_sid": invite.parent_call_sid,
        "from": invite.from_,
        "to": invite.to,
        "parameters": invite.parameters,
        "at": invite.at,
    }
    rows = [
        (device["sid"], invite.call_sid, {**seen, "status": how})
        for device, how in zip(devices, each, strict=True)
    ]
    await store.record_device_calls(rows, keep=MAX_DEVICE_CALLS)
    if taker is None:
        return Answer(status)
    device = devices[taker]
    return Answer(status, device["sid"], Script.from_dict(device["script"]))


def dialled(noun: dict[str, Any], warnings: list[str]) -> tuple[str, dict[str, str]]:
    """A `<Client>` noun's identity (its text, or its `<Identity>`) and `<Parameter>`s."""
    identity = str(noun.get("text", "")).strip()
    parameters: dict[str, str] = {}
    for child in noun.get("children", []):
        if child["verb"] == "Identity":
            identity = str(child.get("text", "")).strip()
            continue
        name = child["attributes"].get("name")
        if not name:
            warnings.append(f"{WARNING}: <Client><Parameter> without a name; skipped")
            continue
        parameters[str(name)] = str(child["attributes"].get("value", ""))
    return identity, parameters


# Tokens


async def verified(
    store: Store, token: str, accounts: Accounts
) -> tuple[tokens.VoiceToken, Account]:
    """A device's token, verified now against the store (a key deleted a moment ago signs
    nothing), for an account the caller may act for, which must be active."""

    async def allowed(sid: str) -> bool:
        return await accounts(sid) is not None

    voice = await tokens.verify(token, store.get_key, store.clock() / 1e6, subject_allowed=allowed)
    account = await accounts(voice.account_sid)
    if account is None or account.status != "active":
        raise errors.account_not_active()
    return voice, account


def _token(form: Form) -> str:
    token = form.get("Token")
    if not token:
        raise errors.missing_parameter("Token is required: the device's Access Token")
    return str(token)


# Outgoing: a device connects through its grant's application


def device_params(form: Form) -> dict[str, str]:
    """The device's `Param`s (`name=value`, what `device.connect({params})` sends), in order."""
    raw = form.getall("Param")
    if len(raw) > MAX_ENTRIES:
        raise errors.invalid_parameter(f"At most {MAX_ENTRIES} Param values")
    params: dict[str, str] = {}
    for pair in raw:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise errors.invalid_parameter(f"Param must be name=value, not {pair[:80]!r}")
        if name in TWILIO_PARAMS:
            raise errors.invalid_parameter(
                f"Param {name} is a parameter Twilio sets itself; a device cannot send it"
            )
        if name in params:
            raise errors.invalid_parameter(f"Param {name} is given twice")
        params[name] = value
    return params


def _grant_value(value: tokens.Param) -> str:
    """A grant param as the webhook gets it: strings as they are, others as their JSON."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


async def connect(store: Store, form: Form, accounts: Accounts, call_sid: str) -> Outgoing:
    """A device's call through its token's outgoing application, with Twilio's parameters:
    `From`/`Caller` `client:<identity>`, `Called` empty, `To` the device's (empty without),
    the grant's params, then the device's."""
    token, device = _token(form), device_params(form)
    voice, account = await verified(store, token, accounts)
    app_sid = voice.outgoing_application_sid
    if app_sid is None:
        raise token_refused(
            TokenRefusal.GRANTS_INVALID,
            "grants.voice has no outgoing application: this token cannot place calls",
        )
    granted = {str(k): _grant_value(v) for k, v in voice.outgoing_params.items()}
    for name in granted:
        if name in TWILIO_PARAMS:
            raise token_refused(
                TokenRefusal.GRANTS_INVALID,
                f"grants.voice.outgoing.params.{name} would replace a parameter Twilio sets",
            )
        if name in device:
            raise errors.invalid_parameter(
                f"Param {name} repeats a parameter of the token's grant (outgoing.params)"
            )
    app = await store.get_application(account.sid, app_sid)
    if app is None:
        raise errors.invalid_application_sid(app_sid)
    plan = application_plan(app)
    caller = f"{SCHEME}{voice.identity}"
    params = {
        "AccountSid": account.sid,
        "ApiVersion": plan.api_version,
        "ApplicationSid": app_sid,
        "CallSid": call_sid,
        "CallStatus": "ringing",
        "Called": "",
        "Caller": caller,
        "Direction": "inbound",
        "From": caller,
        "To": "",
        **granted,
        **device,
    }
    return Outgoing(account, plan, caller, params["To"], params)


# Incoming: a device registers to be rung


async def register(store: Store, form: Form, accounts: Accounts) -> Record:
    """A device registered with its token (which must allow incoming calls) until the token
    expires; `Answer` and the caller options (`Input`, ...) say what it does when rung."""
    token = _token(form)
    answer = str(form.get("Answer", "accept"))
    if answer not in ANSWERS:
        raise errors.invalid_parameter(
            f"Answer must be one of {', '.join(ANSWERS)}, not {answer[:40]!r}"
        )
    script = Script.from_form(form)
    voice, account = await verified(store, token, accounts)
    if not voice.incoming_allowed:
        raise token_refused(
            TokenRefusal.GRANTS_INVALID,
            "grants.voice.incoming.allow is not true: this token cannot receive calls",
        )
    values = {
        "account_sid": account.sid,
        "identity": voice.identity,
        "key_sid": voice.key_sid,
        "answer": answer,
        "script": script.as_dict(),
        "expires_at": int(voice.expires * 1_000_000),
    }
    return await store.register_device(values, limit=MAX_DEVICES)
