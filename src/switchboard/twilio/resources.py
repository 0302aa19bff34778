"""Every resource Switchboard serves, declared once.

A declaration names the resource (its XML element), its SID prefix, the path of one record (a
template whose `{names}` are fields of the record, so a record's URI is `path.format_map(record)`),
the key of its list pages, its table, and its fields in Twilio's wire order. Parameter parsing,
JSON and XML, the table's columns and SQL, the API's route paths and every URI derive from it:
adding a resource is a declaration, a migration, a few lines of handler and a store method.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from switchboard.twilio.fields import Field, Kind, pascal, writable

Record = dict[str, Any]
"""A resource's record as the store hands it over: field key -> stored value."""

API_ROOT = "/2010-04-01"
EXTENSION_ROOT = "/switchboard/v1"
"""Our own API beside Twilio's: the simulation, the request log, test-suite controls."""


@dataclass(frozen=True)
class Resource:
    name: str  # one record's XML element: "Application"
    prefix: str  # its SIDs' prefix: "AP"
    path: str  # one record's path: "/2010-04-01/Accounts/{account_sid}/Applications/{sid}"
    list_key: str  # the records' key in a list page: "applications"
    table: str
    fields: tuple[Field, ...]
    rendered: tuple[Field, ...] = field(init=False, repr=False)  # in JSON/XML, in wire order
    stored: tuple[Field, ...] = field(init=False, repr=False)  # the table's columns

    def __post_init__(self) -> None:
        object.__setattr__(self, "rendered", tuple(f for f in self.fields if f.rendered))
        object.__setattr__(self, "stored", tuple(f for f in self.fields if f.stored))

    @property
    def list_path(self) -> str:
        """The collection's path: the record's path without its last `/{sid}`."""
        return self.path.rsplit("/", 1)[0]

    @property
    def list_element(self) -> str:
        """The XML element of a list page: `IncomingPhoneNumbers`."""
        return pascal(self.list_key)

    def uri(self, record: Record, suffix: str = "") -> str:
        return self.path.format_map(record) + suffix

    def field(self, key: str) -> Field:
        return next(f for f in self.fields if f.key == key)

    def defaults(self) -> Record:
        """Every stored field's default: the start of a new record."""
        return {f.key: f.default for f in self.stored}


def _sub(name: str) -> str:
    """The path of a record owned by an account: `.../Accounts/{account_sid}/<name>/{sid}`."""
    return f"{API_ROOT}/Accounts/{{account_sid}}/{name}/{{sid}}"


ACCOUNT_STATUSES = ("active", "suspended", "closed")

# Order = the JSON key order of the spec's example: alphabetical, with
# public_application_connect_enabled appended last.
APPLICATION = Resource(
    name="Application",
    prefix="AP",
    path=_sub("Applications"),
    list_key="applications",
    table="applications",
    fields=(
        Field("account_sid", Kind.SID),
        writable("api_version", Kind.API_VERSION, "2010-04-01"),
        Field("date_created", Kind.DATE),
        Field("date_updated", Kind.DATE),
        writable("friendly_name", Kind.FRIENDLY_NAME),
        writable("message_status_callback", Kind.URL),
        Field("sid", Kind.SID),
        writable("sms_fallback_method", Kind.METHOD, "POST"),
        writable("sms_fallback_url", Kind.URL),
        writable("sms_method", Kind.METHOD, "POST"),
        writable("sms_status_callback", Kind.URL),
        writable("sms_url", Kind.URL),
        writable("status_callback", Kind.URL),
        writable("status_callback_method", Kind.METHOD, "POST"),
        Field("uri", Kind.URI, stored=False),
        writable("voice_caller_id_lookup", Kind.BOOL, False),
        writable("voice_fallback_method", Kind.METHOD, "POST"),
        writable("voice_fallback_url", Kind.URL),
        writable("voice_method", Kind.METHOD, "POST"),
        writable("voice_url", Kind.URL),
        writable("public_application_connect_enabled", Kind.BOOL, False),
    ),
)

