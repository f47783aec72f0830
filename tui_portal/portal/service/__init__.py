"""`PortalService`: everything one customer can do in the portal, as plain async use-cases.

Why a service object per customer: the customer is bound once, when the portal starts, and every
method checks that each object it touches (subscription, card, invoice, tax ID) belongs to that
customer. The configuration is enforced here too, so a disabled feature is refused even if a screen
(or a script) calls it directly. Screens call these methods from workers and render the frozen views
they return (`tui_portal.portal.views`); errors are `tui_portal.portal.errors.PortalError`s whose
`user_message` is already translated.

Every mutating method takes an optional `action: Action`. Create one per user confirmation and pass
the same one again when the customer presses "retry" after a network failure: the change is then
applied exactly once (Stripe idempotency keys). Without one, a fresh key is used.

Caching: data is fetched once and kept until a mutation made through this service changes it (a
plan change drops subscriptions and invoices, a name change replaces the customer, ...).
`overview(refresh=True)` drops everything, for a "reload" key.
"""

from __future__ import annotations

from tui_portal.portal.service.cancellation import CancellationMixin
from tui_portal.portal.service.details import CustomerDetailsMixin
from tui_portal.portal.service.invoices import InvoicesMixin
from tui_portal.portal.service.items import ItemsMixin
from tui_portal.portal.service.overview import OverviewMixin
from tui_portal.portal.service.pause import PauseMixin
from tui_portal.portal.service.payments import PaymentMethodsMixin
from tui_portal.portal.service.plans import PlanChangesMixin
from tui_portal.portal.service.preferences import PreferencesMixin
from tui_portal.portal.service.retention import RetentionMixin
from tui_portal.portal.service.ssh_keys import SshKeysMixin
from tui_portal.portal.service.usage import UsageMixin


class PortalService(
    OverviewMixin,
    RetentionMixin,
    ItemsMixin,
    PlanChangesMixin,
    CancellationMixin,
    PauseMixin,
    CustomerDetailsMixin,
    PaymentMethodsMixin,
    InvoicesMixin,
    SshKeysMixin,
    PreferencesMixin,
    UsageMixin,
):
    """The portal's use-cases for one customer.

    `PortalService(customer_id, client, configuration, *, is_sandbox=False, translator=None,
    sleep=asyncio.sleep, now=time.time)`: `client` is a `tui_portal.billing.StripeClient`;
    `configuration` a resolved `PortalConfiguration` (see `resolve_configuration`). `is_sandbox`
    switches "add a card" from a Stripe-hosted Checkout page to picking one of Stripe's test cards.
    `sleep` and `now` are injectable so tests need not wait or depend on the wall clock.
    `prefetched` seeds the cache with what start-up already fetched (`prefetch_overview`).

    Public methods, by area (each documented where it is defined):
    - language (`core.py`): `locale`, `gettext`, `translator`
    - overview (`overview.py`): `features`, `overview(refresh=False)`, `subscription(id)`
    - plan changes (`plans.py`, `promotions.py`): `plan_choices`, `check_promotion_code`,
      `preview_change`, `apply_change`
    - items and add-ons (`items.py`, issue 13): `item_choices`, `preview_items_change`, `apply_items_change`
    - cancellation (`cancellation.py`): `retention_offer`, `accept_retention_offer`,
      `record_retention_event`, `cancel`, `renew`
    - the retention ladder (`retention.py`): `cancel_options`, `retention_offers`,
      `preview_retention_price`, `accept_retention_price`, `accept_retention_pause`
    - pause and resume (`pause.py`, when `features.subscription_pause.enabled`): `pause_options`,
      `pause_preview`, `pause_subscription`, `resume_subscription`
    - customer details (`details.py`): `customer_details`, `update_name`, `update_email`,
      `update_phone`, `update_address`, `update_shipping`, `tax_id_types`, `tax_ids`, `add_tax_id`,
      `remove_tax_id`
    - payment methods (`payments.py`): `payment_methods`, `set_default_payment_method`,
      `remove_payment_method`, `test_cards`, `add_test_card`, `start_card_setup`, `wait_for_setup`
    - invoices (`invoices.py`): `invoice_page`, `invoice_detail`, `save_pdf`
    - SSH keys (`ssh_keys.py`, when `[tui] ssh_keys` is on): `ssh_keys`, `add_ssh_key`, `revoke_ssh_key`
    - preferences (`preferences.py`): `preferred_theme`, `save_preferred_theme` (customer metadata)
    - usage (`usage.py`, metered prices): `usage`
    """
