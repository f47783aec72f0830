"""Portal layer: the use-cases screens call (no Textual, no HTTP here).

    from tui_portal.portal import PortalService, resolve_configuration, Action, errors, views

- `PortalService(customer_id, client, configuration, is_sandbox=...)`: one per customer; see service.py.
- `resolve_configuration(client, path=..., configuration_id=...)`: TOML file, `bpc_...`, the account's
  default configuration, or Stripe's defaults; fills business name and colors from the account.
- `Translator`: one per app instance; screens use `service.translator.gettext` as `_`.
- `views`: the frozen dataclasses screens render; `errors`: `PortalError` and subclasses.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

# Names are loaded on first use (PEP 562): the UI imports `tui_portal.portal.errors` and `.views`
# to draw its first frame, and must not pay for the service, the client and pydantic until it has.
_LAZY: dict[str, str] = {
    "errors": "tui_portal.portal.errors",
    "views": "tui_portal.portal.views",
    "RETENTION_OFFER_MADE_KEY": "tui_portal.portal._cancellation",
    "PortalConfiguration": "tui_portal.portal.configuration",
    "default_configuration": "tui_portal.portal.configuration",
    "from_stripe": "tui_portal.portal.configuration",
    "load_configuration_file": "tui_portal.portal.configuration",
    "ActionNotAllowed": "tui_portal.portal.errors",
    "ConfigurationError": "tui_portal.portal.errors",
    "FeatureDisabled": "tui_portal.portal.errors",
    "FieldError": "tui_portal.portal.errors",
    "InvalidFields": "tui_portal.portal.errors",
    "NotFound": "tui_portal.portal.errors",
    "NotYourObject": "tui_portal.portal.errors",
    "PaymentError": "tui_portal.portal.errors",
    "PlanChangeBlocked": "tui_portal.portal.errors",
    "PortalError": "tui_portal.portal.errors",
    "PromotionCodeInvalid": "tui_portal.portal.errors",
    "QuantityOutOfRange": "tui_portal.portal.errors",
    "ServiceUnavailable": "tui_portal.portal.errors",
    "Translator": "tui_portal.portal.i18n",
    "choose_locale": "tui_portal.portal.i18n",
    "resolve_configuration": "tui_portal.portal.resolve",
    "PortalService": "tui_portal.portal.service",
    "Prefetched": "tui_portal.portal._overview",
    "prefetch_overview": "tui_portal.portal._overview",
    "prefetch_customer_by_email": "tui_portal.portal._overview",
    "prefetch_customer_by_search": "tui_portal.portal._overview",
    "Action": "tui_portal.portal.views",
    "AddressInput": "tui_portal.portal.views",
    "ShippingInput": "tui_portal.portal.views",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = import_module(module_name)
    value = module if name in ("errors", "views") else getattr(module, name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:
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
    from tui_portal.portal._overview import (
        Prefetched,
        prefetch_customer_by_email,
        prefetch_customer_by_search,
        prefetch_overview,
    )
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
    "Prefetched",
    "prefetch_customer_by_email",
    "prefetch_customer_by_search",
    "prefetch_overview",
    "resolve_configuration",
    "views",
]
