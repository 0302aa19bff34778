"""Bad input: whatever arrives, the answer is a clean Twilio-style 4xx (or the exact value back).

Oversized bodies (413), non-form bodies (415), invalid UTF-8, malformed percent-encoding, NUL and
other control characters, 10,000 parameters, very long URLs and headers (431), SIDs of every wrong
shape, duplicate parameters, and a corpus of Unicode FriendlyNames that must round-trip exactly
(JSON, XML and the list filter) or be refused with the documented code. Never a 5xx; after every
test, whichever ran before it, the server still answers and its log has gained no traceback.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
import pytest
from conftest import Server, random_number
from errors import answers_xml, assert_error, describe, error_problem
from rawhttp import as_response, exchange, status_of

from switchboard.api.protocol import MAX_HEAD_BYTES

ROOT = "/2010-04-01/Accounts"
EXT = "/switchboard/v1/Accounts"
FORM = "application/x-www-form-urlencoded"
MIB = 1_048_576


@dataclass
class Live:
    server: Server
    http: httpx.Client
    app: str  # an application of the main account
    number: str  # a number (PN…) of the main account
    phone: str  # its E.164 form
    key: str  # an API key (SK…) of the main account
    sub: str  # a subaccount of the main account
    call: str  # a stored call trace (CA…)
    message: str  # a stored message trace (SM…)

    @property
    def main(self) -> str:
        return self.server.account_sid

    def paths(self) -> dict[str, str]:
        """Every POST endpoint, by label."""
        base = f"{ROOT}/{self.main}"
        return {
            "app-create": f"{base}/Applications.json",
            "app-update": f"{base}/Applications/{self.app}.json",
            "number-create": f"{base}/IncomingPhoneNumbers.json",
            "number-update": f"{base}/IncomingPhoneNumbers/{self.number}.json",
            "account-create": f"{ROOT}.json",
            "account-update": f"{ROOT}/{self.sub}.json",
            "key-create": f"{base}/Keys.json",
            "key-update": f"{base}/Keys/{self.key}.json",
            "call-create": f"{EXT}/{self.main}/InboundCalls",
            "message-create": f"{EXT}/{self.main}/InboundMessages",
        }

    def snapshot(self) -> dict[str, Any]:
        """Everything the POST endpoints above could change, as the owner sees it."""
        base = f"{ROOT}/{self.main}"
        out: dict[str, Any] = {}
        for key, path in (
            ("applications", f"{base}/Applications.json"),
            ("incoming_phone_numbers", f"{base}/IncomingPhoneNumbers.json"),
            ("keys", f"{base}/Keys.json"),
            ("accounts", f"{ROOT}.json"),
            ("requests", f"{EXT}/{self.main}/Requests"),
        ):
            resp = self.http.get(path, params={"PageSize": "1000"})
            assert resp.status_code == 200, resp.text
            out[key] = resp.json()[key]
        return out


POST_LABELS = [
    "app-create",
    "app-update",
    "number-create",
    "number-update",
    "account-create",
    "account-update",
    "key-create",
    "key-update",
    "call-create",
    "message-create",
]


@pytest.fixture(scope="module")
def live(module_server: Server) -> Iterator[Live]:
    server = module_server
    http = server.http()
    try:
        base = f"{ROOT}/{server.account_sid}"
        app = http.post(f"{base}/Applications.json", data={"FriendlyName": "fixture"})
        assert app.status_code == 201, app.text
        phone = random_number()
        number = http.post(f"{base}/IncomingPhoneNumbers.json", data={"PhoneNumber": phone})
        assert number.status_code == 201, number.text
        key = http.post(f"{base}/Keys.json", data={"FriendlyName": "fixture"})
        assert key.status_code == 201, key.text
        sub = http.post(f"{ROOT}.json", data={"FriendlyName": "fixture"})
        assert sub.status_code == 201, sub.text
        # A number without URLs: the flow fails at once, but the trace is stored.
        call = http.post(
            f"{EXT}/{server.account_sid}/InboundCalls", data={"To": phone, "From": "+1415"}
        )
        assert call.status_code == 201, call.text
        message = http.post(
            f"{EXT}/{server.account_sid}/InboundMessages",
            data={"To": phone, "From": "+1415", "Body": "x"},
        )
        assert message.status_code == 201, message.text
        yield Live(
            server,
            http,
            app.json()["sid"],
            number.json()["sid"],
            phone,
            key.json()["sid"],
            sub.json()["sid"],
            call.json()["call_sid"],
            message.json()["message_sid"],
        )
    finally:
        http.close()


# Helpers


class Problems:
    """Failures of one looping test: a line per case, the first few in full."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.details: list[str] = []

    def check(self, case: str, resp: httpx.Response, status: int, code: int | None) -> None:
        problem = error_problem(resp, status, code)
        if problem is not None:
            self.add(case, problem, resp)

    def add(self, case: str, problem: str, resp: httpx.Response | None = None) -> None:
        self.lines.append(f"{case}: {problem}")
        if resp is not None and len(self.details) < 3:
            self.details.append(describe(resp))

    def assert_none(self) -> None:
        assert not self.lines, "\n".join(
            [f"{len(self.lines)} failing cases:", *self.lines, "e.g.:", *self.details]
        )


