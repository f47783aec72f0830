"""Remove control characters from text that came from the API.

WHY: every string in a Stripe response is untrusted (customer names, addresses, invoice
descriptions, metadata are typed by other people). Terminal control sequences such as
``"\\x1b[2J"`` (clear screen) or ``"\\x07"`` (bell) would act on the user's terminal if they
reached it, and bidirectional overrides can make text display in a different order than it
reads. So the client cleans every string (and every dict key) before a model sees it.

Decision on whitespace: ``\\n`` is kept because multi-line fields (invoice footer, product
description, cancellation comment) legitimately carry line breaks; single-line labels in the UI
must still collapse newlines themselves. ``\\t`` and ``\\r`` are removed with the rest of C0: a
tab or carriage return inside a name only misaligns or overwrites terminal output.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls except \n (0x0a), DEL, C1 controls, and the Unicode bidi embedding/override/isolate
# characters (U+202A-U+202E, U+2066-U+2069) that reorder how a terminal shows the text.
_UNSAFE_CHARACTERS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# What in a JSON text could decode to an unsafe character: one written raw (C1 controls and bidi
# marks may be; C0 controls may not, JSON requires them escaped), or an escape other than \n, \",
# \\ and \/. A false alarm (an escaped backslash followed by "u") only costs the full walk.
_MAYBE_UNSAFE_JSON = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|\\[bfrtu]")


def json_text_is_clean(text: str) -> bool:
    """Whether no string decoded from this JSON text can hold a character ``sanitize_text`` removes.

    WHY: walking every string of a decoded response costs more than decoding it (3 ms of the 4 ms an
    overview's responses take here); most responses hold nothing to remove, and one regex search
    over the text proves it. Python's ``json.dumps`` escapes all non-ASCII by default, so such
    senders always take the walk: correct, just not faster.
    """
    return _MAYBE_UNSAFE_JSON.search(text) is None


def sanitize_text(text: str) -> str:
    """Return ``text`` without control characters (``\\n`` is kept, see module docstring)."""
    return _UNSAFE_CHARACTERS.sub("", text)


def sanitize_json(value: Any) -> Any:
    """Return a copy of decoded JSON with every string (values and keys) sanitized.

    Written as an explicit walk (not a JSON hook) so it also covers dict keys such as metadata
    keys, which are just as untrusted as the values.
    """
    if isinstance(value, str):
        return sanitize_text(value)
    if isinstance(value, dict):
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            cleaned_key = sanitize_text(key) if isinstance(key, str) else key
            cleaned[cleaned_key] = sanitize_json(item)
        return cleaned
    if isinstance(value, list):
        return [sanitize_json(item) for item in value]
    return value
