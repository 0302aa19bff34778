"""Switchboard: a self-hostable, Twilio-compatible server for voice and SMS applications."""

__version__ = "0.1.0"
