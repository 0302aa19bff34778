"""The migrations, `store/metadata.py` and the head schema an empty database gets
(`store/migrations/head.*.sql`) describe the same database."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import Databases, Server, query, run_cli
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant

from switchboard.store import migrate, open_store
from switchboard.store.metadata import metadata
from switchboard.twilio import rules, tokens
from switchboard.twilio.errors import TwilioError


@pytest.fixture
def upgraded(database_url: str) -> str:
    run_cli("db", "upgrade", database_url=database_url)
    return database_url


@pytest.fixture
def migrated(database_url: str) -> str:
    """The database the migrations build, one after the other from nothing (`db upgrade` on an
    empty database runs the head schema instead)."""
    _at(database_url, "head")
    return database_url


@pytest.fixture
def connection(migrated: str) -> Iterator[Connection]:
    engine = create_engine(migrate.sqlalchemy_url(migrated))
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def head_revision() -> str:
    heads = ScriptDirectory.from_config(migrate.alembic_config()).get_heads()
    assert len(heads) == 1, f"more than one migration head: {heads}"
    return heads[0]


def test_upgraded_database_matches_schema_metadata(connection: Connection) -> None:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    diff = compare_metadata(context, metadata)
    assert diff == [], f"migrations and store/schema.py disagree: {diff}"


def test_upgraded_database_has_every_table(connection: Connection) -> None:
    tables = set(inspect(connection).get_table_names())
    assert set(metadata.tables) <= tables


def test_revision_is_head(upgraded: str) -> None:
    assert migrate.current_revision(upgraded) == head_revision()


def describe(database_url: str) -> dict[str, dict[str, object]]:
    """Every table as the database itself reports it: columns (type, collation, nullability,
    default), primary key, foreign keys (with ON DELETE), indexes, unique and check constraints,
    names included. Not the columns' order: a migration that adds a column adds it last."""
    engine = create_engine(migrate.sqlalchemy_url(database_url))
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)

            def listed(items: list[Any]) -> list[str]:
                return sorted(json.dumps(item, sort_keys=True, default=str) for item in items)

            return {
                table: {
                    "columns": {
                        c["name"]: (
                            str(c["type"].compile(dialect=conn.dialect)),
                            c["nullable"],
                            c["default"],
                        )
                        for c in inspector.get_columns(table)
                    },
                    "primary key": inspector.get_pk_constraint(table),
                    "foreign keys": listed(inspector.get_foreign_keys(table)),
                    "indexes": listed(inspector.get_indexes(table)),
                    "unique": listed(inspector.get_unique_constraints(table)),
                    "checks": listed(inspector.get_check_constraints(table)),
                }
                for table in sorted(inspector.get_table_names())
            }
    finally:
        engine.dispose()


def test_an_empty_database_gets_what_the_migrations_build(
    store_kind: str, databases: Databases, tmp_path: Path
) -> None:
    """The head schema (store/migrations/head.*.sql, one transaction) and the nine migrations
    (each committed) make the same database, `alembic_version` included."""
    migrated = databases.new(store_kind, tmp_path)
    _at(migrated, "head")
    fresh = databases.new(store_kind, tmp_path)
    assert migrate.create_if_empty(fresh)
    assert migrate.at_head(fresh)
    assert not migrate.create_if_empty(fresh)  # not twice
    expected = describe(migrated)
    assert set(expected) == {*metadata.tables, "alembic_version"}
    made = describe(fresh)
    for table, shape in expected.items():
        assert made[table] == shape, table
    assert made == expected


def test_processes_starting_together_make_the_schema_once(database_url: str) -> None:
    """Under the migration lock (SQLite's write lock, PostgreSQL's advisory lock) one of them
    makes it; the others wait, then find tables and leave them alone."""
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _: migrate.create_if_empty(database_url), range(4)))
    assert sorted(made) == [False, False, False, True]
    assert migrate.at_head(database_url)