def post_raw(live: Live, path: str, body: bytes, content_type: str = FORM) -> httpx.Response:
    return live.http.post(path, content=body, headers={"Content-Type": content_type})


def assert_still_serving(live: Live) -> None:
    assert live.server.proc is not None and live.server.proc.poll() is None, "server died"
    assert httpx.get(f"{live.server.url}/healthz", timeout=10).status_code == 200
    resp = live.http.get(f"{ROOT}/{live.main}/Applications/{live.app}.json")
    assert resp.status_code == 200, resp.text


@pytest.fixture(autouse=True)
def survived(live: Live) -> Iterator[None]:
    """Whatever a test sent, the server survived it: after each test, in any order and any
    selection, the server still answers and its log gained no traceback."""
    start = live.server.log_path.stat().st_size
    yield
    assert_still_serving(live)
    log = live.server.log_path.read_bytes()[start:].decode(errors="replace")
    assert "Traceback" not in log, log[-3000:]


# 1. Bodies over 1 MiB: 413, code 20001, nothing changed.


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("label", POST_LABELS)
def test_body_over_1_mib_is_413(live: Live, label: str, chunked: bool) -> None:
    before = live.snapshot()
    body = b"FriendlyName=big&From=%2B1415&To=" + quote(live.phone).encode() + b"&Pad="
    body += b"a" * (MIB + 1 - len(body))
    assert len(body) == MIB + 1
    path = live.paths()[label]
    if chunked:

        def pieces() -> Iterator[bytes]:
            for i in range(0, len(body), 64 * 1024):
                yield body[i : i + 64 * 1024]

        resp = live.http.post(path, content=pieces(), headers={"Content-Type": FORM})
    else:
        resp = post_raw(live, path, body)
    assert_error(resp, 413, 20001)
    assert live.snapshot() == before


def test_body_of_exactly_1_mib_is_accepted(live: Live) -> None:
    body = b"FriendlyName=exactly-1-MiB&Pad="
    body += b"a" * (MIB - len(body))
    resp = post_raw(live, live.paths()["app-create"], body)
    assert resp.status_code == 201, describe(resp)
    assert resp.json()["friendly_name"] == "exactly-1-MiB"


def test_body_over_1_mib_on_an_xml_path_is_an_xml_413(live: Live) -> None:
    path = live.paths()["app-create"].removesuffix(".json")
    resp = post_raw(live, path, b"FriendlyName=x&Pad=" + b"a" * MIB)
    assert resp.headers["content-type"].startswith("application/xml")
    assert_error(resp, 413, 20001)


def test_declared_length_over_the_limit_is_refused_before_the_body(live: Live) -> None:
    """Content-Length: 10^12 with a 10-byte body: 413 at once, not a wait for a terabyte."""
    request = (
        f"POST {live.paths()['app-create']} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {live.server.authorization}\r\nContent-Type: {FORM}\r\n"
        f"Content-Length: 1000000000000\r\nConnection: close\r\n\r\nFriendlyName=x"
    ).encode()
    raw, _ = exchange(live.server.port, request, timeout=10)
    assert_error(as_response(raw, request), 413, 20001)


# 2. Bodies that are not a form: 415, code 20001.

