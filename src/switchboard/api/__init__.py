"""The HTTP face of Switchboard (Starlette)."""
