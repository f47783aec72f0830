"""SSH public keys a customer may log in with, stored in the customer's metadata.

Why in the billing backend: several SSH hosts (behind one load balancer) must agree on which key
belongs to which customer, and the billing backend is the one store they all share already. Nothing
secret is stored: only SHA256 fingerprints (what `ssh-keygen -lf` prints), a label and a date.

Layout (Stripe metadata: keys <= 40 characters, values <= 500, at most 50 keys per object), two
entries per SSH key, both named after the first 20 characters of the fingerprint:

    tui_ssh_<20 chars>      = "SHA256:<43 chars>"              (the index: searchable by exact value)
    tui_sshinfo_<20 chars>  = "<YYYY-MM-DD>|<key type>|<label>" (for people: when, what, which)

The index value is the complete fingerprint, so a login looks the key up with one exact
`metadata['tui_ssh_...']:'SHA256:...'` customer search. Search results are only candidates: every
candidate is fetched again (a retrieve is strongly consistent, search is not) and must hold exactly
that fingerprint, so a revoked key stops working at once even while the search index lags behind.
A customer holds at most `MAX_KEYS_PER_CUSTOMER` keys (20 metadata entries), leaving room for
other metadata.

This module parses public keys with the standard library only (no cryptography is done here: the
SSH server verifies signatures; we only compute the same fingerprint it logs).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from tui_portal.billing import errors as billing_errors
from tui_portal.portal.error_mapping import to_portal_error
from tui_portal.portal.errors import FieldError, NotFound, PortalError
from tui_portal.portal.i18n import Translator

if TYPE_CHECKING:
    from tui_portal.billing import StripeClient
    from tui_portal.billing.models import Customer

INDEX_PREFIX = "tui_ssh_"
INFO_PREFIX = "tui_sshinfo_"
KEY_NAME_CHARS = 20
MAX_KEYS_PER_CUSTOMER = 10
MAX_LABEL_LENGTH = 100
METADATA_KEY_LIMIT = 50

SUPPORTED_KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)
# How many length-prefixed fields follow the type name inside the key blob (RFC 4253, 5656, 8709,
# and OpenSSH's PROTOCOL.u2f for the security-key types).
_FIELDS_AFTER_TYPE = {
    "ssh-ed25519": 1,
    "ssh-rsa": 2,
    "ecdsa-sha2-nistp256": 2,
    "ecdsa-sha2-nistp384": 2,
    "ecdsa-sha2-nistp521": 2,
    "sk-ssh-ed25519@openssh.com": 2,
    "sk-ecdsa-sha2-nistp256@openssh.com": 3,
}
_FINGERPRINT_RE = re.compile(r"^SHA256:[A-Za-z0-9+/]{43}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class InvalidPublicKey(FieldError):
    """The text is not one OpenSSH public key line; the message says what is wrong with it."""

    def __init__(self, user_message: str) -> None:
        super().__init__("public_key", user_message)


class PublicKey(msgspec.Struct, frozen=True):
    """One parsed `KEYTYPE BASE64 [comment]` line."""

    key_type: str
    blob_base64: str
    comment: str
    fingerprint: str

    @property
    def line(self) -> str:
        return f"{self.key_type} {self.blob_base64}"


class RegisteredKey(msgspec.Struct, frozen=True):
    """A key registered for a customer, as stored in its metadata."""

    fingerprint: str
    key_type: str
    label: str
    added: str
    """ISO date (YYYY-MM-DD) the key was added."""


def clean_text(text: str) -> str:
    """Control and bidi characters removed: labels end up in terminals and in sshd's logs."""
    return _CONTROL_RE.sub("", text).strip()


