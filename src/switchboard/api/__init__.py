"""The HTTP face: Twilio's paths and our extension over raw ASGI (see docs/architecture.md)."""
