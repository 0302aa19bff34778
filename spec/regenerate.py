#!/usr/bin/env python3
"""Cut the OpenAPI description Switchboard conforms to out of Twilio's full one.

    python3 spec/regenerate.py [FULL_SPEC] [--check]

FULL_SPEC defaults to ../shared/reference/twilio_api_v2010.json beside the repository. The
output, twilio_api_v2010_subset.json next to this script, is the paths below, every schema they
reference, the security scheme, servers and the tags in use, with the corrections README.md
lists (each one a function below). The output is deterministic: the committed file is exactly
what this script writes, and `--check` says whether it still is. Standard library only.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "twilio_api_v2010_subset.json"
DEFAULT_FULL = HERE.parent.parent / "shared" / "reference" / "twilio_api_v2010.json"

ACCOUNT = "/2010-04-01/Accounts/{AccountSid}"
KEYS_ALLOWED, KEYS_REFUSED = False, True  # whether a standard API key gets 403 there
# The paths Switchboard serves (src/switchboard/api/routes.py), one line each, with whether
# the route refuses standard API keys (keys_allowed=False there).
SERVED_PATHS: dict[str, bool] = {
    "/2010-04-01/Accounts.json": KEYS_REFUSED,
    "/2010-04-01/Accounts/{Sid}.json": KEYS_REFUSED,
    f"{ACCOUNT}/Applications.json": KEYS_ALLOWED,
    f"{ACCOUNT}/Applications/{{Sid}}.json": KEYS_ALLOWED,
    f"{ACCOUNT}/IncomingPhoneNumbers.json": KEYS_ALLOWED,
    f"{ACCOUNT}/IncomingPhoneNumbers/{{Sid}}.json": KEYS_ALLOWED,
    f"{ACCOUNT}/IncomingPhoneNumbers/Local.json": KEYS_ALLOWED,
    f"{ACCOUNT}/IncomingPhoneNumbers/TollFree.json": KEYS_ALLOWED,
    f"{ACCOUNT}/IncomingPhoneNumbers/Mobile.json": KEYS_ALLOWED,
    f"{ACCOUNT}/Keys.json": KEYS_REFUSED,
    f"{ACCOUNT}/Keys/{{Sid}}.json": KEYS_REFUSED,
    f"{ACCOUNT}/Recordings.json": KEYS_ALLOWED,
    f"{ACCOUNT}/Recordings/{{Sid}}.json": KEYS_ALLOWED,
    f"{ACCOUNT}/Calls.json": KEYS_ALLOWED,
    f"{ACCOUNT}/Calls/{{Sid}}.json": KEYS_ALLOWED,
    f"{ACCOUNT}/Messages.json": KEYS_ALLOWED,
    f"{ACCOUNT}/Messages/{{Sid}}.json": KEYS_ALLOWED,
    f"{ACCOUNT}/Messages/{{MessageSid}}/Media.json": KEYS_ALLOWED,
    f"{ACCOUNT}/Messages/{{MessageSid}}/Media/{{Sid}}.json": KEYS_ALLOWED,
}

METHODS = ("get", "post", "put", "patch", "delete")
SUBSET_NOTE = (
    " (Subset for Switchboard, cut from twilio/twilio-oai spec/json/twilio_api_v2010.json by"
    " spec/regenerate.py: only the paths Switchboard serves, with the corrections listed in"
    " spec/README.md.)"
)

# Correction a: list envelope URIs are host-relative in Twilio's examples and answers.
RELATIVE_URI_KEYS = ("first_page_uri", "next_page_uri", "previous_page_uri", "uri")

# Correction b: IncomingPhoneNumber URLs Twilio's example (and Switchboard) answer "" when unset
# (src/switchboard/twilio/fields.py PHONE_NUMBER_FIELDS: the URL fields whose default is "").
EMPTY_URL_SCHEMAS = "api.v2010.account.incoming_phone_number"  # and its .incoming_phone_number_*
EMPTY_URL_KEYS = ("sms_fallback_url", "sms_url", "status_callback")

# Correction c: Twilio's error body, and the statuses Switchboard answers it with.
ERROR_SCHEMA = "twilio_error"
ERROR_RESPONSES: dict[int, tuple[str, str, dict[str, str]]] = {
    # status: (components/responses name, description, required headers)
    400: ("bad_request", "A parameter is missing or invalid (e.g. 20001, 21402, 21481).", {}),
    401: (
        "unauthorized",
        "No valid credentials (20003), or the account is not active (20005).",
        {"WWW-Authenticate": 'The Basic challenge, `Basic realm="Twilio API"`.'},
    ),
    403: (
        "forbidden",
        "Authenticated, but not allowed (20403): a standard API key on /Accounts or /Keys, a"
        " subaccount creating subaccounts, or a Status change by anyone but the parent.",
        {},
    ),
    404: ("not_found", "No such resource for this account (20404).", {}),
    413: ("payload_too_large", "The request body is larger than the server allows.", {}),
    415: (
        "unsupported_media_type",
        "The request body is not application/x-www-form-urlencoded.",
        {},
    ),
    429: (
        "too_many_requests",
        "A request rate, concurrency or failed-authentication limit was hit (20429).",
        {"Retry-After": "Seconds to wait before trying again."},
    ),
    503: ("service_unavailable", "The database could not be reached (20503).", {}),
}


def error_statuses(path: str, method: str, keys_refused: bool) -> list[int]:
    """What Switchboard can answer on one operation besides its success (src/switchboard/api)."""
    statuses = {400, 401, 429, 503}  # bad query or form, credentials, limits, database down
    if "{" in path:
        statuses.add(404)  # a path parameter can name nothing
    if method == "post":
        statuses |= {413, 415}  # only a POST body is read
    if keys_refused:
        statuses.add(403)
    return sorted(statuses)


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON document, parents first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def referenced_schemas(full: dict[str, Any], roots: Any) -> list[str]:
    """Names of the component schemas reachable from `roots`, sorted."""
    schemas = full["components"]["schemas"]
    prefix = "#/components/schemas/"
    seen: set[str] = set()
    todo = [roots]
    while todo:
        for node in walk(todo.pop()):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(prefix):
                name = ref.removeprefix(prefix)
                if name not in seen:
                    seen.add(name)
                    todo.append(schemas[name])
    return sorted(seen)


def operations(paths: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in paths.items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def relative_page_uris(paths: dict[str, Any]) -> None:
    """Correction a: `format: uri` -> `uri-reference` on the list envelopes' four URIs."""
    for _, _, operation in operations(paths):
        for node in walk(operation.get("responses", {})):
            properties = node.get("properties")
            if not isinstance(properties, dict):
                continue
            for key in RELATIVE_URI_KEYS:
                prop = properties.get(key)
                if isinstance(prop, dict) and prop.get("format") == "uri":
                    prop["format"] = "uri-reference"


