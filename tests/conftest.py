"""Shared fixtures: a real `switchboard serve` process on 127.0.0.1 over a real database file."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from twilio.rest import Client

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SPEC_SUBSET = SHARED / "reference" / "twilio_api_v2010_subset.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a server or CLI child: no TWILIO_EDGE/REGION, no stray settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TWILIO_", "SWITCHBOARD_"))
    }
    env.update(extra)
    return env


def run_cli(*args: str, database_url: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "switchboard.cli", *args, "--database-url", database_url],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=check,
    )


class Server:
    """One `switchboard serve` child process. Restartable, killable, stops by itself at teardown."""

    def __init__(
        self, database_url: str, workdir: Path, extra_args: tuple[str, ...] = ()
    ) -> None:
        self.database_url = database_url
        self.extra_args = extra_args
        self.workdir = workdir
        self.account_sid = "AC" + secrets.token_hex(16)
        self.auth_token = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"server-{self.port}.log"

    def start(self, timeout: float = 30.0) -> None:
        env = clean_env(
            TWILIO_ACCOUNT_SID=self.account_sid,
            TWILIO_AUTH_TOKEN=self.auth_token,
        )
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "switchboard.cli", "serve",
                "--host", "127.0.0.1", "--port", str(self.port),
                "--database-url", self.database_url,
                *self.extra_args,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"server did not become healthy:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    # Clients

    def client(self, account_sid: str | None = None, auth_token: str | None = None) -> Client:
        """The official SDK, pointed at this server."""
        c = Client(
            account_sid or self.account_sid,
            auth_token or self.auth_token,
            environment={},  # ignore TWILIO_EDGE / TWILIO_REGION, which would rewrite the host
        )
        c.api.base_url = self.url
        return c

    def http(self, account_sid: str | None = None, auth_token: str | None = None) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            auth=(account_sid or self.account_sid, auth_token or self.auth_token),
            timeout=30,
        )

    def apps_path(self, account_sid: str | None = None, suffix: str = ".json") -> str:
        return f"/2010-04-01/Accounts/{account_sid or self.account_sid}/Applications{suffix}"

    def create_account(self, friendly_name: str = "Other") -> dict[str, str]:
        """A second top-level account, made with the CLI, as a user would."""
        out = run_cli(
            "accounts", "create", "--friendly-name", friendly_name, "--json",
            database_url=self.database_url,
        )
        return json.loads(out.stdout)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'switchboard.db'}"


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[Server]:
    srv = Server(database_url, tmp_path)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
