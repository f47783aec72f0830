"""Helpers shared by the subscription flows (plans, quantity, cancel).

Which subscription a flow acts on, the terms-of-service link shown before a change, and what the
API actually charged (read back from the invoice the change created, not from the preview).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, ContentSwitcher, Static

from tui_portal.portal.errors import ActionNotAllowed, PortalError
from tui_portal.portal.views import ChangePreview, ChangeResult, ItemsChangePreview
from tui_portal.ui.safe import literal
from tui_portal.ui.screens import apply as changes
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.widgets.preview_panel import PreviewPanel

if TYPE_CHECKING:
    from tui_portal.portal.service import PortalService

# A plan/quantity change (plans, quantity screens) or a whole multi-item change (items screen).
AnyPreview = ChangePreview | ItemsChangePreview


def confirmation_text(preview: AnyPreview, translate: Callable[..., str]) -> str:
    """What the confirmation modal says: the change, what is charged now and at the next renewal."""
    # A multi-item change names every item it changes: one confirmation covers all of them.
    changes = list(preview.changes) + [""] if isinstance(preview, ItemsChangePreview) else []
    lines = [
        *changes,
        preview.summary,
        "",
        translate("Due now: {amount}", amount=preview.amount_due_now.display),
        f"{preview.next_renewal_label}: {preview.next_renewal_amount.display}",
    ]
    return "\n".join(lines)


# flow -> the view flags (any one suffices) that say a subscription can go through it
FLOW_REQUIREMENTS = {
    "plans": ("can_change_plan", "can_apply_promotion_code"),
    "quantity": ("can_change_quantity",),
    "cancel": ("can_cancel",),
    "pause": ("can_pause",),  # issue 13
    "items": ("can_change_items",),
}


class SubscriptionFlowMixin:
    """Mixed into PortalScreen subclasses that act on one subscription."""

    subscription_id: str | None

    if TYPE_CHECKING:  # provided by PortalScreen

        @property
        def service(self) -> PortalService: ...

        def _(self, message: str, **values: object) -> str: ...

    def show_step(self, step: str) -> None:
        """Show `step`; the footer and palette follow, since the declared actions depend on the step."""
        self.query_one(ContentSwitcher).current = step  # type: ignore[attr-defined]
        self.refresh_bindings()  # type: ignore[attr-defined]

    def step_is(self, step: str) -> bool:
        """Whether the flow shows `step` now (what its declared actions are available in)."""
        switchers = self.query(ContentSwitcher)  # type: ignore[attr-defined]
        return bool(switchers) and switchers.first().current == step

    async def resolve_subscription_id(self, flow: str) -> str:
        """The given subscription, else the customer's first one this flow can act on."""
        if self.subscription_id is not None:
            return self.subscription_id
        overview = await self.service.overview()
        requirements = FLOW_REQUIREMENTS[flow]
        for subscription in overview.subscriptions:
            if any(getattr(subscription, requirement) for requirement in requirements):
                return subscription.id
        raise ActionNotAllowed(self._("You have no subscription this can be done for."))

    async def terms_url(self) -> str | None:
        """The terms-of-service link (shown whenever a subscription changes); None if there is none."""
        try:
            overview = await self.service.overview()
        except PortalError:
            return None
        return overview.business.terms_of_service_url

    async def result_lines(self, result: ChangeResult, preview: AnyPreview) -> list[str]:
        """What the result step says beyond the message: what was charged, or where the cost goes."""
        lines = []
        charged = await self.charged_text(result)
        if charged:
            lines.append(charged)
        elif not result.scheduled and any(line.is_proration for line in preview.lines):
            lines.append(self._("The difference for the rest of this period is on your next invoice."))
        lines.append(result.subscription.renewal_label)
        return lines

    async def charged_text(self, result: ChangeResult) -> str:
        """What the invoice created by the change says was charged or credited ("" when none)."""
        if result.invoice_id is None:
            return ""
        try:
            invoice = await self.service.invoice_detail(result.invoice_id)
        except PortalError:
            return ""
        summary = invoice.summary
        number = summary.number or summary.id
        if summary.total.minor < 0:
            return self._("Credited {amount} (invoice {number}).", amount=summary.total.display, number=number)
        if summary.amount_paid.minor > 0:
            return self._("Charged {amount} (invoice {number}).", amount=summary.amount_paid.display, number=number)
        return self._("Invoice {number}: {amount} due.", number=number, amount=summary.amount_due.display)


class ChangeFlowMixin(SubscriptionFlowMixin):
    """Preview -> confirm -> apply -> result, shared by the plan and quantity screens.

    The confirmation, applying exactly the previewed change and Retry with the same preview (so the
    same idempotency key) are `apply.confirm_then_apply`'s, as for every change; this adds the steps. Textual only collects
    `@on`/`@work` handlers on widget classes, so each screen keeps thin decorated wrappers that call
    these plain methods; `APPLY_GROUP` names the screen's worker group.
    """

    APPLY_GROUP: ClassVar[str]
    preview: AnyPreview | None
    result: ChangeResult | None

    if TYPE_CHECKING:  # provided by PortalScreen
        app: Any
        portal: Any

        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...

        def run_worker(self, work: Any, *args: Any, **options: Any) -> Any: ...

    def compose_preview_and_result_steps(self, preview_id: str) -> ComposeResult:
        """The preview step and the result step: the same in every change flow (ids the mixin uses)."""
        with Vertical(id="step-preview"):
            yield PreviewPanel(self._, id=preview_id)
            with Horizontal(classes="actions"):
                yield Button(literal(self._("Confirm change")), id="confirm-button", variant="primary")
                yield Button(literal(self._("Choose again")), id="choose-again")
        with Vertical(id="step-result"):
            yield Static(id="result-message", classes="result-message")
            yield Static(id="result-detail")
            with Horizontal(classes="actions"):
                yield Button(literal(self._("Done")), id="done-button", variant="primary")

    async def confirm_then_apply(self) -> None:
        """Confirm, then apply exactly the previewed change (Retry applies the very same preview)."""
        preview = self.preview
        if preview is None:
            return

        async def applied(result: ChangeResult) -> None:
            self.result = result
            await self.show_result(result, preview)

        await changes.confirm_then_apply(
            self,
            ConfirmScreen(self._("Confirm the change"), confirmation_text(preview, self._), self._("Confirm change")),
            lambda: self.service.apply_items_change(preview)
            if isinstance(preview, ItemsChangePreview)
            else self.service.apply_change(preview),
            applied,
            group=self.APPLY_GROUP,
        )

    async def show_result(self, result: ChangeResult, preview: AnyPreview) -> None:
        self.query_one("#result-message", Static).update(literal(result.message))
        detail = await self.result_lines(result, preview)
        self.query_one("#result-detail", Static).update(literal("\n".join(detail)))
        self.show_step("step-result")
        self.query_one("#done-button", Button).focus()
