"""The portal configuration: Stripe's `billing_portal.configuration`, plus a `[tui]` section.

Why mirror Stripe's names exactly: a merchant can move settings between the Stripe dashboard, a
fetched `bpc_...` configuration and a local TOML file without translating anything. Defaults are the
Stripe dashboard's defaults (docs/portal-features.md section 1), so an empty file gives the portal a
merchant would get by switching Stripe's portal on.

Sources, in the order the start-up resolver tries them: a TOML file, a `bpc_...` id, the account's
default configuration, built-in defaults. Business name and brand colors come from the account
(`GET /v1/account`) when not configured.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from tui_portal.portal.errors import ConfigurationError

if TYPE_CHECKING:  # the billing models load with the client, not with the configuration schema
    from tui_portal.billing.models import BillingPortalConfiguration as StripePortalConfiguration

CustomerUpdateField = Literal["address", "email", "name", "phone", "shipping", "tax_id"]
CancellationReason = Literal[
    "customer_service",
    "low_quality",
    "missing_features",
    "other",
    "switched_service",
    "too_complex",
    "too_expensive",
    "unused",
]

CUSTOMER_UPDATE_FIELDS: tuple[CustomerUpdateField, ...] = ("address", "email", "name", "phone", "shipping", "tax_id")
# Stripe's dashboard default: name, email, billing address and phone on; shipping and tax IDs off.
DEFAULT_ALLOWED_UPDATES: tuple[CustomerUpdateField, ...] = ("email", "address", "phone", "name")
CANCELLATION_REASONS: tuple[CancellationReason, ...] = (
    "too_expensive",
    "missing_features",
    "switched_service",
    "unused",
    "customer_service",
    "too_complex",
    "low_quality",
    "other",
)
MAX_PAUSE_MONTHS = 36  # Stripe's longest pause: three years
BORDER_STYLES = (
    "ascii",
    "blank",
    "dashed",
    "double",
    "heavy",
    "hidden",
    "hkey",
    "inner",
    "none",
    "outer",
    "panel",
    "round",
    "solid",
    "tall",
    "thick",
    "vkey",
    "wide",
)


class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """Unknown keys are errors: a typo in a TOML file must not silently switch a feature off.

    msgspec Structs (as the billing models): ``forbid_unknown_fields`` is inherited; ``kw_only`` is
    not, and mypy wants ``frozen`` restated, so each subclass repeats both. Cross-field rules live in ``__post_init__``,
    which runs on ``parse_configuration`` and on direct construction alike; a ``ValueError`` there
    becomes a message naming the key.
    """


class _Lenient(msgspec.Struct, frozen=True, kw_only=True):
    """For objects fetched from Stripe: newer API versions add fields we do not use."""


# --- business profile -----------------------------------------------------------------------------


class BusinessProfile(_Strict, frozen=True, kw_only=True):
    headline: str | None = None  # None: "<business name> partners with Stripe to simplify billing."
    privacy_policy_url: str | None = None
    terms_of_service_url: str | None = None


# --- features -------------------------------------------------------------------------------------


class CustomerUpdate(_Strict, frozen=True, kw_only=True):
    enabled: bool = True
    allowed_updates: list[CustomerUpdateField] = msgspec.field(default_factory=lambda: list(DEFAULT_ALLOWED_UPDATES))


class InvoiceHistory(_Strict, frozen=True, kw_only=True):
    enabled: bool = True


class PaymentMethodUpdate(_Strict, frozen=True, kw_only=True):
    enabled: bool = True


class CancellationReasonSettings(_Strict, frozen=True, kw_only=True):
    enabled: bool = True
    options: list[CancellationReason] = msgspec.field(default_factory=lambda: list(CANCELLATION_REASONS))


class SubscriptionCancel(_Strict, frozen=True, kw_only=True):
    enabled: bool = True
    mode: Literal["at_period_end", "immediately"] = "at_period_end"
    proration_behavior: Literal["none", "create_prorations"] = "none"
    cancellation_reason: CancellationReasonSettings = msgspec.field(default_factory=CancellationReasonSettings)

    def __post_init__(self) -> None:
        # Stripe: create_prorations works only with mode=immediately (nothing prorates at a natural end).
        if self.proration_behavior == "create_prorations" and self.mode != "immediately":
            raise ValueError("proration_behavior 'create_prorations' requires mode 'immediately'")


class AdjustableQuantity(_Strict, frozen=True, kw_only=True):
    enabled: bool = False
    minimum: int = 1
    maximum: int = 99

    def __post_init__(self) -> None:
        if self.minimum < 0 or self.maximum < self.minimum:
            raise ValueError(f"adjustable_quantity bounds are inconsistent: minimum {self.minimum}, maximum {self.maximum}")


class UpdatableProduct(_Strict, frozen=True, kw_only=True):
    product: str
    prices: list[str] = msgspec.field(default_factory=list)
    adjustable_quantity: AdjustableQuantity = msgspec.field(default_factory=AdjustableQuantity)


class ScheduleCondition(_Strict, frozen=True, kw_only=True):
    type: Literal["decreasing_item_amount", "shortening_interval"]


class ScheduleAtPeriodEnd(_Strict, frozen=True, kw_only=True):
    conditions: list[ScheduleCondition] = msgspec.field(default_factory=list)

    def has(self, condition_type: str) -> bool:
        for condition in self.conditions:
            if condition.type == condition_type:
                return True
        return False


class SubscriptionUpdate(_Strict, frozen=True, kw_only=True):
    enabled: bool = False
    default_allowed_updates: list[Literal["price", "promotion_code", "quantity"]] = msgspec.field(default_factory=list)
    products: Annotated[list[UpdatableProduct], msgspec.Meta(max_length=10)] = msgspec.field(default_factory=list)
    proration_behavior: Literal["none", "create_prorations", "always_invoice"] = "none"
    schedule_at_period_end: ScheduleAtPeriodEnd = msgspec.field(default_factory=ScheduleAtPeriodEnd)
    billing_cycle_anchor: Literal["now", "unchanged"] | None = None
    trial_update_behavior: Literal["end_trial", "continue_trial"] = "end_trial"

    def product(self, product_id: str) -> UpdatableProduct | None:
        for entry in self.products:
            if entry.product == product_id:
                return entry
        return None

    def allows(self, update: str) -> bool:
        return self.enabled and update in self.default_allowed_updates


class SubscriptionPause(_Strict, frozen=True, kw_only=True):
    """Stripe's `features.subscription_pause` (off by default, as in Stripe). Only `enabled` is read:
    Stripe's `duration` belongs to its redesigned portal's `status=paused`, a different mechanism; the
    durations customers choose from are `[tui] pause_durations_months` (README "Pause and resume")."""

    enabled: bool = False


class Features(_Strict, frozen=True, kw_only=True):
    customer_update: CustomerUpdate = msgspec.field(default_factory=CustomerUpdate)
    invoice_history: InvoiceHistory = msgspec.field(default_factory=InvoiceHistory)
    payment_method_update: PaymentMethodUpdate = msgspec.field(default_factory=PaymentMethodUpdate)
    subscription_cancel: SubscriptionCancel = msgspec.field(default_factory=SubscriptionCancel)
    subscription_update: SubscriptionUpdate = msgspec.field(default_factory=SubscriptionUpdate)
    # issue 13: pause and resume
    subscription_pause: SubscriptionPause = msgspec.field(default_factory=SubscriptionPause)


# --- [tui] ------------------------------------------------------------------------------------------


class Branding(_Strict, frozen=True, kw_only=True):
    business_name: str | None = None  # None: the account's business name
    primary_color: str | None = None  # None: account settings.branding.primary_color
    secondary_color: str | None = None
    border: str = "round"
    logo: str | None = None  # ASCII art, shown literally

    def __post_init__(self) -> None:
        if self.border not in BORDER_STYLES:
            raise ValueError(f"border: unknown border {self.border!r}; choose one of {', '.join(BORDER_STYLES)}")
        for name, value in (("primary_color", self.primary_color), ("secondary_color", self.secondary_color)):
            if value is None:
                continue
            digits = value[1:] if value.startswith("#") else ""
            if len(digits) not in (3, 6) or any(c not in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError(f"{name}: colors are written like '#2F6FEB', got {value!r}")


# --- issue 13: the retention ladder ----------------------------------------------------------------

RetentionOfferKind = Literal["pause", "price", "coupon"]
RETENTION_OFFER_KINDS: tuple[RetentionOfferKind, ...] = ("pause", "price", "coupon")
_RETENTION_FIELD: dict[str, str] = {"pause": "months", "price": "price", "coupon": "coupon"}  # kind -> its field


class RetentionOffer(_Strict, frozen=True, kw_only=True):
    """One rung of the retention ladder: `type` and the one field that kind needs.

    `pause` pauses collection for `months`; `price` switches to the cheaper price `price`; `coupon`
    applies the coupon `coupon`. A field that belongs to another kind is an error, so a rung never
    carries a value that silently does nothing.
    """

    type: RetentionOfferKind
    months: int | None = None  # pause
    price: str | None = None  # price
    coupon: str | None = None  # coupon

    def __post_init__(self) -> None:
        needed = _RETENTION_FIELD[self.type]
        for kind, name in _RETENTION_FIELD.items():
            value = getattr(self, name)
            if name == needed and value in (None, ""):
                raise ValueError(f"{name}: a '{self.type}' offer needs {name}")
            if name != needed and value is not None:
                raise ValueError(f"{name}: only a '{kind}' offer takes {name}, this one is '{self.type}'")


class TuiSettings(_Strict, frozen=True, kw_only=True):
    # --- issue 13: the retention ladder (see `retention_ladder`) ---
    # The offers shown, in order, before a cancel completes. Each one only where it can help.
    retention_offers: list[RetentionOffer] = msgspec.field(default_factory=list)
    # Short form of a one-rung ladder, `retention_offers = [{type = "coupon", coupon = ...}]`; None: no
    # offer. Setting both is an error (which one wins would be a guess).
    retention_coupon: str | None = None
    # --- end of the retention ladder ---
    ssh_keys: bool = True  # customers manage the SSH keys they log in with; off where nobody uses `ssh`
    locale: str = "en"  # used when the customer has no preferred_locales
    theme: Literal["dark", "light"] = "dark"
    branding: Branding = msgspec.field(default_factory=Branding)
    # issue 13, usage view: the screen showing metered items' usage and its cost so far. Shown only to
    # customers with a metered item; switch off to hide it from everyone (e.g. while usage data is
    # being migrated). (On a Stripe configuration: metadata.tui_usage = "false".)
    usage: bool = True

    # --- issue 13: pause and resume (on with `features.subscription_pause.enabled`) ---
    # The pause lengths a customer chooses from, in months counted from the end of the period already
    # paid for (Stripe's limit: three years).
    pause_durations_months: list[int] = msgspec.field(default_factory=lambda: [1, 2, 3])
    # What happens to the invoices of renewals while paused (Stripe's `pause_collection[behavior]`):
    # "void" (default: a clean break, nothing owed later), "mark_uncollectible" (kept as bad debt the
    # customer may still pay), "keep_as_draft" (drafts the business may collect later).
    pause_behavior: Literal["void", "mark_uncollectible", "keep_as_draft"] = "void"

    def __post_init__(self) -> None:
        months = self.pause_durations_months
        if not months:
            raise ValueError("pause_durations_months: list at least one duration, e.g. [1, 2, 3]")
        for value in months:
            if not 1 <= value <= MAX_PAUSE_MONTHS:
                raise ValueError(f"pause_durations_months: each duration is 1 to {MAX_PAUSE_MONTHS} months, got {value}")
        if len(set(months)) != len(months):
            raise ValueError("pause_durations_months: a duration is listed twice")
        if self.retention_offers and self.retention_coupon is not None:
            raise ValueError(
                "retention_coupon: is the short form of a one-rung retention_offers; set one of them, not both "
                "(add the coupon to retention_offers as {type = \"coupon\", coupon = \"...\"})"
            )
        seen: set[str] = set()
        for offer in self.retention_offers:
            if offer.type in seen:
                raise ValueError(f"retention_offers: more than one '{offer.type}' offer (at most one of each kind)")
            seen.add(offer.type)
            if offer.months is not None and offer.months not in months:
                # The ladder's pause is one the customer could choose on the pause screen too.
                raise ValueError(
                    f"retention_offers: a pause offer of {offer.months} months must be one of pause_durations_months "
                    f"({', '.join(str(value) for value in months)})"
                )

    @property
    def retention_ladder(self) -> tuple[RetentionOffer, ...]:
        """The offers in the order the cancel flow shows them: `retention_offers`, or the short form
        `retention_coupon` as a one-rung ladder. The one place the two spellings meet."""
        if self.retention_offers:
            return tuple(self.retention_offers)
        if self.retention_coupon:
            return (RetentionOffer(type="coupon", coupon=self.retention_coupon),)
        return ()

    def retention_rung(self, kind: str) -> RetentionOffer | None:
        """The ladder's offer of this kind, if it has one."""
        for offer in self.retention_ladder:
            if offer.type == kind:
                return offer
        return None

    # --- issue 13: multi-item subscriptions (add-ons) ---
    # Prices a customer may add to a subscription as an extra item ("Extra storage", "Priority
    # support"), and the only items the portal lets a customer remove. Stripe's portal has no such
    # list (it leaves multi-item subscriptions cancel-only). Each must be a recurring, licensed price;
    # it is offered only to subscriptions with its currency and interval. List the add-on's product
    # under `features.subscription_update.products` too to let its quantity (`adjustable_quantity`)
    # or its price (the product's `prices`) change; those prices are never offered as a plan switch.
    # On a Stripe configuration: metadata.tui_add_on_prices = "price_a,price_b".
    add_on_prices: list[str] = msgspec.field(default_factory=list)


