"""Twilio errors: raised anywhere as `TwilioError`, rendered in one place (`api/render.py`)."""

from __future__ import annotations

import math
from enum import Enum

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


class TwilioError(Exception):
    """An error with Twilio's `{code, message, more_info, status}` shape."""

    def __init__(
        self, code: int, status: int, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.headers = headers or {}

    @property
    def more_info(self) -> str:
        return MORE_INFO.format(code=self.code)

    def __repr__(self) -> str:
        return f"TwilioError({self.code}, {self.status}, {self.message!r})"

    def prefixed(self, where: str) -> TwilioError:
        """The same error, its message led by where it happened (`accounts[0].sid: ...`)."""
        return TwilioError(self.code, self.status, f"{where}: {self.message}", self.headers)


# The catalogue: one constructor per code we use, so messages stay consistent.


def not_found(path: str) -> TwilioError:
    return TwilioError(20404, 404, f"The requested resource {path} was not found")


def authenticate() -> TwilioError:
    return TwilioError(
        20003, 401, "Authenticate", headers={"WWW-Authenticate": 'Basic realm="Twilio API"'}
    )


def method_not_allowed(method: str, path: str, allowed: str) -> TwilioError:
    """`allowed`: the path's methods, for the `Allow` header (RFC 9110 requires it on a 405)."""
    return TwilioError(
        20004, 405, f"Method {method} not allowed on {path}", headers={"Allow": allowed}
    )


def invalid_parameter(message: str) -> TwilioError:
    return TwilioError(20001, 400, message)


def invalid_friendly_name(value: str) -> TwilioError:
    return TwilioError(
        20002,
        400,
        f"Invalid FriendlyName: {value!r}. FriendlyName must be between 1 and 64 characters long",
    )


def invalid_url(param: str, value: str) -> TwilioError:
    return TwilioError(21402, 400, f"{param} is not a valid URL: {value}")


def invalid_method(param: str, value: str) -> TwilioError:
    return TwilioError(
        21403, 400, f"{param} is not valid: {value}. Valid Method values are GET or POST"
    )


def invalid_page_token(value: str) -> TwilioError:
    return TwilioError(21481, 400, f"Invalid PageToken: {value}")


def page_token_required() -> TwilioError:
    return TwilioError(70002, 400, "Paged requests must include a PageToken")


def application_limit() -> TwilioError:
    return TwilioError(21301, 400, "Cannot create application: application limit exceeded")


def body_too_large(limit: int) -> TwilioError:
    return TwilioError(20001, 413, f"Request body is larger than {limit} bytes")


def request_head_too_large(max_bytes: int, max_fields: int) -> TwilioError:
    return TwilioError(
        20001,
        431,
        f"Request header fields too large: at most {max_bytes} bytes of request line and "
        f"headers, and at most {max_fields} header fields",
    )


def unsupported_media_type(content_type: str) -> TwilioError:
    return TwilioError(
        20001,
        415,
        f"Unsupported Content-Type {content_type!r}: send application/x-www-form-urlencoded",
    )


def internal_error() -> TwilioError:
    return TwilioError(20500, 500, "An internal server error has occurred")


def service_unavailable() -> TwilioError:
    return TwilioError(20503, 503, "Service unavailable: the database cannot be used right now")


def application_not_accessible(param: str, value: str) -> TwilioError:
    return TwilioError(
        21420,
        400,
        f"{param} is not accessible: {value} is not an application of this account, or invalid",
    )


def forbidden(message: str) -> TwilioError:
    return TwilioError(20403, 403, message)


def account_not_active() -> TwilioError:
    return TwilioError(
        20005, 401, "Account not active", headers={"WWW-Authenticate": 'Basic realm="Twilio API"'}
    )


def account_closed() -> TwilioError:
    return TwilioError(21479, 400, "The subaccount is closed and can not be re-opened")


def invalid_phone_number(value: str) -> TwilioError:
    return TwilioError(21421, 400, f"PhoneNumber is invalid: {value}")


def phone_number_unavailable(value: str) -> TwilioError:
    return TwilioError(21422, 400, f"PhoneNumber {value} is not available")


def invalid_area_code(value: str) -> TwilioError:
    return TwilioError(21451, 400, f"Invalid area code: {value}")


def no_numbers_in_area_code(value: str) -> TwilioError:
    return TwilioError(21452, 400, f"No phone numbers found in area code {value}")


def missing_parameter(message: str) -> TwilioError:
    return TwilioError(20001, 400, message)


def too_many(message: str, retry_after: float) -> TwilioError:
    return TwilioError(
        20429, 429, message, headers={"Retry-After": str(max(1, math.ceil(retry_after)))}
    )


def number_not_found(phone_number: str, account_sid: str) -> TwilioError:
    message = f"The phone number {phone_number} is not an IncomingPhoneNumber of {account_sid}"
    return TwilioError(20404, 404, message)


def missing_phone_number(code: int, name: str) -> TwilioError:
    """21604 (To) or 21603 (From): a required phone number parameter is missing."""
    return TwilioError(code, 400, f"'{name}' phone number is required")


def invalid_to_number(value: str) -> TwilioError:
    return TwilioError(21211, 400, f"Invalid 'To' Phone Number: {value}")


def body_too_long() -> TwilioError:
    return TwilioError(21617, 400, "The concatenated message body exceeds the 1600 character limit")


# Access Tokens: the Voice SDK's codes, each titled as Twilio titles it. Every refusal is 401 (the
# token fails to authenticate its bearer) and says after the title what exactly is wrong.


class TokenRefusal(Enum):
    INVALID = (20101, "Invalid Access Token")
    HEADER_INVALID = (20102, "Invalid Access Token header")
    ISSUER_INVALID = (20103, "Invalid Access Token issuer/subject")
    EXPIRED = (20104, "Access Token expired or expiration date invalid")
    NOT_YET_VALID = (20105, "Access Token not yet valid")
    GRANTS_INVALID = (20106, "Invalid Access Token grants")
    SIGNATURE_INVALID = (20107, "Invalid Access Token signature")
    LIFETIME_TOO_LONG = (20157, "Expiration Time Exceeds Maximum Time Allowed")


def token_refused(refusal: TokenRefusal, detail: str) -> TwilioError:
    code, title = refusal.value
    return TwilioError(code, 401, f"{title}: {detail}")


def invalid_application_sid(sid: str) -> TwilioError:
    """21218: an Access Token's outgoing application is not an application of its account (the
    Voice SDK's `ApplicationNotFound`; checked where a device connects, against the store)."""
    return TwilioError(21218, 400, f"Invalid ApplicationSid: {sid}")


def device_limit(limit: int) -> TwilioError:
    """Voice SDK devices registered at once in one account (ours: Twilio documents no number)."""
    return TwilioError(
        20001,
        400,
        f"An account may have at most {limit} registered Voice SDK devices: unregister one, or "
        "let its token expire",
    )


def call_not_in_progress(call_sid: str) -> TwilioError:
    """Input or a hangup for a simulated call that is not paused waiting for its caller."""
    return TwilioError(21220, 400, f"Invalid call state: call {call_sid} is not in-progress")


def call_busy(call_sid: str) -> TwilioError:
    """Another request is continuing the same paused call right now."""
    return TwilioError(
        21220, 409, f"Invalid call state: call {call_sid} is being continued by another request"
    )


# Calls made with `Calls.json`: the codes Twilio's documentation gives for each refusal (its
# error pages, and the test credentials' magic numbers for calls).


def call_to_missing() -> TwilioError:
    return TwilioError(21201, 400, "No 'To' number is specified")


def call_from_missing() -> TwilioError:
    return TwilioError(21213, 400, "No 'From' number is specified")


def call_to_invalid(value: str) -> TwilioError:
    return TwilioError(21217, 400, f"Phone number does not appear to be valid: {value}")


def call_to_unreachable(value: str) -> TwilioError:
    return TwilioError(21214, 400, f"'To' phone number cannot be reached: {value}")


def call_to_not_permitted(value: str) -> TwilioError:
    return TwilioError(
        21215,
        400,
        f"Your account doesn't have the international permissions necessary to call {value}",
    )


def call_to_blocked(value: str) -> TwilioError:
    return TwilioError(21216, 400, f"This number is blocked for your account: {value}")


def call_from_invalid(value: str) -> TwilioError:
    return TwilioError(21212, 400, f"Invalid From Number (caller ID): {value}")


def call_from_not_verified(value: str) -> TwilioError:
    return TwilioError(
        21210,
        400,
        f"'From' phone number not verified: {value} is not a number of this account (give one of "
        "its IncomingPhoneNumbers)",
    )


def call_url_missing() -> TwilioError:
    return TwilioError(
        21205,
        400,
        "Url parameter is required. For more information, see http://www.twilio.com/docs/api/twiml",
    )


def call_url_invalid(param: str, value: str) -> TwilioError:
    return TwilioError(21205, 400, f"{param} is not a valid URL: {value}")


def call_method_invalid(param: str, value: str) -> TwilioError:
    return TwilioError(21209, 400, f"Invalid {param}: {value!r}; valid values are GET or POST")


def call_status_callback_invalid(param: str, value: str) -> TwilioError:
    return TwilioError(21609, 400, f"{param} is not a valid URL: {value}")


def call_state(call_sid: str, status: str, wanted: str) -> TwilioError:
    """An update or delete that the call's current status does not allow."""
    return TwilioError(21220, 400, f"Invalid call state: call {call_sid} is {status}; {wanted}")


def settle_timeout(account_sid: str, pending: int, timeout: float) -> TwilioError:
    """`Settle` gave up: jobs of the account are still pending (20408 is ours, after HTTP's 408
    as 20404 follows 404)."""
    return TwilioError(
        20408,
        408,
        f"{pending} job(s) of {account_sid} still pending after {timeout:g} seconds",
    )


# Messages: Twilio's codes for each refusal of a create (all 400).

_MESSAGE_REFUSALS = {
    21211: "Invalid 'To' Phone Number: {to}",
    21212: "Invalid 'From' Phone Number: {from_}",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the "
    "'To' number: {to}",
    21602: "Message body is required.",
    21606: "The 'From' phone number provided ({from_}) is not a valid message-capable Twilio "
    "phone number for this destination/account.",
    21610: "Attempt to send to unsubscribed recipient",
    21611: "This 'From' number has exceeded the maximum number of queued messages",
    21612: "The 'To' phone number: {to}, is not currently reachable using the 'From' phone "
    "number: {from_} via SMS.",
    21614: "'To' number {to} is not a valid mobile number",
    21623: "The number of media files exceeds the allowed limit of 10",
}


def message_refused(code: int, *, to: str = "", from_: str = "") -> TwilioError:
    return TwilioError(code, 400, _MESSAGE_REFUSALS[code].format(to=to, from_=from_))


def invalid_status_callback(value: str) -> TwilioError:
    return TwilioError(21609, 400, f"Invalid StatusCallback: {value}")


def invalid_media_url(value: str) -> TwilioError:
    return TwilioError(21620, 400, f"Invalid media URL(s): {value}")


def invalid_message_application(sid: str) -> TwilioError:
    """An `ApplicationSid` that names no application of the account (Twilio's 21651 is for a
    Messaging Service; 21218 is the calls' "Invalid ApplicationSid": the closest, so ours)."""
    return TwilioError(21218, 400, f"Invalid ApplicationSid: {sid}")


def message_not_redactable(sid: str) -> TwilioError:
    """Update takes `Body=""` (redact) alone; Twilio refuses a message still on its way."""
    return TwilioError(
        20009, 400, f"Cannot redact message {sid}: it has not reached a final status yet"
    )


def message_not_deletable(sid: str) -> TwilioError:
    return TwilioError(20009, 400, f"Cannot delete message {sid}: it is still being sent")


def call_running(call_sid: str) -> TwilioError:
    """An update of an answered call whose document runs at this very moment (simulated time
    passes in an instant: it waits for its far end, or ends, a moment later)."""
    return TwilioError(
        21220,
        409,
        f"Invalid call state: call {call_sid} is running its document right now; try again "
        "when it waits for its far end",
    )
