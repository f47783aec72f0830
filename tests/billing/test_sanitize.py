"""Control characters in API text never reach a model (and so never reach the terminal)."""

from __future__ import annotations

import httpx

from tui_portal.billing import sanitize_text

from .conftest import Recorder, customer_json


async def test_control_characters_are_gone_from_parsed_models(make_client) -> None:
    hostile = customer_json(
        name="Bob\x1b[2J\x07",
        email="bob@example.com\r",
        address={"line1": "Main St\x00 1\x9b31m", "city": "Ber\u202elin"},
        metadata={"note\x1b]0;pwned\x07": "multi\nline\tvalue"},
        preferred_locales=["en\x08"],
    )
    recorder = Recorder([httpx.Response(200, json=hostile)])
    client = make_client(recorder)
    customer = await client.customers.retrieve("cus_1")
    assert customer.name == "Bob[2J"
    assert customer.email == "bob@example.com"
    assert customer.address is not None
    assert customer.address.line1 == "Main St 131m"
    assert customer.address.city == "Berlin"
    assert customer.metadata == {"note]0;pwned": "multi\nlinevalue"}
    assert customer.preferred_locales == ["en"]


async def test_error_messages_are_sanitized_too(make_client) -> None:
    body = {"error": {"type": "invalid_request_error", "message": "No such customer: 'x\x1b[31m'"}}
    recorder = Recorder([httpx.Response(404, json=body)])
    client = make_client(recorder)
    try:
        await client.customers.retrieve("x")
    except Exception as error:  # noqa: BLE001 - checking the text of whatever was raised
        assert "\x1b" not in str(error)
        assert "\x1b" not in error.user_message  # type: ignore[attr-defined]
    else:
        raise AssertionError("expected an error")


def test_sanitize_text_keeps_newlines_and_printable_text() -> None:
    assert sanitize_text("Dana Demo") == "Dana Demo"
    assert sanitize_text("Zürich – 東京 🙂") == "Zürich – 東京 🙂"
    assert sanitize_text("line 1\nline 2") == "line 1\nline 2"
    assert sanitize_text("a\tb\rc\x7fd\x85e") == "abcde"
    # Markup-looking text is not the client's business: it stays literal for the UI to render safely.
    assert sanitize_text("[/]Bob [@click=app.quit]x[/]") == "[/]Bob [@click=app.quit]x[/]"


async def test_every_spelling_of_an_unsafe_character_in_the_json_text_is_caught(make_client) -> None:
    """The walk over every string is skipped only for a text that provably needs none, so each way
    JSON can carry an unsafe character (raw C1 or bidi, \\uXXXX, \\t \\r \\b \\f) must still be removed."""
    spellings = ['"A\\u001bB"', '"A\\u009bB"', '"A\\u202eB"', '"A\u202eB"', '"A\u0085B"', '"A\\tB"', '"A\\rB"',
                 '"A\\bB"', '"A\\fB"', '"A\\u0007B"']
    replies = [httpx.Response(200, content=('{"id": "cus_1", "object": "customer", "name": ' + spelling + "}").encode())
               for spelling in spellings]
    clean = '{"id": "cus_1", "object": "customer", "name": "A\\nB \\"quoted\\" C:\\\\dir/x", "metadata": {"k": "v"}}'
    recorder = Recorder([*replies, httpx.Response(200, content=clean.encode())])
    client = make_client(recorder)
    names = [(await client.customers.retrieve("cus_1")).name for _ in spellings]
    assert names == ["AB"] * len(spellings)
    untouched = await client.customers.retrieve("cus_1")
    assert untouched.name == 'A\nB "quoted" C:\\dir/x' and untouched.metadata == {"k": "v"}