def empty_urls(schemas: dict[str, Any]) -> None:
    """Correction b: a URI, or "" (and still null where the schema allowed null)."""
    for name, schema in schemas.items():
        if name != EMPTY_URL_SCHEMAS and not name.startswith(EMPTY_URL_SCHEMAS + "."):
            continue
        for key in EMPTY_URL_KEYS:
            prop = schema["properties"][key]
            if prop.pop("format") != "uri":
                raise SystemExit(f"{name}.{key} is no longer format: uri; review correction b")
            prop["anyOf"] = [{"format": "uri"}, {"maxLength": 0}]


def error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Twilio's error body: the same four keys on every error.",
        "required": ["code", "message", "more_info", "status"],
        "additionalProperties": False,
        "properties": {
            "code": {
                "type": "integer",
                "description": "The Twilio error code (https://www.twilio.com/docs/errors).",
            },
            "message": {"type": "string", "description": "What went wrong."},
            "more_info": {
                "type": "string",
                "format": "uri",
                "description": "https://www.twilio.com/docs/errors/{code}.",
            },
            "status": {"type": "integer", "description": "The HTTP status, repeated."},
        },
    }


def error_response(description: str, headers: dict[str, str]) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description}
    if headers:
        response["headers"] = {
            name: {"description": text, "required": True, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    response["content"] = {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}
    }
    return response


def document_errors(paths: dict[str, Any]) -> dict[str, Any]:
    """Correction c: each operation's error statuses, as references to shared responses."""
    used: set[int] = set()
    for path, method, operation in operations(paths):
        for status in error_statuses(path, method, SERVED_PATHS[path]):
            name = ERROR_RESPONSES[status][0]
            operation["responses"][str(status)] = {"$ref": f"#/components/responses/{name}"}
            used.add(status)
    return {
        ERROR_RESPONSES[status][0]: error_response(*ERROR_RESPONSES[status][1:])
        for status in sorted(used)
    }


def subset(full: dict[str, Any]) -> dict[str, Any]:
    missing = [path for path in SERVED_PATHS if path not in full["paths"]]
    if missing:
        raise SystemExit(f"not in the full description: {', '.join(missing)}")
    paths = {path: copy.deepcopy(full["paths"][path]) for path in SERVED_PATHS}
    schemas = {
        name: copy.deepcopy(full["components"]["schemas"][name])
        for name in referenced_schemas(full, paths)
    }
    tags_used = {tag for _, _, op in operations(paths) for tag in op.get("tags", [])}
    schemes_used = {name for item in full["security"] for name in item} | {
        name for _, _, op in operations(paths) for item in op.get("security", []) for name in item
    }
    info = copy.deepcopy(full["info"])
    info["description"] += SUBSET_NOTE

    relative_page_uris(paths)
    empty_urls(schemas)
    responses = document_errors(paths)
    schemas[ERROR_SCHEMA] = error_schema()

    return {
        "openapi": full["openapi"],
        "info": info,
        "servers": full["servers"],
        "security": full["security"],
        "tags": [tag for tag in full["tags"] if tag["name"] in tags_used],
        "paths": paths,
        "components": {
            "securitySchemes": {
                name: scheme
                for name, scheme in sorted(full["components"]["securitySchemes"].items())
                if name in schemes_used
            },
            "schemas": dict(sorted(schemas.items())),
            "responses": responses,
        },
    }


def render(document: dict[str, Any]) -> str:
    """The upstream file's own layout (two-space indent, ASCII), plus a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("full", nargs="?", type=Path, default=DEFAULT_FULL)
    parser.add_argument("--check", action="store_true", help="only say whether it is current")
    args = parser.parse_args(argv)
    text = render(subset(json.loads(args.full.read_text(encoding="utf-8"))))
    if args.check:
        current = OUTPUT.exists() and OUTPUT.read_text(encoding="utf-8") == text
        print(f"{OUTPUT.name} is {'up to date' if current else 'OUT OF DATE'}")
        return 0 if current else 1
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(text)} bytes, {len(SERVED_PATHS)} paths)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
