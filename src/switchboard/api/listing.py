"""One list endpoint shape for every resource: parse paging, fetch a keyset page, render."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from switchboard.api import paging, render
from switchboard.api.context import ApiRequest
from switchboard.api.render import Reply
from switchboard.store.tx import Keyset
from switchboard.twilio import errors
from switchboard.twilio.resources import Resource

Fetch = Callable[[Keyset], Awaitable[list[Any]]]
DAY = 86_400 * 1_000_000  # µs
Owner = Callable[[str], Awaitable[str | None]]


async def _page(
    req: ApiRequest,
    sid_prefix: str | tuple[str, ...],
    path: str,
    filters: Sequence[tuple[str, str]],
    fetch: Fetch,
    owner: Owner | None,
) -> tuple[list[Any], dict[str, Any]]:
    """A page of rows and its envelope's metadata.

    `path`: the list's path without suffix; `filters`: the filter params as sent, echoed first in
    page URIs; `fetch`: a keyset page from the store; `owner`: which account owns a SID (a
    `PageToken` naming another account's record is refused with 21481).
    """
    page = paging.parse(req.params, sid_prefix)
    if page.token_sid is not None and owner is not None:
        found = await owner(page.token_sid)
        if found is not None and found != req.account.sid:
            raise errors.invalid_page_token(page.token or "")
    rows = await fetch(Keyset(page.after, page.before, page.page_size + 1))
    has_more = len(rows) > page.page_size
    if has_more:
        # One row beyond the page tells whether another page exists.
        rows = rows[1:] if page.before is not None else rows[:-1]
    meta = paging.envelope(
        f"{path}{req.rep.suffix}", filters, page, [r["sid"] for r in rows], has_more
    )
    return rows, meta


async def list_response(
    req: ApiRequest,
    resource: Resource,
    *,
    fetch: Fetch,
    owner: Owner | None,
    filters: Sequence[tuple[str, str]] = (),
    path: str | None = None,
) -> Reply:
    """A Twilio list page of `resource` (`path`: the list's path, by default the resource's
    collection under the request's account)."""
    if path is None:
        path = resource.list_path.format(account_sid=req.account.sid)
    prefix = ("SM", "MM") if resource.prefix == "SM" else resource.prefix  # messages: both
    rows, meta = await _page(req, prefix, path, filters, fetch, owner)
    return render.page(req.rep, resource, rows, meta)


async def plain_list_response(
    req: ApiRequest,
    *,
    key: str,
    sid_prefix: str | tuple[str, ...],
    path: str,
    fetch: Fetch,
    item: Callable[[Any], Mapping[str, Any]],
    filters: Sequence[tuple[str, str]] = (),
) -> Reply:
    """A list page of our own extension, whose records `item` makes JSON-ready."""
    rows, meta = await _page(req, sid_prefix, path, filters, fetch, None)
    return render.plain_page(key, [item(r) for r in rows], meta)


def day_start(name: str, raw: str) -> int:
    """The start (µs, UTC) of the day a date filter names: `DateCreated`, `DateSent`,
    `StartTime`... take a date (YYYY-MM-DD) or a date-time, whose date is used (the SDKs send a
    `date` as midnight)."""
    try:
        day = dt.date.fromisoformat(raw[:10])
    except ValueError:
        message = f"{name} must be a date (YYYY-MM-DD) or a date-time: {raw[:40]!r}"
        raise errors.invalid_parameter(message) from None
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()) * 1_000_000
