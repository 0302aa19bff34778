"""Route templates: one template both matches a request's path and builds URIs; the route table
is derived from the resource declarations."""

from __future__ import annotations

import pytest

from switchboard.api.routes import Template, build_routes
from switchboard.twilio.resources import ACCOUNT, APPLICATION, INCOMING_PHONE_NUMBER, KEY

AC = "AC" + "a" * 32
AP = "AP" + "b" * 32


def test_template_matches_with_and_without_json_suffix() -> None:
    t = Template("/2010-04-01/Accounts/{account_sid}/Applications/{sid}")
    assert t.match(f"/2010-04-01/Accounts/{AC}/Applications/{AP}.json") == {
        "account_sid": AC,
        "sid": AP,
    }
    assert t.match(f"/2010-04-01/Accounts/{AC}/Applications/{AP}") == {
        "account_sid": AC,
        "sid": AP,
    }


@pytest.mark.parametrize(
    "path",
    [
        f"/2010-04-01/Accounts/{AC}/Applications/{AP}/extra.json",
        f"/2010-04-01/Accounts/{AC}/Applications.json",
        f"x/2010-04-01/Accounts/{AC}/Applications/{AP}",
    ],
)
def test_template_refuses_other_paths(path: str) -> None:
    t = Template("/2010-04-01/Accounts/{account_sid}/Applications/{sid}")
    assert t.match(path) is None


def test_a_segment_parameter_takes_anything_but_a_slash() -> None:
    # What is not a SID of the right shape is refused by the handler (404), not by the route.
    t = Template("/2010-04-01/Accounts/{account_sid}/Applications/{sid}")
    assert t.match(f"/2010-04-01/Accounts/{AC}/Applications/{AP}.xml") == {
        "account_sid": AC,
        "sid": f"{AP}.xml",
    }


def test_parameter_with_its_own_pattern() -> None:
    t = Template("/x/{kind:Local|TollFree|Mobile}")
    assert t.match("/x/TollFree.json") == {"kind": "TollFree"}
    assert t.match("/x/Other.json") is None
    assert t.build(kind="Local") == "/x/Local"


def test_extension_template_takes_no_suffix() -> None:
    t = Template("/switchboard/v1/Accounts/{account_sid}/Requests", suffix=False)
    assert t.match(f"/switchboard/v1/Accounts/{AC}/Requests") == {"account_sid": AC}
    assert t.match(f"/switchboard/v1/Accounts/{AC}/Requests.json") is None


def test_build_and_match_round_trip_for_every_route() -> None:
    for route in build_routes():
        t = route.template
        values = {name: f"V{i}x" for i, name in enumerate(t.names)}
        if "kind" in values:
            values["kind"] = "Mobile"
        assert t.match(t.build(**values)) == values, t


@pytest.mark.parametrize("resource", [APPLICATION, INCOMING_PHONE_NUMBER, KEY, ACCOUNT])
def test_record_uris_and_routes_come_from_one_declaration(resource) -> None:  # type: ignore[no-untyped-def]
    record = {"account_sid": AC, "sid": resource.prefix + "c" * 32}
    uri = resource.uri(record, ".json")
    route = next(r for r in build_routes() if r.template.match(uri) is not None)
    assert route.template.template == resource.path
    assert "GET" in route.methods


def test_allow_lists_the_route_methods_in_order() -> None:
    app_route = next(r for r in build_routes() if r.template.template == APPLICATION.path)
    assert app_route.allowed == "GET, POST, DELETE"
