"""`Switchboard`: what a test holds, one account on one engine, and the few things tests do
beside the Twilio API: read the webhook requests made, simulate inbound traffic, route webhooks
to the app under test.

Every helper is a request to Switchboard's own extension API (`/switchboard/v1/…`), made in
process as this account, so it checks what a client over HTTP would get: `…/Requests`,
`…/InboundCalls`, `…/InboundMessages`, `…/Handsets/{number}`, `…/Settle`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from switchboard.testing.routes import Route, route

if TYPE_CHECKING:
    from twilio.rest import Client

    from switchboard.testing.engine import Engine

EXTENSION = "/switchboard/v1/Accounts"


class Switchboard:
    """A Switchboard for one test, acting as one account.

    `base_url` is where it serves HTTP (None when it serves only in process); `account_sid` and
    `auth_token` are the account's credentials, which `client()` uses.
    """

    def __init__(self, engine: Engine, account_sid: str, auth_token: str) -> None:
        self.engine = engine
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._routes: list[Route] = []

    @classmethod
    def fresh(cls, engine: Engine) -> Switchboard:
        """The engine emptied (`reset`), and a new account on it: what each test starts from."""
        engine.reset()
        account = engine.create_account()
        return cls(engine, account.sid, account.auth_token)

    def __repr__(self) -> str:  # never the token
        return f"Switchboard(account_sid={self.account_sid!r}, base_url={self.base_url!r})"

    @property
    def base_url(self) -> str | None:
        return self.engine.http_url

    def client(self) -> Client:
        """A `twilio.rest.Client` for this account: over HTTP when the engine serves it (as
        README's "First steps" says, so TWILIO_EDGE/TWILIO_REGION cannot redirect it), else
        in process."""
        from twilio.rest import Client

        if self.base_url is None:
            from switchboard.testing.inprocess import InProcessHttpClient

            http = InProcessHttpClient(self.engine)
            return Client(self.account_sid, self.auth_token, http_client=http)
        client = Client(self.account_sid, self.auth_token)
        client.api.base_url = self.base_url
        client.edge = client.region = None
        return client

    # The webhook request log

    def requests(self) -> list[dict[str, Any]]:
        """Every webhook request made for this account, oldest first: purpose, method, url,
        params, headers, status_code, response_body, error_code… (docs/simulate.md)."""
        path: str | None = f"{EXTENSION}/{self.account_sid}/Requests?PageSize=1000"
        newest_first: list[dict[str, Any]] = []
        while path:
            page = self._call("GET", path)
            newest_first += page["requests"]
            path = page.get("next_page_uri")
        return newest_first[::-1]

    # Inbound traffic

    def simulate_call(self, to: str, from_: str, **params: str) -> dict[str, Any]:
        """An inbound call to `to`, one of this account's numbers, run now through its
        application to the webhooks; the trace. `params`: the other fields of
        `POST …/InboundCalls` by their names (`CallerName="Alice"`, `CallDuration="42"`)."""
        return self._call(
            "POST",
            f"{EXTENSION}/{self.account_sid}/InboundCalls",
            {"To": to, "From": from_, **params},
        )

    def simulate_sms(self, to: str, from_: str, body: str = "", **params: str) -> dict[str, Any]:
        """An inbound SMS to `to`; the trace (with the replies in `messages`)."""
        return self._call(
            "POST",
            f"{EXTENSION}/{self.account_sid}/InboundMessages",
            {"To": to, "From": from_, "Body": body, **params},
        )

    # The phones outside Switchboard, and waiting for what is on its way to them

    def handset(self, number: str) -> Handset:
        """The phone at `number` (E.164, not one of Switchboard's numbers), as this account's
        messages and calls reach it: what it received, how it behaves, texting back."""
        return Handset(self, number)

    def settle(self, timeout: float = 10) -> dict[str, Any]:
        """Wait until every message and call step of this account, and every status callback,
        has run (`POST …/Settle`); its counts. A `TwilioRestException` (status 408, code 20408)
        when `timeout` seconds pass first."""
        return self._call(
            "POST", f"{EXTENSION}/{self.account_sid}/Settle", {"Timeout": f"{timeout:g}"}
        )

    # Webhooks into the app under test

    def route(self, origin: str, app: Any, *, interface: str | None = None) -> Route:
        """`switchboard.testing.route`, undone when the test ends (`close`)."""
        added = route(origin, app, interface=interface)
        self._routes.append(added)
        return added

    def close(self) -> None:
        while self._routes:
            self._routes.pop().remove()

    # Requests

    def _call(self, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
        """A request to the extension API as this account; its JSON, or the SDK's exception."""
        answer = self.engine.request(method, path, (self.account_sid, self.auth_token), data)
        if answer.status >= 400:
            from twilio.base.exceptions import TwilioRestException

            body = answer.json()
            raise TwilioRestException(
                answer.status, path, body.get("message", answer.text), body.get("code"), method
            )
        return answer.json()


# Handset settings: keyword -> the parameter of `POST …/Handsets/{number}`
_HANDSET_SETTINGS = {
    "message_outcome": "MessageOutcome",
    "message_error_code": "MessageErrorCode",
    "call_outcome": "CallOutcome",
    "answered_by": "AnsweredBy",
    "call_duration": "CallDuration",
    "input": "Input",
}


class Handset:
    """A phone outside Switchboard, as one account sees it (`Switchboard.handset(number)`)."""

    def __init__(self, board: Switchboard, number: str) -> None:
        self.board = board
        self.number = number
        self._path = f"{EXTENSION}/{board.account_sid}/Handsets/{quote(number, safe='')}"

    def __repr__(self) -> str:
        return f"Handset({self.number!r})"

    def messages(self) -> list[dict[str, Any]]:
        """The messages the account sent it that reached it, oldest first, as Twilio renders a
        Message (`body`, `from`, `status`, `num_media`...)."""
        path: str | None = f"{self._path}/Messages?PageSize=1000"
        newest_first: list[dict[str, Any]] = []
        while path:
            page = self.board._call("GET", path)
            newest_first += page["messages"]
            path = page.get("next_page_uri")
        return newest_first[::-1]

    def settings(self) -> dict[str, Any]:
        """How it behaves now, and the account's numbers it has opted out of (STOP)."""
        return self.board._call("GET", self._path)  # type: ignore[no-any-return]

    def set(
        self,
        *,
        message_outcome: str | None = None,
        message_error_code: int | None = None,
        call_outcome: str | None = None,
        answered_by: str | None = None,
        call_duration: int | None = None,
        input: list[str] | None = None,
    ) -> dict[str, Any]:
        """How it behaves from now on; what is not given keeps its value. `message_outcome`:
        delivered, undelivered, failed; `call_outcome`: completed, busy, no-answer, failed;
        `answered_by`: human, machine_start...; `input`: what it answers to each `<Gather>` or
        `<Record>` of a call (docs/simulate.md's caller script)."""
        given = {
            "message_outcome": message_outcome,
            "message_error_code": message_error_code,
            "call_outcome": call_outcome,
            "answered_by": answered_by,
            "call_duration": call_duration,
        }
        data: dict[str, Any] = {
            _HANDSET_SETTINGS[key]: str(value) for key, value in given.items() if value is not None
        }
        if input is not None:
            data["Input"] = list(input) or [""]  # an empty list clears the script
        return self.board._call("POST", self._path, data)  # type: ignore[no-any-return]

    def send(self, to: str, body: str = "", media_url: list[str] | None = None) -> dict[str, Any]:
        """A message from this phone to `to`, one of the account's numbers: an inbound message
        through that number's SMS webhooks (STOP, START and HELP as on Twilio); the Message."""
        data: dict[str, Any] = {"To": to, "Body": body}
        if media_url:
            data["MediaUrl"] = list(media_url)
        return self.board._call(  # type: ignore[no-any-return]
            "POST", f"{self._path}/Messages", data
        )
