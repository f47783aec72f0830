"""Cancel a plan: confirm -> the retention ladder's offers, one at a time -> reason survey -> result
with Renew.

The subscription is only canceled when the customer finishes the survey (or skips it). Each offer can
be accepted, declined to see the next one, or declined straight to the survey. Accepting keeps the plan
running: a coupon is applied at once (as always), a cheaper price goes through its preview and the
confirmation (it changes money), a pause through a confirmation. Each offer shown and each declined
is noted on the subscription for the churn report (quietly: a failure is logged, never shown). Each
submission carries one `Action` (or preview), reused by Retry, so a retried change applies once.
"""

from __future__ import annotations

import logging

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, ContentSwitcher, Input, LoadingIndicator, RadioButton, RadioSet, Static

from tui_portal.logs import log_event
from tui_portal.portal.errors import PortalError
from tui_portal.portal.config.schema import CANCELLATION_REASONS
from tui_portal.portal.views import (
    Action,
    CancelOptionsView,
    CancellationReasonView,
    ChangePreview,
    ChangeResult,
    PausePreviewView,
    RetentionRungView,
    SubscriptionView,
)
from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal
from tui_portal.ui.screens import apply as changes
from tui_portal.ui.screens.base import N_, PortalScreen
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.screens.subscription_flow import SubscriptionFlowMixin, confirmation_text
from tui_portal.ui.widgets.error_panel import ErrorPanel
from tui_portal.ui.widgets.field_message import FieldMessage
from tui_portal.ui.widgets.preview_panel import PreviewPanel


COMMENT_LIMIT = 500


def _reason_position(reason: CancellationReasonView) -> int:
    """Stripe's order of the reasons (the configuration may list them in any order); "other" last."""
    if reason.value in CANCELLATION_REASONS:
        return CANCELLATION_REASONS.index(reason.value)
    return len(CANCELLATION_REASONS)