# The spec's order (`api.v2010.account.incoming_phone_number`). Unset values follow the spec's
# example where its schema allows: `sms_url`, `sms_fallback_url`, `status_callback` are "" and
# `voice_url`, `voice_fallback_url`, `trunk_sid` null. The example's "" for unset application SIDs
# would break the schema (minLength 34, pattern ^AP…), so those are null.
CAPABILITIES = ("voice", "sms", "mms", "fax")
INCOMING_PHONE_NUMBER = Resource(
    name="IncomingPhoneNumber",
    prefix="PN",
    path=_sub("IncomingPhoneNumbers"),
    list_key="incoming_phone_numbers",
    table="incoming_phone_numbers",
    fields=(
        Field("account_sid", Kind.SID),
        writable("address_sid", Kind.REF, prefix="AD"),
        Field(
            "address_requirements", Kind.ENUM, "none", choices=("none", "any", "local", "foreign")
        ),
        writable("api_version", Kind.API_VERSION, "2010-04-01"),
        Field("beta", Kind.BOOL, False),
        Field(
            "capabilities",
            Kind.OBJECT,
            {"voice": True, "sms": True, "mms": True, "fax": True},
            choices=CAPABILITIES,
        ),
        Field("date_created", Kind.DATE),
        Field("date_updated", Kind.DATE),
        writable("friendly_name", Kind.FRIENDLY_NAME),
        writable("identity_sid", Kind.REF, prefix="RI"),
        Field("phone_number", Kind.PHONE),
        Field("origin", Kind.TEXT, "twilio"),
        Field("sid", Kind.SID),
        writable("sms_application_sid", Kind.REF, prefix="AP"),
        writable("sms_fallback_method", Kind.METHOD, "POST"),
        writable("sms_fallback_url", Kind.URL, ""),
        writable("sms_method", Kind.METHOD, "POST"),
        writable("sms_url", Kind.URL, ""),
        writable("status_callback", Kind.URL, ""),
        writable("status_callback_method", Kind.METHOD, "POST"),
        writable("trunk_sid", Kind.REF, prefix="TK"),
        Field("uri", Kind.URI, stored=False),
        writable("voice_receive_mode", Kind.ENUM, "voice", choices=("voice", "fax")),
        writable("voice_application_sid", Kind.REF, prefix="AP"),
        writable("voice_caller_id_lookup", Kind.BOOL, False),
        writable("voice_fallback_method", Kind.METHOD, "POST"),
        writable("voice_fallback_url", Kind.URL),
        writable("voice_method", Kind.METHOD, "POST"),
        writable("voice_url", Kind.URL),
        writable("emergency_status", Kind.ENUM, "Inactive", choices=("Active", "Inactive")),
        writable("emergency_address_sid", Kind.REF, prefix="AD"),
        Field(
            "emergency_address_status",
            Kind.ENUM,
            "unregistered",
            choices=(
                "registered",
                "unregistered",
                "pending-registration",
                "registration-failure",
                "pending-unregistration",
                "unregistration-failure",
            ),
        ),
        writable("bundle_sid", Kind.REF, prefix="BU"),
        Field("status", Kind.TEXT, "in-use"),
        Field("type", Kind.TEXT),
    ),
)

# The spec's example order for `api.v2010.account`. `FriendlyName` and `Status` are parameters
# with rules of their own (`rules.py`), so none is declared writable here.
ACCOUNT = Resource(
    name="Account",
    prefix="AC",
    path=f"{API_ROOT}/Accounts/{{sid}}",
    list_key="accounts",
    table="accounts",
    fields=(
        Field("auth_token", Kind.TEXT, required=True),
        Field("date_created", Kind.DATE),
        Field("date_updated", Kind.DATE),
        Field("friendly_name", Kind.TEXT, required=True),
        Field("owner_account_sid", Kind.SID),
        Field("sid", Kind.SID),
        Field("status", Kind.ENUM, "active", choices=ACCOUNT_STATUSES, length=16),
        Field("subresource_uris", Kind.OBJECT, stored=False),
        Field("type", Kind.ENUM, "Full", choices=("Trial", "Full"), length=8),
        Field("uri", Kind.URI, stored=False),
        # Ours: the account `serve` made (or was given), which a fixture never demotes and a
        # reset keeps.
        Field("is_main", Kind.BOOL, False, rendered=False),
    ),
)

# API keys: the secret is shown once, when the key is made (`NEW_KEY`). The store keeps it, as it
# keeps auth tokens: verifying an Access Token's HMAC needs the secret itself. Keys made before
# migration 0005 have only a salted hash of theirs (`secret_hash`), which still checks Basic auth.
_KEY_FIELDS = (
    Field("sid", Kind.SID),
    Field("friendly_name", Kind.TEXT),
    Field("date_created", Kind.DATE),
    Field("date_updated", Kind.DATE),
    Field("account_sid", Kind.SID, rendered=False),
)
KEY = Resource(
    name="Key",
    prefix="SK",
    path=_sub("Keys"),
    list_key="keys",
    table="api_keys",
    fields=(
        *_KEY_FIELDS,
        Field("secret_hash", Kind.TEXT, rendered=False),  # keys made before 0005
        Field("secret", Kind.TEXT, rendered=False),  # keys made since
    ),
)
NEW_KEY = Resource(
    name="Key",
    prefix="SK",
    path=KEY.path,
    list_key=KEY.list_key,
    table=KEY.table,
    fields=(*_KEY_FIELDS, Field("secret", Kind.TEXT, stored=False)),
)

