"""Which webhook URLs are accepted (docs/api.md, "Hosts in URLs"): absolute http(s) with a host,
where the host may be `localhost`, a single label or an IP literal, on purpose looser than Twilio
so that webhooks reach local receivers."""

from __future__ import annotations

import pytest

from switchboard.twilio.fields import valid_url

LOCAL = [
    "http://localhost/voice",
    "http://LOCALHOST:8080/voice",
    "http://receiver:8080/voice",  # a single label: a container on a compose network
    "http://127.0.0.1:9000/hook?x=1",
    "http://[::1]:9000/hook",
    "https://example.com/voice",
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


@pytest.mark.parametrize("url", LOCAL)
def test_local_hosts_are_accepted(url: str) -> None:
    assert valid_url(url)


@pytest.mark.parametrize("url", REFUSED)
def test_not_an_absolute_http_url_is_refused(url: str) -> None:
    assert not valid_url(url)
