"""The suite's own error checks (tests/errors.py), in-process: a Twilio error passes, in JSON and in
XML, and each way of falling short of one is caught, so that no test's check is looser than the
contract (docs/api.md, "Errors" and "Representations")."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from errors import answers_xml, assert_error, assert_sdk_error, error_problem
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.response import Response as TwilioResponse

MORE_INFO = "https://www.twilio.com/docs/errors/20404"
JSON_PATH = "/2010-04-01/Accounts/AC1/Applications/AP1.json"
XML_PATH = "/2010-04-01/Accounts/AC1/Applications/AP1"


def json_error(
    body: Any, status: int = 404, content_type: str = "application/json"
) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = httpx.Request("GET", "http://127.0.0.1" + JSON_PATH)
    return httpx.Response(
        status, headers={"content-type": content_type}, content=content, request=request
    )


def xml_error(
    inner: str, status: int = 404, head: str = "<?xml version='1.0' encoding='UTF-8'?>"
) -> httpx.Response:
    content = f"{head}<TwilioResponse>{inner}</TwilioResponse>".encode()
    request = httpx.Request("GET", "http://127.0.0.1" + XML_PATH)
    return httpx.Response(
        status, headers={"content-type": "application/xml"}, content=content, request=request
    )


GOOD = {"code": 20404, "message": "Not found", "more_info": MORE_INFO, "status": 404}
GOOD_XML = (
    "<RestException><Code>20404</Code><Message>Not found</Message>"
    f"<MoreInfo>{MORE_INFO}</MoreInfo><Status>404</Status></RestException>"
)


def test_a_twilio_error_passes_in_json_and_in_xml() -> None:
    assert assert_error(json_error(GOOD), 404, 20404, "Not found") == GOOD
    assert assert_error(xml_error(GOOD_XML), 404, 20404, "Not found") == GOOD
    assert error_problem(json_error(GOOD), 404) is None  # any code, its own page


@pytest.mark.parametrize(
    ("resp", "why"),
    [
        (json_error(GOOD, status=400), "400, not 404"),
        (json_error({**GOOD, "status": 400}), "body status 400"),
        (json_error({**GOOD, "code": 20403}), "code 20403, not 20404"),
        (json_error({**GOOD, "code": "20404"}), "not both integers"),
        (json_error({**GOOD, "code": True}), "not both integers"),
        (json_error({**GOOD, "more_info": "https://example.com"}), "more_info"),
        (json_error({**GOOD, "message": ""}), "non-empty string"),
        (json_error({**GOOD, "message": None}), "non-empty string"),
        (json_error({k: GOOD[k] for k in ("status", "code", "message", "more_info")}), "in order"),
        (json_error({**GOOD, "details": {}}), "four keys"),
        (json_error(b"<html>"), "not JSON"),
        (json_error(GOOD, content_type="text/plain"), "not application/json"),
        (xml_error(GOOD_XML, head=""), "does not open with"),
        (xml_error(GOOD_XML.replace("<Status>404</Status>", "")), "not ['Code'"),
        (xml_error(GOOD_XML.replace("20404</Code>", "20403</Code>")), "code 20403"),
        (xml_error(GOOD_XML + "<Extra/>"), "not one <RestException>"),
        (xml_error(GOOD_XML.replace("<Message>Not found", "<Message>")), "non-empty string"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_each_shortfall_is_caught(resp: httpx.Response, why: str) -> None:
    problem = error_problem(resp, 404, 20404)
    assert problem is not None and why in problem, problem
    with pytest.raises(AssertionError, match="->"):  # the request and answer are named
        assert_error(resp, 404, 20404)


def test_the_message_is_checked_when_given() -> None:
    assert error_problem(json_error(GOOD), 404, 20404, "Something else") is not None


def test_the_path_decides_the_representation() -> None:
    assert not answers_xml("/2010-04-01/Accounts.json")
    assert not answers_xml("/2010-04-01/Accounts/AC1/Applications.json?PageSize=5")
    assert not answers_xml("/switchboard/v1/Accounts/AC1/Requests")
    assert not answers_xml("/2010-04-01/Accounts/AC1/Applications/AP1%2Ejson")  # decoded
    assert answers_xml("/2010-04-01/Accounts/AC1/Applications")
    assert answers_xml("/2010-04-01/Accounts.json%0A")
    assert answers_xml("/nope")
    # A JSON error where the path asks for XML is no Twilio answer, and the other way round.
    json_on_xml_path = json_error(GOOD)
    json_on_xml_path.request = httpx.Request("GET", "http://127.0.0.1" + XML_PATH)
    assert error_problem(json_on_xml_path, 404, 20404) is not None
    assert error_problem(json_error(GOOD), 404, 20404, xml=True) is not None


def test_sdk_errors_are_checked_as_the_sdk_raised_them() -> None:
    def rest(status: int, code: int, msg: str) -> None:
        raise TwilioRestException(status, "/x", msg, code)

    assert_sdk_error(lambda: rest(404, 20404, "Unable to fetch record: Not found"), 404, 20404)
    with pytest.raises(AssertionError):
        assert_sdk_error(lambda: rest(404, 20403, "Unable to fetch record: Not found"), 404, 20404)
    with pytest.raises(AssertionError, match="no message"):
        assert_sdk_error(lambda: rest(404, 20404, "Unable to fetch record"), 404, 20404)

    def page(body: dict[str, Any]) -> None:
        raise TwilioException("Unable to fetch page", TwilioResponse(404, json.dumps(body)))

    assert_sdk_error(lambda: page(GOOD), 404, 20404)
    with pytest.raises(AssertionError, match="more_info"):
        assert_sdk_error(lambda: page({**GOOD, "more_info": "x"}), 404, 20404)
    with pytest.raises(pytest.fail.Exception):  # nothing raised at all
        assert_sdk_error(lambda: None, 404, 20404)