NOT_FORMS = [
    pytest.param(b'{"FriendlyName": "json415"}', "application/json", id="json"),
    pytest.param(b'{"FriendlyName": "json415"}', "application/json; charset=utf-8", id="json-utf8"),
    pytest.param(b"FriendlyName=json415", "text/plain", id="text-plain"),
    pytest.param(
        b'--b\r\nContent-Disposition: form-data; name="FriendlyName"\r\n\r\njson415\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
        id="multipart",
    ),
    pytest.param(b"<FriendlyName>json415</FriendlyName>", "application/xml", id="xml"),
]


@pytest.mark.parametrize(("content", "content_type"), NOT_FORMS)
@pytest.mark.parametrize("label", POST_LABELS)
def test_body_that_is_not_a_form_is_415(
    live: Live, label: str, content: bytes, content_type: str
) -> None:
    before = live.snapshot()
    resp = post_raw(live, live.paths()[label], content, content_type)
    assert_error(resp, 415, 20001)
    assert live.snapshot() == before


@pytest.mark.parametrize(
    "content_type",
    [FORM, f"{FORM}; charset=UTF-8", FORM.upper(), f"{FORM} ; charset=utf-8"],
)
def test_form_content_types_are_accepted(live: Live, content_type: str) -> None:
    resp = post_raw(live, live.paths()["app-create"], b"FriendlyName=form-ok", content_type)
    assert resp.status_code == 201, describe(resp)
    assert resp.json()["friendly_name"] == "form-ok"


# 3. Invalid UTF-8 anywhere in a form or a query: 400, code 20001, nothing changed.

BAD_UTF8 = [
    pytest.param(b"FriendlyName=%FF", id="ff"),
    pytest.param(b"FriendlyName=ok&%FF=1", id="in-a-name"),
    pytest.param(b"FriendlyName=\xff\xfe", id="raw-bytes"),
    pytest.param(b"FriendlyName=%C0%AF", id="overlong"),
    pytest.param(b"FriendlyName=%ED%A0%80", id="surrogate"),
    pytest.param(b"FriendlyName=%F4%90%80%80", id="above-10ffff"),
    pytest.param(b"FriendlyName=%E2%82", id="truncated"),
    pytest.param(b"FriendlyName=%F8%88%80%80%80", id="five-bytes"),
]


@pytest.mark.parametrize("body", BAD_UTF8)
@pytest.mark.parametrize("label", POST_LABELS)
def test_invalid_utf8_in_a_form_is_400(live: Live, label: str, body: bytes) -> None:
    before = live.snapshot()
    resp = post_raw(live, live.paths()[label], body)
    assert_error(resp, 400, 20001)
    assert live.snapshot() == before


def list_paths(live: Live) -> dict[str, str]:
    base = f"{ROOT}/{live.main}"
    return {
        "applications": f"{base}/Applications.json",
        "numbers": f"{base}/IncomingPhoneNumbers.json",
        "numbers-local": f"{base}/IncomingPhoneNumbers/Local.json",
        "accounts": f"{ROOT}.json",
        "keys": f"{base}/Keys.json",
        "requests": f"{EXT}/{live.main}/Requests",
    }


@pytest.mark.parametrize("query", [b"FriendlyName=%FF", b"%C0%AF=x", b"PageSize=1%ED%A0%80"])
@pytest.mark.parametrize(
    "label", ["applications", "numbers", "numbers-local", "accounts", "keys", "requests"]
)
def test_invalid_utf8_in_a_query_is_400(live: Live, label: str, query: bytes) -> None:
    url = httpx.URL(live.server.url + list_paths(live)[label]).copy_with(query=query)
    resp = live.http.get(url)
    assert_error(resp, 400, 20001)


# 4. Malformed percent-encoding is kept literally (as urllib.parse.parse_qsl does).

PERCENT_CASES = ["%zz", "%4", "%", "100%", "%%41", "%g0", "a%2", "%2%41", "%%"]


