"""Stateful and unauthenticated property-based runs against the vendored description (spec/).

1. Stateful: the description has no OpenAPI links, so links are injected before loading (create
   -> fetch/update/delete by the new `sid`, for Applications, IncomingPhoneNumbers, Accounts and
   Keys) and schemathesis' state machine chains them against a live server, as its main account:
   no 5xx, every response (2xx or 4xx) has a status, headers and a body the description documents,
   every 4xx is Twilio's four-key JSON error, and a created resource is neither missing right after
   its creation nor still there after a successful DELETE.
2. No credentials: every operation of the description, with generated valid and invalid input and
   no Authorization header at all, is a 401 Twilio 20003 "Authenticate" with a Basic challenge, as
   documented; only a path that names no route may be a Twilio 404 instead. Never a 5xx.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import requests
import schemathesis
from conftest import SPEC_SUBSET, Server, random_number
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode, Response
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.specs.openapi.checks import ensure_resource_availability, use_after_free
from test_schemathesis import CHECKS, RUN, check_twilio_error, load_operations

STATEFUL_SCENARIOS = 25
STATEFUL_STEPS = 6
NO_AUTH_EXAMPLES = 20
BASE = "/2010-04-01/Accounts"
APPS = BASE + "/{AccountSid}/Applications"
NUMBERS = BASE + "/{AccountSid}/IncomingPhoneNumbers"
KEYS = BASE + "/{AccountSid}/Keys"

# Injected OpenAPI links: the 201 of each create feeds `$response.body#/sid` to the `Sid` path
# parameter of every operation on the created resource (and its own `AccountSid` to theirs).
LINKS: dict[str, str] = {
    f"{APPS}.json": f"{APPS}/{{Sid}}.json",
    f"{NUMBERS}.json": f"{NUMBERS}/{{Sid}}.json",
    f"{BASE}.json": f"{BASE}/{{Sid}}.json",
    f"{KEYS}.json": f"{KEYS}/{{Sid}}.json",
}
LINK_METHODS = ("get", "post", "delete")


def with_links(spec: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    for source, target in LINKS.items():
        links = spec["paths"][source]["post"]["responses"]["201"].setdefault("links", {})
        for method in LINK_METHODS:
            operation = spec["paths"][target].get(method)
            if operation is None:
                continue  # the spec has no DELETE /Accounts/{Sid}.json
            parameters = {"Sid": "$response.body#/sid"}
            if "{AccountSid}" in target:
                # The owner carries over too: schemathesis' "resource missing right after its
                # creation" check only judges a step whose every path parameter came by a link.
                parameters["AccountSid"] = "$request.path.AccountSid"
            links[operation["operationId"]] = {
                "operationId": operation["operationId"],
                "parameters": parameters,
            }
    return spec


def without_security(spec: dict[str, Any]) -> dict[str, Any]:
    """No security requirement anywhere, so schemathesis has no Authorization header to make."""
    spec = copy.deepcopy(spec)
    spec.pop("security", None)
    spec.get("components", {}).pop("securitySchemes", None)
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("security", None)
    return spec


def config() -> SchemathesisConfig:
    # No generated security parameters (an Authorization header from the `basic` scheme), and no
    # inferred links: the state machine follows exactly the links injected above.
    return SchemathesisConfig.from_dict(
        {
            "generation": {"with-security-parameters": False},
            "phases": {"stateful": {"inference": {"algorithms": []}}},
        }
    )


SPEC = json.loads(SPEC_SUBSET.read_text())
STATEFUL_SCHEMA = schemathesis.openapi.from_dict(with_links(SPEC), config=config())
NO_AUTH_SCHEMA = schemathesis.openapi.from_dict(without_security(SPEC), config=config())


NO_AUTH_OPERATIONS = load_operations(NO_AUTH_SCHEMA)


@dataclass
class Live:
    server: Server
    session: requests.Session  # the main account's Basic auth
    anonymous: requests.Session  # no auth, and no ~/.netrc either
    child_sid: str
    app_sid: str
    number_sid: str
    key_sid: str

    @property
    def auth(self) -> tuple[str, str]:
        return (self.server.account_sid, self.server.auth_token)


@pytest.fixture(scope="module")
def live(module_server: Server) -> Iterator[Live]:
    server = module_server
    session = requests.Session()
    session.auth = (server.account_sid, server.auth_token)
    anonymous = requests.Session()
    anonymous.trust_env = False  # requests would otherwise take credentials from ~/.netrc
    try:
        base = f"{server.url}{BASE}"
        child = session.post(f"{base}.json", data={"FriendlyName": "child"}, timeout=30)
        assert child.status_code == 201, child.text
        main = f"{base}/{server.account_sid}"
        app = session.post(f"{main}/Applications.json", data={"FriendlyName": "a"}, timeout=30)
        assert app.status_code == 201, app.text
        number = session.post(
            f"{main}/IncomingPhoneNumbers.json", data={"PhoneNumber": random_number()}, timeout=30
        )
        assert number.status_code == 201, number.text
        key = session.post(f"{main}/Keys.json", data={"FriendlyName": "k"}, timeout=30)
        assert key.status_code == 201, key.text
        yield Live(
            server,
            session,
            anonymous,
            child_sid=child.json()["sid"],
            app_sid=app.json()["sid"],
            number_sid=number.json()["sid"],
            key_sid=key.json()["sid"],
        )
    finally:
        anonymous.close()
        session.close()


def describe(response: Response) -> str:
    request = response.request
    raw = request.body
    body = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    sent = f"{request.method} {request.url}"
    if isinstance(body, str) and body:
        sent += f" body={body[:300]!r}"
    return f"{sent} -> {response.status_code}: {response.text[:500]}"


# 1. Stateful


def test_links_are_injected() -> None:
    machine = STATEFUL_SCHEMA.as_state_machine()
    transitions = machine._transitions.operations  # type: ignore[attr-defined]
    found = sorted(
        f"{source} -> {link.target.label}"
        for source, item in transitions.items()
        for link in item.outgoing
    )
    expected = sorted(
        f"POST {source} -> {method.upper()} {target}"
        for source, target in LINKS.items()
        for method in LINK_METHODS
        if not (method == "delete" and target == f"{BASE}/{{Sid}}.json")
    )
    assert found == expected


@dataclass
class Tally:
    statuses: Counter[str] = field(default_factory=Counter)
    linked: Counter[str] = field(default_factory=Counter)  # 2xx on a target reached by a link


# One state machine per resource: in a single machine, Hypothesis starts most scenarios with the
# same create, and the other two chains would hardly ever run.
FAMILIES = {
    "applications": ("^" + re.escape(APPS) + r"(/\{Sid\})?\.json$", f"GET {APPS}/{{Sid}}.json"),
    "numbers": ("^" + re.escape(NUMBERS) + r"(/\{Sid\})?\.json$", f"GET {NUMBERS}/{{Sid}}.json"),
    "accounts": ("^" + re.escape(BASE) + r"(/\{Sid\})?\.json$", f"GET {BASE}/{{Sid}}.json"),
    "keys": ("^" + re.escape(KEYS) + r"(/\{Sid\})?\.json$", f"GET {KEYS}/{{Sid}}.json"),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_stateful_workflows(live: Live, family: str) -> None:
    main_sid = live.server.account_sid
    basic = live.server.authorization
    tally = Tally()
    path_regex, fetch_label = FAMILIES[family]
    base_machine = STATEFUL_SCHEMA.include(path_regex=path_regex).as_state_machine()

    class Workflow(base_machine):  # type: ignore[valid-type, misc]
        def setup(self) -> None:
            self.history: list[str] = []
            self.linked = False

        def step(self, input: StepInput) -> StepOutput:
            # Whether this step's `Sid` came out of an earlier response, through a link.
            self.linked = input.transition is not None and input.is_applied
            output: StepOutput = super().step(input)
            return output

        def before_call(self, case: Case) -> None:
            if "AccountSid" in case.path_parameters:  # type: ignore[operator]
                case.path_parameters["AccountSid"] = main_sid  # type: ignore[index]
            # A generated PhoneNumber is almost never valid E.164, so the 201 (and every link from
            # it) would hardly ever happen: each positive create asks for a real, unused number.
            # (Always, not sometimes: whether a step succeeds must depend only on what Hypothesis
            # drew, or it reports the scenario as flaky.)
            meta = case.meta
            positive = meta is not None and meta.generation.mode == GenerationMode.POSITIVE
            if (
                case.operation.label == f"POST {NUMBERS}.json"
                and positive
                and isinstance(case.body, dict)
            ):
                case.body.pop("AreaCode", None)
                case.body["PhoneNumber"] = random_number()

        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {
                "base_url": live.server.url,
                "session": live.session,
                "auth": live.auth,
                "timeout": 30,
            }

        def validate_response(
            self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            self.history.append(describe(response))
            label = case.operation.label
            tally.statuses[f"{label} {response.status_code}"] += 1
            if self.linked and 200 <= response.status_code < 300:
                tally.linked[label] += 1
            try:
                sent = response.request.headers.get("Authorization")
                assert sent == basic, f"not the main account's Basic auth: {sent!r}"
                case.validate_response(
                    response,
                    checks=[*CHECKS, use_after_free, ensure_resource_availability],
                    transport_kwargs=kwargs or None,
                    recorder=self.recorder,
                )
                if 400 <= response.status_code < 500:
                    check_twilio_error(response)
            except (AssertionError, FailureGroup) as exc:
                exc.add_note("scenario so far:\n  " + "\n  ".join(self.history))
                raise

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            database=None,
            phases=[Phase.generate],  # no shrinking: the note shows the whole scenario
            suppress_health_check=list(HealthCheck),
        )
    )
    print(dict(sorted(tally.statuses.items())))
    print("2xx through a link:", dict(sorted(tally.linked.items())))
    # The links were followed to success, not just declared.
    assert tally.linked[fetch_label] > 0, tally


# 2. No credentials


def route_pattern(operation: APIOperation) -> re.Pattern[str]:
    """The operation's path with each parameter as one non-empty path segment."""
    parts = re.split(r"\{[^}]+\}", operation.path)
    return re.compile("".join([re.escape(parts[0]), *(r"[^/]+" + re.escape(p) for p in parts[1:])]))


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("operation", NO_AUTH_OPERATIONS, ids=lambda op: op.label)
def test_no_credentials_is_401(live: Live, operation: APIOperation, mode: GenerationMode) -> None:
    main_sid = live.server.account_sid
    strategy = operation.as_strategy(generation_mode=mode)
    route = route_pattern(operation)
    if operation.path.startswith(f"{NUMBERS}/{{Sid}}"):
        real_sids = [live.number_sid]
    elif operation.path.startswith(f"{APPS}/{{Sid}}"):
        real_sids = [live.app_sid]
    elif operation.path.startswith(f"{KEYS}/{{Sid}}"):
        real_sids = [live.key_sid]
    else:  # /Accounts/{Sid}.json (and operations without a `Sid`, where it goes unused)
        real_sids = [main_sid, live.child_sid]
    statuses: Counter[int] = Counter()

    @settings(max_examples=NO_AUTH_EXAMPLES, **RUN)
    @given(case=strategy, real_account=st.booleans(), real_sid=st.sampled_from([None, *real_sids]))
    def run(case: Case, real_account: bool, real_sid: str | None) -> None:
        # The main account's real SIDs must not answer differently from made-up ones.
        if real_account and "AccountSid" in (case.path_parameters or {}):
            case.path_parameters["AccountSid"] = main_sid  # type: ignore[index]
        if real_sid is not None and "Sid" in (case.path_parameters or {}):
            case.path_parameters["Sid"] = real_sid  # type: ignore[index]
        if case.headers:
            case.headers.pop("Authorization", None)  # case-insensitive
        response = case.call(base_url=live.server.url, session=live.anonymous, timeout=30)
        statuses[response.status_code] += 1
        try:
            assert "authorization" not in response.request.headers, "an Authorization was sent"
            case.validate_response(response, checks=CHECKS)
            path = unquote(urlsplit(response.request.url).path)
            if response.status_code == 404 and not route.fullmatch(path):
                check_twilio_error(response, 20404)  # a path that names no route
                return
            assert response.status_code == 401, "not a 401"
            check_twilio_error(response, 20003, "Authenticate")
            challenge = response.headers.get("www-authenticate")  # lowercase keys, list values
            assert challenge == ['Basic realm="Twilio API"'], f"WWW-Authenticate: {challenge!r}"
        except (AssertionError, FailureGroup) as exc:
            exc.add_note(describe(response))
            raise

    run()
    print(operation.label, mode, dict(statuses))
    assert statuses[401] > 0, statuses