def fingerprint_of_blob(blob: bytes) -> str:
    """OpenSSH's SHA256 fingerprint: base64 of the digest of the key blob, padding removed."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")


def _split_wire_strings(blob: bytes) -> list[bytes]:
    """The blob is a sequence of uint32-length-prefixed strings; anything else is not a key."""
    fields: list[bytes] = []
    position = 0
    while position < len(blob):
        if position + 4 > len(blob):
            raise ValueError("truncated length")
        (length,) = struct.unpack(">I", blob[position : position + 4])
        position += 4
        if position + length > len(blob):
            raise ValueError("truncated field")
        fields.append(blob[position : position + length])
        position += length
    return fields


def parse_public_key(text: str) -> PublicKey:
    """Parse an OpenSSH public key line (the contents of `id_ed25519.pub`).

    Options in front of the key (authorized_keys style) are refused: the options sshd applies are
    ours to choose, never the customer's.
    """
    stripped = text.strip()
    if not stripped:
        raise InvalidPublicKey("Paste a public key: one line such as 'ssh-ed25519 AAAA... you@laptop'.")
    if "PRIVATE KEY" in stripped:
        raise InvalidPublicKey(
            "That is a private key. Never share it; use the public key instead (the file ending in .pub)."
        )
    lines = [line for line in stripped.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if len(lines) != 1:
        raise InvalidPublicKey(f"Expected exactly one public key line, found {len(lines)}.")
    parts = lines[0].split(None, 2)
    if len(parts) < 2:
        raise InvalidPublicKey("A public key line has a key type and the key, e.g. 'ssh-ed25519 AAAA...'.")
    key_type, blob_base64 = parts[0], parts[1]
    comment = clean_text(parts[2]) if len(parts) == 3 else ""
    if key_type not in SUPPORTED_KEY_TYPES:
        shown = clean_text(key_type)[:40]
        raise InvalidPublicKey(
            f"Unsupported key type {shown!r} (supported: {', '.join(SUPPORTED_KEY_TYPES)})."
            + (" Options in front of the key are not accepted." if "," in key_type or "=" in key_type else "")
        )
    try:
        blob = base64.b64decode(blob_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidPublicKey("The key part is not valid base64; copy the whole line again.") from None
    try:
        fields = _split_wire_strings(blob)
    except ValueError:
        raise InvalidPublicKey("The key is truncated or damaged; copy the whole line again.") from None
    if not fields or fields[0] != key_type.encode("ascii"):
        raise InvalidPublicKey(f"The key does not match its type {key_type}; copy the whole line again.")
    if len(fields) - 1 != _FIELDS_AFTER_TYPE[key_type]:
        raise InvalidPublicKey("The key is truncated or damaged; copy the whole line again.")
    if key_type == "ssh-ed25519" and len(fields[1]) != 32:
        raise InvalidPublicKey("The key is truncated or damaged; copy the whole line again.")
    return PublicKey(key_type, blob_base64, comment, fingerprint_of_blob(blob))


def normalize_fingerprint(text: str) -> str:
    """Accept `SHA256:abc...` or the bare 43 characters; refuse anything else."""
    candidate = text.strip()
    if not candidate.startswith("SHA256:"):
        candidate = "SHA256:" + candidate
    if not _FINGERPRINT_RE.match(candidate):
        raise FieldError(
            "fingerprint",
            "A fingerprint looks like SHA256: followed by 43 characters (as `ssh-keygen -lf KEYFILE` prints it).",
        )
    return candidate


def _name_part(fingerprint: str) -> str:
    """First 20 fingerprint characters, made safe for a metadata key name (base64url alphabet)."""
    body = fingerprint.removeprefix("SHA256:")
    return body[:KEY_NAME_CHARS].replace("+", "-").replace("/", "_")


def index_key(fingerprint: str) -> str:
    return INDEX_PREFIX + _name_part(fingerprint)


def info_key(fingerprint: str) -> str:
    return INFO_PREFIX + _name_part(fingerprint)


def search_query(fingerprint: str) -> str:
    """The customer search that finds the owner of a fingerprint (characters are base64: no quotes)."""
    return f"metadata['{index_key(fingerprint)}']:'{fingerprint}'"


def registered_keys(metadata: dict[str, Any] | None) -> list[RegisteredKey]:
    """Read the keys out of a customer's metadata, oldest first."""
    found: list[RegisteredKey] = []
    for name, value in (metadata or {}).items():
        if not name.startswith(INDEX_PREFIX) or not isinstance(value, str):
            continue
        if not _FINGERPRINT_RE.match(value) or index_key(value) != name:
            continue  # not ours, or damaged by hand: never trusted for a login
        info = (metadata or {}).get(info_key(value)) or ""
        added, key_type, label = (str(info).split("|", 2) + ["", "", ""])[:3]
        found.append(RegisteredKey(fingerprint=value, key_type=key_type, label=label, added=added))
    found.sort(key=lambda key: (key.added, key.fingerprint))
    return found


def holds_fingerprint(customer: Customer, fingerprint: str) -> bool:
    """True when a (freshly retrieved, not deleted) customer has exactly this fingerprint registered."""
    if customer.deleted:
        return False
    metadata = customer.metadata or {}
    return metadata.get(index_key(fingerprint)) == fingerprint


async def customers_holding_fingerprint(client: StripeClient, fingerprint: str) -> list[str]:
    """Every customer that (re-read, not just per the search index) holds this fingerprint."""
    owners: list[str] = []
    async for candidate in client.customers.search(query=search_query(fingerprint), limit=10):
        customer = await client.customers.retrieve(candidate.id)
        if holds_fingerprint(customer, fingerprint):
            owners.append(customer.id)
    return owners


async def find_customer_for_fingerprint(client: StripeClient, fingerprint: str) -> str | None:
    """The one customer this fingerprint is registered to, or None.

    None also when two customers claim the same key (possible with an eventually consistent search
    between two hosts adding it at once): an ambiguous key logs nobody in.
    """
    owners = await customers_holding_fingerprint(client, fingerprint)
    return owners[0] if len(owners) == 1 else None


