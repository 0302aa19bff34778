"""Which webhook URLs are accepted (docs/api.md, "Hosts in URLs").

An absolute http(s) URL with a host, where the host may be `localhost`, a single label or an IP
literal (on purpose looser than Twilio, so that webhooks reach local receivers), and a valid
RFC 3986 URI: what the OpenAPI description's `format: uri` requires of the URL fields Switchboard
answers with, checked here with the validator schemathesis uses.
"""

from __future__ import annotations

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.twilio.params import valid_url

URI = jsonschema_rs.Draft4Validator({"type": "string", "format": "uri"}, validate_formats=True)

LOCAL = [
    "http://localhost/voice",
    "http://LOCALHOST:8080/voice",
    "http://receiver:8080/voice",  # a single label: a container on a compose network
    "http://127.0.0.1:9000/hook?x=1",
    "http://[::1]:9000/hook",
    "https://example.com/voice",
    "https://example.com/caf%C3%A9?q=%5B1%5D#top",  # escaped, as a URI must be
    "http://user:pw@example.com/~x!$&'()*+,;=:@",
]
REFUSED = [
    "",
    "/relative/path",
    "example.com/voice",  # no scheme
    "ftp://example.com/voice",
    "http:///voice",  # no host
    "http://exa mple.com/",
    "http://example.com:99999/",  # no such port
    "http://-bad-.example.com/",
]
NOT_URIS = [  # http(s) with a host, but not RFC 3986 URIs
    "http://example.com/café",
    "http://example.com/\u00a0",
    "http://example.com/%zz",
    "http://example.com/a%2",
    "http://example.com/%",
    "http://example.com/[x]",
    "http://example.com/?q=[1]",
    "http://example.com/#a#b",
    "http://a@b@example.com/",
]
# Characters a URL is made of, a few it must not hold, and ones that only look harmless.
ALPHABET = [*"abcZ09-._~:/?#[]@!$&'()*+,;=%F1", "é", " ", "\x00", "\\", "|", "\u00a0"]


@pytest.mark.parametrize("url", LOCAL)
def test_local_hosts_are_accepted(url: str) -> None:
    assert valid_url(url)
    assert URI.is_valid(url)


@pytest.mark.parametrize("url", REFUSED)
def test_not_an_absolute_http_url_is_refused(url: str) -> None:
    assert not valid_url(url)


@pytest.mark.parametrize("url", NOT_URIS)
def test_not_a_uri_is_refused(url: str) -> None:
    assert not URI.is_valid(url)
    assert not valid_url(url)


@settings(max_examples=2000, deadline=None, database=None)
@given(
    scheme=st.sampled_from(["http://", "https://", "HTTP://"]),
    rest=st.text(st.sampled_from(ALPHABET), max_size=25),
)
def test_every_accepted_url_is_a_uri(scheme: str, rest: str) -> None:
    url = scheme + rest
    if valid_url(url):
        assert URI.is_valid(url), url
