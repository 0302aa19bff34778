"""The pytest plugin, as a user's project gets it: fixtures `switchboard` and `twilio_client`
in pytest runs of their own (the project's suite turns the plugin off), loaded by its `pytest11`
entry point, turned off with `-p no:switchboard`, and light to import."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

from testing_fixtures import run_pytest

REPO = Path(__file__).resolve().parents[2]

USER_TESTS = """
import os

import httpx
from twilio.request_validator import RequestValidator

seen = {}


def test_a_server_on_loopback_and_a_client_for_a_fresh_account(switchboard, twilio_client):
    assert switchboard.base_url.startswith("http://127.0.0.1:")
    assert twilio_client.username == switchboard.account_sid
    assert twilio_client.api.base_url == switchboard.base_url
    assert os.environ["TWILIO_EDGE"] == "sydney"
    assert twilio_client.edge is None and twilio_client.region is None
    twilio_client.applications.create(friendly_name="left behind")
    health = httpx.get(f"{switchboard.base_url}/healthz")
    assert health.status_code == 200
    seen["account"] = switchboard.account_sid


def test_the_next_test_starts_empty_with_another_account(switchboard, twilio_client):
    assert twilio_client.applications.list() == []
    assert switchboard.account_sid != seen["account"]
    assert switchboard.requests() == []


def test_webhooks_to_the_app_under_test(switchboard, twilio_client):
    validator = RequestValidator(switchboard.auth_token)

    def app(environ, start_response):
        from werkzeug.wrappers import Request

        request = Request(environ)
        ok = validator.validate(request.url, request.form, request.headers["X-Twilio-Signature"])
        start_response("200 OK" if ok else "403 Forbidden", [("Content-Type", "text/xml")])
        return [b"<Response><Say>Hi</Say></Response>"]

    switchboard.route("https://myapp.test", app)
    twilio_client.incoming_phone_numbers.create(
        phone_number="+15005550006", voice_url="https://myapp.test/voice"
    )
    call = switchboard.simulate_call(to="+15005550006", from_="+14155550123")
    assert call["status"] == "completed"
    [request] = switchboard.requests()
    assert request["status_code"] == 200
"""


# Both would send a client elsewhere (127.sydney.au1.0.1) if it did not clear them.
EDGE = {"TWILIO_EDGE": "sydney", "TWILIO_REGION": "au1"}


def user_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_user.py").write_text(USER_TESTS)
    return project


def test_the_fixtures_in_a_project_of_its_own(tmp_path: Path) -> None:
    project = user_project(tmp_path)
    (project / "pytest.ini").write_text("[pytest]\n")
    run = run_pytest("-q", cwd=project, env=EDGE)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout


def entry_point_site(tmp_path: Path) -> Path:
    """A distribution declaring the plugin's entry point as pyproject.toml does, for pytest's
    autoload to find (what `pip install switchboard` registers)."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    target = pyproject["project"]["entry-points"]["pytest11"]["switchboard"]
    site = tmp_path / "site"
    dist = site / "switchboard_entry_point-0.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: switchboard-entry-point\n")
    (dist / "entry_points.txt").write_text(f"[pytest11]\nswitchboard = {target}\n")
    return site


def test_the_entry_point_loads_it_and_p_no_switchboard_turns_it_off(tmp_path: Path) -> None:
    project = user_project(tmp_path)
    (project / "pytest.ini").write_text("[pytest]\n")
    site = entry_point_site(tmp_path)
    pythonpath = f"{site}:{REPO / 'src'}"
    run = run_pytest("-q", cwd=project, autoload=True, pythonpath=pythonpath, env=EDGE)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout
    off = run_pytest(
        "-q", "-p", "no:switchboard", cwd=project, autoload=True, pythonpath=pythonpath
    )
    assert off.returncode == 1, off.stdout + off.stderr
    assert "fixture 'switchboard' not found" in off.stdout


def test_the_project_declares_the_entry_point_and_its_suite_turns_it_off() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"]["pytest11"] == {
        "switchboard": "switchboard.testing.plugin"
    }
    addopts = pyproject["tool"]["pytest"]["ini_options"]["addopts"].split()
    assert addopts[addopts.index("-p") + 1] == "no:switchboard"


def test_importing_the_toolkit_is_light_and_needs_no_twilio() -> None:
    """Every pytest run of an environment with Switchboard imports the plugin: it must cost
    nothing and work without twilio (or Flask) installed."""
    script = textwrap.dedent(
        """
        import sys
        for missing in ("twilio", "flask"):
            sys.modules[missing] = None  # importing it now fails, as if not installed
        import switchboard, switchboard.testing, switchboard.testing.plugin
        heavy = [m for m in ("twilio", "switchboard.api", "switchboard.store", "sqlalchemy",
                             "httpx", "uvicorn", "flask") if sys.modules.get(m) is not None]
        assert heavy == [], heavy
        assert "route" in dir(switchboard.testing) or switchboard.testing.__all__
        print("light")
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "light"


def test_the_toolkit_needs_no_flask() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["flask"] = sys.modules["werkzeug"] = None
        from twilio.rest import Client
        from switchboard.testing import mock, route

        async def app(scope, receive, send):
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"text/xml")]})
            body = b"<Response><Say>ok</Say></Response>"
            await send({"type": "http.response.body", "body": body})

        with mock() as switchboard, route("https://app.test", app):
            client = Client(switchboard.account_sid, switchboard.auth_token)
            client.incoming_phone_numbers.create(phone_number="+15005550006",
                                                 voice_url="https://app.test/voice")
            call = switchboard.simulate_call("+15005550006", "+14155550123")
        print(call["verbs"][0]["text"])
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"
