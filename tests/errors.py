"""Twilio's error answers, checked one way everywhere (docs/api.md, "Errors").

An error is JSON `{"code", "message", "more_info", "status"}` (those four keys, in that order), or
in XML a `<TwilioResponse>` holding one `<RestException>` with `Code`, `Message`, `MoreInfo`,
`Status`. Which of the two a path answers is the server's rule (docs/api.md, "Representations"):
`.json` paths and our extension (`/switchboard/...`) JSON, every other path XML. Every check is the
strictest the suite knows: the HTTP status and the body's `status` are the status asked for,
`code` is an integer and `more_info` is its page, `message` is a non-empty string, and the content
type is the representation's.

- `error_problem(resp, status, code)`: why `resp` is not that error, in a few words, or None (for
  tests that collect every failing case before they fail);
- `assert_error(resp, status, code)`: the same as an assertion; returns the error's four fields;
- `assert_sdk_error(call, status, code)`: the official SDK raised that error for `call`;
- `describe(resp)`: a request and its answer on one line, for failure messages.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException

ERROR_KEYS = ["code", "message", "more_info", "status"]
XML_ERROR_TAGS = ["Code", "Message", "MoreInfo", "Status"]
XML_HEAD = "<?xml version='1.0' encoding='UTF-8'?><TwilioResponse>"


def more_info(code: int) -> str:
    return f"https://www.twilio.com/docs/errors/{code}"


def answers_xml(path: str) -> bool:
    """Whether the server answers this (percent-encoded) path in XML, as it decides: on the path
    as decoded, XML unless it ends in `.json` or is our extension's."""
    decoded = unquote(path.split("?", 1)[0])
    return not (decoded.startswith("/switchboard/") or decoded.endswith(".json"))


def describe(resp: httpx.Response) -> str:
    """`METHOD path body -> status answer`, each part cut short."""
    try:
        req = resp.request
    except RuntimeError:  # a response parsed from raw bytes
        return f"-> {resp.status_code} {resp.text[:500]}"
    try:
        sent = req.content[:120]
    except httpx.RequestNotRead:
        sent = b"<streamed>"
    path = req.url.raw_path.decode(errors="replace")
    body = f" {sent!r}" if sent else ""
    return f"{req.method} {path[:200]}{body} -> {resp.status_code} {resp.text[:500]}"


def _fields_problem(
    fields: dict[str, Any], status: int, code: int | None, message: str | None
) -> str | None:
    """What is wrong with an error's four fields (already of their JSON types), or None."""
    got_code, got_status = fields["code"], fields["status"]
    if type(got_code) is not int or type(got_status) is not int:
        return f"code {got_code!r} and status {got_status!r} are not both integers"
    if got_status != status:
        return f"body status {got_status}, not {status}"
    if code is not None and got_code != code:
        return f"code {got_code}, not {code}: {str(fields['message'])[:100]}"
    if fields["more_info"] != more_info(got_code):
        return f"more_info {fields['more_info']!r} is not the page of {got_code}"
    if not isinstance(fields["message"], str) or not fields["message"]:
        return f"message {fields['message']!r} is not a non-empty string"
    if message is not None and fields["message"] != message:
        return f"message {fields['message']!r}, not {message!r}"
    return None


def _json_fields(content: bytes) -> tuple[dict[str, Any] | None, str | None]:
    try:
        body = json.loads(content)
    except ValueError:
        return None, f"not JSON: {content[:120]!r}"
    if not isinstance(body, dict) or list(body) != ERROR_KEYS:
        return None, f"not the four keys {ERROR_KEYS} in order: {content[:120]!r}"
    return body, None


def _xml_fields(content: bytes, text: str) -> tuple[dict[str, Any] | None, str | None]:
    if not text.startswith(XML_HEAD):
        return None, f"XML that does not open with {XML_HEAD!r}: {text[:120]!r}"
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        return None, f"XML not well-formed ({exc})"
    if root.tag != "TwilioResponse" or [child.tag for child in root] != ["RestException"]:
        return None, f"not one <RestException> in a <TwilioResponse>: {text[:120]!r}"
    exc_el = root[0]
    if [child.tag for child in exc_el] != XML_ERROR_TAGS:
        return None, f"<RestException> of {[child.tag for child in exc_el]}, not {XML_ERROR_TAGS}"
    texts = {tag: exc_el.findtext(tag) or "" for tag in XML_ERROR_TAGS}

    def number(value: str) -> int | str:
        return int(value) if value.isascii() and value.isdigit() else value

    return {
        "code": number(texts["Code"]),
        "message": texts["Message"],
        "more_info": texts["MoreInfo"],
        "status": number(texts["Status"]),
    }, None


def _parsed(resp: httpx.Response, status: int, xml: bool | None) -> tuple[Any, str | None]:
    """The error's fields from `resp`, or why it is not an error of that status at all."""
    if resp.status_code != status:
        return None, f"{resp.status_code}, not {status}: {resp.text[:120]}"
    if xml is None:
        xml = answers_xml(resp.request.url.raw_path.decode("ascii"))
    media = "application/xml" if xml else "application/json"
    content_type = resp.headers.get("content-type", "")
    if content_type.split(";")[0].strip() != media:
        return None, f"{status} with {content_type or 'no content type'}, not {media}"
    if xml:
        return _xml_fields(resp.content, resp.text)
    return _json_fields(resp.content)


def error_problem(
    resp: httpx.Response,
    status: int,
    code: int | None = None,
    message: str | None = None,
    *,
    xml: bool | None = None,
) -> str | None:
    """Why `resp` is not Twilio's error with this status (and code, and message), or None.

    `xml`: whether the error must be XML; by default what the request's path asks for."""
    fields, problem = _parsed(resp, status, xml)
    if problem is not None:
        return problem
    return _fields_problem(fields, status, code, message)


def assert_error(
    resp: httpx.Response,
    status: int,
    code: int | None = None,
    message: str | None = None,
    *,
    xml: bool | None = None,
) -> dict[str, Any]:
    """Assert `resp` is Twilio's error with this status (and code, and message); its fields."""
    fields, problem = _parsed(resp, status, xml)
    if problem is None:
        problem = _fields_problem(fields, status, code, message)
    assert problem is None, f"{problem}\n  {describe(resp)}"
    result: dict[str, Any] = fields
    return result


def assert_sdk_error(call: Callable[[], object], status: int, code: int) -> TwilioException:
    """Assert the official SDK fails `call` with Twilio's error of this status and code.

    A failed fetch, create, update or delete raises TwilioRestException, whose message carries the
    error's own; a failed list page raises TwilioException with the raw response, whose body is
    then checked in full."""
    with pytest.raises(TwilioException) as info:
        call()
    exc = info.value
    if isinstance(exc, TwilioRestException):
        assert (exc.status, exc.code) == (status, code), f"{exc.status} {exc.code}: {exc.msg}"
        _, _, said = str(exc.msg).partition(": ")
        assert said, f"the SDK found no message in the error: {exc.msg!r}"
        return exc
    assert exc.args[0] == "Unable to fetch page", exc
    response = exc.args[1]
    assert response.status_code == status, response.text
    fields, problem = _json_fields(response.text.encode())
    if problem is None:
        problem = _fields_problem(fields, status, code, None)
    assert problem is None, problem
    return exc
