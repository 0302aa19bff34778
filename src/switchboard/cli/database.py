"""The database and the account a command works on, and running a command against them.

Only `serve` and `db upgrade` create a database: every other command refuses a SQLite file that
is not there, or a database without Switchboard's schema, rather than leave an empty one behind.
Whatever goes wrong with the database is one line (`Failure`), never a traceback, and never
shows the URL's password.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

from switchboard.cli.output import Failure
from switchboard.config import SETTING
from switchboard.store import Store, is_postgres, migrate, open_store, redact_url
from switchboard.twilio.errors import TwilioError
from switchboard.twilio.resources import Account

T = TypeVar("T")

CREATE_HINT = "`switchboard db upgrade` (or `switchboard serve`) creates one"


def database_url(flag: str | None) -> str:
    """`--database-url`, else SWITCHBOARD_DATABASE_URL, else the default."""
    url: str = SETTING["database_url"].resolve(flag)
    return url


def reason(exc: BaseException) -> str:
    """What went wrong, in the database driver's own words (its first line)."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _refused(url: str, exc: BaseException) -> Failure:
    return Failure(f"cannot use the database {redact_url(url)}: {reason(exc)}")


def store_for(url: str) -> Store:
    """The store for `url` (not opened yet), or a Failure naming what URLs work."""
    try:
        return open_store(url)
    except ValueError as exc:
        raise Failure(str(exc)) from None


def require_existing(url: str) -> None:
    """Refuse, creating nothing, when there is no Switchboard database at `url`."""
    if not is_postgres(url):
        path = migrate.sqlite_path(url)
        if not os.path.exists(path):
            raise Failure(f"no database at {url} (there is no file {path}): {CREATE_HINT}")
    try:
        revision = migrate.current_revision(url)
    except Exception as exc:  # whatever the driver raises: one line, not a traceback
        raise _refused(url, exc) from None
    if revision is None:
        raise Failure(f"no Switchboard database at {redact_url(url)} (no schema): {CREATE_HINT}")


def upgrade(url: str) -> None:
    """Apply pending migrations (creating the database's schema, and a SQLite file)."""
    try:
        migrate.upgrade(url)
    except Exception as exc:  # MigrationRefused, a refused connection, a read-only file...
        raise _refused(url, exc) from None


def run(url: str, fn: Callable[[Store], Awaitable[T]], *, create: bool = False) -> T:
    """Check the URL and the database (`create`: make it if missing), migrate, open the store,
    run `fn`, close. A TwilioError from `fn` becomes `error CODE: message`."""
    store = store_for(url)
    if not create:
        require_existing(url)
    upgrade(url)

    async def session() -> T:
        try:
            await store.open()
        except Exception as exc:
            raise _refused(url, exc) from None
        try:
            return await fn(store)
        except TwilioError as exc:
            raise Failure.from_twilio(exc) from None
        except Exception as exc:
            if store.unavailable(exc):
                raise _refused(url, exc) from None
            raise
        finally:
            await store.close()

    return asyncio.run(session())


def run_for_account(
    url_flag: str | None,
    account_sid: str | None,
    fn: Callable[[Store, Account], Awaitable[T]],
) -> T:
    """`run` on `--database-url`'s database, for `--account`'s account (default: the main one)."""

    async def op(store: Store) -> T:
        return await fn(store, await find_account(store, account_sid))

    return run(database_url(url_flag), op)


async def find_account(store: Store, sid: str | None) -> Account:
    """`--account`'s account, or the main account when it is not given."""
    if sid is not None:
        account = await store.get_account(sid)
        if account is None:
            raise Failure(f"no account {sid} in this database")
        return account
    mains = sorted((a for a in await store.list_accounts() if a.is_main), key=lambda a: a.sid)
    if not mains:
        raise Failure(
            "this database has no main account yet: `switchboard serve` makes one on its first "
            "start; or name an account with --account AC…"
        )
    return mains[0]