def test_sqlite_files_made_by_processes_starting_together_never_fail(tmp_path: Path) -> None:
    """The one that makes a SQLite file switches it to WAL while another may hold its write
    lock for a moment (it waited, then finds the tables): SQLite says "locked" at once there,
    which failed 2 % of such starts (6 of 300) until the switch waited it out. 100 starts of
    four on fresh files, each made once, none failing, every file in WAL."""
    import sqlite3

    with ThreadPoolExecutor(4) as pool:
        for i in range(100):
            path = tmp_path / f"start-{i}.db"
            url = f"sqlite:///{path}"
            made = list(pool.map(migrate.create_if_empty, [url] * 4))
            assert sorted(made) == [False, False, False, True], i
            conn = sqlite3.connect(path)
            try:
                assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            finally:
                conn.close()


def test_cli_reports_head_revision(database_url: str) -> None:
    out = run_cli("db", "upgrade", database_url=database_url)
    assert head_revision() in out.stdout


def test_one_linear_history() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    revisions = list(script.walk_revisions())
    assert revisions, "no migrations"
    assert revisions[-1].down_revision is None
    for rev in revisions:
        assert not rev.is_merge_point
        assert rev.module.__doc__, f"revision {rev.revision} has no docstring"


def test_serve_on_an_empty_database(tmp_path: Path, database_url: str) -> None:
    """`serve` on a new SQLite file or an empty PostgreSQL database: it makes the head schema,
    serves from its own process (nothing heavy loaded: no second interpreter), answers; `db
    upgrade` then has nothing to do, and a migration added later applies on top."""
    url = database_url
    server = Server(url, tmp_path)
    server.start()
    try:
        assert server.proc is not None
        argv = Path(f"/proc/{server.proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"switchboard.cli" in argv and b"switchboard.api.servers" not in argv, argv
        app = server.client().applications.create(friendly_name="made on a fresh database")
        with server.http() as h:
            assert h.get(server.apps_path()).json()["applications"][0]["sid"] == app.sid
    finally:
        server.stop()
    engine = create_engine(migrate.sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn)
            assert context.get_current_revision() == head_revision()
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()

    before = describe(url)
    out = run_cli("db", "upgrade", database_url=url)
    assert out.stdout.strip().endswith(f"is at revision {head_revision()}"), out.stdout
    assert describe(url) == before
    assert query(url, "SELECT version_num FROM alembic_version") == [(head_revision(),)]

    scripts = _with_a_later_migration(tmp_path)
    _at(url, "head", config=scripts)
    assert query(url, "SELECT version_num FROM alembic_version") == [("later",)]
    assert query(url, "SELECT friendly_name, later FROM applications") == [
        ("made on a fresh database", None)
    ]
    # And every migration undoes itself on it: each finds the names it drops.
    _at(url, "base", down=True, config=scripts)
    assert set(describe(url)) == {"alembic_version"}


LATER_MIGRATION = '''"""A migration written after the head schema: a column and an index.

Revision ID: later
Revises: {head}
"""

import sqlalchemy as sa
from alembic import op

revision = "later"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("later", sa.Text, nullable=True))
        batch.create_index("ix_applications_later", ["later"])


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_index("ix_applications_later")
        batch.drop_column("later")
'''


def _with_a_later_migration(tmp_path: Path) -> Config:
    """The migrations, with one more after the newest, in a copy of their folder."""
    folder = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    later = LATER_MIGRATION.format(head=head_revision())
    (folder / "versions" / "9999_later.py").write_text(later)
    config = Config()
    config.set_main_option("script_location", str(folder))
    return config


def test_upgrade_to_0004_counts_an_existing_request_log(database_url: str) -> None:
    """A database at 0003 with a request log: 0004 fills `log_sizes` from the rows there, so
    the first trim after the upgrade keeps exactly the newest."""
    engine = create_engine(migrate.sqlalchemy_url(database_url))
    try:
        with engine.begin() as conn:
            config = migrate.alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "0003")
            for i in range(3):
                conn.execute(
                    text(
                        "INSERT INTO traces (sid, account_sid, kind, status, body, date_created) "
                        "VALUES (:sid, :account, 'call', 'completed', '{}', 0)"
                    ),
                    {"sid": f"CA{i:032x}", "account": "AC" + "1" * 32},
                )
            conn.execute(
                text(
                    "INSERT INTO webhook_requests (sid, account_sid, trace_sid, body, "
                    "date_created) VALUES (:sid, :account, :trace, '{}', 0)"
                ),
                {"sid": "RQ" + "0" * 32, "account": "AC" + "2" * 32, "trace": "CA" + "0" * 32},
            )
    finally:
        engine.dispose()
    migrate.upgrade(database_url)
    rows = query(database_url, "SELECT account_sid, log, size FROM log_sizes ORDER BY log")
    assert [tuple(r) for r in rows] == [
        ("AC" + "1" * 32, "traces", 3),
        ("AC" + "2" * 32, "webhook_requests", 1),
    ]


