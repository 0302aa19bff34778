"""`switchboard serve`: bind the port, prepare the database, say how to connect, then serve.

The listening socket is bound here, before anything is printed or written: a busy port is one
line and exit 1, with no banner and no database touched. uvicorn is then handed that socket,
for one process or for `--workers N` (each worker accepts on the same socket).
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from typing import Any

import click

from switchboard import __version__
from switchboard.cli import database
from switchboard.cli.options import setting_option
from switchboard.cli.output import Failure, echo_json, json_option
from switchboard.config import SETTINGS, Settings
from switchboard.store import redact_url
from switchboard.twilio.resources import Account
from switchboard.twilio.sids import is_sid


def _snippet(account: Account, base_url: str) -> str:
    """How to point the SDKs here. Clearing `edge`/`region` after construction is the one way
    that works in both: they read TWILIO_EDGE/TWILIO_REGION even when given an empty
    `environment`/`env`, and would turn 127.0.0.1 into 127.<edge>.<region>.0.1."""
    return f"""\
Point twilio-python at this server:

    from twilio.rest import Client

    client = Client("{account.sid}", "{account.auth_token}")
    client.api.base_url = "{base_url}"
    client.edge = client.region = None  # ignore TWILIO_EDGE and TWILIO_REGION
    app = client.applications.create(friendly_name="My app", voice_url="https://example.com/voice")
    print(app.sid)

twilio-node: client.api.baseUrl = "{base_url}"; client.edge = client.region = undefined;
"""


def _with_settings(fn: Callable[..., Any]) -> Callable[..., Any]:
    for setting in reversed(SETTINGS):
        fn = setting_option(setting)(fn)
    return fn


def _env_credentials() -> tuple[str | None, str | None]:
    """TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN: both or neither, and a SID of the right shape."""
    sid = os.environ.get("TWILIO_ACCOUNT_SID") or None
    token = os.environ.get("TWILIO_AUTH_TOKEN") or None
    if (sid is None) != (token is None):
        raise Failure("set both TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or neither")
    if sid is not None and not is_sid(sid, "AC"):
        raise Failure("TWILIO_ACCOUNT_SID must look like AC followed by 32 hex digits")
    return sid, token


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to host:port and listening (as uvicorn would bind it), or a Failure."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        # Listening at once keeps the port ours: Linux lets another SO_REUSEADDR socket bind a
        # port that is bound but not yet listening. Connections wait in the backlog meanwhile.
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise Failure(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _run_uvicorn(settings: Settings, sock: socket.socket) -> None:
    import uvicorn

    from switchboard.api import protocol

    config = uvicorn.Config(
        "switchboard.api.app:app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=settings.access_log,
        log_level="info",
        server_header=False,
        **protocol.uvicorn_options(),  # bounded request heads (431)
        # The client address (for --auth-failure-limit) is the peer's own unless a proxy is
        # named with FORWARDED_ALLOW_IPS: nobody may spoof it with X-Forwarded-For.
        proxy_headers=bool(os.environ.get("FORWARDED_ALLOW_IPS")),
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS") or None,
    )
    if settings.workers > 1:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[sock]).run()
        return
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:  # the app failed to start; uvicorn has logged why
        sys.exit(3)


@click.command()
@_with_settings
@json_option
def serve(as_json: bool, **flags: Any) -> None:
    """Run the server. The schema is created or migrated on start."""
    try:
        settings = Settings.from_env(**flags)
    except ValueError as exc:
        raise Failure(f"bad setting: {exc}") from None
    env_sid, env_token = _env_credentials()

    sock = listen(settings.host, settings.port)
    try:
        account, created = database.run(
            settings.database_url,
            lambda store: store.ensure_main_account(env_sid, env_token),
            create=True,
        )
    except BaseException:
        sock.close()
        raise
    port = sock.getsockname()[1]
    shown_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    base_url = f"http://{shown_host}:{port}"
    if as_json:
        echo_json(
            {
                "version": __version__,
                "url": base_url,
                "console": f"{base_url}/console/",
                "database_url": redact_url(settings.database_url),
                "account_sid": account.sid,
                # Shown once, as in the text banner: only when the account was just made.
                **({"auth_token": account.auth_token} if created and env_sid is None else {}),
            }
        )
    else:
        _banner(settings, account, created, env_sid is not None, base_url)
    sys.stdout.flush()

    os.environ.update(settings.to_env())
    _run_uvicorn(settings, sock)


def _banner(
    settings: Settings, account: Account, created: bool, from_env: bool, base_url: str
) -> None:
    click.echo(f"Switchboard {__version__} on {base_url} ({redact_url(settings.database_url)})")
    if from_env:
        click.echo(f"Main account {account.sid} (from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN)")
    elif created:
        click.echo(
            f"\nA main account was created. Its credentials are shown this once:\n\n"
            f"    TWILIO_ACCOUNT_SID={account.sid}\n"
            f"    TWILIO_AUTH_TOKEN={account.auth_token}\n"
        )
        click.echo(_snippet(account, base_url))
    else:
        click.echo(f"Main account {account.sid}")
    click.echo(f"Web console: {base_url}/console/")
    if settings.allow_reset:
        click.echo("POST /switchboard/v1/reset is enabled (--allow-reset)")
