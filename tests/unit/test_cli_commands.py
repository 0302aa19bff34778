"""The shape of the `switchboard` command, in-process: every command answers `-h` as `--help`
and takes `--json`; README.md's table lists every command; the resource commands' options are
the API's parameters in kebab-case, one for each writable field; errors are one line.
"""

from __future__ import annotations

import ast
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from switchboard import __version__
from switchboard.cli import main
from switchboard.cli.output import Failure
from switchboard.cli.workers import listen
from switchboard.fixtures import FixtureError, load
from switchboard.twilio import errors
from switchboard.twilio.fields import Field
from switchboard.twilio.resources import APPLICATION, INCOMING_PHONE_NUMBER

README = Path(__file__).resolve().parents[2] / "README.md"


def walk(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # the top group is lazy: only named, till asked for
        command = group.get_command(ctx, name)
        assert command is not None, name
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))


COMMANDS = [(" ".join(path), command) for path, command in walk(main)]
LEAVES = [(path, c) for path, c in COMMANDS if not isinstance(c, click.Group)]


def test_the_commands_a_new_user_expects_are_there() -> None:
    paths = {path for path, _ in LEAVES}
    for resource in ("applications", "numbers"):
        for verb in ("create", "list", "get", "update", "delete"):
            assert f"{resource} {verb}" in paths
    assert {"keys create", "keys list", "keys delete", "serve", "simulate call"} <= paths


@pytest.mark.parametrize("path", ["", *[p for p, _ in COMMANDS]])
def test_dash_h_is_help_everywhere(path: str) -> None:
    runner = CliRunner()
    args = path.split()
    short = runner.invoke(main, [*args, "-h"], prog_name="switchboard")
    long = runner.invoke(main, [*args, "--help"], prog_name="switchboard")
    assert short.exit_code == 0, short.output
    assert short.output == long.output
    assert "Usage: switchboard" in short.output


def test_serve_loads_no_other_command() -> None:
    """`switchboard serve` imports serve.py and what it shares, not the other commands' modules
    (nor YAML, nor the API's renderer): its start is the one a user waits for."""
    code = (
        "import sys; from switchboard.cli import main; import click;"
        "main.get_command(click.Context(main), 'serve');"
        "print(sorted(m for m in sys.modules if m.startswith(('switchboard.cli.', 'yaml',"
        " 'switchboard.api', 'switchboard.fixtures'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(ast.literal_eval(out.stdout.strip()))
    assert loaded == {
        "switchboard.cli.database",
        "switchboard.cli.options",
        "switchboard.cli.output",
        "switchboard.cli.serve",
        "switchboard.cli.workers",
    }, out.stdout + out.stderr


def test_version() -> None:
    out = CliRunner().invoke(main, ["--version"], prog_name="switchboard")
    assert out.exit_code == 0
    assert out.output.strip() == f"switchboard, version {__version__}"


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[p for p, _ in LEAVES])
def test_every_command_takes_json(path: str, command: click.Command) -> None:
    assert any("--json" in p.opts for p in command.params if isinstance(p, click.Option)), path


def test_readme_table_lists_every_command() -> None:
    text = README.read_text()
    table = text[text.index("## Commands") : text.index("## What is implemented")]
    listed = re.findall(r"^\| `switchboard ([a-z -]+?)(?: [^a-z]|`)", table, re.MULTILINE)
    assert sorted(listed) == sorted(path for path, _ in LEAVES)


def options_of(path: str) -> dict[str, list[str]]:
    command = dict(COMMANDS)[path]
    return {p.name: p.opts for p in command.params if isinstance(p, click.Option) and p.name}


@pytest.mark.parametrize(
    ("resource", "fields"),
    [("applications", APPLICATION.fields), ("numbers", INCOMING_PHONE_NUMBER.fields)],
)
@pytest.mark.parametrize("verb", ["create", "update"])
def test_options_are_the_writable_fields_in_kebab_case(
    resource: str, fields: tuple[Field, ...], verb: str
) -> None:
    options = options_of(f"{resource} {verb}")
    flags = {flag for opts in options.values() for flag in opts}
    for field in fields:
        # VoiceUrl -> --voice-url, spelled out from the wire parameter's name.
        kebab = "--" + re.sub(r"(?<!^)([A-Z])", r"-\1", field.param).lower()
        if field.writable:
            assert options[field.key][0] == kebab, field.key
        elif field.key != "phone_number":  # numbers create's own --phone-number
            assert kebab not in flags, field.key  # read-only: --sid, --date-created, --uri...
    if resource == "numbers":
        assert "--voice-application" in options["voice_application_sid"]
        assert "--sms-application" in options["sms_application_sid"]


def test_numbers_create_takes_a_number_or_an_area_code() -> None:
    options = options_of("numbers create")
    assert options["phone_number"] == ["--phone-number"]
    assert options["area_code"] == ["--area-code"]


def test_a_twilio_error_is_one_line_with_its_code(capsys: pytest.CaptureFixture[str]) -> None:
    Failure.from_twilio(errors.invalid_url("VoiceUrl", "not a url")).show()
    Failure("cannot use the database x: first\n\tsecond").show()
    err = capsys.readouterr().err
    assert err == (
        "error 21402: VoiceUrl is not a valid URL: not a url\n"
        "error: cannot use the database x: first second\n"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"\xff\xfeaccounts: []", "fx.yaml is not UTF-8 text (byte 0 is 0xff)"),
        (b"accounts: [oops", "fx.yaml is not valid YAML: line 1, column 16: expected ','"),
        (b"accounts:\n  - sid: x\n - y", "fx.yaml is not valid YAML: line 3"),
        (b"just text", "the document: must be a mapping"),
    ],
)
def test_fixture_files_that_are_not_fixtures(raw: bytes, expected: str) -> None:
    with pytest.raises(FixtureError) as caught:
        load(raw, "fx.yaml")
    assert caught.value.message.startswith("bad fixture: ")
    assert expected in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_binds_before_anything_else(workers: int) -> None:
    """`listen` holds the port (listening, so nobody else can take it) or fails in one line;
    with several workers, one socket each (SO_REUSEPORT), and still nobody else's."""
    socks = listen("127.0.0.1", 0, workers)
    try:
        assert len(socks) == workers
        port = socks[0].getsockname()[1]
        assert port != 0
        assert {s.getsockname()[1] for s in socks} == {port}
        for count in (1, 2):
            with pytest.raises(Failure) as caught:
                listen("127.0.0.1", port, count)
            assert caught.value.format_message() == (
                f"cannot listen on 127.0.0.1:{port}: Address already in use"
            )
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # already accepting into the backlog, before the server takes the socket over
    finally:
        for sock in socks:
            sock.close()
