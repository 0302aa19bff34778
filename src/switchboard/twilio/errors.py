"""Twilio errors: raised anywhere as `TwilioError`, rendered in one place (`api/render.py`)."""

from __future__ import annotations

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


# The catalogue: one constructor per code we use, so messages stay consistent.


def not_found(path: str) -> TwilioError:
    return TwilioError(20404, 404, f"The requested resource {path} was not found")


def authenticate() -> TwilioError:
    return TwilioError(
        20003, 401, "Authenticate", headers={"WWW-Authenticate": 'Basic realm="Twilio API"'}
    )


def method_not_allowed(method: str, path: str) -> TwilioError:
    return TwilioError(20004, 405, f"Method {method} not allowed on {path}")


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


def page_size_too_large(value: int) -> TwilioError:
    return TwilioError(20007, 400, f"Page size too large: {value}. The maximum page size is 1000")


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