def registration_entries(registered: RegisteredKey) -> dict[str, str]:
    """The two metadata entries that register a key (the CLI, the portal and enrolment write these)."""
    return {
        index_key(registered.fingerprint): registered.fingerprint,
        info_key(registered.fingerprint): f"{registered.added}|{registered.key_type}|{registered.label}",
    }


async def customer_holds_key(client: StripeClient, customer_id: str, fingerprint: str) -> bool:
    """Strongly consistent check (a retrieve) that the key is still registered: revocation at once."""
    try:
        customer = await client.customers.retrieve(customer_id)
    except billing_errors.InvalidRequestError as error:
        if error.code == "resource_missing":
            return False
        raise
    return holds_fingerprint(customer, fingerprint)


class SshKeyRegistry:
    """List, add and revoke the SSH keys of one customer (the CLI and the portal screen use this).

    The customer is fixed at construction, as everywhere in the portal: a screen bound to one
    customer can never touch another customer's keys.
    """

    def __init__(
        self,
        client: StripeClient,
        customer_id: str,
        *,
        translator: Translator | None = None,
        today: Callable[[], dt.date] | None = None,
    ) -> None:
        self.client = client
        self.customer_id = customer_id
        self.translator = translator or Translator()
        self._today = today or (lambda: dt.datetime.now(dt.timezone.utc).date())

    def _(self, message: str) -> str:
        return self.translator.gettext(message)

    async def _customer(self) -> Customer:
        try:
            customer = await self.client.customers.retrieve(self.customer_id)
        except billing_errors.StripeError as error:
            raise to_portal_error(error, self.translator) from error
        if customer.deleted:
            raise NotFound(self._("Customer {customer} has been deleted.").format(customer=self.customer_id))
        return customer

    async def _update(self, metadata: dict[str, str], idempotency_key: str | None) -> None:
        try:
            await self.client.customers.update(
                self.customer_id, metadata=metadata, idempotency_key=idempotency_key
            )
        except billing_errors.StripeError as error:
            raise to_portal_error(error, self.translator) from error

    async def list_keys(self) -> list[RegisteredKey]:
        customer = await self._customer()
        return registered_keys(customer.metadata)

    async def add_key(
        self, public_key_text: str, *, label: str | None = None, idempotency_key: str | None = None
    ) -> RegisteredKey:
        """Register a public key line; refuses duplicates, keys of other customers, and a full list."""
        key = parse_public_key(public_key_text)
        chosen_label = clean_text(label if label is not None else key.comment).replace("|", "/")
        if len(chosen_label) > MAX_LABEL_LENGTH:
            raise FieldError(
                "label", self._("A label has at most {limit} characters.").format(limit=MAX_LABEL_LENGTH)
            )
        customer = await self._customer()
        metadata = dict(customer.metadata or {})
        existing = registered_keys(metadata)
        if any(item.fingerprint == key.fingerprint for item in existing):
            raise FieldError("public_key", self._("This key is already registered ({fingerprint}).").format(
                fingerprint=key.fingerprint))
        if len(existing) >= MAX_KEYS_PER_CUSTOMER:
            raise FieldError("public_key", self._(
                "At most {limit} SSH keys can be registered. Revoke one you no longer use first."
            ).format(limit=MAX_KEYS_PER_CUSTOMER))
        if len(metadata) + 2 > METADATA_KEY_LIMIT:
            raise PortalError(self._(
                "This customer's metadata is full (at most {limit} entries); no room for another SSH key."
            ).format(limit=METADATA_KEY_LIMIT))
        try:
            other_owner = await find_customer_for_fingerprint(self.client, key.fingerprint)
        except billing_errors.StripeError as error:
            raise to_portal_error(error, self.translator) from error
        if other_owner is not None and other_owner != self.customer_id:
            # Never say whose: that would tell a stranger who owns a key they merely know.
            raise FieldError("public_key", self._(
                "This key is registered to another account. Use a different key."))
        registered = RegisteredKey(
            fingerprint=key.fingerprint,
            key_type=key.key_type,
            label=chosen_label,
            added=self._today().isoformat(),
        )
        await self._update(registration_entries(registered), idempotency_key)
        return registered

    async def revoke_key(self, fingerprint: str, *, idempotency_key: str | None = None) -> RegisteredKey:
        """Remove a key; from then on it logs nobody in (logins re-read the customer, not the search)."""
        wanted = normalize_fingerprint(fingerprint)
        customer = await self._customer()
        for item in registered_keys(customer.metadata):
            if item.fingerprint == wanted:
                await self._update({index_key(wanted): "", info_key(wanted): ""}, idempotency_key)
                return item
        raise NotFound(self._("No SSH key {fingerprint} is registered for this account.").format(
            fingerprint=wanted))
