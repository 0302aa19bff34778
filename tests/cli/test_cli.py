"""The `switchboard` command line: serve's first-run banner, env settings, accounts, db."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import Server, clean_env, free_port, run_cli, stop_process, wait_healthy
from errors import assert_error

SID_RE = re.compile(r"^AC[0-9a-f]{32}$")
CLI = [sys.executable, "-m", "switchboard.cli"]


class ServeProcess:
    """`switchboard serve` with its output captured (stdout and stderr together)."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [*CLI, "serve", *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in iter(self.proc.stdout.readline, b""):
            with self._lock:
                self._chunks.append(line)

    @property
    def output(self) -> str:
        with self._lock:
            return b"".join(self._chunks).decode("utf-8", "replace")

    def _final_output(self) -> str:
        """All it wrote, once it has exited; what it wrote so far while it runs."""
        if self.proc.poll() is not None:
            self._reader.join(timeout=5)
        return self.output

    def wait_healthy(self, url: str, timeout: float = 30.0) -> None:
        wait_healthy(self.proc, url, self._final_output, timeout)

    def wait_exit(self, timeout: float = 30.0) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        stop_process(self.proc)
        self._reader.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


Serve = Callable[[list[str], dict[str, str], Path], ServeProcess]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """`serve(args, env, cwd)`: `switchboard serve` started so; every one a test starts is stopped
    at its end."""
    with contextlib.ExitStack() as started:
        yield lambda args, env, cwd: started.enter_context(ServeProcess(args, env, cwd))


def apps_status(url: str, sid: str, token: str) -> int:
    resp = httpx.get(
        f"{url}/2010-04-01/Accounts/{sid}/Applications.json", auth=(sid, token), timeout=10
    )
    return resp.status_code


# (a) First run without TWILIO_* variables


def test_serve_generates_main_account_once(tmp_path: Path, database_url: str, serve: Serve) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["--host", "127.0.0.1", "--port", str(port), "--database-url", database_url]

    first = serve(args, clean_env(), tmp_path)
    first.wait_healthy(url)
    out = first.output
    sids = re.findall(r"TWILIO_ACCOUNT_SID=(\S+)", out)
    tokens = re.findall(r"TWILIO_AUTH_TOKEN=(\S+)", out)
    assert len(sids) == 1, out
    assert len(tokens) == 1, out
    sid, token = sids[0], tokens[0]
    assert SID_RE.match(sid), out
    assert len(token) >= 32
    assert f'client.api.base_url = "{url}"' in out
    assert "from twilio.rest import Client" in out
    assert "TWILIO_EDGE" in out
    assert "TWILIO_REGION" in out

    # The printed credentials work, over raw HTTP and through the SDK as the snippet says.
    assert apps_status(url, sid, token) == 200
    assert apps_status(url, sid, "0" * 32) == 401
    from twilio.rest import Client

    client = Client(sid, token)
    client.api.base_url = url
    client.edge = client.region = None
    app = client.applications.create(friendly_name="from the banner")
    assert app.account_sid == sid
    first.stop()

    second = serve(args, clean_env(), tmp_path)
    second.wait_healthy(url)
    out2 = second.output
    assert token not in out2
    assert "TWILIO_AUTH_TOKEN" not in out2
    assert apps_status(url, sid, token) == 200
    second.stop()
    assert token not in second.output


def test_serve_json_on_any_free_port(tmp_path: Path, database_url: str, serve: Serve) -> None:
    """`--port 0` binds a free port and says which; `--json` says it to a script, with the
    credentials only on the run that made the account."""
    args = ["--port", "0", "--json", "--database-url", database_url]

    def started() -> tuple[ServeProcess, dict[str, str]]:
        p = serve(args, clean_env(), tmp_path)
        deadline = time.monotonic() + 60
        while "\n" not in p.output:
            assert p.proc.poll() is None and time.monotonic() < deadline, p.output
            time.sleep(0.05)
        first = json.loads(p.output.splitlines()[0])
        p.wait_healthy(first["url"])
        return p, first

    p, first = started()
    port = int(first["url"].rsplit(":", 1)[1])
    assert port != 0
    assert first["console"] == f"http://127.0.0.1:{port}/console/"
    assert apps_status(first["url"], first["account_sid"], first["auth_token"]) == 200
    p.stop()
    again, second = started()
    assert second["account_sid"] == first["account_sid"]
    assert "auth_token" not in second
    assert first["auth_token"] not in again.output


