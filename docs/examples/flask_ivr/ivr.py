"""A small phone menu in Flask, the app docs/testing.md tests with Switchboard.

A call hears a menu (`<Gather>`); the caller's digit chooses sales or support; a text gets the
menu in writing. Every request must carry a valid `X-Twilio-Signature`, checked with the
account's auth token, as in production.
"""

from __future__ import annotations

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Gather, VoiceResponse

MENU = "For sales, press 1. For support, press 2."
TEAMS = {"1": ("sales", "+15005550001"), "2": ("support", "+15005550002")}


def twiml(document: VoiceResponse | MessagingResponse) -> Response:
    return Response(str(document), content_type="text/xml")


def create_app(auth_token: str) -> Flask:
    app = Flask(__name__)
    validator = RequestValidator(auth_token)

    @app.before_request
    def only_twilio() -> None:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(request.url, request.form, signature):
            abort(403)

    @app.post("/voice")
    def voice() -> Response:
        response = VoiceResponse()
        gather = Gather(num_digits=1, action="/menu", method="POST")
        gather.say(MENU)
        response.append(gather)
        response.say("We did not hear a choice. Goodbye.")
        return twiml(response)

    @app.post("/menu")
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
    def sms() -> Response:
        reply = MessagingResponse()
        reply.message(f"Call us: {MENU}")
        return twiml(reply)

    return app
