"""One list endpoint shape for every resource: parse paging, fetch a keyset page, render."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from switchboard.api import paging, render
from switchboard.api.context import Call
from switchboard.api.render import Reply
from switchboard.store.base import Keyset
from switchboard.twilio import errors
from switchboard.twilio.fields import Field


async def list_response(
    call: Call,
    *,
    sid_prefix: str,
    path: str,
    key: str,
    element: str,
    item_element: str,
    fields: tuple[Field, ...] | None,
    filters: Sequence[tuple[str, str]],
    fetch: Callable[[Keyset], Awaitable[list[Any]]],
    owner: Callable[[str], Awaitable[str | None]] | None,
    item: Callable[[Any], tuple[Mapping[str, Any], str]],
) -> Reply:
    """A Twilio list page.

    `path`: the list's path without suffix; `filters`: the filter params as sent, echoed first in
    page URIs; `fetch`: a keyset page from the store; `owner`: which account owns a SID (a
    `PageToken` naming another account's record is refused with 21481); `item`: a row -> its
    record and URI.
    """
    req = paging.parse(call.params, sid_prefix)
    if req.token_sid is not None and owner is not None:
        found = await owner(req.token_sid)
        if found is not None and found != call.account.sid:
            raise errors.invalid_page_token(req.token or "")
    rows = await fetch(Keyset(req.after, req.before, req.page_size + 1))
    has_more = len(rows) > req.page_size
    if has_more:
        # One row beyond the page tells whether another page exists.
        rows = rows[1:] if req.before is not None else rows[:-1]
    items = [item(r) for r in rows]
    meta = paging.envelope(
        f"{path}{call.rep.suffix}", filters, req, [r["sid"] for r, _ in items], has_more
    )
    return render.page(call.rep, key, element, item_element, fields, items, meta)
