"""Param declarations and small builders shared by several endpoint modules."""

from __future__ import annotations

from typing import Any

from ..engine.common import ADDRESS_FIELDS
from ..params import Array, Enum, Hash, Str

# The address may be cleared as a whole (`address=`); one field may not (`address[line2]=` is
# `parameter_invalid_empty`, as the stripe package's plain-string fields say): a field left out of
# the hash is null, since an address is replaced whole.
ADDRESS = Hash({name: Str() for name in ADDRESS_FIELDS}, clearable=True)

# On the wire (API 2026-10-28) a subscription update's anchor is a hash,
# `billing_cycle_anchor[type]=now`; the engine reads its type. (`type=timestamp` exists only for
# previews of new subscriptions, which the sandbox does not offer.)
ANCHOR = Hash({"type": Enum("now", "unchanged", required=True)})


def anchor_type(params: dict[str, Any]) -> dict[str, Any]:
    anchor = params.get("billing_cycle_anchor")
    return {**params, "billing_cycle_anchor": anchor["type"]} if anchor is not None else params


DISCOUNT_ENTRY = Hash({"coupon": Str(), "promotion_code": Str(), "discount": Str()})


# Declare `"discounts": DISCOUNTS_PARAM` in a route; `discounts=` (empty) arrives as None = remove all.
DISCOUNTS_PARAM = Array(DISCOUNT_ENTRY, clearable=True, max_items=20)
