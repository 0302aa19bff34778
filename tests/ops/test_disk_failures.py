"""The embedded store on a failing disk, with real servers (SQLite only: these are its files).

- A full disk (a small tmpfs, filled): writes answer 503 with code 20503 and a Twilio-style
  body, `/healthz` answers 503, reads go on; the log has one warning line per failed request and
  one naming the file, no traceback. Space freed: `/healthz` is 200 again (its probe write
  commits) and writes succeed. Everything acknowledged, before, during and after, is there after
  a restart, and the file passes `PRAGMA integrity_check`.
- The file deleted, or replaced by another database, under a running server: writes and
  `/healthz` answer 503 at once, the log names the path, and nothing more is written, to the
  old file or to the new one. A file moved away and back is served again.

Mounting a tmpfs needs root (CI runs as root): without it the full-disk test is skipped, and
tests/unit/test_sqlite_failures.py still provokes SQLITE_FULL with `PRAGMA max_page_count`.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Server, query
from errors import assert_error


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs of its own, unmounted at the end."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        if os.geteuid() == 0:
            pytest.fail(f"root could not mount a tmpfs: {done.stderr}")
        pytest.skip(f"mounting a tmpfs needs root: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory: Path) -> Path:
    """Write a file until the file system has no block left; the file, to free it later."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 512, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError:
                    break
    finally:
        os.close(fd)
    return filler


def assert_503(resp: httpx.Response) -> None:
    assert_error(resp, 503, 20503)


def healthz(server: Server) -> int:
    return httpx.get(f"{server.url}/healthz", timeout=10).status_code


def wait_for(predicate: Any, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def listed(server: Server) -> dict[str, dict[str, Any]]:
    resp = server.http().get(server.apps_path(), params={"PageSize": 1000})
    assert resp.status_code == 200, resp.text
    return {app["sid"]: app for app in resp.json()["applications"]}


def new_log(server: Server, start: int) -> str:
    return server.log_path.read_bytes()[start:].decode(errors="replace")


def assert_no_traceback(log: str) -> None:
    assert "Traceback" not in log, log
    assert "unhandled error" not in log, log


# A full disk


def test_a_full_disk_answers_503_and_recovers_when_space_is_freed(small_disk: Path) -> None:
    db = small_disk / "switchboard.db"
    server = Server(f"sqlite:///{db}", small_disk.parent)
    server.start()
    try:
        http = server.http()
        acknowledged: dict[str, dict[str, Any]] = {}
        for i in range(20):
            resp = http.post(server.apps_path(), data={"FriendlyName": f"before {i}"})
            assert resp.status_code == 201, resp.text
            acknowledged[resp.json()["sid"]] = resp.json()
        some = next(iter(acknowledged))
        log_start = server.log_path.stat().st_size

        filler = fill(small_disk)
        refused = 0
        for i in range(30):
            resp = http.post(server.apps_path(), data={"FriendlyName": f"full {i}"})
            if resp.status_code == 201:  # a commit may still fit into space SQLite holds
                acknowledged[resp.json()["sid"]] = resp.json()
            else:
                assert_503(resp)
                refused += 1
        assert refused >= 25
        assert_503(http.post(server.apps_path(suffix=f"/{some}.json"), data={"FriendlyName": "x"}))
        assert_503(http.delete(server.apps_path(suffix=f"/{some}.json")))
        assert healthz(server) == 503
        assert healthz(server) == 503  # its probe write keeps failing while the disk is full
        assert listed(server) == acknowledged  # reads go on
        log = new_log(server, log_start)
        assert_no_traceback(log)
        assert f"SQLite database {db} cannot take writes: database or disk is full" in log
        assert log.count("cannot take writes") == 1, log
        assert "database unavailable on POST" in log

        filler.unlink()
        wait_for(lambda: healthz(server) == 200)
        for i in range(5):
            resp = http.post(server.apps_path(), data={"FriendlyName": f"after {i}"})
            assert resp.status_code == 201, resp.text
            acknowledged[resp.json()["sid"]] = resp.json()
        assert f"SQLite database {db} takes writes again" in new_log(server, log_start)
        assert_no_traceback(new_log(server, log_start))

        server.restart()
        assert listed(server) == acknowledged
    finally:
        server.stop()
    assert query(server.database_url, "PRAGMA integrity_check") == [("ok",)]


# The file deleted or replaced under the server


def started(tmp_path: Path) -> tuple[Server, Path, dict[str, dict[str, Any]]]:
    db = tmp_path / "switchboard.db"
    server = Server(f"sqlite:///{db}", tmp_path)
    server.start()
    acknowledged = {}
    with server.http() as http:
        for i in range(5):
            resp = http.post(server.apps_path(), data={"FriendlyName": f"app {i}"})
            assert resp.status_code == 201, resp.text
            acknowledged[resp.json()["sid"]] = resp.json()
    return server, db, acknowledged


def assert_takes_no_writes_once(server: Server, db: Path, act: Any, says: str) -> None:
    """After `act()` (the file deleted, replaced, moved), writes and /healthz answer 503 at
    once, and the log names the file and says what happened, without a traceback."""
    log_start = server.log_path.stat().st_size
    act()
    assert healthz(server) == 503  # at once, before any write tried
    http = server.http()
    some = next(iter(listed(server)))
    for i in range(3):
        assert_503(http.post(server.apps_path(), data={"FriendlyName": f"lost {i}"}))
    assert_503(http.post(server.apps_path(suffix=f"/{some}.json"), data={"FriendlyName": "lost"}))
    assert_503(http.delete(server.apps_path(suffix=f"/{some}.json")))
    assert healthz(server) == 503
    log = new_log(server, log_start)
    assert f"SQLite database {db} cannot take writes: the file was {says}" in log
    assert_no_traceback(log)


def names_in(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT friendly_name FROM applications")]
    finally:
        conn.close()


def test_a_deleted_database_file_takes_no_writes(tmp_path: Path) -> None:
    server, db, _ = started(tmp_path)
    try:
        assert_takes_no_writes_once(server, db, db.unlink, "deleted")
    finally:
        server.stop()
    assert not db.exists()  # nothing made a new, empty database there either


def test_a_replaced_database_file_takes_no_writes(tmp_path: Path) -> None:
    """The nastiest case: the replacement is a copy of the same database, so reads look right."""
    server, db, acknowledged = started(tmp_path)
    copy = tmp_path / "copy.db"
    source, target = sqlite3.connect(db), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    try:
        assert_takes_no_writes_once(server, db, lambda: os.replace(copy, db), "replaced")
    finally:
        server.stop()
    assert sorted(names_in(db)) == [f"app {i}" for i in range(5)]  # the copy, untouched
    server.start()
    try:
        assert listed(server) == acknowledged
    finally:
        server.stop()


def test_a_database_moved_away_and_back_is_served_again(tmp_path: Path) -> None:
    server, db, acknowledged = started(tmp_path)
    away = tmp_path / "away.db"
    try:
        assert_takes_no_writes_once(server, db, lambda: db.rename(away), "deleted or moved away")
        away.rename(db)
        wait_for(lambda: healthz(server) == 200)
        resp = server.http().post(server.apps_path(), data={"FriendlyName": "back"})
        assert resp.status_code == 201, resp.text
        acknowledged[resp.json()["sid"]] = resp.json()
        server.restart()
        assert listed(server) == acknowledged
    finally:
        server.stop()