class CancelScreen(SubscriptionFlowMixin, PortalScreen[None]):
    """The cancellation flow for one subscription."""

    TITLE_MSGID = N_("Cancel plan")
    CSS_PATH = stylesheet("cancel.tcss")

    ACTIONS = ActionTable(
        ScreenAction("keep_plan", N_("Keep plan"), palette_help=N_("Leave without canceling"),
                     available=lambda screen: screen.options is not None
                     and screen.query_one(ContentSwitcher).current != "step-result"),
    )

    def __init__(self, subscription_id: str | None = None, flow: str | None = None) -> None:
        super().__init__()
        self.subscription_id = subscription_id
        self.flow = flow
        self.options: CancelOptionsView | None = None
        self.subscription: SubscriptionView | None = None
        self.outcome_message: str | None = None
        self._cancel_action: Action | None = None
        self._cancel_request: tuple[str | None, str | None] | None = None
        self.rung_index = 0  # the ladder's offer shown on the offer step
        self.price_preview: ChangePreview | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="cancel-body", can_focus=False):
            yield ErrorPanel(self._("Retry"), id="cancel-error")
            yield LoadingIndicator(id="cancel-loading")
            with ContentSwitcher(initial="step-confirm", id="cancel-steps"):
                with Vertical(id="step-confirm"):
                    yield Static(id="confirm-heading", classes="step-heading")
                    yield Static(id="confirm-effect")
                    with Horizontal(classes="actions"):
                        yield Button(literal(self._("Cancel plan")), id="cancel-continue", variant="error")
                        yield Button(literal(self._("Keep plan")), id="keep-plan", variant="primary")
                with Vertical(id="step-offer"):
                    yield Static(id="offer-headline", classes="step-heading")
                    yield Static(id="offer-description")
                    with Horizontal(classes="actions"):
                        yield Button(literal(self._("Accept offer")), id="offer-accept", variant="success")
                        yield Button(literal(self._("No thanks, next offer")), id="offer-next")
                        yield Button(literal(self._("No thanks, cancel")), id="offer-decline")
                with Vertical(id="step-price"):
                    yield PreviewPanel(self._, id="price-preview")
                    with Horizontal(classes="actions"):
                        yield Button(literal(self._("Confirm change")), id="price-confirm", variant="primary")
                        yield Button(literal(self._("Back to the offer")), id="price-back")
                with Vertical(id="step-reason"):
                    yield Static(literal(self._("Why are you cancelling?")), classes="step-heading")
                    yield RadioSet(id="reasons")
                    with Vertical(id="comment-box"):
                        yield Static(literal(self._("Tell us more (optional)")), classes="field-label")
                        yield Input(id="comment", max_length=COMMENT_LIMIT)
                    yield FieldMessage(id="reason-error")
                    with Horizontal(classes="actions"):
                        yield Button(literal(self._("Finish cancellation")), id="reason-submit", variant="error")
                        yield Button(literal(self._("Skip")), id="reason-skip")
                with Vertical(id="step-result"):
                    yield Static(id="result-message", classes="step-heading")
                    yield Static(id="result-detail")
                    with Horizontal(classes="actions"):
                        yield Button(literal(self._("Renew plan")), id="result-renew", variant="success")
                        yield Button(literal(self._("Done")), id="result-done", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#cancel-steps").display = False
        self.query_one("#comment-box").display = False
        self.load()

    # ---- loading ----------------------------------------------------------------------------

    @work(exclusive=True, group="cancel-load")
    async def load(self) -> None:
        error_panel = self.query_one(ErrorPanel)
        error_panel.hide()
        try:
            subscription_id = await self.resolve_subscription_id("cancel")
            subscription = await self.service.subscription(subscription_id)
            options = await self.service.cancel_options(subscription_id)
        except PortalError as error:
            self.query_one("#cancel-loading").display = False
            error_panel.show_error(error, retry=self.load)
            return
        self.subscription_id = subscription_id
        self.subscription = subscription
        self.options = options
        self.query_one("#confirm-heading", Static).update(
            literal(self._("Cancel {plan}?", plan=subscription.plan_name))
        )
        self.query_one("#confirm-effect", Static).update(literal(options.effective_label))
        reasons = self.query_one("#reasons", RadioSet)
        for reason in sorted(options.reasons, key=_reason_position):
            reasons.mount(RadioButton(literal(reason.label), name=reason.value, id=f"reason-{reason.value}"))
        self.query_one("#cancel-loading").display = False
        self.query_one("#cancel-steps").display = True
        self.query_one("#keep-plan", Button).focus()

    def _show_step(self, step: str, focus: str) -> None:
        self.show_step(step)
        self.query_one(focus).focus()

    # ---- confirm -> offer -> reason ---------------------------------------------------------

    @on(Button.Pressed, "#keep-plan")
    def action_keep_plan(self) -> None:
        """Keeping the plan finishes a deep-linked cancel flow too: with after_completion="exit" the
        session ends (saying nothing changed) instead of landing on the overview."""
        if self.portal.flow_ends_session:
            self.flow_done(self._("Your plan was not canceled."))
        else:
            self.go_back()

    @on(Button.Pressed, "#cancel-continue")
    def _continue(self) -> None:
        if self.options is not None:
            self._show_rung(0)

    @property
    def rung(self) -> RetentionRungView | None:
        """The offer on the offer step (None past the last one)."""
        offers = self.options.retention_offers if self.options is not None else ()
        return offers[self.rung_index] if self.rung_index < len(offers) else None

    def _show_rung(self, index: int) -> None:
        """Show the ladder's offer `index` (and note that it was shown), or go on to the survey."""
        self.rung_index = index
        rung = self.rung
        if rung is None:
            self._after_offer()
            return
        self.query_one("#offer-headline", Static).update(literal(rung.headline))
        self.query_one("#offer-description", Static).update(literal(rung.detail))
        accept = self.query_one("#offer-accept", Button)
        accept.label = literal(rung.accept_label)
        accept.refresh(layout=True)  # each offer's label has its own width
        offers = self.options.retention_offers if self.options is not None else ()
        self.query_one("#offer-next").display = index + 1 < len(offers)
        self._show_step("step-offer", "#offer-accept")
        self._record(rung.kind, "offered")

    @work(group="cancel-offer-noted", exit_on_error=False)
    async def _record(self, kind: str, event: str) -> None:
        """Only a statistic for the merchant (offers shown, taken, declined): a failure is logged, never shown."""
        subscription_id = self.subscription_id
        assert subscription_id is not None  # set when the options were loaded, before an offer is shown
        try:
            await self.service.record_retention_event(subscription_id, kind, event)
        except PortalError as error:
            log_event("tui_portal.ui", "retention_offer_not_recorded", level=logging.WARNING,
                      kind=kind, outcome=event, error=type(error).__name__)

    @on(Button.Pressed, "#offer-next")
    def _next_offer(self) -> None:
        rung = self.rung
        if rung is not None:
            self._record(rung.kind, "declined")
        self._show_rung(self.rung_index + 1)

    @on(Button.Pressed, "#offer-decline")
    def _decline_offer(self) -> None:
        """Straight to the survey: the offer shown is declined, the ones after it are never shown."""
        rung = self.rung
        if rung is not None:
            self._record(rung.kind, "declined")
        self._after_offer()

    def _after_offer(self) -> None:
        options = self.options
        if options is not None and options.reasons_enabled and options.reasons:
            self._show_step("step-reason", "#reasons")
        else:
            self.submit_cancel(None, None)

    @on(RadioSet.Changed, "#reasons")
    def _reason_changed(self, event: RadioSet.Changed) -> None:
        self.query_one("#comment-box").display = event.pressed.name == "other"
        self.query_one("#reason-error", FieldMessage).clear()

    @on(Button.Pressed, "#reason-submit")
    def _reason_submitted(self) -> None:
        pressed = self.query_one("#reasons", RadioSet).pressed_button
        if pressed is None:
            self.query_one("#reason-error", FieldMessage).show(self._("Reason: choose one, or press Skip."))
            self.query_one("#reasons").focus()
            return
        comment = self.query_one("#comment", Input).value.strip() if pressed.name == "other" else ""
        self.submit_cancel(pressed.name, comment or None)

    @on(Input.Submitted, "#comment")
    def _comment_submitted(self) -> None:
        self._reason_submitted()

    @on(Button.Pressed, "#reason-skip")
    def _reason_skipped(self) -> None:
        self.submit_cancel(None, None)

    # ---- the changes ------------------------------------------------------------------------

    def submit_cancel(self, reason: str | None, comment: str | None) -> None:
        """Cancel with this reason; a new reason/comment is a new action, a Retry reuses it."""
        if self._cancel_action is None or self._cancel_request != (reason, comment):
            self._cancel_action = Action()
            self._cancel_request = (reason, comment)
        self.run_worker(self._cancel(reason, comment, self._cancel_action), group="cancel-apply", exclusive=True)

    async def _cancel(self, reason: str | None, comment: str | None, action: Action) -> None:
        subscription_id = self.subscription_id
        assert subscription_id is not None

        def canceled(subscription: SubscriptionView) -> None:
            self.outcome_message = subscription.outcome_label or subscription.renewal_label
            self._show_result(self.outcome_message, subscription)

        await changes.apply_with_retry(
            self,
            lambda: self.service.cancel(subscription_id, reason=reason, comment=comment, action=action),
            canceled,
            group="cancel-apply",
            field_error=lambda error: self.query_one("#reason-error", FieldMessage).show(error.user_message),
        )

    @on(Button.Pressed, "#offer-accept")
    def _accept_offer(self) -> None:
        rung = self.rung
        if rung is None:
            return
        if rung.kind == "price":
            self.run_worker(self._preview_price(), group="cancel-apply", exclusive=True)
        elif rung.kind == "pause":
            self.run_worker(self._accept_pause(rung, Action()), group="cancel-apply", exclusive=True)
        else:
            self.run_worker(self._accept(rung, Action()), group="cancel-apply", exclusive=True)

    async def _accept(self, rung: RetentionRungView, action: Action) -> None:
        subscription_id = self.subscription_id
        assert subscription_id is not None

        def kept(subscription: SubscriptionView) -> None:
            description = rung.coupon.description if rung.coupon is not None else ""
            self.outcome_message = self._("Offer applied: {offer}. Your plan continues.", offer=description)
            self._show_result(self.outcome_message, subscription)

        await changes.apply_with_retry(
            self, lambda: self.service.accept_retention_offer(subscription_id, action=action), kept, group="cancel-apply"
        )

    async def _preview_price(self) -> None:
        """The price offer's preview: what switching costs, before the customer confirms anything."""
        subscription_id = self.subscription_id
        assert subscription_id is not None

        async def previewed(preview: ChangePreview) -> None:
            self.price_preview = preview
            self.query_one("#price-preview", PreviewPanel).show(preview, await self.terms_url())
            self._show_step("step-price", "#price-confirm")

        await changes.apply_with_retry(
            self, lambda: self.service.preview_retention_price(subscription_id), previewed, group="cancel-apply"
        )

    @on(Button.Pressed, "#price-confirm")
    def _confirm_price(self) -> None:
        self.run_worker(self._apply_price(), group="cancel-apply", exclusive=True)

    async def _apply_price(self) -> None:
        preview = self.price_preview
        if preview is None:
            return

        async def switched(result: ChangeResult) -> None:
            self.outcome_message = result.message
            detail = [line for line in (await self.charged_text(result), self._("Your plan continues.")) if line]
            self._show_result(self.outcome_message, result.subscription, " ".join(detail))

        await changes.confirm_then_apply(
            self,
            ConfirmScreen(self._("Confirm the change"), confirmation_text(preview, self._), self._("Confirm change")),
            lambda: self.service.accept_retention_price(preview),
            switched,
            group="cancel-apply",
        )

    @on(Button.Pressed, "#price-back")
    def _price_back(self) -> None:
        self._show_step("step-offer", "#offer-accept")

    async def _accept_pause(self, rung: RetentionRungView, action: Action) -> None:
        """What the pause does (the renewals not charged, when payments resume), confirmed, then made."""
        subscription_id = self.subscription_id
        assert subscription_id is not None and rung.months is not None
        months = rung.months

        def paused(subscription: SubscriptionView) -> None:
            self.outcome_message = self._("Your payments are paused. Your plan continues.")
            self._show_result(self.outcome_message, subscription, subscription.renewal_label)

        async def confirm(preview: PausePreviewView) -> None:
            body = "\n\n".join((preview.effect_label, preview.resumes_label, preview.next_charge_label))
            await changes.confirm_then_apply(
                self,
                ConfirmScreen(preview.headline, body, self._("Pause payments")),
                lambda: self.service.accept_retention_pause(subscription_id, action=action),
                paused,
                group="cancel-apply",
            )

        await changes.apply_with_retry(
            self, lambda: self.service.pause_preview(subscription_id, months), confirm, group="cancel-apply"
        )

    def _show_result(self, heading: str, subscription: SubscriptionView, detail: str | None = None) -> None:
        self.subscription = subscription
        self.query_one("#result-message", Static).update(literal(heading))
        # A heading that already says what happened and when needs no date repeated under it.
        if detail is None:
            detail = "" if subscription.outcome_label == heading else subscription.renewal_label
        self.query_one("#result-detail", Static).update(literal(detail))
        self.query_one("#result-renew").display = subscription.can_renew
        self._show_step("step-result", "#result-done")

    @on(Button.Pressed, "#result-renew")
    def _renew(self) -> None:
        self.run_worker(self._renew_plan(Action()), group="cancel-apply", exclusive=True)

    async def _renew_plan(self, action: Action) -> None:
        subscription_id = self.subscription_id
        assert subscription_id is not None

        def renewed(subscription: SubscriptionView) -> None:
            self.outcome_message = self._("Your plan is renewed.")
            self._show_result(self.outcome_message, subscription)

        await changes.apply_with_retry(
            self, lambda: self.service.renew(subscription_id, action=action), renewed, group="cancel-apply"
        )

    @on(Button.Pressed, "#result-done")
    def _done(self) -> None:
        self.flow_done(self.outcome_message)

    def action_back(self) -> None:
        step = self.query_one(ContentSwitcher).current
        if step == "step-result":
            self._done()
        elif step == "step-price":
            self._price_back()
        elif step in ("step-offer", "step-reason"):
            self._show_step("step-confirm", "#keep-plan")
        else:
            self.go_back()
