"""The server's settings, declared once: flag, variable and default stay exactly as documented.

The table below is the documented interface, spelled out here rather than read from config.py:
`serve`'s flags, `Settings.from_env` and `Settings.to_env` must all agree with it.
"""

from __future__ import annotations

import click
import pytest

from switchboard.cli.serve import serve
from switchboard.config import SETTINGS, Settings

# name: (flag, off flag of a switch, variable, default)
DOCUMENTED: dict[str, tuple[str, str | None, str, object]] = {
    "host": ("--host", None, "SWITCHBOARD_HOST", "127.0.0.1"),
    "port": ("--port", None, "SWITCHBOARD_PORT", 8080),
    "database_url": (
        "--database-url",
        None,
        "SWITCHBOARD_DATABASE_URL",
        "sqlite:///./switchboard.db",
    ),
    "workers": ("--workers", None, "SWITCHBOARD_WORKERS", 1),
    "server": ("--server", None, "SWITCHBOARD_SERVER", "uvicorn"),
    "access_log": ("--access-log", "--no-access-log", "SWITCHBOARD_ACCESS_LOG", False),
    "webhook_timeout": ("--webhook-timeout", None, "SWITCHBOARD_WEBHOOK_TIMEOUT", 15.0),
    "delivery_delay": ("--delivery-delay", None, "SWITCHBOARD_DELIVERY_DELAY", 0.2),
    "request_log_limit": ("--request-log-limit", None, "SWITCHBOARD_REQUEST_LOG_LIMIT", 10_000),
    "rate_limit": ("--rate-limit", None, "SWITCHBOARD_RATE_LIMIT", 0.0),
    "concurrency_limit": ("--concurrency-limit", None, "SWITCHBOARD_CONCURRENCY_LIMIT", 0),
    "auth_failure_limit": ("--auth-failure-limit", None, "SWITCHBOARD_AUTH_FAILURE_LIMIT", 0),
    "webhook_allow": ("--webhook-allow", None, "SWITCHBOARD_WEBHOOK_ALLOW", ()),
    "webhook_deny": ("--webhook-deny", None, "SWITCHBOARD_WEBHOOK_DENY", ()),
    "webhook_deny_private": (
        "--webhook-deny-private",
        "--webhook-allow-private",
        "SWITCHBOARD_WEBHOOK_DENY_PRIVATE",
        False,
    ),
    "allow_reset": ("--allow-reset", "--no-allow-reset", "SWITCHBOARD_ALLOW_RESET", False),
}


def test_every_documented_setting_is_declared_with_its_names_and_default() -> None:
    assert {s.name for s in SETTINGS} == set(DOCUMENTED)
    defaults = Settings()
    for setting in SETTINGS:
        flag, off_flag, env, default = DOCUMENTED[setting.name]
        assert (setting.flag, setting.env, setting.default) == (flag, env, default)
        assert getattr(defaults, setting.name) == default
        if off_flag is not None:
            assert setting.switch == f"{flag}/{off_flag}"


def test_serve_has_exactly_the_documented_flags() -> None:
    options = {p.name: p for p in serve.params if isinstance(p, click.Option)}
    for name, (flag, off_flag, _, _) in DOCUMENTED.items():
        assert options[name].opts == [flag], name
        assert options[name].secondary_opts == ([off_flag] if off_flag else []), name
    assert set(options) == set(DOCUMENTED) | {"as_json"}
    # A flag not given is None (or an empty tuple), so the variable can fill it in.
    given = serve.make_context("serve", []).params
    assert {k: v for k, v in given.items() if k != "as_json"} == {
        name: () if default == () else None for name, (_, _, _, default) in DOCUMENTED.items()
    }


def test_serve_flags_keep_their_ranges() -> None:
    ctx = click.Context(serve)
    options = {p.name: p for p in serve.params if isinstance(p, click.Option)}
    for name, bad in (("port", "65536"), ("workers", "0"), ("webhook_timeout", "0.05")):
        with pytest.raises(click.BadParameter):
            options[name].type_cast_value(ctx, bad)
    assert options["workers"].type_cast_value(ctx, "64") == 64


def test_environment_round_trip_of_every_setting() -> None:
    changed = Settings(
        host="0.0.0.0",
        port=9000,
        database_url="postgresql://u:p@db/x",
        workers=3,
        access_log=True,
        webhook_timeout=2.5,
        request_log_limit=7,
        rate_limit=1.5,
        concurrency_limit=4,
        auth_failure_limit=9,
        webhook_allow=("10.0.0.0/8", ".example.com"),
        webhook_deny=("evil.test",),
        webhook_deny_private=True,
        allow_reset=True,
    )
    env = changed.to_env()
    assert set(env) == {env_name for _, _, env_name, _ in DOCUMENTED.values()}
    assert Settings.from_env(env) == changed
    assert Settings.from_env(Settings().to_env()) == Settings()


def test_flags_win_over_variables_which_win_over_defaults() -> None:
    env = {"SWITCHBOARD_PORT": "9001", "SWITCHBOARD_WEBHOOK_DENY": "a.test, b.test"}
    assert Settings.from_env(env).port == 9001
    assert Settings.from_env(env, port=9002).port == 9002
    assert Settings.from_env(env, port=None).port == 9001
    assert Settings.from_env(env).webhook_deny == ("a.test", "b.test")
    # A repeatable flag given zero times is an empty tuple: the variable still counts.
    assert Settings.from_env(env, webhook_deny=()).webhook_deny == ("a.test", "b.test")
    assert Settings.from_env(env, webhook_deny=("c.test",)).webhook_deny == ("c.test",)
    assert Settings.from_env({}).webhook_timeout == 15.0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SWITCHBOARD_PORT": "eighty"}, "SWITCHBOARD_PORT must be a whole number"),
        ({"SWITCHBOARD_PORT": "70000"}, "SWITCHBOARD_PORT must be between 0 and 65535"),
        ({"SWITCHBOARD_WORKERS": "0"}, "SWITCHBOARD_WORKERS must be between 1 and 64"),
        ({"SWITCHBOARD_WEBHOOK_TIMEOUT": "soon"}, "SWITCHBOARD_WEBHOOK_TIMEOUT must be a number"),
        ({"SWITCHBOARD_RATE_LIMIT": "-1"}, "SWITCHBOARD_RATE_LIMIT must be at least 0"),
        ({"SWITCHBOARD_ALLOW_RESET": "maybe"}, "SWITCHBOARD_ALLOW_RESET must be 1 or 0"),
    ],
)
def test_a_bad_variable_names_itself(env: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        Settings.from_env(env)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("1", True), ("true", True), ("YES", True), ("on", True), ("0", False), ("no", False)],
)
def test_switch_variables(raw: str, value: bool) -> None:
    assert Settings.from_env({"SWITCHBOARD_ACCESS_LOG": raw}).access_log is value
