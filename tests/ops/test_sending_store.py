"""What sending a message reads, in one statement (`Store.sending`), on SQLite and PostgreSQL:
the sender's capabilities (None when it is not the account's), the recipient's opt-out of that
sender, whether the recipient is a Switchboard number, and the handset the account set."""

from __future__ import annotations

import asyncio

from switchboard.store import migrate, open_store
from switchboard.store.base import Handset, Store

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


async def scenario(store: Store) -> None:
    mine = (await store.create_account("sender")).sid
    theirs = (await store.create_account("another")).sid
    await store.create_number(mine, {}, phone_number=FROM, area_code=None, number_type=None)
    await store.create_number(theirs, {}, phone_number=OTHER, area_code=None, number_type=None)

    nothing = await store.sending(mine, HANDSET, HANDSET)
    assert nothing.sender_capabilities is None  # not a number of the account
    assert (nothing.opted_out, nothing.recipient_is_ours, nothing.handset) == (False, False, None)
    assert (await store.sending(mine, OTHER, HANDSET)).sender_capabilities is None  # theirs

    plain = await store.sending(mine, FROM, HANDSET)
    assert plain.sender_capabilities == (await store.find_number(mine, FROM) or {})["capabilities"]
    assert plain.sender_capabilities is not None and plain.sender_capabilities["sms"] is True
    assert (plain.opted_out, plain.recipient_is_ours, plain.handset) == (False, False, None)

    assert (await store.sending(mine, FROM, OTHER)).recipient_is_ours  # Twilio-to-Twilio

    await store.set_opt_out(mine, FROM, HANDSET, True)
    set_ = Handset(mine, HANDSET, "undelivered", 30005, input=("1", "wait 2"))
    await store.put_handset(set_)
    both = await store.sending(mine, FROM, HANDSET)
    assert both.opted_out
    assert both.handset is not None
    assert both.handset == await store.get_handset(mine, HANDSET)
    assert (both.handset.message_outcome, both.handset.message_error_code) == ("undelivered", 30005)
    assert not (await store.sending(theirs, FROM, HANDSET)).opted_out  # per account
    assert (await store.sending(theirs, FROM, HANDSET)).handset is None
