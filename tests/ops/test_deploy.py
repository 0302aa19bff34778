"""The commands of docs/deploy.md, run as written (local hosts and ports substituted)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from conftest import POSTGRES_URL, REQUIRE_POSTGRES, Databases, Server, clean_env, run_cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def test_every_command_named_here_is_in_the_doc() -> None:
    text = DOC.read_text()
    for command in (
        "switchboard db upgrade",
        "switchboard serve --host 0.0.0.0 --port 8080 --workers 2",
        "curl -fsS http://app1.internal:8080/healthz",
        "pg_dump -Fc -h db.internal -U postgres -f switchboard.dump switchboard",
        "pg_restore -h db.internal -U postgres -d switchboard_restored switchboard.dump",
        "switchboard db backup switchboard-backup.db --database-url sqlite:///./switchboard.db",
    ):
        assert command in text, command


def _pg(databases: Databases) -> None:
    problem = databases.postgres_problem()
    if problem is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"SWITCHBOARD_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)


def test_postgres_layout_upgrade_serve_health_backup_restore(
    databases: Databases, tmp_path: Path
) -> None:
    _pg(databases)
    url = databases.new("postgres", tmp_path)
    run_cli("db", "upgrade", database_url=url)
    server = Server(url, tmp_path, ("--workers", "2"))
    server.start()
    try:
        health = subprocess.run(
            ["curl", "-fsS", f"{server.url}/healthz"], capture_output=True, text=True, timeout=30
        )
        assert health.returncode == 0 and '"ok"' in health.stdout
        app = server.client().applications.create(friendly_name="kept")
    finally:
        server.stop()

    host, name = POSTGRES_URL.split("@", 1)[1].rsplit("/", 1)[0], url.rsplit("/", 1)[1]
    hostname, port = host.split(":")
    dump = tmp_path / "switchboard.dump"
    common = ["-h", hostname, "-p", port, "-U", "postgres"]
    subprocess.run(
        ["pg_dump", "-Fc", *common, "-f", str(dump), name],
        check=True,
        timeout=60,
        env=clean_env(),
    )
    restored_url = databases.new("postgres", tmp_path)  # an empty database, as createdb makes
    subprocess.run(
        ["pg_restore", *common, "-d", restored_url.rsplit("/", 1)[1], str(dump)],
        check=True,
        timeout=60,
        env=clean_env(),
    )
    again = Server(restored_url, tmp_path)
    again.account_sid, again.auth_token = server.account_sid, server.auth_token
    again.start()
    try:
        assert again.client().applications(app.sid).fetch().friendly_name == "kept"
    finally:
        again.stop()


def test_sqlite_online_backup(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'switchboard.db'}"
    server = Server(url, tmp_path)
    server.start()
    try:
        app = server.client().applications.create(friendly_name="backed up")
        out = subprocess.run(
            [
                shutil.which("switchboard") or "switchboard",
                "db",
                "backup",
                "switchboard-backup.db",
                "--database-url",
                "sqlite:///./switchboard.db",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            env=clean_env(),
        )
        assert out.returncode == 0, out.stderr
    finally:
        server.stop()
    restored = Server(f"sqlite:///{tmp_path / 'switchboard-backup.db'}", tmp_path)
    restored.account_sid, restored.auth_token = server.account_sid, server.auth_token
    restored.start()
    try:
        assert restored.client().applications(app.sid).fetch().friendly_name == "backed up"
        assert httpx.get(f"{restored.url}/healthz").status_code == 200
    finally:
        restored.stop()
