"""Start-up resolution of the portal configuration.

Order (first that exists wins): a TOML file, a `bpc_...` configuration id, the account's default
`billing_portal.configuration`, Stripe's dashboard defaults. Then the business name and brand colors
come from the account (`GET /v1/account`) wherever the configuration leaves them unset, because the
merchant already maintains them in Stripe and should not have to repeat them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_portal.portal.config.schema import (
    PortalConfiguration,
    default_configuration,
    from_stripe,
    load_configuration_file,
    parse_configuration,
)
from tui_portal.portal.errors import ConfigurationError

if TYPE_CHECKING:  # loaded by the start-up that resolves, not by importing this
    from tui_portal.billing import StripeClient
    from tui_portal.billing.models import Account

# Stripe returns the products a customer may switch between only when asked to (an includable field).
PRODUCTS_EXPAND = "features.subscription_update.products"


def account_branding(account: Account) -> tuple[str | None, str | None, str | None]:
    """(business name, primary color, secondary color) from a Stripe account object."""
    branding = account.settings.branding if account.settings is not None else None
    if branding is None:
        return account.display_name, None, None
    return account.display_name, branding.primary_color, branding.secondary_color


async def resolve_configuration(
    client: StripeClient,
    *,
    path: str | Path | None = None,
    data: dict[str, Any] | None = None,
    source: str = "configuration",
    configuration_id: str | None = None,
    use_account: bool = True,
) -> PortalConfiguration:
    """The configuration the portal runs with (see the module docstring for the order).

    `data` is a TOML document already read by the caller (the settings loader reads the file once
    and hands over its portal tables); `source` names it in error messages.
    """
    from tui_portal.billing import errors as billing_errors

    account_request = asyncio.ensure_future(client.account.retrieve()) if use_account else None
    try:
        if data is not None:
            configuration = parse_configuration(data, source)
        elif path is not None:
            configuration = load_configuration_file(path)
        elif configuration_id:
            try:
                fetched = await client.billing_portal.configurations.retrieve(
                    configuration_id, expand=[PRODUCTS_EXPAND]
                )
            except billing_errors.InvalidRequestError as error:
                raise ConfigurationError(
                    f"Portal configuration {configuration_id} could not be loaded: {error.user_message}",
                    request_id=error.request_id,
                ) from None
            configuration = from_stripe(fetched)
        else:
            page = await client.billing_portal.configurations.list(
                is_default=True, limit=1, expand=[f"data.{PRODUCTS_EXPAND}"]
            )
            configuration = from_stripe(page.data[0]) if page.data else default_configuration()
    except BaseException:
        if account_request is not None:
            account_request.cancel()
        raise

    if account_request is not None:
        # Fetched concurrently with the configuration: start-up makes one wave, not a queue.
        name, primary, secondary = account_branding(await account_request)
        configuration = configuration.with_account_defaults(name, primary, secondary)
    return configuration
