"""Run one simulated inbound call or message end to end and store its trace.

One entry point for the HTTP API (`/switchboard/v1/...`) and the CLI (`switchboard simulate`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from switchboard.routing.call_params import STIR_VERSTATS
from switchboard.routing.router import Router, Trace
from switchboard.store.base import Store
from switchboard.twilio import errors
from switchboard.twilio.params import valid_url
from switchboard.twilio.resources import Account
from switchboard.twilio.rules import E164_RE


class Flow(Protocol):
    async def __call__(
        self, router: Router, account: Account, form: Mapping[str, str], *, keep: int
    ) -> dict[str, Any]: ...


_DURATION = re.compile(r"^[0-9]{1,9}\Z")


def _required(form: Mapping[str, str], name: str, code: int) -> str:
    value = form.get(name, "")
    if not value:
        raise errors.missing_phone_number(code, name)
    return value


def _common(form: Mapping[str, str]) -> None:
    to = _required(form, "To", 21604)
    _required(form, "From", 21603)
    if not E164_RE.match(to):
        raise errors.invalid_to_number(to)


async def _save(store: Store, trace: Trace, keep: int) -> dict[str, Any]:
    body = trace.to_json()
    await store.save_trace(
        trace.account_sid,
        trace.sid,
        trace.kind,
        trace.status,
        body,
        body["requests"],
        keep=keep,
    )
    return body


async def simulate_call(
    router: Router,
    account: Account,
    form: Mapping[str, str],
    *,
    keep: int,
) -> dict[str, Any]:
    store = router.store
    _common(form)
    duration = form.get("CallDuration", "0")
    if not _DURATION.match(duration):
        raise errors.invalid_parameter(
            f"CallDuration must be a whole number of seconds: {duration!r}"
        )
    verstat = form.get("StirVerstat")
    if verstat and verstat not in STIR_VERSTATS:
        raise errors.invalid_parameter(
            f"StirVerstat must be one of {', '.join(sorted(STIR_VERSTATS))}, or empty: {verstat!r}"
        )
    trace = await router.inbound_call(account, form, store.sids.new("CA"), store.clock())
    return await _save(store, trace, keep)


async def simulate_message(
    router: Router,
    account: Account,
    form: Mapping[str, str],
    *,
    keep: int,
) -> dict[str, Any]:
    store = router.store
    _common(form)
    for i in range(10):
        url = form.get(f"MediaUrl{i}")
        if url and not valid_url(url):
            raise errors.invalid_url(f"MediaUrl{i}", url)
    if len(form.get("Body", "")) > 1600:
        raise errors.body_too_long()
    trace = await router.inbound_message(
        account, form, store.sids.new("SM"), store.clock(), new_sid=store.sids.new
    )
    return await _save(store, trace, keep)
