"""The shortest path that must always work: the official SDK creates an application on a fresh
server and fetches it back, with the defaults Twilio gives (`voice_method` POST)."""

from conftest import Server


def test_sdk_create_and_fetch(server: Server) -> None:
    client = server.client()
    app = client.applications.create(friendly_name="hello", voice_url="https://example.com/v")
    assert app.sid.startswith("AP")
    fetched = client.applications(app.sid).fetch()
    assert fetched.friendly_name == "hello"
    assert fetched.voice_method == "POST"
