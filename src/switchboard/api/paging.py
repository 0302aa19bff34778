"""Twilio list paging: `PageSize`, `Page`, `PageToken` (`PA<last sid>` / `PB<first sid>`).

Paging is keyset-based on SIDs, which sort by creation (see `twilio/sids.py`): a page deep in a
list costs the same as the first one, and rows inserted meanwhile never make a page repeat or skip
rows that existed when the listing started.

`PageSize` above 1000 is served as 1000 (and page URIs say so): both official SDKs send
`list(limit=N)` as `PageSize=N` uncapped, documenting the page size as "min(limit, 1000)", so they
rely on the server to cap it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from switchboard.twilio import errors

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
# The envelope's `start`/`end` are `Page * PageSize`: past this they would leave the integers every
# JSON client reads exactly (JavaScript's 2**53) and the 64-bit ones the encoder writes.
MAX_PAGE = 10**12 - 1
_INT = re.compile(r"^-?[0-9]{1,18}\Z")


@dataclass(frozen=True)
class PageRequest:
    page_size: int
    page: int
    token: str | None  # as sent
    after: str | None  # SID from a PA token
    before: str | None  # SID from a PB token

    @property
    def token_sid(self) -> str | None:
        return self.after or self.before


def _int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not _INT.match(raw):
        raise errors.invalid_parameter(f"{name} must be an integer, not {raw!r}")
    return int(raw)


def parse(params: Mapping[str, str], sid_prefix: str | tuple[str, ...]) -> PageRequest:
    page_size = _int(params, "PageSize", DEFAULT_PAGE_SIZE)
    if page_size < 1:
        raise errors.invalid_parameter(f"PageSize must be at least 1, not {page_size}")
    page_size = min(page_size, MAX_PAGE_SIZE)
    page = _int(params, "Page", 0)
    if page < 0:
        raise errors.invalid_parameter(f"Page must be at least 0, not {page}")
    if page > MAX_PAGE:
        raise errors.invalid_parameter(f"Page must be at most {MAX_PAGE}, not {page}")
    token = params.get("PageToken")
    after = before = None
    if token is not None and token != "":
        direction, sid = token[:2], token[2:]
        if (
            direction not in ("PA", "PB")
            or len(sid) != 34
            or not sid.startswith(sid_prefix)
            or not re.fullmatch(r"[0-9a-fA-F]{32}", sid[2:])
        ):
            raise errors.invalid_page_token(token)
        sid = sid[:2] + sid[2:].lower()
        if direction == "PA":
            after = sid
        else:
            before = sid
    elif page > 0:
        # Twilio pages by token; an offset (`Page=N` alone) would mean scanning N pages of rows.
        raise errors.page_token_required()
    return PageRequest(page_size, page, token or None, after, before)


def envelope(
    path: str,
    filters: Sequence[tuple[str, str]],
    req: PageRequest,
    sids: Sequence[str],
    has_more: bool,
) -> dict[str, Any]:
    """The eight metadata keys of a list page, for the page holding `sids` (in order).

    `has_more`: rows exist beyond this page in the direction it was fetched.
    """

    def uri(page: int, token: str | None) -> str:
        query: list[tuple[str, str | int]] = [*filters, ("PageSize", req.page_size), ("Page", page)]
        if token:
            query.append(("PageToken", token))
        return f"{path}?{urlencode(query)}"

    if req.before is not None:  # fetched backwards: `has_more` means rows before this page
        has_next, has_previous = bool(sids), has_more and req.page > 0
    else:
        has_next, has_previous = has_more, req.token is not None and bool(sids) and req.page > 0
    start = req.page * req.page_size
    return {
        "end": start + max(len(sids) - 1, 0),
        "first_page_uri": uri(0, None),
        "next_page_uri": uri(req.page + 1, f"PA{sids[-1]}") if has_next else None,
        "page": req.page,
        "page_size": req.page_size,
        "previous_page_uri": uri(req.page - 1, f"PB{sids[0]}") if has_previous else None,
        "start": start,
        "uri": uri(req.page, req.token),
    }
