"""`X-Twilio-Signature`, computed exactly as twilio's own `RequestValidator` checks it.

The signed string is the full URL as requested, followed (for a form POST) by every parameter
name and value in sorted order; the key is the account's auth token; the digest HMAC-SHA1,
base64-encoded. A GET signs the URL only, its parameters being in the query string.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping


def compute_signature(url: str, params: Mapping[str, str], auth_token: str) -> str:
    signed = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