# The spec's order (`api.v2010.account.recording`). Recordings are made by calls (`<Record>`,
# `<Dial record>`), never by a create; `subresource_uris` and `media_url` are derived when
# rendered (the media URL needs this server's address), `encryption_details` is always null.
RECORDING_STATUSES = (
    "in-progress",
    "paused",
    "stopped",
    "processing",
    "completed",
    "absent",
    "deleted",
)
RECORDING_SOURCES = (
    "DialVerb",
    "Conference",
    "OutboundAPI",
    "Trunking",
    "RecordVerb",
    "StartCallRecordingAPI",
    "StartConferenceRecordingAPI",
)
# The spec's example order (its property order differs; the examples are Twilio's answers).
RECORDING = Resource(
    name="Recording",
    prefix="RE",
    path=_sub("Recordings"),
    list_key="recordings",
    table="recordings",
    fields=(
        Field("account_sid", Kind.SID),
        Field("api_version", Kind.TEXT, "2010-04-01"),
        Field("call_sid", Kind.REF, prefix="CA"),
        Field("conference_sid", Kind.REF, prefix="CF"),
        Field("channels", Kind.INT, 1, required=True),
        Field("date_created", Kind.DATE),
        Field("date_updated", Kind.DATE),
        Field("start_time", Kind.DATE),
        Field("price", Kind.TEXT),
        Field("price_unit", Kind.TEXT, "USD"),
        Field("duration", Kind.TEXT, "0", required=True),  # seconds, a string as in the spec
        Field("sid", Kind.SID),
        Field("source", Kind.ENUM, "RecordVerb", choices=RECORDING_SOURCES, length=32),
        Field("status", Kind.ENUM, "completed", choices=RECORDING_STATUSES, length=16),
        Field("error_code", Kind.INT),
        Field("uri", Kind.URI, stored=False),
        Field("subresource_uris", Kind.OBJECT, stored=False),
        Field("encryption_details", Kind.OBJECT, stored=False),
        Field("media_url", Kind.URL, stored=False),
    ),
)

# The spec's example order (`api.v2010.account.call`). A call made with `Calls.json` (direction
# `outbound-api`) is `queued` until its jobs move it on (traffic/outbound.py); `start_time`,
# `end_time` and `duration` stay null until it starts and ends. `options` is ours, never shown:
# what the create asked for (URL or TwiML or application, callbacks and their events, digits,
# timeouts, recording, machine detection), which the call's jobs and its updates read.
CALL_STATUSES = (
    "queued",
    "ringing",
    "in-progress",
    "completed",
    "busy",
    "failed",
    "no-answer",
    "canceled",
)
CALL_ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
CALL = Resource(
    name="Call",
    prefix="CA",
    path=_sub("Calls"),
    list_key="calls",
    table="calls",
    fields=(
        Field("account_sid", Kind.SID),
        Field("answered_by", Kind.TEXT),
        Field("api_version", Kind.TEXT, "2010-04-01"),
        Field("caller_name", Kind.TEXT),
        Field("date_created", Kind.DATE),
        Field("date_updated", Kind.DATE),
        Field("direction", Kind.TEXT, "outbound-api"),
        Field("duration", Kind.TEXT),  # whole seconds, a string as in the spec; null until ended
        Field("end_time", Kind.DATE, null=True),
        Field("forwarded_from", Kind.TEXT),
        Field("from", Kind.TEXT, db="from_"),  # `from`: an SQL keyword
        Field("from_formatted", Kind.TEXT),
        Field("group_sid", Kind.REF, prefix="GP"),
        Field("parent_call_sid", Kind.REF, prefix="CA"),
        Field("phone_number_sid", Kind.REF, prefix="PN"),
        Field("price", Kind.TEXT),
        Field("price_unit", Kind.TEXT, "USD"),
        Field("sid", Kind.SID),
        Field("start_time", Kind.DATE, null=True),
        Field("status", Kind.ENUM, "queued", choices=CALL_STATUSES, length=16),
        Field("subresource_uris", Kind.OBJECT, stored=False),
        Field("to", Kind.TEXT, db="to_"),  # `to`: an SQL keyword
        Field("to_formatted", Kind.TEXT),
        Field("trunk_sid", Kind.REF, prefix="TK"),
        Field("uri", Kind.URI, stored=False),
        Field("queue_time", Kind.TEXT, "0"),
        Field("options", Kind.OBJECT, {}, rendered=False),
    ),
)

