"""Checking and showing the URLs deliveries go to (endpoint URLs, `sandbox listen --forward-to`)."""

from __future__ import annotations

from urllib.parse import urlsplit


def url_problem(url: str) -> str | None:
    """Why `url` cannot receive deliveries, or None. Plain http and loopback hosts are fine: the sandbox
    delivers from the developer's own machine (Stripe's live mode would insist on public https)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "its port is not a number from 1 to 65535"
    if parts.scheme not in ("http", "https"):
        return "it must start with http:// or https://"
    if not parts.hostname:
        return "it names no host"
    if port == 0:
        return "its port is not a number from 1 to 65535"
    if any(character.isspace() or ord(character) < 32 for character in url):
        return "it contains spaces or control characters"
    return None


def loggable_url(url: str) -> str:
    """An endpoint URL without user info or query (either can carry a credential)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
