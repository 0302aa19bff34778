"""Traces and the request log as our extension's JSON: the one place they are rendered.

A stored trace names its requests (`request_sids`); the request log holds them. Here they meet
again: the trace's requests in order, and how many the log had already trimmed
(`requests_pruned`, only when some were). Times become RFC 2822 dates.
"""

from __future__ import annotations

from typing import Any

from switchboard.twilio.dates import rfc2822

_REQUEST_KEYS = (
    "sid",
    "purpose",
    "method",
    "url",
    "params",
    "headers",
    "status_code",
    "response_body",
    "content_type",
    "duration_ms",
    "error_code",
    "error_message",
    "at",
    "replay_of",  # a request sent again from the console (`POST …/Requests/{sid}/Replay`)
)
_CALL_KEYS = ("direction", "duration", "parent_call_sid", "recordings")


def request_json(row: dict[str, Any]) -> dict[str, Any]:
    return {key: row.get(key) for key in _REQUEST_KEYS}


def trace_json(body: dict[str, Any], requests: list[dict[str, Any]]) -> dict[str, Any]:
    is_call = body["kind"] == "call"
    by_sid = {r["sid"]: r for r in requests}
    ordered = [by_sid[sid] for sid in body["request_sids"] if sid in by_sid]
    out: dict[str, Any] = {
        "call_sid" if is_call else "message_sid": body["sid"],
        "account_sid": body["account_sid"],
        "from": body["from"],
        "to": body["to"],
        "status": body["status"],
        "application_sid": body["application_sid"],
        "twiml": body["twiml"],
        "error_code": body["error_code"],
        "error_message": body["error_message"],
        "verbs": body["verbs"],
        "warnings": body["warnings"],
    }
    if is_call:
        out.update((key, body.get(key)) for key in _CALL_KEYS)
        if body.get("waiting") is not None:
            out["waiting"] = body["waiting"]
    else:
        out["messages"] = body["messages"]
    out["requests"] = [request_json(r) for r in ordered]
    pruned = len(body["request_sids"]) - len(ordered) + body.get("requests_pruned", 0)
    if pruned:
        out["requests_pruned"] = pruned
    out["date_created"] = rfc2822(body["date_created"])
    return out


def log_item(row: dict[str, Any]) -> dict[str, Any]:
    """One request of the log: its trace's SID under the key of its kind."""
    trace_sid = row["trace_sid"]
    key = "call_sid" if trace_sid.startswith("CA") else "message_sid"
    item = {"sid": row["sid"], key: trace_sid, **request_json(row)}
    item["date_created"] = rfc2822(row["date_created"])
    return item