def _at(
    database_url: str,
    revision: str,
    sql: str = "",
    *,
    down: bool = False,
    config: Config | None = None,
    **params: object,
) -> None:
    """Upgrade (or downgrade) the database to `revision` with Alembic (the project's
    migrations, or `config`'s), then run `sql` in the same transaction."""
    engine = create_engine(migrate.sqlalchemy_url(database_url))
    try:
        with engine.begin() as conn:
            config = config or migrate.alembic_config()
            config.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(config, revision)
            if sql:
                conn.execute(text(sql), params)
    finally:
        engine.dispose()


def test_upgrade_to_0005_keeps_hashed_keys_working(database_url: str, tmp_path: Path) -> None:
    """A key made at 0004 (a salted hash, no secret) still authenticates after the upgrade; it
    cannot sign Access Tokens, and says so; keys made after keep their secret."""
    server = Server(database_url, tmp_path)
    key_sid, secret = "SK" + "5" * 32, rules.new_key_secret()
    _at(
        database_url,
        "0004",
        "INSERT INTO api_keys (sid, account_sid, friendly_name, secret_hash, date_created, "
        "date_updated) VALUES (:sid, :account, 'old key', :hash, 0, 0)",
        sid=key_sid,
        account=server.account_sid,  # the main account the server makes on start
        hash=rules.hash_secret(secret),
    )
    server.start()  # migrates to head
    try:
        with server.http(key_sid, secret) as h:
            assert h.get(server.apps_path()).status_code == 200
        with server.http(key_sid, secret[::-1]) as h:
            assert h.get(server.apps_path()).status_code == 401
        with server.http() as h:
            new = h.post(f"/2010-04-01/Accounts/{server.account_sid}/Keys.json").json()
            listed = h.get(f"/2010-04-01/Accounts/{server.account_sid}/Keys.json").json()
        assert {k["sid"] for k in listed["keys"]} == {key_sid, new["sid"]}
        with server.http(new["sid"], new["secret"]) as h:
            assert h.get(server.apps_path()).status_code == 200
    finally:
        server.stop()
    rows = {
        sid: (stored, hashed)
        for sid, stored, hashed in query(
            database_url, "SELECT sid, secret, secret_hash FROM api_keys"
        )
    }
    assert rows.keys() == {key_sid, new["sid"]}
    assert rows[key_sid][0] is None and rules.verify_secret(secret, rows[key_sid][1])
    assert rows[new["sid"]] == (new["secret"], None)

    async def verify(key: str, key_secret: str) -> tokens.VoiceToken:
        token = AccessToken(server.account_sid, key, key_secret, identity="alice")
        token.add_grant(VoiceGrant(incoming_allow=True))
        store = open_store(database_url)
        await store.open()
        try:
            return await tokens.verify(str(token.to_jwt()), store.get_key, time.time())
        finally:
            await store.close()

    with pytest.raises(TwilioError) as refused:
        asyncio.run(verify(key_sid, secret))
    assert refused.value.code == 20103
    assert f"API key {key_sid} was created before Switchboard kept key secrets" in str(
        refused.value
    )
    assert asyncio.run(verify(new["sid"], new["secret"])).identity == "alice"