@pytest.mark.parametrize("raw", PERCENT_CASES)
def test_malformed_percent_encoding_is_kept_literally(live: Live, raw: str) -> None:
    expected = parse_qsl(f"FriendlyName={raw}", keep_blank_values=True)[0][1]
    # In a URL, `%` must be an escape (RFC 3986): the raw text goes escaped, and is kept so.
    url = f"https://example.com/{raw.replace('%', '%25')}"
    body = f"FriendlyName={raw}&VoiceUrl={url.replace('%', '%25')}"
    resp = post_raw(live, live.paths()["app-create"], body.encode())
    assert resp.status_code == 201, describe(resp)
    app = resp.json()
    assert app["friendly_name"] == expected
    assert app["voice_url"] == url
    listed = live.http.get(
        httpx.URL(live.server.url + list_paths(live)["applications"]).copy_with(
            query=f"FriendlyName={raw}&PageSize=1000".encode()
        )
    )
    assert listed.status_code == 200, describe(listed)
    assert app["sid"] in [a["sid"] for a in listed.json()["applications"]]
    for a in listed.json()["applications"]:
        assert a["friendly_name"] == expected
    # In a path: a SID that names nothing, an account the caller does not hold.
    bad_sid = live.http.get(f"{ROOT}/{live.main}/Applications/{raw}.json")
    assert_error(bad_sid, 404, 20404)
    bad_account = live.http.get(f"{ROOT}/{raw}/Applications.json")
    assert_error(bad_account, 401, 20003)


# 5. NUL anywhere: 400 20001. Other control characters: FriendlyName 20002, URLs 21402.

CONTROLS = [chr(c) for c in (*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))] + [
    "\ufffe",
    "\uffff",
]


@pytest.mark.parametrize(
    ("label", "form"),
    [
        ("app-create", {"FriendlyName": "a\x00b"}),
        ("app-create", {"VoiceUrl": "https://example.com/\x00"}),
        ("app-create", {"VoiceMethod": "GET\x00"}),
        ("app-create", {"Unknown\x00": "x"}),
        ("app-create", {"Unknown": "x\x00"}),
        ("app-update", {"FriendlyName": "\x00"}),
        ("app-update", {"SmsUrl": "https://example.com/\x00"}),
        ("number-create", {"PhoneNumber": "+1415555\x000100"}),
        ("number-create", {"AreaCode": "41\x005"}),
        ("number-update", {"FriendlyName": "\x00"}),
        ("account-create", {"FriendlyName": "a\x00b"}),
        ("account-update", {"FriendlyName": "\x00"}),
        ("account-update", {"Status": "active\x00"}),
        ("key-create", {"FriendlyName": "a\x00b"}),
        ("key-update", {"FriendlyName": "\x00"}),
        ("call-create", {"From": "+1415\x00"}),
        ("call-create", {"CallerName": "a\x00b"}),
        ("message-create", {"Body": "hi\x00there"}),
    ],
    ids=lambda v: v if isinstance(v, str) else "-".join(v),
)
def test_nul_in_any_parameter_is_400(live: Live, label: str, form: dict[str, str]) -> None:
    before = live.snapshot()
    if label in ("call-create", "message-create"):
        form = {"To": live.phone, "From": "+1415", **form}
    resp = live.http.post(live.paths()[label], data=form)
    assert_error(resp, 400, 20001)
    assert live.snapshot() == before


@pytest.mark.parametrize("label", ["applications", "numbers", "accounts", "keys", "requests"])
def test_nul_in_a_query_is_400(live: Live, label: str) -> None:
    for params in ({"FriendlyName": "a\x00"}, {"PageToken": "PA\x00"}, {"PhoneNumber": "\x00"}):
        resp = live.http.get(list_paths(live)[label], params=params)
        assert_error(resp, 400, 20001)


@pytest.mark.parametrize("label", ["app", "number", "account", "key"])
def test_control_characters_in_friendly_name_are_20002(live: Live, label: str) -> None:
    paths = live.paths()
    problems = Problems()
    for char in CONTROLS:
        for op in ("create", "update"):
            form = {"FriendlyName": f"a{char}b"}
            if label == "number" and op == "create":
                form["PhoneNumber"] = random_number()
            resp = live.http.post(paths[f"{label}-{op}"], data=form)
            problems.check(f"{op} U+{ord(char):04X}", resp, 400, 20002)
    problems.assert_none()


@pytest.mark.parametrize(
    ("label", "param"),
    [
        ("app-create", "VoiceUrl"),
        ("app-update", "StatusCallback"),
        ("number-create", "SmsUrl"),
        ("number-update", "VoiceFallbackUrl"),
    ],
)
def test_control_characters_in_urls_are_21402(live: Live, label: str, param: str) -> None:
    problems = Problems()
    for char in [*CONTROLS, " ", "\x7f"]:
        for rep in ("json", "xml"):
            form = {param: f"https://example.com/a{char}b"}
            if label == "number-create":
                form["PhoneNumber"] = random_number()
            path = live.paths()[label]
            if rep == "xml":
                path = path.removesuffix(".json")  # the same request, answered in XML
            resp = live.http.post(path, data=form)
            problems.check(f"U+{ord(char):04X} {rep}", resp, 400, 21402)
    problems.assert_none()


