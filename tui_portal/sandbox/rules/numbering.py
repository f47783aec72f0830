"""Invoice numbers: `<customer invoice_prefix>-NNNN`.

Stripe gives every customer an 8-character uppercase prefix and numbers that customer's finalized
invoices 0001, 0002, ... (more digits once past 9999). The prefix is derived from the customer id
so seeding stays deterministic: the same customer id always gets the same prefix.
"""

from __future__ import annotations

import hashlib
import re

PREFIX_LENGTH = 8
_PREFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_PREFIX_PATTERN = re.compile(r"^[A-Z0-9]{3,12}$")


def invoice_prefix_for(customer_id: str) -> str:
    """A stable 8-character uppercase prefix for `customer_id` (letters first, like Stripe's)."""
    digest = hashlib.sha256(customer_id.encode("utf-8")).digest()
    characters = [_PREFIX_ALPHABET[digest[0] % 26]]  # start with a letter
    for byte in digest[1:PREFIX_LENGTH]:
        characters.append(_PREFIX_ALPHABET[byte % len(_PREFIX_ALPHABET)])
    return "".join(characters)


def is_valid_prefix(prefix: str) -> bool:
    """Stripe accepts 3-12 uppercase letters or digits as a customer's invoice prefix."""
    return bool(_PREFIX_PATTERN.match(prefix))


def format_invoice_number(prefix: str, sequence: int) -> str:
    """`ABCD1234-0007` for the 7th invoice of a customer."""
    if sequence < 1:
        raise ValueError("invoice sequence numbers start at 1")
    return f"{prefix}-{sequence:04d}"
