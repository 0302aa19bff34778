"""Property-based conformance of the Applications API against Twilio's OpenAPI spec (schemathesis).

Every generated request (valid and invalid) against a live server: no 5xx, and every response,
2xx or 4xx, has a status, headers and a body the vendored description (spec/) documents for the
operation; a 4xx is Twilio's four-key JSON error.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from conftest import SPEC_SUBSET, Server
from errors import assert_error, describe, error_problem
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode, Response
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Err

MAX_EXAMPLES = 100
# How Hypothesis runs against a server: no deadline (a request takes what it takes), no example
# database (nothing written beside the tests), no health checks, and no shrinking (it can take a
# minute per failure, and the failure's note already shows the exact request).
RUN: dict[str, Any] = {
    "deadline": None,
    "database": None,
    "phases": [Phase.explicit, Phase.reuse, Phase.generate],
    "suppress_health_check": list(HealthCheck),
}
# Every response is checked against the vendored description: its status must be documented
# (2xx and 4xx alike: spec/README.md correction c documents the errors), its headers and its body
# must match what is documented for that status.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

RAW_SPEC = json.loads(SPEC_SUBSET.read_text())
SCHEMA = schemathesis.openapi.from_dict(RAW_SPEC).include(
    path_regex=r"^/2010-04-01/Accounts/\{AccountSid\}/Applications(/\{Sid\})?\.json$"
)


def load_operations(schema: BaseSchema) -> list[APIOperation]:
    """Every operation of `schema`; a broken one fails the collection, naming itself."""
    operations: list[APIOperation] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operations.append(result.ok())
    return operations


OPERATIONS = load_operations(SCHEMA)


def test_all_application_operations_are_covered() -> None:
    labels = sorted(op.label for op in OPERATIONS)
    base = "/2010-04-01/Accounts/{AccountSid}/Applications"
    assert labels == sorted(
        [
            f"GET {base}.json",
            f"POST {base}.json",
            f"GET {base}/{{Sid}}.json",
            f"POST {base}/{{Sid}}.json",
            f"DELETE {base}/{{Sid}}.json",
        ]
    )


@dataclass
class Live:
    server: Server
    session: requests.Session
    http: httpx.Client
    app_sid: str  # an application that exists for the whole module (never deleted)

    @property
    def auth(self) -> tuple[str, str]:
        return (self.server.account_sid, self.server.auth_token)

    def new_app(self) -> str:
        resp = self.http.post(self.server.apps_path(), data={"FriendlyName": "to delete"})
        assert resp.status_code == 201, resp.text
        sid: str = resp.json()["sid"]
        return sid


@pytest.fixture(scope="module")
def live(module_server: Server) -> Iterator[Live]:
    server = module_server
    session = requests.Session()
    http = server.http()
    try:
        resp = http.post(
            server.apps_path(),
            data={"FriendlyName": "existing", "VoiceUrl": "https://example.com/voice"},
        )
        assert resp.status_code == 201, resp.text
        yield Live(server, session, http, resp.json()["sid"])
    finally:
        http.close()
        session.close()


def as_httpx(response: Response) -> httpx.Response:
    """A schemathesis response as the httpx one tests/errors.py reads."""
    request = response.request
    return httpx.Response(
        response.status_code,
        headers=[(name, value) for name, values in response.headers.items() for value in values],
        content=response.content,
        request=httpx.Request(str(request.method), str(request.url)),
    )


def check_twilio_error(
    response: Response, code: int | None = None, message: str | None = None
) -> dict[str, Any]:
    """What the `twilio_error` schema cannot say, checked as everywhere (tests/errors.py): the four
    keys in order, `status` the HTTP status, `more_info` the page of `code`, and so on."""
    return assert_error(as_httpx(response), response.status_code, code, message)


def check_response(case: Case, response: Response) -> None:
    """The description's checks, and a 4xx is Twilio's error; a failure names the request."""
    try:
        case.validate_response(response, checks=CHECKS)
        if 400 <= response.status_code < 500:
            check_twilio_error(response)
    except AssertionError as exc:
        request = response.request
        exc.add_note(
            f"{request.method} {request.url} -> {response.status_code}: {response.text[:500]}"
        )
        raise


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: op.label)
def test_applications_conform(live: Live, operation: APIOperation, mode: GenerationMode) -> None:
    account_sid = live.server.account_sid
    strategy = operation.as_strategy(
        generation_mode=mode, path_parameters={"AccountSid": account_sid}
    )
    has_sid = "{Sid}" in operation.path
    is_delete = operation.method.upper() == "DELETE"
    statuses: Counter[int] = Counter()

    @settings(max_examples=MAX_EXAMPLES, **RUN)
    @given(case=strategy, use_real_sid=st.booleans())
    def run(case: Case, use_real_sid: bool) -> None:
        case.path_parameters["AccountSid"] = account_sid
        if has_sid and use_real_sid:
            case.path_parameters["Sid"] = live.new_app() if is_delete else live.app_sid
        # `auth=` wins over the negative phase's "drop the Authorization header" variant.
        response = case.call(
            base_url=live.server.url, session=live.session, auth=live.auth, timeout=30
        )
        statuses[response.status_code] += 1
        check_response(case, response)

    run()
    print(operation.label, mode, dict(statuses))
    # Valid credentials go with every request, so nothing is a 401; valid input gets through.
    assert 401 not in statuses
    if mode is GenerationMode.POSITIVE:
        assert any(200 <= status < 300 for status in statuses), statuses


# Paths schemathesis finds only now and then (a control character in a path segment), pinned.
ODD_PATHS = [
    "/Applications/" + "0" * 34 + "%0A.json",
    "/Applications/AP" + "0" * 32 + "%0A.json",
    "/Applications/AP" + "0" * 32 + "%0D.json",
    "/Applications/AP" + "0" * 32 + "%00.json",
    "/Applications/%09.json",
    "/Applications/%0A.json",
    "%0A/Applications.json",
]


@pytest.mark.parametrize("suffix", ODD_PATHS)
def test_odd_paths_get_twilio_json_errors(live: Live, suffix: str) -> None:
    path = f"/2010-04-01/Accounts/{live.server.account_sid}{suffix}"
    problems = []
    for method in ("GET", "POST", "DELETE"):
        response = live.http.request(method, path)
        problem = error_problem(response, response.status_code)
        if not 400 <= response.status_code < 500:
            problems.append(f"{describe(response)}: not a 4xx")
        elif problem is not None:
            problems.append(f"{describe(response)}: {problem}")
    assert not problems, "\n".join(problems)