# (b) TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN from the environment


def test_env_credentials_and_token_rotation(server: Server) -> None:
    old_token = server.auth_token
    assert apps_status(server.url, server.account_sid, old_token) == 200
    assert apps_status(server.url, server.account_sid, "f" * 32) == 401

    server.auth_token = "a" * 32 if old_token != "a" * 32 else "b" * 32
    server.restart()
    assert apps_status(server.url, server.account_sid, server.auth_token) == 200
    resp = httpx.get(
        f"{server.url}{server.apps_path()}", auth=(server.account_sid, old_token), timeout=10
    )
    assert_error(resp, 401, 20003)
    # The SDK with the new token.
    assert server.client().applications.list() == []


def test_env_credentials_are_not_printed(tmp_path: Path, database_url: str, serve: Serve) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sid, token = "AC" + "1" * 32, "2" * 32
    env = clean_env(TWILIO_ACCOUNT_SID=sid, TWILIO_AUTH_TOKEN=token)
    p = serve(
        ["--host", "127.0.0.1", "--port", str(port), "--database-url", database_url], env, tmp_path
    )
    p.wait_healthy(url)
    assert apps_status(url, sid, token) == 200
    p.stop()
    assert token not in p.output


# (c) SWITCHBOARD_* variables instead of flags


def test_serve_settings_from_env(tmp_path: Path, serve: Serve) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    db_file = tmp_path / "from-env" / "env.db"
    env = clean_env(
        SWITCHBOARD_HOST="127.0.0.1",
        SWITCHBOARD_PORT=str(port),
        SWITCHBOARD_DATABASE_URL=f"sqlite:///{db_file}",
    )
    p = serve([], env, tmp_path)
    p.wait_healthy(url)
    out = p.output
    sid = re.findall(r"TWILIO_ACCOUNT_SID=(\S+)", out)[0]
    token = re.findall(r"TWILIO_AUTH_TOKEN=(\S+)", out)[0]
    assert f"http://127.0.0.1:{port}" in out
    assert apps_status(url, sid, token) == 200
    p.stop()

    assert db_file.exists()
    assert not (tmp_path / "switchboard.db").exists()
    listed = run_cli("accounts", "list", "--json", database_url=f"sqlite:///{db_file}")
    assert sid in [a["sid"] for a in json.loads(listed.stdout)]


def test_serve_host_from_env_is_used(tmp_path: Path, serve: Serve) -> None:
    """SWITCHBOARD_HOST is what gets bound: an address this machine does not have fails."""
    env = clean_env(
        SWITCHBOARD_HOST="192.0.2.1",  # TEST-NET-1: never a local address, so bind() fails
        SWITCHBOARD_PORT=str(free_port()),
        SWITCHBOARD_DATABASE_URL=f"sqlite:///{tmp_path / 'h.db'}",
    )
    p = serve([], env, tmp_path)
    assert p.wait_exit(timeout=30) != 0
    assert "192.0.2.1" in p.output


