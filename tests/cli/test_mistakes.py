"""A user's mistakes at the command line: each is one clear line on stderr and exit status 1 (2
for a misused command), never a Python traceback, and nothing is created or changed.

Only `serve` and `db upgrade` create a database: every other command, pointed at a SQLite file
that is not there (or a database without Switchboard's schema), says so and creates nothing.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Databases, clean_env, free_port, query

CLI = [sys.executable, "-m", "switchboard.cli"]


def switchboard(
    *args: str, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        env=clean_env(**env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_line(out: subprocess.CompletedProcess[str], status: int, message: str) -> None:
    assert out.returncode == status, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr + out.stdout
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert message in lines[0], out.stderr


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'made.db'}"
    switchboard("db", "upgrade", "--database-url", url).check_returncode()
    return url


# Files


def test_backup_into_a_missing_folder(tmp_path: Path, sqlite_db: str) -> None:
    target = tmp_path / "no" / "such" / "backup.db"
    out = switchboard("db", "backup", str(target), "--database-url", sqlite_db)
    assert_one_line(out, 1, f"cannot write the backup {target}: there is no folder")
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"accounts:\n  - friendly_name: caf\xe9\n", "bad fixture: fx.yaml is not UTF-8 text"),
        (b"accounts: [{sid: x\n", "bad fixture: fx.yaml is not valid YAML: line 2, column 1"),
        (b"\x00\x01\x02", "bad fixture: fx.yaml is not valid YAML"),
    ],
    ids=["latin-1", "broken-yaml", "binary"],
)
def test_seed_of_a_file_that_is_not_a_fixture(
    tmp_path: Path, sqlite_db: str, content: bytes, message: str
) -> None:
    (tmp_path / "fx.yaml").write_bytes(content)
    out = switchboard("seed", "fx.yaml", "--database-url", sqlite_db, cwd=tmp_path)
    assert_one_line(out, 1, message)


# Database URLs


@pytest.mark.parametrize(
    "command",
    [["accounts", "list"], ["db", "upgrade"], ["applications", "list"], ["serve", "--port", "0"]],
    ids=lambda c: " ".join(c[:2]),
)
def test_an_unsupported_database_url(tmp_path: Path, command: list[str]) -> None:
    out = switchboard(*command, "--database-url", "mysql://root:hunter2@127.0.0.1/sb", cwd=tmp_path)
    assert_one_line(out, 1, "unsupported database URL 'mysql://root:***@127.0.0.1/sb'")
    assert "sqlite:///PATH or postgresql://" in out.stderr
    assert "hunter2" not in out.stderr + out.stdout
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "command", [["accounts", "list"], ["db", "upgrade"], ["serve", "--port", "0"]]
)
def test_a_refused_postgresql_connection(tmp_path: Path, command: list[str]) -> None:
    url = f"postgresql://postgres:hunter2@127.0.0.1:{free_port()}/test"
    out = switchboard(*command, "--database-url", url, cwd=tmp_path)
    assert_one_line(out, 1, "cannot use the database postgresql://postgres:***@127.0.0.1:")
    assert "Connection refused" in out.stderr
    assert "hunter2" not in out.stderr + out.stdout
    assert "Switchboard" not in out.stdout  # serve: no banner


# Only serve and db upgrade create a database

NOT_CREATING = [
    ["accounts", "list"],
    ["accounts", "create", "--friendly-name", "x"],
    ["accounts", "rotate-token", "AC" + "1" * 32],
    ["keys", "create"],
    ["keys", "list"],
    ["applications", "list"],
    ["applications", "create", "--friendly-name", "x"],
    ["numbers", "create", "--area-code", "415"],
    ["seed", "fixture.yaml"],
    ["export"],
    ["simulate", "call", "--to", "+15005550006", "--from", "+14155551212"],
    ["db", "backup", "copy.db"],
]


@pytest.mark.parametrize("command", NOT_CREATING, ids=lambda c: " ".join(c[:2]))
def test_no_sqlite_file_no_database(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "fixture.yaml").write_text("accounts: []\n")
    before = sorted(tmp_path.iterdir())
    url = "sqlite:///./data/switchboard.db"
    out = switchboard(*command, "--database-url", url, cwd=tmp_path)
    assert_one_line(out, 1, f"no database at {url} (there is no file ./data/switchboard.db)")
    assert "switchboard db upgrade" in out.stderr
    assert sorted(tmp_path.iterdir()) == before  # not even the folder


def test_the_default_database_is_not_made_either(tmp_path: Path) -> None:
    out = switchboard("applications", "list", cwd=tmp_path)
    assert_one_line(out, 1, "no database at sqlite:///./switchboard.db")
    assert list(tmp_path.iterdir()) == []
    made = switchboard("db", "upgrade", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "switchboard.db").exists()


def test_a_database_without_schema_is_left_alone(
    store_kind: str, databases: Databases, tmp_path: Path
) -> None:
    """An empty SQLite file, an empty PostgreSQL database: not Switchboard's, so not touched."""
    url = databases.new(store_kind, tmp_path)
    if store_kind == "sqlite":
        Path(url.removeprefix("sqlite:///")).touch()
    out = switchboard("accounts", "create", "--friendly-name", "x", "--database-url", url)
    assert_one_line(out, 1, f"no Switchboard database at {url.split('://')[0]}://")
    assert "(no schema)" in out.stderr
    tables = (
        "SELECT count(*) FROM sqlite_master"
        if store_kind == "sqlite"
        else "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
    )
    assert query(url, tables) == [(0,)]


