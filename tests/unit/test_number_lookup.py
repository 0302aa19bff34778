"""What a simulated call or message reads first (`Store.find_number_and_application`), on SQLite
and PostgreSQL: the number and the application its link names, in one read, the same records
as reading the number, then the application."""

from __future__ import annotations

import asyncio

from switchboard.store import migrate, open_store
from switchboard.store.base import Store

VOICE, SMS = "voice_application_sid", "sms_application_sid"


def test_the_joined_read_gives_what_two_reads_give(database_url: str) -> None:
    migrate.upgrade(database_url)

    async def main() -> None:
        store = open_store(database_url)
        await store.open()
        try:
            await scenario(store)
        finally:
            await store.close()

    asyncio.run(main())


async def scenario(store: Store) -> None:
    mine = (await store.create_account("Mine")).sid
    other = (await store.create_account("Other")).sid
    voice_values = {"friendly_name": "v", "voice_url": "http://x/v", "voice_method": "GET"}
    voice = await store.create_application(mine, {**voice_values, "voice_caller_id_lookup": True})
    sms = await store.create_application(mine, {"friendly_name": "s", "sms_url": "http://x/s"})

    async def number(account: str, links: dict[str, str]) -> str:
        made = await store.create_number(
            account, {"voice_url": "http://example.com/n", **links},
            phone_number=None, area_code="415", number_type=None,
        )  # fmt: skip
        return str(made["phone_number"])

    both = await number(mine, {VOICE: voice["sid"], SMS: sms["sid"]})
    voice_only = await number(mine, {VOICE: voice["sid"]})
    bare = await number(mine, {})
    theirs = await number(other, {})

    for phone in (both, voice_only, bare):
        for link in (VOICE, SMS):
            joined = await store.find_number_and_application(mine, phone, link)
            two_reads = await Store.find_number_and_application(store, mine, phone, link)
            assert joined == two_reads
            assert joined is not None
    found = await store.find_number_and_application(mine, both, VOICE)
    assert found is not None and found[1] == await store.get_application(mine, voice["sid"])
    assert found[1] is not None and found[1]["voice_caller_id_lookup"] is True
    found = await store.find_number_and_application(mine, both, SMS)
    assert found is not None and found[1] is not None and found[1]["sid"] == sms["sid"]
    found = await store.find_number_and_application(mine, voice_only, SMS)
    assert found is not None and found[1] is None
    assert await store.find_number_and_application(mine, theirs, VOICE) is None
    assert await store.find_number_and_application(mine, "+14155550000", VOICE) is None

    await store.delete_application(mine, voice["sid"])  # the link cleared with it
    found = await store.find_number_and_application(mine, both, VOICE)
    assert found is not None and found[0][VOICE] is None and found[1] is None
