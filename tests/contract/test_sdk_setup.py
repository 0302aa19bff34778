"""Pointing the official SDKs at a server, as README's "First steps", the snippet `switchboard
serve` prints and `Server.client()` do it, with TWILIO_EDGE and TWILIO_REGION set in the client's
environment: every request must still reach the local server.

Both SDKs read those variables from the process environment even when given an empty
`environment` (twilio-python) or `env` (twilio-node), and would rewrite 127.0.0.1 into
127.<edge>.<region>.0.1; the recipe clears `edge`/`region` after construction. README's code
blocks are run as written, with the SID, token and URL put in.
"""

from __future__ import annotations

import contextlib
import io
import re
import textwrap
from pathlib import Path

import node_sdk
import pytest
from conftest import REPO, Server, clean_env
from twilio.rest import Client

from switchboard.cli.serve import _snippet
from switchboard.twilio.resources import Account

EDGE_ENV = {"TWILIO_EDGE": "ie1", "TWILIO_REGION": "au1"}
README_URL = "http://127.0.0.1:8080"


@pytest.fixture
def edge_and_region(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in EDGE_ENV.items():
        monkeypatch.setenv(name, value)


def first_steps_block(language: str) -> str:
    """README's code block in `language` under "First steps"."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## First steps", 1)[1].split("\n## ", 1)[0]
    match = re.search(rf"```{language}\n(.*?)```", section, re.DOTALL)
    assert match, f"no {language} block in README's First steps"
    return match.group(1)


def filled(code: str, server: Server) -> str:
    """`code` with README's placeholders replaced by the server's SID, token and URL."""
    for placeholder, value in (
        ('"AC…"', f'"{server.account_sid}"'),
        ('"…"', f'"{server.auth_token}"'),
        (README_URL, server.url),
    ):
        assert placeholder in code, placeholder
        code = code.replace(placeholder, value)
    return code


def run_python(code: str) -> str:
    """Run `code` as a script would; what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<snippet>", "exec"), {"__name__": "__snippet__"})
    return out.getvalue()


def assert_created(server: Server, printed: str) -> None:
    """The snippet printed the SID of an application that the server now holds."""
    sid = printed.strip().splitlines()[-1]
    assert re.fullmatch(r"AP[0-9a-f]{32}", sid), printed
    with server.http() as http:
        resp = http.get(f"{server.apps_path(suffix='')}/{sid}.json")
    assert resp.status_code == 200, resp.text
    assert resp.json()["friendly_name"] == "My app"


# Why the recipe is needed (in-process, nothing is sent)


def test_an_empty_environment_does_not_stop_the_rewrite(
    module_server: Server, edge_and_region: None
) -> None:
    url = f"{module_server.url}/2010-04-01/Accounts.json"
    client = Client(module_server.account_sid, module_server.auth_token, environment={})
    assert (client.edge, client.region) == ("ie1", "au1")
    assert client.get_hostname(url) != url


# twilio-python


def test_server_client_reaches_the_server(module_server: Server, edge_and_region: None) -> None:
    client = module_server.client()
    url = f"{module_server.url}/2010-04-01/Accounts.json"
    assert client.get_hostname(url) == url  # checked before anything is sent
    app = client.applications.create(friendly_name="through Server.client")
    assert client.applications(app.sid).fetch().friendly_name == "through Server.client"
    assert app.sid in [a.sid for a in client.applications.list()]


def test_readme_python_first_steps(module_server: Server, edge_and_region: None) -> None:
    code = filled(first_steps_block("python"), module_server)
    # Before running it: the client it builds keeps the host (nothing is sent yet).
    setup = code.split("app = ", 1)[0]
    namespace: dict[str, object] = {}
    exec(compile(setup, "<readme>", "exec"), namespace)
    client = namespace["client"]
    assert isinstance(client, Client)
    assert client.get_hostname(f"{module_server.url}/x") == f"{module_server.url}/x"
    assert_created(module_server, run_python(code))


def test_serve_snippet(module_server: Server, edge_and_region: None) -> None:
    account = Account(
        sid=module_server.account_sid,
        owner_account_sid=module_server.account_sid,
        friendly_name="Main",
        status="active",
        type="Full",
        auth_token=module_server.auth_token,
        is_main=True,
        date_created=0,
        date_updated=0,
    )
    text = _snippet(account, module_server.url)
    code = textwrap.dedent(
        "".join(line + "\n" for line in text.splitlines() if line.startswith("    "))
    )
    assert "client.edge = client.region = None" in code
    assert_created(module_server, run_python(code))
    assert f'client.api.baseUrl = "{module_server.url}"' in text
    assert "client.edge = client.region = undefined" in text


# twilio-node


# Put before README's first request: a recipe that leaves the host rewritten stops here, so
# nothing is ever sent anywhere but 127.0.0.1.
NODE_GUARD = """
const host = new URL(client.api.baseUrl).hostname;
if (client.getHostname(host, client.edge, client.region) !== host) {
  throw new Error(`host rewritten: ${client.getHostname(host, client.edge, client.region)}`);
}
"""


def test_readme_node_first_steps(module_server: Server, tmp_path: Path) -> None:
    node_sdk.require()
    setup, first_request = filled(first_steps_block("js"), module_server).split(
        "client.applications", 1
    )
    script = tmp_path / "first_steps.js"
    script.write_text(f"{setup}{NODE_GUARD}client.applications{first_request}")
    printed = node_sdk.run_script(script, clean_env(**EDGE_ENV), timeout=60)
    assert_created(module_server, printed)
