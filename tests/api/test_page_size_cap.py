"""`PageSize` above 1000 on every list, over raw HTTP: served as 1000, in JSON and in XML.

The official SDKs send `list(limit=N)` as `PageSize=N` and rely on the server's cap (Twilio
serves at most 1000 records a page), so no list answers 20007: the envelope's `page_size` is 1000
and every page URI carries `PageSize=1000`. `PageSize` 0, negative or not an integer is still
refused with 20001. (tests/contract/test_sdk_paging.py follows such pages with both SDKs.)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import Server
from errors import assert_error

ROOT = "/2010-04-01/Accounts"

# Every list, by its path under the main account ("{AC}"), the Twilio ones with and without
# `.json`.
TWILIO_LISTS = [
    ROOT,
    f"{ROOT}/{{AC}}/Applications",
    f"{ROOT}/{{AC}}/IncomingPhoneNumbers",
    f"{ROOT}/{{AC}}/IncomingPhoneNumbers/Local",
    f"{ROOT}/{{AC}}/IncomingPhoneNumbers/TollFree",
    f"{ROOT}/{{AC}}/IncomingPhoneNumbers/Mobile",
    f"{ROOT}/{{AC}}/Keys",
]
JSON_LISTS = [f"{path}.json" for path in TWILIO_LISTS] + ["/switchboard/v1/Accounts/{AC}/Requests"]
LIST_IDS = ["Accounts", "Applications", "Numbers", "Local", "TollFree", "Mobile", "Keys"]
JSON_IDS = [*LIST_IDS, "Requests"]


def page_queries(meta: dict[str, str | None]) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(meta[key] or "").query) for key in ("uri", "first_page_uri")]


@pytest.mark.parametrize("page_size", ["1001", "2500", "999999999999999999"])
@pytest.mark.parametrize("path", JSON_LISTS, ids=JSON_IDS)
def test_json_page_size_above_1000_is_served_as_1000(
    module_server: Server, path: str, page_size: str
) -> None:
    with module_server.http() as http:
        resp = http.get(path.format(AC=module_server.account_sid), params={"PageSize": page_size})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["page_size"] == 1000
    assert body["page"] == 0
    for query in page_queries(body):
        assert query["PageSize"] == ["1000"]


@pytest.mark.parametrize("path", TWILIO_LISTS, ids=LIST_IDS)
def test_xml_page_size_above_1000_is_served_as_1000(module_server: Server, path: str) -> None:
    with module_server.http() as http:
        resp = http.get(path.format(AC=module_server.account_sid), params={"PageSize": "2500"})
    assert resp.status_code == 200, resp.text
    envelope = ET.fromstring(resp.content)[0]
    assert envelope.attrib["pagesize"] == "1000"
    for key in ("uri", "firstpageuri"):
        assert parse_qs(urlsplit(envelope.attrib[key]).query)["PageSize"] == ["1000"]


@pytest.mark.parametrize("page_size", ["0", "-1", "-2500", "abc", "1.5"])
@pytest.mark.parametrize("path", JSON_LISTS, ids=JSON_IDS)
def test_bad_page_size_is_still_20001(module_server: Server, path: str, page_size: str) -> None:
    with module_server.http() as http:
        resp = http.get(path.format(AC=module_server.account_sid), params={"PageSize": page_size})
    assert_error(resp, 400, 20001)