# 6. Too many parameters: at most 1000.


def many(n: int) -> bytes:
    return "&".join(f"p{i}=1" for i in range(n)).encode()


@pytest.mark.parametrize("label", POST_LABELS)
def test_ten_thousand_form_parameters_are_400(live: Live, label: str) -> None:
    before = live.snapshot()
    resp = post_raw(live, live.paths()[label], b"FriendlyName=many&" + many(9_999))
    assert_error(resp, 400, 20001)
    assert live.snapshot() == before


def test_a_thousand_parameters_are_accepted_and_a_thousand_and_one_are_not(live: Live) -> None:
    path = live.paths()["app-create"]
    ok = post_raw(live, path, b"FriendlyName=thousand&" + many(999))
    assert ok.status_code == 201, describe(ok)
    assert_error(post_raw(live, path, b"FriendlyName=thousand&" + many(1000)), 400, 20001)


@pytest.mark.parametrize("label", ["applications", "numbers", "accounts", "keys", "requests"])
def test_ten_thousand_query_parameters_are_400(live: Live, label: str) -> None:
    query = b"&".join([b"a="] * 10_000)  # 30 KB: under the 32 KiB head limit
    url = httpx.URL(live.server.url + list_paths(live)[label]).copy_with(query=query)
    assert_error(live.http.get(url), 400, 20001)


# 7. Very long URLs and headers: refused by the HTTP layer (431), before anything reads them.


def long_requests(live: Live) -> list[tuple[str, bytes]]:
    auth = live.server.authorization
    apps = f"{ROOT}/{live.main}/Applications.json"

    def get(target: str, headers: str = "") -> bytes:
        return (
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\n{headers}"
            "Connection: close\r\n\r\n"
        ).encode()

    return [
        ("query-60k", get(f"{apps}?FriendlyName={'a' * 60_000}")),
        ("query-100k", get(f"{apps}?FriendlyName={'a' * 100_000}")),
        ("query-1m", get(f"{apps}?FriendlyName={'a' * MIB}")),
        ("sid-100k", get(f"{ROOT}/{live.main}/Applications/AP{'0' * 100_000}.json")),
        ("account-100k", get(f"{ROOT}/AC{'0' * 100_000}/Applications.json")),
        ("path-1m", get("/" + "x" * MIB)),
        ("header-100k", get(apps, f"X-Long: {'a' * 100_000}\r\n")),
        ("header-1m", get(apps, f"X-Long: {'a' * MIB}\r\n")),
        ("10k-headers", get(apps, "".join(f"X-H{i}: v\r\n" for i in range(10_000)))),
        ("header-name-100k", get(apps, f"X-{'n' * 100_000}: v\r\n")),
        (
            "authorization-1m",
            (
                f"GET {apps} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {'QUFB' * 262_144}"
                "\r\nConnection: close\r\n\r\n"
            ).encode(),
        ),
    ]


def test_very_long_urls_and_headers_are_431(live: Live) -> None:
    """Over 32 KiB of request line and headers, or over 100 header fields: 431, a Twilio-style
    body (XML on paths without .json), the connection closed; the server keeps serving."""
    problems: list[str] = []
    for label, request in long_requests(live):
        raw, _ = exchange(live.server.port, request, timeout=15)
        if status_of(raw) is None:
            problems.append(f"{label}: no answer: {raw[:300]!r}")
        else:
            # The answer is for the path as far as the server had read it: the representation
            # the path asks for, or XML for a path longer than the limit, which the server may
            # have had to cut before its `.json` (whether it did depends on how the bytes came).
            resp = as_response(raw)
            path = request.split(b" ", 2)[1].split(b"?", 1)[0]
            cut = resp.headers.get("content-type", "").startswith("application/xml")
            xml = answers_xml(path.decode()) or (len(path) > MAX_HEAD_BYTES and cut)
            problem = error_problem(resp, 431, 20001, xml=xml)
            if problem is not None:
                problems.append(f"{label}: {problem}")
        assert_still_serving(live)
    assert not problems, "\n".join(problems)