# Messages, in the spec example's order. `num_segments` and `num_media` are strings, as Twilio
# answers them; `date_sent` is null until the message leaves. Not rendered: where its statuses
# go (`status_callback`, the application's callback when sent with `ApplicationSid`, which wins)
# and its status history (the console and the request log show it).
MESSAGE_STATUSES = (
    "queued",
    "sending",
    "sent",
    "failed",
    "delivered",
    "undelivered",
    "receiving",
    "received",
    "accepted",
    "scheduled",
    "read",
    "partially_delivered",
    "canceled",
)
MESSAGE_DIRECTIONS = ("inbound", "outbound-api", "outbound-call", "outbound-reply")
MESSAGE = Resource(
    name="Message",
    prefix="SM",  # MM when it carries media
    path=_sub("Messages"),
    list_key="messages",
    table="messages",
    fields=(
        Field("account_sid", Kind.SID),
        Field("api_version", Kind.TEXT, "2010-04-01"),
        Field("body", Kind.TEXT, "", required=True),
        Field("date_created", Kind.DATE),
        Field("date_sent", Kind.DATE, null=True),
        Field("date_updated", Kind.DATE),
        Field("direction", Kind.ENUM, "outbound-api", choices=MESSAGE_DIRECTIONS, length=16),
        Field("error_code", Kind.INT),
        Field("error_message", Kind.TEXT),
        Field("from", Kind.TEXT, db="from_", required=True, length=64),
        Field("messaging_service_sid", Kind.REF, prefix="MG"),
        Field("num_media", Kind.TEXT, "0", required=True, length=4),
        Field("num_segments", Kind.TEXT, "1", required=True, length=4),
        Field("price", Kind.TEXT),
        Field("price_unit", Kind.TEXT, "USD"),
        Field("sid", Kind.SID),
        Field("status", Kind.ENUM, "queued", choices=MESSAGE_STATUSES, length=24),
        Field("subresource_uris", Kind.OBJECT, stored=False),
        Field("to", Kind.TEXT, db="to_", required=True, length=64),
        Field("uri", Kind.URI, stored=False),
        # Ours:
        Field("status_callback", Kind.URL, rendered=False),
        Field("application_sid", Kind.REF, prefix="AP", rendered=False),
        Field("history", Kind.OBJECT, [], rendered=False),  # [[status, µs, error_code], ...]
        # The SID without its prefix: SM and MM SIDs interleave in creation order by it alone.
        Field("order_key", Kind.TEXT, rendered=False, required=True, length=32),
    ),
)

# A message's media (`MediaUrl`): Twilio's record, plus the URL it came from (not rendered).
MEDIA = Resource(
    name="Media",
    prefix="ME",
    path=f"{API_ROOT}/Accounts/{{account_sid}}/Messages/{{parent_sid}}/Media/{{sid}}",
    list_key="media_list",
    table="media",
    fields=(
        Field("account_sid", Kind.SID),
        Field("content_type", Kind.TEXT, "application/octet-stream", required=True),
        Field("date_created", Kind.DATE),
        Field("date_updated", Kind.DATE),
        Field("parent_sid", Kind.SID),
        Field("sid", Kind.SID),
        Field("uri", Kind.URI, stored=False),
        Field("url", Kind.URL, rendered=False, required=True),
    ),
)

# The resources an account's `subresource_uris` lists: the ones Switchboard serves.
ACCOUNT_SUBRESOURCES = (APPLICATION, INCOMING_PHONE_NUMBER, KEY, RECORDING, CALL)


@dataclass(frozen=True, slots=True)
class Account:
    """An account as authentication and the handlers use it (the hot path: attributes, not a
    dict). Its fields are `ACCOUNT`'s stored ones."""

    sid: str
    owner_account_sid: str
    friendly_name: str
    status: str  # active | suspended | closed
    type: str  # Trial | Full
    auth_token: str
    is_main: bool
    date_created: int
    date_updated: int

    @property
    def is_subaccount(self) -> bool:
        return self.owner_account_sid != self.sid

    def record(self) -> Record:
        return {f.key: getattr(self, f.key) for f in ACCOUNT.stored}

    def __repr__(self) -> str:  # never leak the token into logs or tracebacks
        return f"Account(sid={self.sid!r}, status={self.status!r})"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key as authentication and Access Token verification use it: with its secret (or,
    made before migration 0005, the salted hash of it), which its repr never shows. Handlers
    render `record()`, which has neither."""

    sid: str
    account_sid: str
    friendly_name: str | None
    date_created: int
    date_updated: int
    secret: str | None = field(repr=False)
    secret_hash: str | None = field(repr=False)

    def record(self) -> Record:
        """The key without its secret: what the Keys resource shows."""
        return {f.key: getattr(self, f.key) for f in _KEY_FIELDS}
