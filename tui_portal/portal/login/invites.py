"""Invite codes: how a customer whose SSH key nobody registered yet gets into their portal.

The terminal counterpart of a Stripe portal session link: the business hands the customer a
one-time code (`tui-portal ssh invite`, or its own backend writing the same metadata); the customer
connects with any key, types the code, and that key is registered to the code's customer.

Why in the customer's metadata: every SSH host behind a load balancer must see the invite, and the
billing backend is the one store they already share (the key registry lives there too). Only a hash
is stored, never the code. Layout, two entries per invite (Stripe: keys <= 40 characters, values
<= 500, at most 50 entries per customer):

    tui_inv_<ID>      = "<ID>"                                   (the index: searchable by exact value)
    tui_invinfo_<ID>  = "v1|<expires, Unix seconds>|<failed attempts>|<sha256 hex of '<ID>:<SECRET>'>"

A code is `<ID>-<SECRET>`, both in Crockford's base32 (0-9 and A-Z without I, L, O, U): an ID of 8
characters that locates the invite (a customer search on its index entry) and a secret of 12
characters (60 bits) checked by comparing hashes in constant time. The secret is printed in groups of
four for typing; hyphens and spaces are ignored, case does not matter, and I/L/O read as 1/1/0.

Guessing is hopeless: 2^60 secrets, `MAX_FAILURES` wrong secrets lock the invite (the right code
is refused from then on), invites expire, and the SSH side limits attempts per connection.

Search is eventually consistent on real Stripe: a new invite can take about a minute to be found.
The failure counter is a read-modify-write of one metadata value: two hosts failing at the same
instant can count one failure instead of two (the per-connection limit still holds).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui_portal.billing import errors as billing_errors
from tui_portal.portal.error_mapping import to_portal_error
from tui_portal.portal.errors import NotFound, PortalError
from tui_portal.portal.i18n import Translator
from tui_portal.portal.login.key_registry import (
    MAX_KEYS_PER_CUSTOMER,
    METADATA_KEY_LIMIT,
    PublicKey,
    RegisteredKey,
    customers_holding_fingerprint,
    parse_public_key,
    registered_keys,
    registration_entries,
)

if TYPE_CHECKING:
    from tui_portal.billing import StripeClient
    from tui_portal.billing.models import Customer

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base32: no I, L, O or U, so a code read aloud or off paper is hard to mistype."""
ID_CHARS = 8
SECRET_CHARS = 12
SECRET_BITS = SECRET_CHARS * 5
INDEX_PREFIX = "tui_inv_"
STATE_PREFIX = "tui_invinfo_"
FORMAT_VERSION = "v1"
MAX_FAILURES = 5
"""Wrong secrets an invite survives; then it is locked (even the right code is refused)."""
MAX_OPEN_INVITES = 5
DEFAULT_TTL_HOURS = 72
MAX_TTL_HOURS = 24 * 30

_READ_AS = str.maketrans("ILO", "110")
_SEPARATORS_RE = re.compile(r"[\s\-]+")
_STATE_RE = re.compile(r"^v1\|(\d{1,12})\|(\d{1,4})\|([0-9a-f]{64})$")


@dataclass(frozen=True)
class InviteCode:
    """A code as the customer types it. The secret never appears in a repr (and so in no log)."""

    invite_id: str
    secret: str = field(repr=False)

    def display(self) -> str:
        groups = [self.secret[start : start + 4] for start in range(0, len(self.secret), 4)]
        return "-".join([self.invite_id, *groups])

    def digest(self) -> str:
        return code_digest(self.invite_id, self.secret)


def code_digest(invite_id: str, secret: str) -> str:
    """What is stored: SHA-256 (hex) of `<ID>:<SECRET>`, both upper case, no separators.

    A plain hash suffices (no salt, no slow hash): the secret has 60 random bits, not a password's few.
    """
    return hashlib.sha256(f"{invite_id}:{secret}".encode("ascii")).hexdigest()


def new_code() -> InviteCode:
    def draw(count: int) -> str:
        return "".join(secrets.choice(ALPHABET) for _ in range(count))

    return InviteCode(draw(ID_CHARS), draw(SECRET_CHARS))


def parse_code(text: str) -> InviteCode | None:
    """The code in what the customer typed, or None when it cannot be one (wrong length or letters)."""
    cleaned = _SEPARATORS_RE.sub("", text).upper().translate(_READ_AS)
    if len(cleaned) != ID_CHARS + SECRET_CHARS or any(character not in ALPHABET for character in cleaned):
        return None
    return InviteCode(cleaned[:ID_CHARS], cleaned[ID_CHARS:])


@dataclass(frozen=True)
class Invite:
    """One open invite as stored (the hash only)."""

    invite_id: str
    expires_at: int
    failures: int
    digest: str = field(repr=False)

    def expired(self, now: float) -> bool:
        return self.expires_at <= now

    @property
    def locked(self) -> bool:
        return self.failures >= MAX_FAILURES


