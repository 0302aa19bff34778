"""A small phone menu in Flask, the app docs/testing.md tests with Switchboard.

A call hears a menu (`<Gather>`); the caller's digit chooses sales or support; a text gets the
menu in writing, and so does anyone who asks for it on the website (`/text-me`): the app sends
that text itself, through its Messaging application, which reports each delivery status to
`/message-status`. Every request from Twilio must carry a valid `X-Twilio-Signature`, checked
with the account's auth token, as in production.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather, VoiceResponse

MENU = "For sales, press 1. For support, press 2."
TEAMS = {"1": ("sales", "+15005550001"), "2": ("support", "+15005550002")}


def twiml(document: VoiceResponse | MessagingResponse) -> Response:
    return Response(str(document), content_type="text/xml")


def create_app(
    auth_token: str,
    client: Client | None = None,
    number: str | None = None,
    application_sid: str | None = None,
) -> Flask:
    """`client`, `number` and `application_sid`: how `/text-me` sends (its Twilio client, the
    number it sends from, the application whose `message_status_callback` hears back)."""
    app = Flask(__name__)
    validator = RequestValidator(auth_token)
    app.config["DELIVERY"] = {}  # message SID -> the statuses Twilio reported, in order

    def from_twilio(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            signature = request.headers.get("X-Twilio-Signature", "")
            if not validator.validate(request.url, request.form, signature):
                abort(403)
            return view(*args, **kwargs)

        return checked

    @app.post("/voice")
    @from_twilio
    def voice() -> Response:
        response = VoiceResponse()
        gather = Gather(num_digits=1, action="/menu", method="POST")
        gather.say(MENU)
        response.append(gather)
        response.say("We did not hear a choice. Goodbye.")
        return twiml(response)

    @app.post("/menu")
    @from_twilio
    def menu() -> Response:
        response = VoiceResponse()
        team = TEAMS.get(request.form.get("Digits", ""))
        if team is None:
            response.say("Sorry, that is not an option.")
            response.redirect("/voice")
        else:
            name, number = team
            response.say(f"Connecting you to {name}.")
            response.dial(number)
        return twiml(response)

    @app.post("/sms")
    @from_twilio
    def sms() -> Response:
        reply = MessagingResponse()
        reply.message(f"Call us: {MENU}")
        return twiml(reply)

    @app.post("/text-me")  # the website's form: not from Twilio, so not signed
    def text_me() -> dict[str, str]:
        assert client is not None, "create_app(client=...) to send texts"
        message = client.messages.create(
            to=request.form["phone"],
            from_=number,
            body=f"Call us: {MENU}",
            application_sid=application_sid,
        )
        app.config["DELIVERY"][message.sid] = []
        return {"sid": message.sid, "status": message.status}

    @app.post("/message-status")
    @from_twilio
    def message_status() -> tuple[str, int]:
        sid, status = request.form["MessageSid"], request.form["MessageStatus"]
        app.config["DELIVERY"].setdefault(sid, []).append(status)
        return "", 204

    return app
