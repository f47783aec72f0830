"""Redeeming coupons and promotion codes into `discount` objects (`di_...`).

Billing rules call `resolve_discount_sources` from subscription create/update (and previews); the
portal's "apply promotion code" ends up here. Validation order and errors (all HTTP 400,
`invalid_request_error`, `param` = the entry's field, e.g. `discounts[0][promotion_code]`):

| situation                                              | code             |
|--------------------------------------------------------|------------------|
| unknown coupon / promotion code / discount id          | resource_missing |
| coupon deleted, past `redeem_by`, or max_redemptions hit| coupon_expired   |
| promotion code inactive (`active=false`)                | coupon_expired   |
| promotion code past `expires_at`                        | coupon_expired   |
| promotion code at `max_redemptions`                     | coupon_expired   |
| promotion code restricted to another customer           | (none)           |
| `first_time_transaction` and the customer has paid      | (none)           |
| `minimum_amount` restriction on a subscription update   | (none)           |
| entry with none or several of coupon/promotion_code/discount | parameters_exclusive / parameter_missing |

Stripe's only documented code for "no longer redeemable" is `coupon_expired`, so it is used for every
exhausted/expired/inactive case; the message says which.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..rules.discounts import discount_end


def coupon_is_valid(ctx: Context, coupon: dict[str, Any]) -> bool:
    """Stripe's `valid`: not deleted, before redeem_by, and under max_redemptions."""
    if coupon.get("deleted"):
        return False
    if coupon.get("redeem_by") is not None and ctx.now > coupon["redeem_by"]:
        return False
    if coupon.get("max_redemptions") is not None and coupon.get("times_redeemed", 0) >= coupon["max_redemptions"]:
        return False
    return True


def promotion_code_is_active(ctx: Context, promo: dict[str, Any], coupon: dict[str, Any] | None = None) -> bool:
    """Effective `active`: the stored flag AND not expired AND not used up AND its coupon still valid."""
    if not promo.get("active"):
        return False
    if promo.get("expires_at") is not None and ctx.now >= promo["expires_at"]:
        return False
    if promo.get("max_redemptions") is not None and promo.get("times_redeemed", 0) >= promo["max_redemptions"]:
        return False
    if coupon is None:
        coupon = ctx.tx.get(promo["promotion"]["coupon"], "coupon", include_deleted=True)
    return coupon is not None and coupon_is_valid(ctx, coupon) and not ctx.tx.is_deleted(coupon["id"])


def check_promotion_code(
    ctx: Context, promo: dict[str, Any], *, customer: str | None, is_update: bool = False, param: str = "promotion_code",
) -> dict[str, Any]:
    """Raise the Stripe error a redemption of `promo` by `customer` would get; return its coupon."""
    code = promo["code"]
    coupon_id = promo["promotion"]["coupon"]
    coupon = ctx.tx.get(coupon_id, "coupon", include_deleted=True)
    if not promo.get("active"):
        raise errors.StripeError(f"This promotion code is inactive: '{code}'.", code="coupon_expired", param=param)
    if promo.get("expires_at") is not None and ctx.now >= promo["expires_at"]:
        raise errors.StripeError(f"This promotion code has expired: '{code}'.", code="coupon_expired", param=param)
    if promo.get("max_redemptions") is not None and promo.get("times_redeemed", 0) >= promo["max_redemptions"]:
        raise errors.StripeError(
            f"This promotion code has reached its maximum number of redemptions: '{code}'.",
            code="coupon_expired", param=param)
    if coupon is None or ctx.tx.is_deleted(coupon_id) or not coupon_is_valid(ctx, coupon):
        raise errors.StripeError(f"The coupon behind promotion code '{code}' is no longer redeemable.",
                                 code="coupon_expired", param=param)
    if promo.get("customer") and promo["customer"] != customer:
        raise errors.StripeError(f"This promotion code cannot be redeemed by this customer: '{code}'.", param=param)
    restrictions = promo.get("restrictions") or {}
    if restrictions.get("first_time_transaction") and customer and _has_prior_payments(ctx, customer):
        raise errors.StripeError(
            f"This promotion code cannot be redeemed because the associated customer has prior transactions: "
            f"'{code}'.", param=param)
    if restrictions.get("minimum_amount") and is_update:
        raise errors.StripeError(
            f"Promotion codes with a minimum amount restriction cannot be applied to subscription updates: "
            f"'{code}'.", param=param)
    return coupon