def index_key(invite_id: str) -> str:
    return INDEX_PREFIX + invite_id


def state_key(invite_id: str) -> str:
    return STATE_PREFIX + invite_id


def state_value(invite: Invite) -> str:
    return f"{FORMAT_VERSION}|{invite.expires_at}|{invite.failures}|{invite.digest}"


def invite_entries(invite: Invite) -> dict[str, str]:
    return {index_key(invite.invite_id): invite.invite_id, state_key(invite.invite_id): state_value(invite)}


def removal_entries(invite_id: str) -> dict[str, str]:
    """Metadata set to "" is deleted (Stripe's rule, and the sandbox's)."""
    return {index_key(invite_id): "", state_key(invite_id): ""}


def search_query(invite_id: str) -> str:
    return f"metadata['{index_key(invite_id)}']:'{invite_id}'"


def invites_in(metadata: dict[str, Any] | None) -> list[Invite]:
    """The well-formed invites in a customer's metadata (anything damaged is ignored, never trusted)."""
    found: list[Invite] = []
    for name, value in (metadata or {}).items():
        if not name.startswith(INDEX_PREFIX) or not isinstance(value, str) or name != index_key(value):
            continue
        if len(value) != ID_CHARS or any(character not in ALPHABET for character in value):
            continue
        match = _STATE_RE.match(str((metadata or {}).get(state_key(value)) or ""))
        if match is None:
            continue
        found.append(Invite(value, int(match.group(1)), int(match.group(2)), match.group(3)))
    found.sort(key=lambda invite: (invite.expires_at, invite.invite_id))
    return found


class InviteRefused(PortalError):
    """A code that does not let this key in. `reason` is for logs; `user_message` for the customer.

    Reasons: malformed, unknown (no such invite, or used up), wrong_code, locked, expired,
    key_taken (the key belongs to another customer), no_room (the customer cannot take another key).
    """

    def __init__(self, reason: str, user_message: str, *, customer_id: str | None = None, invite_id: str | None = None) -> None:
        super().__init__(user_message)
        self.reason = reason
        self.customer_id = customer_id
        self.invite_id = invite_id


@dataclass(frozen=True)
class Redeemed:
    customer_id: str
    invite_id: str
    key: RegisteredKey


