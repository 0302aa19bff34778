"""The route table (moto's `urls.py`): every path the API answers, and who answers it.

Paths are templates, compiled once, that both match a request's path and build URIs:
`/2010-04-01/Accounts/{account_sid}/Applications/{sid}`. A parameter may carry its own pattern
(`{kind:Local|TollFree|Mobile}`); otherwise it is one path segment. Twilio's paths take an
optional `.json` suffix (JSON; without it, XML); our extension's paths take none (JSON).
Resource routes derive from the resource declarations (`twilio/resources.py`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from switchboard.twilio.resources import (
    ACCOUNT,
    API_ROOT,
    APPLICATION,
    CALL,
    EXTENSION_ROOT,
    INCOMING_PHONE_NUMBER,
    KEY,
    MEDIA,
    MESSAGE,
    RECORDING,
    Resource,
)

if TYPE_CHECKING:
    from switchboard.api.context import ApiRequest
    from switchboard.api.render import Reply

Handler = Callable[["ApiRequest"], Awaitable["Reply"]]

_PARAM = re.compile(r"\{(\w+)(?::([^}]+))?\}")


class Template:
    """A path template: `match` a request's path, `build` a path from values."""

    def __init__(self, template: str, *, suffix: bool = True) -> None:
        self.template = template
        self.suffix = suffix
        self.names = tuple(m.group(1) for m in _PARAM.finditer(template))
        # What `build` formats: the template without the parameters' own patterns.
        self.format = _PARAM.sub(lambda m: "{" + m.group(1) + "}", template)
        parts: list[str] = []
        literals: list[str] = []
        pos = 0
        for m in _PARAM.finditer(template):
            literals.append(template[pos : m.start()])
            parts.append(re.escape(template[pos : m.start()]))
            parts.append(f"(?P<{m.group(1)}>{m.group(2) or '[^/]+?'})")
            pos = m.end()
        literals.append(template[pos:])
        parts.append(re.escape(template[pos:]))
        # The literal parts, the most distinctive (the last) first: a path lacking one cannot
        # match, and `in` says so far sooner than the pattern (routes are tried in order).
        self.literals = tuple(lit for lit in reversed(literals) if len(lit) > 1)
        tail = r"(?:\.json)?\Z" if suffix else r"\Z"
        self.pattern = re.compile("^" + "".join(parts) + tail)

    def match(self, path: str) -> dict[str, str] | None:
        for literal in self.literals:
            if literal not in path:
                return None
        found = self.pattern.match(path)
        return found.groupdict() if found is not None else None

    def build(self, **values: str) -> str:
        return self.format.format(**values)

    def __repr__(self) -> str:
        return f"Template({self.template!r})"


@dataclass(frozen=True)
class Route:
    template: Template
    methods: Mapping[str, Handler]
    # Which path parameter names the account to act on (authorized against the principal);
    # None: the principal's own account.
    account: str | None = "account_sid"
    keys_allowed: bool = True  # False: /Accounts and /Keys, which standard API keys cannot manage

    @property
    def allowed(self) -> str:
        """The `Allow` header of a 405 on this path."""
        return ", ".join(self.methods)


def resource_routes(
    resource: Resource, handlers: ModuleType, *, keys_allowed: bool = True
) -> tuple[Route, Route]:
    """One record (fetch, update, delete) and the collection (list, create), from the resource's
    path and a handler module with `fetch`, `update`, `delete`, `list_`, `create`."""
    one = {
        name: getattr(handlers, fn)
        for name, fn in (("GET", "fetch"), ("POST", "update"), ("DELETE", "delete"))
        if hasattr(handlers, fn)
    }
    many = {
        name: getattr(handlers, fn)
        for name, fn in (("GET", "list_"), ("POST", "create"))
        if hasattr(handlers, fn)
    }
    return (
        Route(Template(resource.path), one, keys_allowed=keys_allowed),
        Route(Template(resource.list_path), many, keys_allowed=keys_allowed),
    )