def check_coupon(ctx: Context, coupon_id: str, *, param: str = "coupon") -> dict[str, Any]:
    coupon = ctx.tx.get(coupon_id, "coupon", include_deleted=True)
    if coupon is None:
        raise errors.no_such("coupon", coupon_id, param=param)
    if ctx.tx.is_deleted(coupon_id) or not coupon_is_valid(ctx, coupon):
        raise errors.StripeError(f"This coupon is no longer redeemable: '{coupon_id}'.", code="coupon_expired",
                                 param=param)
    return coupon


def _has_prior_payments(ctx: Context, customer: str) -> bool:
    return ctx.tx.count("invoice", customer=customer,
                        where=[("json_extract(data, '$.amount_paid') > 0", ())]) > 0


def resolve_discount_sources(
    ctx: Context,
    customer: str | None,
    discounts_param: list[dict[str, Any]] | None,
    *,
    subscription: str | None = None,
    is_update: bool = False,
    param: str = "discounts",
) -> list[dict[str, Any]]:
    """Turn a validated `discounts` param into discount objects, in order.

    - `{"discount": "di_..."}` keeps an existing discount (must belong to this customer/subscription);
      it is not redeemed again.
    - `{"coupon": ID}` / `{"promotion_code": "promo_..."}` validate (see table above), create and save a
      new `di_...` (start=now, end for `repeating`), and increment `times_redeemed` on the coupon and
      the promotion code.
    Runs inside the caller's transaction, so a later failure rolls the redemption back too.
    Returns the discount documents (store their ids in e.g. `subscription.discounts`).
    """
    result: list[dict[str, Any]] = []
    seen_sources: set[str] = set()
    for index, entry in enumerate(discounts_param or []):
        entry_param = f"{param}[{index}]"
        given = [key for key in ("coupon", "promotion_code", "discount") if entry.get(key)]
        if not given:
            raise errors.missing(f"{entry_param}[coupon]")
        if len(given) > 1:
            raise errors.StripeError(
                f"You may only specify one of these parameters: {', '.join(given)}.",
                code="parameters_exclusive", param=f"{entry_param}[{given[1]}]")
        kind = given[0]
        if kind == "discount":
            discount = ctx.tx.get(entry["discount"], "discount")
            if discount is None or (customer and discount.get("customer") not in (None, customer)):
                raise errors.no_such("discount", entry["discount"], param=f"{entry_param}[discount]")
            result.append(discount)
            continue
        promo = None
        if kind == "promotion_code":
            promo = ctx.tx.get(entry["promotion_code"], "promotion_code")
            if promo is None:
                raise errors.no_such("promotion_code", entry["promotion_code"],
                                     param=f"{entry_param}[promotion_code]")
            coupon = check_promotion_code(ctx, promo, customer=customer, is_update=is_update,
                                          param=f"{entry_param}[promotion_code]")
        else:
            coupon = check_coupon(ctx, entry["coupon"], param=f"{entry_param}[coupon]")
        if coupon["id"] in seen_sources:
            raise errors.StripeError(f"The coupon '{coupon['id']}' was given more than once.",
                                     param=f"{entry_param}[{kind}]")
        seen_sources.add(coupon["id"])
        result.append(create_discount(ctx, coupon, promo, customer=customer, subscription=subscription))
    return result


def create_discount(ctx: Context, coupon: dict[str, Any], promo: dict[str, Any] | None, *,
                    customer: str | None, subscription: str | None = None,
                    invoice: str | None = None) -> dict[str, Any]:
    """Create and save a `discount`, counting one redemption of the coupon (and promotion code)."""
    discount = {
        "id": ctx.new_id("di_"),
        "object": "discount",
        "checkout_session": None,
        "customer": customer,
        "customer_account": None,
        "end": discount_end(coupon, ctx.now),
        "invoice": invoice,
        "invoice_item": None,
        "promotion_code": promo["id"] if promo else None,
        "source": {"coupon": coupon["id"], "type": "coupon"},
        "start": ctx.now,
        "subscription": subscription,
        "subscription_item": None,
    }
    ctx.save(discount, parent=subscription or invoice)
    coupon = dict(coupon)
    coupon["times_redeemed"] = int(coupon.get("times_redeemed") or 0) + 1
    ctx.save(coupon)
    if promo is not None:
        promo = dict(promo)
        promo["times_redeemed"] = int(promo.get("times_redeemed") or 0) + 1
        ctx.save(promo)
    return discount