def test_a_database_without_main_account(sqlite_db: str) -> None:
    out = switchboard("applications", "create", "--database-url", sqlite_db)
    assert_one_line(out, 1, "this database has no main account yet: `switchboard serve` makes")
    assert query(sqlite_db, "SELECT count(*) FROM applications") == [(0,)]


def test_simulating_a_call_to_a_number_that_is_not_yours_says_what_to_do(sqlite_db: str) -> None:
    # Issue 12: after `serve`, README's `simulate call` failed with "not an IncomingPhoneNumber"
    # and nothing said what to do next.
    out = switchboard(
        "simulate", "call", "--to", "+14155550100", "--from", "+14155550199",
        "--database-url", sqlite_db,
    )  # fmt: skip
    assert_one_line(out, 1, "error 20404: The phone number +14155550100 is not")
    assert "switchboard numbers create --phone-number" in out.stderr
    assert "--voice-url" in out.stderr
    assert query(sqlite_db, "SELECT count(*) FROM traces") == [(0,)]


# serve


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_on_a_busy_port(tmp_path: Path, busy_port: int, workers: str) -> None:
    out = switchboard("serve", "--port", str(busy_port), "--workers", workers, cwd=tmp_path)
    assert_one_line(out, 1, f"cannot listen on 127.0.0.1:{busy_port}: Address already in use")
    assert out.stdout == ""  # no banner, no credentials that would be lost
    assert list(tmp_path.iterdir()) == []  # and no database made


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SWITCHBOARD_PORT": "eighty"}, "bad setting: SWITCHBOARD_PORT must be a whole number"),
        ({"SWITCHBOARD_WORKERS": "100"}, "SWITCHBOARD_WORKERS must be between 1 and 64"),
        ({"TWILIO_ACCOUNT_SID": "AC" + "1" * 32}, "set both TWILIO_ACCOUNT_SID and"),
    ],
)
def test_serve_with_a_bad_environment(tmp_path: Path, env: dict[str, str], message: str) -> None:
    out = switchboard("serve", cwd=tmp_path, **env)
    assert_one_line(out, 1, message)
    assert list(tmp_path.iterdir()) == []


def test_a_bad_flag_is_a_usage_error(tmp_path: Path) -> None:
    out = switchboard("serve", "--port", "70000", cwd=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "70000 is not in the range" in out.stderr
    assert switchboard("numbers", "create", "-h").stdout.startswith("Usage: switchboard numbers")

