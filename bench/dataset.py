"""The benchmark's data sets, built through the store and cached under `bench/.data/`.

A data set is N accounts of 1000 applications each, plus one phone number per account linked
(voice and SMS) to the account's first application. Everything is written with the store's own
API (`create_account`, `create_applications`, `create_number`) after `migrate.upgrade`, exactly
as the server would write it.

Caches are keyed by size, store, schema revision and `BUILD_VERSION`:

- SQLite: `bench/.data/sqlite-<size>-r<rev>-v<n>.db` (+ a `.json` manifest written last);
- PostgreSQL: one database per size, `sbbench_<size>_r<rev>_v<n>` (manifest in `bench/.data/`).

A run never changes a cached database: it works on a copy (a file copy for SQLite,
`CREATE DATABASE ... TEMPLATE` for PostgreSQL), made fresh for each run.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from switchboard.store import migrate, open_store
from switchboard.twilio import rules
from switchboard.twilio.params import parse_params
from switchboard.twilio.resources import APPLICATION, INCOMING_PHONE_NUMBER

DATA = Path(__file__).resolve().parent / ".data"
BUILD_VERSION = 1  # bump when what a build contains changes
APPS_PER_ACCOUNT = 1000
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"

Log = Callable[[str], None]


@dataclass(frozen=True)
class Size:
    name: str
    accounts: int

    @property
    def apps(self) -> int:
        return self.accounts * APPS_PER_ACCOUNT


SIZES: dict[str, Size] = {
    "1k": Size("1k", 1),
    "100k": Size("100k", 100),
    "1m": Size("1m", 1000),
}
_ALIASES = {"1000": "1k", "100000": "100k", "1000000": "1m", "1M": "1m", "100K": "100k"}


def parse_size(text: str) -> Size:
    key = _ALIASES.get(text, text).lower()
    if key not in SIZES:
        raise ValueError(f"unknown size {text!r}: use 1k, 100k or 1m")
    return SIZES[key]


@dataclass(frozen=True)
class AccountInfo:
    sid: str
    auth_token: str
    phone_number: str  # linked (voice and SMS) to `first_app`
    first_app: str


@dataclass(frozen=True)
class Dataset:
    size: Size
    store: str  # "sqlite" | "postgres"
    url: str  # the cached database; never served directly
    accounts: list[AccountInfo]
    build_seconds: float


def schema_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head() or "none"
    return re.sub(r"[^a-z0-9]", "", head.lower())


def phone_number(i: int) -> str:
    return f"+1415{2_000_000 + i:07d}"


async def populate(url: str, size: Size, log: Log) -> list[AccountInfo]:
    """Write the data set through the store (the schema must be migrated)."""
    store = open_store(url)
    await store.open()
    accounts: list[AccountInfo] = []
    started = time.monotonic()
    try:
        for i in range(size.accounts):
            account = await store.create_account(f"Bench {i:04d}")
            values = [
                parse_params(
                    APPLICATION.fields,
                    {
                        "FriendlyName": f"App {i:04d}-{j:04d}",
                        "VoiceUrl": "https://example.com/voice",
                        "SmsUrl": "https://example.com/sms",
                    },
                    create=True,
                )
                for j in range(APPS_PER_ACCOUNT)
            ]
            apps = await store.create_applications(account.sid, values)
            first = apps[0]["sid"]
            number_values = rules.apply_link_rules(
                parse_params(
                    INCOMING_PHONE_NUMBER.fields,
                    {"VoiceApplicationSid": first, "SmsApplicationSid": first},
                    create=True,
                )
            )
            number = phone_number(i)
            await store.create_number(
                account.sid, number_values, phone_number=number, area_code=None, number_type=None
            )
            accounts.append(AccountInfo(account.sid, account.auth_token, number, first))
            done = i + 1
            if done % 50 == 0 or done == size.accounts:
                elapsed = time.monotonic() - started
                eta = elapsed / done * (size.accounts - done)
                log(
                    f"  {done * APPS_PER_ACCOUNT:,} applications in {elapsed:.0f} s"
                    f" (about {eta:.0f} s left)"
                )
    finally:
        await store.close()
    return accounts


def _manifest_path(store: str, size: Size) -> Path:
    return DATA / f"{store}-{size.name}-r{schema_revision()}-v{BUILD_VERSION}.json"


def _write_manifest(path: Path, dataset: Dataset) -> None:
    body = {
        "size": dataset.size.name,
        "store": dataset.store,
        "url": dataset.url,
        "build_seconds": dataset.build_seconds,
        "accounts": [asdict(a) for a in dataset.accounts],
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(body))
    tmp.replace(path)


def _read_manifest(path: Path, size: Size) -> Dataset | None:
    if not path.exists():
        return None
    body = json.loads(path.read_text())
    return Dataset(
        size=size,
        store=body["store"],
        url=body["url"],
        accounts=[AccountInfo(**a) for a in body["accounts"]],
        build_seconds=float(body["build_seconds"]),
    )


def remove_sqlite(path: Path) -> None:
    """A SQLite file and the files beside it: its WAL, shared memory, journal, writer lock."""
    for suffix in ("", "-wal", "-shm", "-journal", "-writer.lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# SQLite


async def sqlite_dataset(size: Size, log: Log, *, rebuild: bool = False) -> Dataset:
    DATA.mkdir(parents=True, exist_ok=True)
    manifest = _manifest_path("sqlite", size)
    db = manifest.with_suffix(".db")
    cached = None if rebuild else _read_manifest(manifest, size)
    if cached is not None and db.exists():
        return cached
    manifest.unlink(missing_ok=True)
    remove_sqlite(db)
    building = db.with_suffix(".building.db")
    remove_sqlite(building)
    url = f"sqlite:///{building}"
    log(f"building the {size.name} SQLite data set ({size.apps:,} applications) ...")
    started = time.monotonic()
    migrate.upgrade(url)
    accounts = await populate(url, size, log)
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{building}{suffix}")
        if src.exists():
            src.replace(f"{db}{suffix}")
    seconds = time.monotonic() - started
    log(f"  built in {seconds:.0f} s: {db}")
    dataset = Dataset(size, "sqlite", f"sqlite:///{db}", accounts, seconds)
    _write_manifest(manifest, dataset)
    return dataset


def sqlite_working_copy(dataset: Dataset) -> Path:
    """A fresh copy of the cached file under bench/.data/work/, for one run to change."""
    src = Path(migrate.sqlite_path(dataset.url))
    work = DATA / "work" / f"sqlite-{dataset.size.name}.db"
    work.parent.mkdir(parents=True, exist_ok=True)
    remove_sqlite(work)
    shutil.copyfile(src, work)
    for suffix in ("-wal",):
        if Path(f"{src}{suffix}").exists():
            shutil.copyfile(f"{src}{suffix}", f"{work}{suffix}")
    return work


# PostgreSQL


def pg_url(base_url: str, database: str) -> str:
    parts = urlsplit(base_url)
    return urlunsplit(parts._replace(path=f"/{database}"))


async def pg_answers(base_url: str) -> bool:
    import asyncpg

    try:
        conn = await asyncpg.connect(base_url, timeout=3)
    except Exception:
        return False
    await conn.close()
    return True


async def _pg_admin(base_url: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(base_url, timeout=10)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


async def _pg_exists(base_url: str, database: str) -> bool:
    import asyncpg

    conn = await asyncpg.connect(base_url, timeout=10)
    try:
        found = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
    finally:
        await conn.close()
    return found is not None


async def postgres_dataset(
    size: Size, base_url: str, log: Log, *, rebuild: bool = False
) -> Dataset:
    DATA.mkdir(parents=True, exist_ok=True)
    manifest = _manifest_path("postgres", size)
    name = f"sbbench_{size.name}_r{schema_revision()}_v{BUILD_VERSION}"
    url = pg_url(base_url, name)
    cached = None if rebuild else _read_manifest(manifest, size)
    if cached is not None and cached.url == url and await _pg_exists(base_url, name):
        return cached
    manifest.unlink(missing_ok=True)
    building = f"{name}_building"
    await _pg_admin(
        base_url,
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)',
        f'CREATE DATABASE "{building}"',
    )
    log(f"building the {size.name} PostgreSQL data set ({size.apps:,} applications) ...")
    started = time.monotonic()
    building_url = pg_url(base_url, building)
    migrate.upgrade(building_url)
    accounts = await populate(building_url, size, log)
    await _pg_admin(building_url, "VACUUM ANALYZE")
    await _pg_admin(base_url, f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    seconds = time.monotonic() - started
    log(f"  built in {seconds:.0f} s: database {name}")
    dataset = Dataset(size, "postgres", url, accounts, seconds)
    _write_manifest(manifest, dataset)
    return dataset


async def postgres_working_copy(dataset: Dataset, base_url: str) -> str:
    """A fresh `CREATE DATABASE ... TEMPLATE <cached>`; returns its URL."""
    template = urlsplit(dataset.url).path.lstrip("/")
    work = f"sbbench_work_{dataset.size.name}"
    await _pg_admin(
        base_url,
        f'DROP DATABASE IF EXISTS "{work}" WITH (FORCE)',
        f'CREATE DATABASE "{work}" TEMPLATE "{template}"',
    )
    return pg_url(base_url, work)


async def drop_postgres_copy(url: str, base_url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    await _pg_admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
