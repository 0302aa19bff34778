"""`Switchboard`: what a test holds, one account on one engine, and the few things tests do
beside the Twilio API: read the webhook requests made, simulate inbound traffic, route webhooks
to the app under test.

Every helper is a request to Switchboard's own extension API (`/switchboard/v1/…`), made in
process as this account, so it checks what a client over HTTP would get. (Handsets and `settle()`
will be more of the same, once the server has `…/Handsets/{number}` and `…/Settle`.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