# --- the whole configuration ------------------------------------------------------------------------


class PortalConfiguration(_Strict, frozen=True, kw_only=True):
    """The complete portal configuration (Stripe names, plus `tui`)."""

    id: str | None = None  # bpc_... when it came from Stripe
    business_profile: BusinessProfile = msgspec.field(default_factory=BusinessProfile)
    default_return_url: str | None = None
    features: Features = msgspec.field(default_factory=Features)
    tui: TuiSettings = msgspec.field(default_factory=TuiSettings)

    def with_account_defaults(
        self, business_name: str | None, primary_color: str | None, secondary_color: str | None
    ) -> PortalConfiguration:
        """Fill business name and colors from the account where the configuration leaves them unset."""
        branding = self.tui.branding
        updates: dict[str, Any] = {}
        if branding.business_name is None and business_name:
            updates["business_name"] = business_name
        if branding.primary_color is None and primary_color:
            updates["primary_color"] = primary_color
        if branding.secondary_color is None and secondary_color:
            updates["secondary_color"] = secondary_color
        if not updates:
            return self
        new_branding = msgspec.structs.replace(branding, **updates)
        new_tui = msgspec.structs.replace(self.tui, branding=new_branding)
        return msgspec.structs.replace(self, tui=new_tui)


def default_configuration() -> PortalConfiguration:
    """Stripe's dashboard defaults."""
    return PortalConfiguration()