class InviteStore:
    """Create and redeem invites. One instance per command or connection; it holds no state.

    Messages are English, not translated: the prompt runs before the key belongs to a customer,
    so there is no customer whose language to use (and the operator's CLI is English throughout).
    """

    def __init__(
        self,
        client: StripeClient,
        *,
        translator: Translator | None = None,
        now: Callable[[], float] | None = None,
    ) -> None:
        self.client = client
        self.translator = translator or Translator()
        self._now = now or time.time

    async def _update(self, customer_id: str, metadata: dict[str, str]) -> None:
        try:
            await self.client.customers.update(customer_id, metadata=metadata, idempotency_key=secrets.token_hex(16))
        except billing_errors.StripeError as error:
            raise to_portal_error(error, self.translator) from error

    async def _customer(self, customer_id: str) -> Customer:
        try:
            customer = await self.client.customers.retrieve(customer_id)
        except billing_errors.InvalidRequestError as error:
            if error.code == "resource_missing":
                raise NotFound(("There is no customer {customer}.").format(customer=customer_id)) from error
            raise to_portal_error(error, self.translator) from error
        except billing_errors.StripeError as error:
            raise to_portal_error(error, self.translator) from error
        if customer.deleted:
            raise NotFound(("Customer {customer} has been deleted.").format(customer=customer_id))
        return customer

    async def create(self, customer_id: str, ttl_hours: float = DEFAULT_TTL_HOURS) -> tuple[InviteCode, Invite]:
        """A new invite for the customer; expired invites of that customer are removed on the way."""
        if not 0 < ttl_hours <= MAX_TTL_HOURS:
            raise PortalError(("An invite is valid for more than 0 and at most {limit} hours.").format(
                limit=MAX_TTL_HOURS))
        customer = await self._customer(customer_id)
        metadata = dict(customer.metadata or {})
        now = self._now()
        changes: dict[str, str] = {}
        open_invites = []
        for invite in invites_in(metadata):
            if invite.expired(now):
                changes.update(removal_entries(invite.invite_id))
            else:
                open_invites.append(invite)
        if len(open_invites) >= MAX_OPEN_INVITES:
            raise PortalError((
                "This customer already has {count} open invites; wait until one is used or expires."
            ).format(count=len(open_invites)))
        remaining = sum(1 for name in metadata if name not in changes)
        if remaining + 2 > METADATA_KEY_LIMIT:
            raise PortalError((
                "This customer's metadata is full (at most {limit} entries); no room for an invite."
            ).format(limit=METADATA_KEY_LIMIT))
        code = new_code()
        invite = Invite(code.invite_id, int(now + ttl_hours * 3600), 0, code.digest())
        changes.update(invite_entries(invite))
        await self._update(customer_id, changes)
        return code, invite

    async def _candidates(self, invite_id: str) -> list[tuple[Customer, Invite]]:
        """Customers holding this invite id, re-read (search only nominates; it may lag or be stale)."""
        found: list[tuple[Customer, Invite]] = []
        try:
            async for candidate in self.client.customers.search(query=search_query(invite_id), limit=10):
                customer = await self.client.customers.retrieve(candidate.id)
                if customer.deleted:
                    continue
                for invite in invites_in(customer.metadata):
                    if invite.invite_id == invite_id:
                        found.append((customer, invite))
        except billing_errors.StripeError as error:
            raise to_portal_error(error, self.translator) from error
        return found

    async def redeem(self, code_text: str, public_key_text: str) -> Redeemed:
        """Register the key to the invite's customer and use the invite up, in one metadata update.

        Refusals change nothing except: a wrong secret counts a failure on the invite (locking it at
        `MAX_FAILURES`), and an expired invite is deleted.
        """
        code = parse_code(code_text)
        if code is None:
            raise InviteRefused("malformed", (
                "That is not an invite code. A code looks like 7KQ2MZ4D-X9R2-TW5B-H3NC."))
        key = parse_public_key(public_key_text)
        candidates = await self._candidates(code.invite_id)
        if not candidates:
            raise InviteRefused("unknown", (
                "This invite code is not valid, or it has been used already."), invite_id=code.invite_id)
        digest = code.digest()
        matching = [(customer, invite) for customer, invite in candidates if hmac.compare_digest(invite.digest, digest)]
        now = self._now()
        if not matching:
            # Two open invites share an id only by chance (40 random bits): the oldest one counts it.
            customer, invite = candidates[0]
            await self._refuse_wrong_or_stale(customer.id, invite, now, wrong=True)
        customer, invite = matching[0]
        await self._refuse_wrong_or_stale(customer.id, invite, now, wrong=False)
        return await self._register(customer, invite, key)

    async def _refuse_wrong_or_stale(self, customer_id: str, invite: Invite, now: float, *, wrong: bool) -> None:
        """Raise for an expired (then deleted), locked or wrong invite; return when it may be used."""
        if invite.expired(now):
            await self._update(customer_id, removal_entries(invite.invite_id))
            raise InviteRefused("expired", (
                "This invite code has expired. Ask for a new one."), customer_id=customer_id, invite_id=invite.invite_id)
        if invite.locked:
            raise InviteRefused("locked", (
                "This invite code is locked after too many wrong attempts. Ask for a new one."),
                customer_id=customer_id, invite_id=invite.invite_id)
        if not wrong:
            return
        counted = Invite(invite.invite_id, invite.expires_at, invite.failures + 1, invite.digest)
        await self._update(customer_id, {state_key(invite.invite_id): state_value(counted)})
        if counted.locked:
            raise InviteRefused("wrong_code", (
                "That code is not right. The invite is now locked; ask for a new one."),
                customer_id=customer_id, invite_id=invite.invite_id)
        raise InviteRefused("wrong_code", (
            "That code is not right. Check it and try again."), customer_id=customer_id, invite_id=invite.invite_id)

    async def _register(self, customer: Customer, invite: Invite, key: PublicKey) -> Redeemed:
        refused = {"customer_id": customer.id, "invite_id": invite.invite_id}
        try:
            owners = await customers_holding_fingerprint(self.client, key.fingerprint)
        except billing_errors.StripeError as error:
            raise to_portal_error(error, self.translator) from error
        if any(owner != customer.id for owner in owners):
            # Never say whose: the invite holder may not know the key's owner. The invite stays usable.
            raise InviteRefused("key_taken", (
                "This SSH key is registered to another account, so it cannot be added to this one. "
                "Connect with a different key; your invite code has not been used."), **refused)
        metadata = dict(customer.metadata or {})
        keys = registered_keys(metadata)
        already = any(item.fingerprint == key.fingerprint for item in keys)
        if not already and len(keys) >= MAX_KEYS_PER_CUSTOMER:
            raise InviteRefused("no_room", (
                "This account already has {limit} SSH keys; ask the account owner to revoke one first."
            ).format(limit=MAX_KEYS_PER_CUSTOMER), **refused)
        registered = RegisteredKey(
            fingerprint=key.fingerprint,
            key_type=key.key_type,
            label=f"enrolled with invite {invite.invite_id}",
            added=dt.datetime.fromtimestamp(self._now(), dt.timezone.utc).date().isoformat(),
        )
        changes = removal_entries(invite.invite_id)
        if not already:
            changes.update(registration_entries(registered))
        await self._update(customer.id, changes)
        return Redeemed(customer.id, invite.invite_id, registered)