def test_db_upgrade_database_url_from_env(tmp_path: Path) -> None:
    db_file = tmp_path / "env-upgrade.db"
    out = subprocess.run(
        [*CLI, "db", "upgrade"],
        env=clean_env(SWITCHBOARD_DATABASE_URL=f"sqlite:///{db_file}"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert db_file.exists(), out.stdout
    assert not (tmp_path / "switchboard.db").exists()


# (d) accounts create / list


def create_account_json(database_url: str, friendly_name: str) -> dict[str, str]:
    out = run_cli(
        "accounts", "create", "--friendly-name", friendly_name, "--json",
        database_url=database_url,
    )
    assert out.stdout.strip().count("\n") == 0, out.stdout
    created = json.loads(out.stdout)
    assert isinstance(created, dict)
    return created


def test_accounts_create_json_works_over_http(server: Server) -> None:
    created = create_account_json(server.database_url, "Acme Staging")
    assert SID_RE.match(created["sid"])
    assert created["friendly_name"] == "Acme Staging"
    token = created["auth_token"]
    assert isinstance(token, str)
    assert len(token) >= 32

    # The account works against a server on the same database.
    sid = created["sid"]
    assert apps_status(server.url, sid, token) == 200
    assert apps_status(server.url, sid, server.auth_token) == 401
    resp = httpx.post(
        f"{server.url}{server.apps_path(sid)}",
        data={"FriendlyName": "mine"},
        auth=(sid, token),
        timeout=10,
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["account_sid"] == sid
    # ...and only its own account: the main account's resources are out of reach.
    assert httpx.get(
        f"{server.url}{server.apps_path()}", auth=(sid, token), timeout=10
    ).status_code == 401


def test_accounts_list_table_shows_sids_never_tokens(server: Server) -> None:
    created = create_account_json(server.database_url, "Acme Staging")
    table = run_cli("accounts", "list", database_url=server.database_url)
    for secret in (created["auth_token"], server.auth_token):
        assert secret not in table.stdout
        assert secret not in table.stderr
    # Piped output (no terminal) must still show every SID whole, and the friendly name.
    assert created["sid"] in table.stdout, table.stdout
    assert server.account_sid in table.stdout, table.stdout
    assert "Acme Staging" in table.stdout, table.stdout


def test_accounts_list_json_never_tokens(server: Server) -> None:
    created = create_account_json(server.database_url, "Acme Staging")
    as_json = run_cli("accounts", "list", "--json", database_url=server.database_url)
    rows = json.loads(as_json.stdout)
    by_sid = {r["sid"]: r for r in rows}
    assert set(by_sid) == {created["sid"], server.account_sid}
    assert by_sid[created["sid"]]["friendly_name"] == "Acme Staging"
    for secret in (created["auth_token"], server.auth_token):
        assert secret not in as_json.stdout
        assert secret not in as_json.stderr
    for row in rows:
        assert "auth_token" not in row


def test_accounts_create_plain_output(database_url: str) -> None:
    run_cli("db", "upgrade", database_url=database_url)
    out = run_cli("accounts", "create", "--friendly-name", "Plain", database_url=database_url)
    sid = re.findall(r"TWILIO_ACCOUNT_SID=(\S+)", out.stdout)
    assert len(sid) == 1
    assert SID_RE.match(sid[0])
    assert len(re.findall(r"TWILIO_AUTH_TOKEN=(\S+)", out.stdout)) == 1


@pytest.mark.parametrize("name", ["", "x" * 65])
def test_accounts_create_rejects_bad_friendly_name(database_url: str, name: str) -> None:
    out = run_cli(
        "accounts", "create", "--friendly-name", name, "--json",
        database_url=database_url, check=False,
    )
    assert out.returncode != 0
    assert out.stdout == ""


# (e) db upgrade


def test_db_upgrade_is_idempotent(database_url: str) -> None:
    first = run_cli("db", "upgrade", database_url=database_url)
    second = run_cli("db", "upgrade", database_url=database_url)
    assert first.returncode == 0
    assert second.returncode == 0
    assert "revision" in first.stdout
    assert first.stdout == second.stdout


# (f) the console script


def test_console_script_help() -> None:
    exe = shutil.which("switchboard")
    cmd = [exe] if exe else CLI
    out = subprocess.run(
        [*cmd, "--help"], env=clean_env(), capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    for word in ("serve", "accounts", "db", "applications", "numbers", "keys"):
        assert word in out.stdout
    short = subprocess.run(
        [*cmd, "applications", "create", "-h"],
        env=clean_env(), capture_output=True, text=True, timeout=60,
    )
    assert short.returncode == 0, short.stderr
    assert "--voice-url URL" in short.stdout
    version = subprocess.run(
        [*cmd, "--version"], env=clean_env(), capture_output=True, text=True, timeout=60
    )
    assert version.returncode == 0
    assert version.stdout.startswith("switchboard, version ")