# 8. SIDs of every wrong shape: 404 20404 (an account SID of the wrong shape: 401 20003).


def wrong_shapes(sid: str) -> list[str]:
    prefix, digits = sid[:2], sid[2:]
    return [
        sid[:-1],
        sid + "0",
        prefix.lower() + digits,
        prefix + digits.upper(),
        "ZZ" + digits,
        prefix + "g" + digits[1:],
        prefix + "\u0660" * 32,  # ARABIC-INDIC DIGIT ZERO: a digit, not an ASCII one
        "\uff21\uff30" + digits,  # a fullwidth "AP"
        prefix + digits[:16] + "-" + digits[16:],
        f"{sid}%20",
        f"%20{sid}",
        f"{sid}%09",
        f"{sid}%01",
        f"{sid}%00",
        f"{sid}%0A",
        f"{sid}.json",
        f"{sid}.xml",
        f"{sid}%2Ejson",
        f"{sid[:10]}%2F{sid[10:]}",
        "%2e%2e",  # (a literal ".." would be resolved by the client before sending)
        "-1",
        "0",
        "null",
        "%",
        "%zz",
        prefix,
        prefix + "0" * 100,
        "A" * 1000,
        "%F0%9F%98%80",
    ]


def item_paths(live: Live) -> list[tuple[str, str, tuple[str, ...]]]:
    base = f"{ROOT}/{live.main}"
    return [
        (f"{base}/Applications/{{X}}.json", live.app, ("GET", "POST", "DELETE")),
        (f"{base}/Applications/{{X}}", live.app, ("GET",)),
        (f"{base}/IncomingPhoneNumbers/{{X}}.json", live.number, ("GET", "POST", "DELETE")),
        (f"{base}/Keys/{{X}}.json", live.key, ("GET", "POST", "DELETE")),
        (f"{EXT}/{live.main}/InboundCalls/{{X}}", live.call, ("GET",)),
        (f"{EXT}/{live.main}/InboundMessages/{{X}}", live.message, ("GET",)),
    ]


def test_resource_sids_of_every_wrong_shape_are_404(live: Live) -> None:
    problems = Problems()
    for template, sid, methods in item_paths(live):
        others = [live.app, live.number, live.key, live.call, live.message, live.main]
        shapes = wrong_shapes(sid) + [o for o in others if o[:2] != sid[:2]]
        if not template.endswith(".json") and "/switchboard/" not in template:
            # Without a suffix, "{sid}.json" is the JSON form of the real resource.
            shapes = [x for x in shapes if not x.endswith((".json", "%2Ejson"))]
        for shape in shapes:
            for method in methods:
                data = {"FriendlyName": "shape"} if method == "POST" else None
                path = template.replace("{X}", shape)
                resp = live.http.request(method, path, data=data)
                problems.check(
                    f"{method} {path.rsplit('/', 2)[-2]}/{shape[:40]!r}", resp, 404, 20404
                )
    # The real ones were not touched by any of that.
    base = f"{ROOT}/{live.main}"
    for path in (
        f"{base}/Applications/{live.app}.json",
        f"{base}/IncomingPhoneNumbers/{live.number}.json",
        f"{base}/Keys/{live.key}.json",
    ):
        resp = live.http.get(path)
        assert resp.status_code == 200, describe(resp)
        assert resp.json()["friendly_name"] != "shape", describe(resp)
    problems.assert_none()


def test_account_sids_of_every_wrong_shape_are_401(live: Live) -> None:
    problems = Problems()
    suffixes = [
        ".json",
        "/Applications.json",
        "/IncomingPhoneNumbers.json",
        "/Keys.json",
        f"/Applications/{live.app}.json",
    ]
    for shape in wrong_shapes(live.main):
        if "%2F" in shape or shape.endswith((".json", "%2Ejson", ".xml")):
            continue  # another route altogether
        for suffix in suffixes:
            resp = live.http.get(f"{ROOT}/{shape}{suffix}")
            problems.check(f"{shape[:40]!r}{suffix}", resp, 401, 20003)
            xml = live.http.get(f"{ROOT}/{shape}{suffix.removesuffix('.json')}")
            problems.check(f"{shape[:40]!r}{suffix.removesuffix('.json')} (XML)", xml, 401, 20003)
        resp = live.http.get(f"{EXT}/{shape}/Requests")
        problems.check(f"{shape[:40]!r} /Requests", resp, 401, 20003)
    problems.assert_none()