def test_downgrade_from_0005_hashes_new_keys(database_url: str) -> None:
    """Back at 0004, a key made since keeps working: it gets the hash 0004 requires."""
    secret = rules.new_key_secret()
    _at(
        database_url,
        head_revision(),
        "INSERT INTO api_keys (sid, account_sid, friendly_name, secret, date_created, "
        "date_updated) VALUES (:sid, :account, 'new key', :secret, 0, 0)",
        sid="SK" + "6" * 32,
        account="AC" + "6" * 32,
        secret=secret,
    )
    _at(database_url, "0004", down=True)
    [(stored,)] = query(database_url, "SELECT secret_hash FROM api_keys")
    assert rules.verify_secret(secret, stored) and secret not in stored
    engine = create_engine(migrate.sqlalchemy_url(database_url))
    try:
        with engine.connect() as conn:
            columns = {c["name"]: c for c in inspect(conn).get_columns("api_keys")}
    finally:
        engine.dispose()
    assert "secret" not in columns and columns["secret_hash"]["nullable"] is False


def test_upgrade_to_0006_stores_each_request_once(database_url: str, tmp_path: Path) -> None:
    """A database at 0005, whose traces carry copies of their requests (one of which the log
    has already trimmed): after 0006 each trace names its requests, the log keeps the only
    copy, and the API still renders the whole trace."""
    account, token = "AC" + "3" * 32, "4" * 32
    trace_sid = "CA" + "0" * 31 + "1"
    kept = ["RQ" + "0" * 31 + "2", "RQ" + "0" * 31 + "3"]
    old_requests = [{"purpose": p, "url": f"http://h/{p}", "method": "POST"} for p in
                    ("voice_url", "redirect", "status_callback")]  # fmt: skip
    body = {
        "call_sid": trace_sid, "account_sid": account, "from": "+1415", "to": "+1500",
        "status": "completed", "application_sid": None, "twiml": "<Response/>",
        "error_code": None, "error_message": None, "verbs": [{"verb": "Say", "text": "hi"}],
        "warnings": [], "requests": old_requests, "date_created": "Thu, 26 Nov 2026 18:00:00 +0000",
    }  # fmt: skip
    engine = create_engine(migrate.sqlalchemy_url(database_url))
    try:
        with engine.begin() as conn:
            config = migrate.alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "0005")
            conn.execute(
                text(
                    "INSERT INTO traces (sid, account_sid, kind, status, body, date_created) "
                    "VALUES (:sid, :account, 'call', 'completed', :body, 1700000000000000)"
                ),
                {"sid": trace_sid, "account": account, "body": json.dumps(body)},
            )
            for sid, request in zip(kept, old_requests[1:], strict=True):
                conn.execute(
                    text(
                        "INSERT INTO webhook_requests (sid, account_sid, trace_sid, body, "
                        "date_created) VALUES (:sid, :account, :trace, :body, 0)"
                    ),
                    {"sid": sid, "account": account, "trace": trace_sid,
                     "body": json.dumps(request)},
                )  # fmt: skip
    finally:
        engine.dispose()
    migrate.upgrade(database_url)

    [(raw,)] = query(database_url, f"SELECT body FROM traces WHERE sid = '{trace_sid}'")
    stored = json.loads(raw)
    assert "requests" not in stored
    assert stored["request_sids"] == kept
    assert stored["requests_pruned"] == 1
    assert stored["date_created"] == 1700000000000000
    assert stored["verbs"] == body["verbs"]

    run_cli("accounts", "list", database_url=database_url)  # the CLI opens it without trouble
    server = Server(database_url, tmp_path)
    server.account_sid, server.auth_token = account, token
    server.start()
    try:
        with server.http() as h:
            resp = h.get(f"/switchboard/v1/Accounts/{account}/InboundCalls/{trace_sid}")
        assert resp.status_code == 200, resp.text
        trace = resp.json()
        assert [r["purpose"] for r in trace["requests"]] == ["redirect", "status_callback"]
        assert trace["requests_pruned"] == 1
        assert trace["twiml"] == "<Response/>"
        assert trace["date_created"] == "Tue, 14 Nov 2023 22:13:20 +0000"
    finally:
        server.stop()
