"""Portal layer: the use-cases screens call (no Textual, no HTTP here).

    from tui_portal.portal import PortalService, resolve_configuration, Action, errors, views

- `PortalService(customer_id, client, configuration, is_sandbox=...)`: one per customer; see service.py.
- `resolve_configuration(client, path=..., configuration_id=...)`: TOML file, `bpc_...`, the account's
  default configuration, or Stripe's defaults; fills business name and colors from the account.
- `Translator`: one per app instance; screens use `service.translator.gettext` as `_`.
- `views`: the frozen dataclasses screens render; `errors`: `PortalError` and subclasses.
"""

from tui_portal.portal import errors, views
from tui_portal.portal._cancellation import RETENTION_OFFER_MADE_KEY
from tui_portal.portal.configuration import (
    PortalConfiguration,
    default_configuration,
    from_stripe,
    load_configuration_file,
)
from tui_portal.portal.errors import (
    ActionNotAllowed,
    ConfigurationError,
    FeatureDisabled,
    FieldError,
    InvalidFields,
    NotFound,
    NotYourObject,
    PaymentError,
    PlanChangeBlocked,
    PortalError,
    PromotionCodeInvalid,
    QuantityOutOfRange,
    ServiceUnavailable,
)
from tui_portal.portal.i18n import Translator, choose_locale
from tui_portal.portal.resolve import resolve_configuration
from tui_portal.portal.service import PortalService
from tui_portal.portal.views import Action, AddressInput, ShippingInput

__all__ = [
    "RETENTION_OFFER_MADE_KEY",
    "Action",
    "ActionNotAllowed",
    "AddressInput",
    "ConfigurationError",
    "FeatureDisabled",
    "FieldError",
    "InvalidFields",
    "NotFound",
    "NotYourObject",
    "PaymentError",
    "PlanChangeBlocked",
    "PortalConfiguration",
    "PortalError",
    "PortalService",
    "PromotionCodeInvalid",
    "QuantityOutOfRange",
    "ServiceUnavailable",
    "ShippingInput",
    "Translator",
    "choose_locale",
    "default_configuration",
    "errors",
    "from_stripe",
    "load_configuration_file",
    "resolve_configuration",
    "views",
]