# 9. Duplicate parameters: the first value counts.


def test_duplicate_parameters_first_wins(live: Live) -> None:
    path = live.paths()["app-create"]
    resp = post_raw(live, path, b"FriendlyName=first&FriendlyName=second")
    assert resp.status_code == 201, describe(resp)
    app = resp.json()
    assert app["friendly_name"] == "first"
    valid_first = post_raw(
        live, path, b"VoiceUrl=https://example.com/ok&VoiceUrl=not-a-url&VoiceMethod=GET"
    )
    assert valid_first.status_code == 201, describe(valid_first)
    assert valid_first.json()["voice_url"] == "https://example.com/ok"
    assert_error(
        post_raw(live, path, b"VoiceUrl=not-a-url&VoiceUrl=https://example.com/ok"), 400, 21402
    )
    update = post_raw(
        live,
        f"{ROOT}/{live.main}/Applications/{app['sid']}.json",
        b"FriendlyName=again&FriendlyName=later&SmsMethod=get&SmsMethod=bogus",
    )
    assert update.status_code == 200, describe(update)
    assert update.json()["friendly_name"] == "again"
    assert update.json()["sms_method"] == "GET"
    listed = live.http.get(
        httpx.URL(live.server.url + list_paths(live)["applications"]).copy_with(
            query=b"FriendlyName=again&FriendlyName=first&PageSize=1&PageSize=5000"
        )
    )
    assert listed.status_code == 200, describe(listed)
    body = listed.json()
    assert [a["sid"] for a in body["applications"]] == [app["sid"]]
    assert body["page_size"] == 1
    account = post_raw(live, f"{ROOT}/{live.sub}.json", b"Status=active&Status=closed")
    assert account.status_code == 200, describe(account)
    assert account.json()["status"] == "active"


# 10. FriendlyName: a corpus of Unicode edge cases round-trips exactly, or is refused.

ACCEPTED_NAMES = [
    "a",
    "x" * 64,
    "\U0001f600" * 64,  # 64 emoji: 64 code points, 256 UTF-8 bytes
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",  # a ZWJ family
    "\U0001f3f3\ufe0f\u200d\U0001f308",  # a flag sequence
    "\U0001f1fa\U0001f1f8",  # regional indicators
    "\U0001f44d\U0001f3fd",  # a skin-tone modifier
    "e\u0301",  # decomposed é: kept as sent, not normalised
    "\u00e9",  # precomposed é
    "Z" + "\u0301\u0302\u0303\u0304\u0305\u0306\u0307" * 9,  # 64 code points of zalgo
    "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd",  # Hebrew
    "\u0645\u0631\u062d\u0628\u0627 123",  # Arabic with digits
    "\u202eevil\u202c.exe",  # right-to-left override
    "\u2067isolate\u2069",
    "\u200b",  # a zero-width space alone
    "\ufeffBOM",
    "\u00a0nbsp\u00a0",
    "  padded  ",
    "tab\there",
    "line\nbreak",
    "carriage\rreturn",
    "crlf\r\nend",
    "\U0001d54f\U0001d538\U0001d544\U0001d543",  # mathematical double-struck (astral)
    "\u65e5\u672c\u8a9e\u306e\u30a2\u30d7\u30ea",
    "\U0010fffd",  # the last private-use code point
    "\ufffd",
    "\u007f",
    "\u0085",  # NEL
    "\u2028\u2029",  # line and paragraph separators
    "<&>\"'",
    "]]>",
    "+plus+ & =equals= ?q#h %25",
    "\\backslash\\",
    "\U0001f600" * 63 + "e",
]

REFUSED_NAMES = [
    pytest.param("", 20002, id="empty"),
    pytest.param("x" * 65, 20002, id="65-ascii"),
    pytest.param("\U0001f600" * 65, 20002, id="65-emoji"),
    pytest.param("\u00e9" * 65, 20002, id="65-latin"),
    pytest.param("Z" + "\u0301" * 64, 20002, id="65-zalgo"),
    pytest.param("e\u0301" * 33, 20002, id="66-decomposed"),
    pytest.param("a\x00b", 20001, id="nul"),
    pytest.param("a\x01b", 20002, id="u0001"),
    pytest.param("a\x1fb", 20002, id="u001f"),
    pytest.param("a\ufffeb", 20002, id="ufffe"),
    pytest.param("a\uffffb", 20002, id="uffff"),
]


