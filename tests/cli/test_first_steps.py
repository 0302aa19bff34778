"""README.md's "First steps", run as written: `switchboard serve`, then in a second terminal an
application with the user's voice URL, a number linked to it, and a simulated call to it.

Only what a user would type differently is substituted: a real webhook receiver on 127.0.0.1
for `https://example.com/voice`, the SID the first command printed for `AP…`. The port comes
from SWITCHBOARD_PORT (8080 may be taken here); on PostgreSQL the database from
SWITCHBOARD_DATABASE_URL, while on SQLite every command uses the default ./switchboard.db.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
from conftest import clean_env, free_port
from receiver import Receiver
from test_cli import ServeProcess

README = Path(__file__).resolve().parents[2] / "README.md"
USER_URL = "https://example.com/voice"
TWIML = "<Response><Say>Welcome to Switchboard</Say></Response>"


def first_steps() -> list[list[str]]:
    """The `switchboard …` lines of the section's shell blocks, as words."""
    text = README.read_text()
    section = text[text.index("## First steps") :]
    section = section[: section.index("\n## ", 3)]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL):
        for line in block.splitlines():
            if line.startswith("switchboard "):
                commands.append(shlex.split(line, comments=True))
    return commands


def executable() -> list[str]:
    found = shutil.which("switchboard")
    return [found] if found else [sys.executable, "-m", "switchboard.cli"]


def test_readme_first_steps_reach_the_users_webhook(
    tmp_path: Path, store_kind: str, database_url: str
) -> None:
    commands = first_steps()
    assert [words[:3] for words in commands] == [
        ["switchboard", "serve"],
        ["switchboard", "applications", "create"],
        ["switchboard", "numbers", "create"],
        ["switchboard", "simulate", "call"],
    ]
    serve_cmd, app_cmd, number_cmd, call_cmd = commands
    assert USER_URL in app_cmd and "AP…" in number_cmd

    port = free_port()
    env = clean_env(SWITCHBOARD_PORT=str(port))
    if store_kind == "postgres":
        env["SWITCHBOARD_DATABASE_URL"] = database_url

    def run(words: list[str]) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(
            [*executable(), *words[1:]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "Traceback" not in out.stderr, out.stderr
        return out

    server = ServeProcess(serve_cmd[2:], env, tmp_path)  # `python -m switchboard.cli serve`
    receiver: Receiver | None = None
    try:
        server.wait_healthy(f"http://127.0.0.1:{port}")
        [token] = re.findall(r"TWILIO_AUTH_TOKEN=(\S+)", server.output)
        [account] = re.findall(r"TWILIO_ACCOUNT_SID=(\S+)", server.output)
        receiver = Receiver(token)
        webhook = receiver.script("/voice", body=TWIML)

        made = run([webhook if word == USER_URL else word for word in app_cmd])
        assert made.returncode == 0, made.stderr
        [app_sid] = re.findall(r"Created application (AP[0-9a-f]{32})", made.stdout)

        linked = run([app_sid if word == "AP…" else word for word in number_cmd])
        assert linked.returncode == 0, linked.stderr

        call = run(call_cmd)
        assert call.returncode == 0, call.stdout + call.stderr
        assert "completed" in call.stdout and webhook in call.stdout

        [got] = receiver.requests("/voice")
        assert got.method == "POST"
        assert got.signature_valid  # signed with the token serve printed
        to, from_ = call_cmd[call_cmd.index("--to") + 1], call_cmd[call_cmd.index("--from") + 1]
        assert (got.form["To"], got.form["From"]) == (to, from_)
        assert got.form["AccountSid"] == account

        # What the commands made is what the running server serves.
        numbers = httpx.get(
            f"http://127.0.0.1:{port}/2010-04-01/Accounts/{account}/IncomingPhoneNumbers.json",
            auth=(account, token),
        ).json()["incoming_phone_numbers"]
        assert [(n["phone_number"], n["voice_application_sid"]) for n in numbers] == [
            (to, app_sid)
        ]
    finally:
        if receiver is not None:
            receiver.close()
        server.stop()
    if store_kind == "sqlite":
        assert (tmp_path / "switchboard.db").exists()  # the README's default, in that folder
