"""Errors the portal layer raises, each with a message a customer can read.

Why typed errors: screens decide *where* to show a problem (next to a field, in a banner, as a
"retry" prompt) by its type, and never have to parse Stripe's error objects. The billing client's
`request_id` is kept so support can find the failed request in Stripe's logs.
"""

from __future__ import annotations


class PortalError(Exception):
    """Base class. `user_message` is already translated; `field` names a form field if one is at fault."""

    def __init__(self, user_message: str, field: str | None = None, *, request_id: str | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.field = field
        self.request_id = request_id

    def __str__(self) -> str:
        return self.user_message


class FeatureDisabled(PortalError):
    """The portal configuration switches this action off (raised even if a screen calls it anyway)."""


class NotYourObject(PortalError):
    """The object (subscription, card, invoice, tax ID...) does not belong to this portal's customer."""


class NotFound(PortalError):
    """The object does not exist (or no longer exists)."""


class FieldError(PortalError):
    """One form field is invalid. `errors` lets forms treat single and multiple problems alike."""

    def __init__(self, field: str, user_message: str, *, request_id: str | None = None) -> None:
        super().__init__(user_message, field, request_id=request_id)

    @property
    def errors(self) -> tuple[FieldError, ...]:
        return (self,)


class InvalidFields(FieldError):
    """Several fields of one form are invalid; `errors` holds one `FieldError` per field."""

    def __init__(self, errors: tuple[FieldError, ...] | list[FieldError]) -> None:
        if not errors:
            raise ValueError("InvalidFields needs at least one FieldError")
        self._errors = tuple(errors)
        first = self._errors[0]
        message = "\n".join(error.user_message for error in self._errors)
        super().__init__(first.field or "", message, request_id=first.request_id)

    @property
    def errors(self) -> tuple[FieldError, ...]:
        return self._errors


class PlanChangeBlocked(PortalError):
    """The plan cannot be changed here (merchant-made schedule, multi-item subscription, canceled...)."""


class QuantityOutOfRange(FieldError):
    """The requested quantity is outside the product's adjustable_quantity bounds."""

    def __init__(self, user_message: str, minimum: int, maximum: int) -> None:
        super().__init__("quantity", user_message)
        self.minimum = minimum
        self.maximum = maximum


class PromotionCodeInvalid(FieldError):
    """The promotion code cannot be used (unknown, expired, used up, for someone else...)."""

    def __init__(self, user_message: str, reason: str) -> None:
        super().__init__("promotion_code", user_message)
        self.reason = reason  # unknown | inactive | expired | used_up | other_customer | restricted


class PaymentError(PortalError):
    """A card was declined or a payment could not be taken."""


class ActionNotAllowed(PortalError):
    """The action does not fit the object's state (e.g. removing the only card of an active plan)."""


class ServiceUnavailable(PortalError):
    """The billing service could not be reached or failed; the same action may be retried safely."""


class ConfigurationError(PortalError):
    """The portal configuration (TOML file or Stripe configuration) is invalid."""