@dataclass(frozen=True)
class Kind:
    label: str
    element: str  # the XML element
    filterable: bool  # lists filter on FriendlyName


KINDS = [
    Kind("app", "Application", True),
    Kind("number", "IncomingPhoneNumber", True),
    Kind("account", "Account", True),
    Kind("key", "Key", False),
]


def create_named(live: Live, kind: Kind, name: str) -> httpx.Response:
    form = {"FriendlyName": name}
    if kind.label == "number":
        form["PhoneNumber"] = random_number()
    return live.http.post(live.paths()[f"{kind.label}-create"], data=form)


def item_path(live: Live, kind: Kind, sid: str) -> str:
    base = f"{ROOT}/{live.main}"
    return {
        "app": f"{base}/Applications/{sid}.json",
        "number": f"{base}/IncomingPhoneNumbers/{sid}.json",
        "account": f"{ROOT}/{sid}.json",
        "key": f"{base}/Keys/{sid}.json",
    }[kind.label]


def round_trip_problems(live: Live, kind: Kind, name: str) -> list[str]:
    problems: list[str] = []
    created = create_named(live, kind, name)
    if created.status_code != 201:
        return [f"{name!r}: create: {describe(created)}"]
    sid = created.json()["sid"]
    if created.json()["friendly_name"] != name:
        problems.append(f"{name!r}: create answered {created.json()['friendly_name']!r}")
    path = item_path(live, kind, sid)
    fetched = live.http.get(path)
    if fetched.json().get("friendly_name") != name:
        problems.append(f"{name!r}: JSON fetch gave {fetched.json().get('friendly_name')!r}")
    xml = live.http.get(path.removesuffix(".json"))
    try:
        element = ET.fromstring(xml.content).find(kind.element)
        got = None if element is None else element.findtext("FriendlyName")
        if got != name:
            start = xml.content.find(b"<FriendlyName>")
            problems.append(
                f"{name!r}: XML fetch gave {got!r} (raw {xml.content[start : start + 80]!r})"
            )
    except ET.ParseError as exc:
        problems.append(f"{name!r}: XML not well-formed ({exc}): {xml.content[:300]!r}")
    updated = live.http.post(path, data={"FriendlyName": name[::-1]})
    if updated.status_code != 200 or updated.json()["friendly_name"] != name[::-1]:
        problems.append(f"{name!r}: update reversed: {describe(updated)}")
    elif live.http.get(path).json()["friendly_name"] != name[::-1]:
        problems.append(f"{name!r}: reversed did not stay")
    if kind.filterable:
        list_path = {
            "app": f"{ROOT}/{live.main}/Applications.json",
            "number": f"{ROOT}/{live.main}/IncomingPhoneNumbers.json",
            "account": f"{ROOT}.json",
        }[kind.label]
        key = {"app": "applications", "number": "incoming_phone_numbers", "account": "accounts"}
        listed = live.http.get(list_path, params={"FriendlyName": name[::-1], "PageSize": 1000})
        sids = [item["sid"] for item in listed.json().get(key[kind.label], [])]
        if listed.status_code != 200 or sid not in sids:
            problems.append(f"{name!r}: list filter: {describe(listed)}")
    return problems


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.label)
def test_unicode_friendly_names_round_trip(live: Live, kind: Kind) -> None:
    problems = []
    for name in ACCEPTED_NAMES:
        assert 1 <= len(name) <= 64, name
        problems += round_trip_problems(live, kind, name)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("name", "code"), REFUSED_NAMES)
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.label)
def test_unicode_friendly_names_refused(live: Live, kind: Kind, name: str, code: int) -> None:
    before = live.snapshot()
    assert_error(create_named(live, kind, name), 400, code)
    existing = {
        "app": live.app,
        "number": live.number,
        "account": live.sub,
        "key": live.key,
    }[kind.label]
    path = item_path(live, kind, existing)
    assert_error(live.http.post(path, data={"FriendlyName": name}), 400, code)
    assert live.snapshot() == before