def extension(path: str, **methods: Handler) -> Route:
    """Our own API beside Twilio's, under an account: JSON only, no suffix."""
    template = Template(f"{EXTENSION_ROOT}/Accounts/{{account_sid}}{path}", suffix=False)
    return Route(template, methods)


def build_routes() -> tuple[Route, ...]:
    """Tried in order, the busiest first; every pattern is anchored at both ends, so the order
    only matters where two could match (the numbers' `Local|TollFree|Mobile` before `{sid}`)."""
    from switchboard.api import (
        accounts,
        applications,
        calls,
        clients,
        control,
        handsets,
        keys,
        messages,
        phone_numbers,
        recordings,
        request_log,
        settle,
        signatures,
        simulate,
        status,
    )

    numbers = INCOMING_PHONE_NUMBER
    number, number_list = resource_routes(numbers, phone_numbers)
    return (
        *resource_routes(APPLICATION, applications),
        Route(
            Template(ACCOUNT.list_path),
            {"GET": accounts.list_, "POST": accounts.create},
            account=None,
            keys_allowed=False,
        ),
        Route(
            Template(ACCOUNT.path),
            {"GET": accounts.fetch, "POST": accounts.update},
            account="sid",
            keys_allowed=False,
        ),
        number_list,
        Route(
            Template(f"{numbers.list_path}/{{kind:Local|TollFree|Mobile}}"),
            number_list.methods,
        ),
        number,
        *resource_routes(KEY, keys, keys_allowed=False),
        # The media and XML forms first: the generic `{sid}` would take `RE….wav` for a SID.
        Route(Template(f"{RECORDING.path}.wav", suffix=False), {"GET": recordings.fetch_wav}),
        Route(Template(f"{RECORDING.path}.xml", suffix=False), {"GET": recordings.fetch_xml}),
        *resource_routes(RECORDING, recordings),
        *resource_routes(CALL, calls),
        *resource_routes(MESSAGE, messages),
        Route(
            Template(f"{API_ROOT}/Accounts/{{account_sid}}/SMS/Messages"),
            {"POST": messages.create_legacy},
        ),
        Route(
            Template(MEDIA.path),
            {"GET": messages.media_fetch, "DELETE": messages.media_delete},
        ),
        Route(Template(MEDIA.list_path), {"GET": messages.media_list}),
        extension("/InboundCalls", POST=simulate.create_call),
        extension("/InboundCalls/{sid}", GET=simulate.fetch_call),
        extension("/InboundCalls/{sid}/Input", POST=simulate.call_input),
        extension("/InboundCalls/{sid}/Hangup", POST=simulate.call_hangup),
        extension("/InboundMessages", POST=simulate.create_message),
        extension("/InboundMessages/{sid}", GET=simulate.fetch_message),
        extension("/Requests", GET=request_log.list_),
        extension("/ClientCalls", POST=clients.create_call),
        extension("/Clients", GET=clients.list_, POST=clients.register),
        extension("/Clients/{sid}", GET=clients.fetch, DELETE=clients.delete),
        extension("/Requests/{sid}", GET=request_log.fetch),
        extension("/Requests/{sid}/Replay", POST=request_log.replay),
        extension("/SignatureCheck", POST=signatures.check),
        extension("/Status", GET=status.fetch),
        extension("/Settle", POST=settle.settle),
        extension("/Messages/{sid}", GET=messages.fetch_history),
        extension("/Calls/{sid}", GET=calls.fetch_history),
        extension("/Handsets/{number}", GET=handsets.fetch, POST=handsets.put),
        extension(
            "/Handsets/{number}/Messages", GET=handsets.list_messages, POST=handsets.send_message
        ),
        Route(
            Template(f"{EXTENSION_ROOT}/reset", suffix=False),
            {"POST": control.reset},
            account=None,
            keys_allowed=False,
        ),
        Route(
            Template(f"{EXTENSION_ROOT}/Export", suffix=False),
            {"GET": control.export},
            account=None,
            keys_allowed=False,
        ),
    )


__all__ = ["API_ROOT", "EXTENSION_ROOT", "Handler", "Route", "Template", "build_routes"]
