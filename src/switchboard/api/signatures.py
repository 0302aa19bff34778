"""`POST /switchboard/v1/Accounts/{AccountSid}/SignatureCheck`: is an `X-Twilio-Signature` valid
for the account's auth token?

Checked here, with the code that signs Switchboard's own webhooks (`twilio/signature.py`), rather
than in the browser: a session signed in with an API key holds no auth token to compute with, one
HMAC implementation cannot drift from another, and the answer is only "valid or not", never the
expected signature (which would let anyone holding a key forge the account's webhooks).

Parameters: `Url` (required: the URL exactly as requested, query string included), `Signature`
(required), `Params` (the form body as received, `Name=value&...`; empty for a GET). Like twilio's
`RequestValidator`, the URL is tried as given, with its port removed and with its default port
added. A parameter name given twice is refused: Switchboard never sends one twice.
"""

from __future__ import annotations

import hmac
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from switchboard.api import render
from switchboard.api.context import ApiRequest
from switchboard.api.render import Reply
from switchboard.twilio import errors
from switchboard.twilio.params import valid_url
from switchboard.twilio.signature import compute_signature

NOT_SIGNED = (
    "Not signed with this account's auth token for this URL and these parameters: the URL must "
    "be exactly the one requested (scheme, host, port, path and query) and the parameters every "
    "one received, unchanged."
)
URL_ALONE = (
    "This is the signature of the URL alone, as for a GET request (whose parameters are in the "
    "URL): leave the parameters empty."
)


def url_forms(url: str) -> list[str]:
    """The URL as given, then as twilio-python's `RequestValidator` also tries it: without its
    port when it has one, with its scheme's default port when it has none."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    userinfo = parts.netloc[: len(parts.netloc) - len(host)]
    if parts.port is not None:
        netloc = userinfo + host.rsplit(":", 1)[0]
    else:
        netloc = f"{userinfo}{host}:{443 if parts.scheme.lower() == 'https' else 80}"
    other = urlunsplit(parts._replace(netloc=netloc))
    return [url] if other == url else [url, other]


def _required(req: ApiRequest, name: str) -> str:
    value = req.params.get(name, "")
    if not value:
        raise errors.missing_parameter(f"{name} is required")
    return value


def _params(raw: str) -> dict[str, str]:
    pairs = parse_qsl(raw.removeprefix("?"), keep_blank_values=True)
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise errors.invalid_parameter(f"Params names {name!r} twice")
        params[name] = value
    return params


async def check(req: ApiRequest) -> Reply:
    url = _required(req, "Url")
    signature = _required(req, "Signature").strip()
    if not valid_url(url):
        raise errors.invalid_url("Url", url)
    params = _params(req.params.get("Params", ""))
    token = req.account.auth_token

    def signs(form: str, signed: dict[str, str]) -> bool:
        expected = compute_signature(form, signed, token)
        return hmac.compare_digest(expected.encode(), signature.encode())

    forms = url_forms(url)
    matched = next((form for form in forms if signs(form, params)), None)
    hint = None
    if matched is None:
        alone = bool(params) and any(signs(form, {}) for form in forms)
        hint = URL_ALONE if alone else NOT_SIGNED
    return render.json(
        {"account_sid": req.account.sid, "valid": matched is not None, "url": matched, "hint": hint}
    )
