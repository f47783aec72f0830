"""Param declarations and small builders shared by several endpoint modules."""

from __future__ import annotations

from ..engine.common import ADDRESS_FIELDS
from ..params import Array, Hash, Str

ADDRESS = Hash({name: Str(clearable=True) for name in ADDRESS_FIELDS}, clearable=True)


DISCOUNT_ENTRY = Hash({"coupon": Str(), "promotion_code": Str(), "discount": Str()})


# Declare `"discounts": DISCOUNTS_PARAM` in a route; `discounts=` (empty) arrives as None = remove all.
DISCOUNTS_PARAM = Array(DISCOUNT_ENTRY, clearable=True, max_items=20)
