"""What sending a message reads, in the transaction that stores it (`Store.send_message`), on
SQLite and PostgreSQL: the sender's capabilities (None when it is not the account's), the
recipient's opt-out of that sender, whether the recipient is a Switchboard number, and the
handset the account set; the first step's jobs stored with the message, or its refusal storing
nothing."""

from __future__ import annotations

import asyncio

import pytest

from switchboard.store import migrate, open_store
from switchboard.store.base import Handset, NewJob, Sending, Store, TraceWrite
from switchboard.traffic.outbound import new_record

FROM, OTHER, HANDSET = "+14155550100", "+14155550101", "+14155550142"


def test_sending_reads_the_sender_the_opt_out_the_recipient_and_its_handset(
    database_url: str,
) -> None:
    migrate.upgrade(database_url)

    async def main() -> None:
        store: Store = open_store(database_url)
        await store.open()
        try:
            await scenario(store)
        finally:
            await store.close()

    asyncio.run(main())


class Refused(Exception):
    pass


async def sending(store: Store, account_sid: str, sender: str, recipient: str) -> Sending:
    """What `send_message` hands its first step, which refuses: nothing is stored."""
    seen: list[Sending] = []

    def refuse(found: Sending) -> list[NewJob]:
        seen.append(found)
        raise Refused

    record = message(store, account_sid, sender, recipient)
    with pytest.raises(Refused):
        await store.send_message(record, [], refuse)
    assert await store.get_message(account_sid, record["sid"]) is None
    assert await store.pending_jobs(account_sid) == 0
    [found] = seen
    return found


def message(store: Store, account_sid: str, sender: str, recipient: str) -> dict[str, object]:
    now = store.clock()
    return new_record(
        store.sids.new("SM"),
        account_sid,
        from_=sender,
        to=recipient,
        body="hi",
        num_media=0,
        direction="outbound-api",
        status="queued",
        now=now,
    )


async def scenario(store: Store) -> None:
    mine = (await store.create_account("sender")).sid
    theirs = (await store.create_account("another")).sid
    await store.create_number(mine, {}, phone_number=FROM, area_code=None, number_type=None)
    await store.create_number(theirs, {}, phone_number=OTHER, area_code=None, number_type=None)

    nothing = await sending(store, mine, HANDSET, HANDSET)
    assert nothing.sender_capabilities is None  # not a number of the account
    assert (nothing.opted_out, nothing.recipient_is_ours, nothing.handset) == (False, False, None)
    assert (await sending(store, mine, OTHER, HANDSET)).sender_capabilities is None  # theirs

    plain = await sending(store, mine, FROM, HANDSET)
    assert plain.sender_capabilities == (await store.find_number(mine, FROM) or {})["capabilities"]
    assert plain.sender_capabilities is not None and plain.sender_capabilities["sms"] is True
    assert (plain.opted_out, plain.recipient_is_ours, plain.handset) == (False, False, None)

    assert (await sending(store, mine, FROM, OTHER)).recipient_is_ours  # Twilio-to-Twilio

    await store.set_opt_out(mine, FROM, HANDSET, True)
    await store.put_handset(Handset(mine, HANDSET, "undelivered", 30005, input=("1", "wait 2")))
    both = await sending(store, mine, FROM, HANDSET)
    assert both.opted_out
    assert both.handset is not None
    assert both.handset == await store.get_handset(mine, HANDSET)
    assert (both.handset.message_outcome, both.handset.message_error_code) == ("undelivered", 30005)
    assert not (await sending(store, theirs, FROM, HANDSET)).opted_out  # per account
    assert (await sending(store, theirs, FROM, HANDSET)).handset is None

    # Accepted: the message and the first step's jobs, together.
    record = message(store, mine, FROM, OTHER)
    step = NewJob(mine, "message.step", str(record["sid"]), store.clock(), {"n": 1})
    stored = await store.send_message(record, [], lambda found: [step])
    assert stored["sid"] == record["sid"]
    assert (await store.get_message(mine, str(record["sid"])) or {})["status"] == "queued"
    assert await store.pending_jobs(mine) == 1


def test_a_step_reads_the_message_its_trace_and_its_accounts_token(database_url: str) -> None:
    """`message_for_step`: one read for a step of a sent message; the trace's body once one is
    stored; None for a message of another account or none."""
    migrate.upgrade(database_url)

    async def main() -> None:
        store: Store = open_store(database_url)
        await store.open()
        try:
            account = await store.create_account("steps")
            other = await store.create_account("other")
            record = message(store, account.sid, FROM, HANDSET)
            await store.create_message(record, [], [])
            read = await store.message_for_step(account.sid, record["sid"])
            assert read is not None
            assert read.message == await store.get_message(account.sid, record["sid"])
            assert (read.trace, read.auth_token) == (None, account.auth_token)
            body = {"sid": record["sid"], "status": "sent", "requests": []}
            trace = TraceWrite(account.sid, record["sid"], "message", "sent", body, [])
            await store.save_traffic([trace], keep=10)
            read = await store.message_for_step(account.sid, record["sid"])
            assert read is not None and read.trace == body
            assert await store.message_for_step(other.sid, record["sid"]) is None
            assert await store.message_for_step(account.sid, "SM" + "0" * 32) is None
        finally:
            await store.close()

    asyncio.run(main())
