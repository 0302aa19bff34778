"""`switchboard serve`: bind the port, prepare the database, say how to connect, then serve.

The listening sockets are bound here, before anything is printed or written: a busy port is one
line and exit 1, with no banner and no database touched. Then the server (`--server`: uvicorn or
Granian, api/servers.py) runs on them: with one worker in this process (after an exec into a
fresh interpreter when a migration loaded SQLAlchemy: not on a database at the newest schema,
nor on an empty one, which gets that schema without it, store/migrate.py), with `--workers N`
under a supervisor, each worker on a socket of its own (cli/workers.py says why).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click

from switchboard import __version__
from switchboard.cli import database, workers
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

    socks = workers.listen(settings.host, settings.port, settings.workers)
    sock = socks[0]
    try:
        account, created = database.run(
            settings.database_url,
            lambda store: store.ensure_main_account(env_sid, env_token),
            create=True,
        )
    except BaseException:
        for one in socks:
            one.close()
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

    env = {**os.environ, **settings.to_env()}
    if settings.workers > 1:
        sys.exit(workers.Supervisor(socks, env).run())
    if {"sqlalchemy", "alembic"} & sys.modules.keys():
        workers.exec_worker(sock, env)  # a migration loaded them: serve from a fresh interpreter
    os.environ.update(settings.to_env())
    from switchboard.api import servers

    sys.exit(servers.run(settings, sock))


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