_ERROR_AT = re.compile(r"^(?P<message>.*) - at `\$(?P<path>[^`]*)`$", re.S)
_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `(?P<name>[^`]*)`$")


def _describe_validation_error(error: msgspec.ValidationError, source: str) -> str:
    """msgspec's "Object contains unknown field `enabeld` - at `$.features.subscription_cancel`" as
    "unknown key 'features.subscription_cancel.enabeld'" (TOML's dotted names, list indexes as
    ``.0``). msgspec stops at the first problem, so one is reported per attempt."""
    text = str(error)
    matched = _ERROR_AT.match(text)
    message, path = (matched["message"], matched["path"]) if matched else (text, "")
    location = re.sub(r"\[(\d+)\]", r".\1", path).lstrip(".")
    field_problem = re.match(r"^(?P<name>[a-z_]+): (?P<message>.*)$", message, re.S)
    if field_problem:  # a __post_init__ rule about one field: name that field, not its table
        location = f"{location}.{field_problem['name']}" if location else field_problem["name"]
        message = field_problem["message"]
    unknown = _UNKNOWN_FIELD.match(message)
    if unknown:
        key = f"{location}.{unknown['name']}" if location else unknown["name"]
        return f"Invalid portal configuration in {source}: unknown key '{key}'"
    return f"Invalid portal configuration in {source}: '{location}': {message}"


def parse_configuration(data: dict[str, Any], source: str = "configuration") -> PortalConfiguration:
    """Validate a configuration mapping (as read from TOML); errors name the offending key.

    The same file may hold a `[connection]` table (API base, customer, profile): that belongs to the
    settings loader (`tui_portal.settings`), which checks it, so it is skipped here.
    """
    portal_tables = {name: value for name, value in data.items() if name != "connection"}
    try:
        return msgspec.convert(portal_tables, type=PortalConfiguration)
    except msgspec.ValidationError as error:
        raise ConfigurationError(_describe_validation_error(error, source)) from None


def load_configuration_file(path: str | Path) -> PortalConfiguration:
    """Read a TOML configuration file (see portal.example.toml)."""
    import tomllib  # here, not at import: the portal's start reads its TOML through settings.py

    file_path = Path(path)
    try:
        with file_path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigurationError(f"Portal configuration file not found: {file_path}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"Portal configuration file {file_path} is not valid TOML: {error}") from None
    return parse_configuration(data, str(file_path))


# --- from a Stripe billing_portal.configuration ------------------------------------------------------


class _StripeAdjustableQuantity(_Lenient, frozen=True, kw_only=True):
    enabled: bool = False
    minimum: int | None = None
    maximum: int | None = None


class _StripeProduct(_Lenient, frozen=True, kw_only=True):
    product: str
    prices: list[str] = msgspec.field(default_factory=list)
    adjustable_quantity: _StripeAdjustableQuantity | None = None


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, msgspec.Struct):  # a billing model
        built: dict[str, Any] = msgspec.to_builtins(value)
        return built
    return dict(value)


def _only(mapping: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """Keep the keys we model; drop nulls so our defaults apply."""
    result: dict[str, Any] = {}
    for key in keys:
        if mapping.get(key) is not None:
            result[key] = mapping[key]
    return result


def from_stripe(stripe_configuration: StripePortalConfiguration | dict[str, Any]) -> PortalConfiguration:
    """Build our configuration from a fetched `billing_portal.configuration` (model or dict).

    Stripe stores no retention coupon on the configuration; we read it from
    `metadata.tui_retention_coupon` (and optional `metadata.tui_locale`, `metadata.tui_ssh_keys`).
    """
    raw = _as_dict(stripe_configuration)
    features = _as_dict(raw.get("features"))

    customer_update = _only(_as_dict(features.get("customer_update")), ("enabled", "allowed_updates"))
    invoice_history = _only(_as_dict(features.get("invoice_history")), ("enabled",))
    payment_method_update = _only(_as_dict(features.get("payment_method_update")), ("enabled",))

    cancel_raw = _as_dict(features.get("subscription_cancel"))
    cancel = _only(cancel_raw, ("enabled", "mode", "proration_behavior"))
    reason_raw = _as_dict(cancel_raw.get("cancellation_reason"))
    if reason_raw:
        cancel["cancellation_reason"] = _only(reason_raw, ("enabled", "options"))

    update_raw = _as_dict(features.get("subscription_update"))
    update = _only(
        update_raw,
        ("enabled", "default_allowed_updates", "proration_behavior", "billing_cycle_anchor", "trial_update_behavior"),
    )
    products = []
    for product_raw in update_raw.get("products") or []:
        product = msgspec.convert(_as_dict(product_raw), type=_StripeProduct, strict=False)
        entry: dict[str, Any] = {"product": product.product, "prices": list(product.prices)}
        quantity = product.adjustable_quantity
        if quantity is not None:
            bounds: dict[str, Any] = {"enabled": quantity.enabled}
            if quantity.minimum is not None:
                bounds["minimum"] = quantity.minimum
            if quantity.maximum is not None:
                bounds["maximum"] = quantity.maximum
            entry["adjustable_quantity"] = bounds
        products.append(entry)
    update["products"] = products
    schedule_raw = _as_dict(update_raw.get("schedule_at_period_end"))
    conditions = []
    for condition in schedule_raw.get("conditions") or []:
        conditions.append({"type": _as_dict(condition).get("type")})
    update["schedule_at_period_end"] = {"conditions": conditions}

    pause = _only(_as_dict(features.get("subscription_pause")), ("enabled",))

    metadata = raw.get("metadata") or {}
    tui: dict[str, Any] = {}
    if metadata.get("tui_retention_coupon"):
        tui["retention_coupon"] = metadata["tui_retention_coupon"]
    if metadata.get("tui_locale"):
        tui["locale"] = metadata["tui_locale"]
    if metadata.get("tui_add_on_prices"):
        # Metadata values are strings: the add-on price ids separated by commas.
        tui["add_on_prices"] = [part.strip() for part in metadata["tui_add_on_prices"].split(",") if part.strip()]
    if metadata.get("tui_ssh_keys"):
        # Metadata values are strings; anything but "false" keeps the default (on).
        tui["ssh_keys"] = metadata["tui_ssh_keys"].strip().lower() != "false"
    if metadata.get("tui_usage"):
        tui["usage"] = metadata["tui_usage"].strip().lower() != "false"

    data: dict[str, Any] = {
        "id": raw.get("id"),
        "business_profile": _only(
            _as_dict(raw.get("business_profile")), ("headline", "privacy_policy_url", "terms_of_service_url")
        ),
        "default_return_url": raw.get("default_return_url"),
        "features": {
            "customer_update": customer_update,
            "invoice_history": invoice_history,
            "payment_method_update": payment_method_update,
            "subscription_cancel": cancel,
            "subscription_update": update,
            "subscription_pause": pause,
        },
        "tui": tui,
    }
    return parse_configuration(data, f"Stripe configuration {raw.get('id') or ''}".strip())
