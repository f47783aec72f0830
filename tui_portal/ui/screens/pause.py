"""Pause payments: choose how long -> see what is and is not charged -> confirm -> result.

The preview is the service's (`pause_preview`): the renewals that fall inside the pause with what
their invoices will show, what happens to those invoices (`[tui] pause_behavior`), and the date the
renewal is charged again. Nothing changes until the customer confirms in the typed confirmation
modal; the confirmed pause carries one `Action`, reused by Retry, so it is applied once.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, ContentSwitcher, LoadingIndicator, RadioButton, RadioSet, Static

from tui_portal.portal.errors import PortalError
from tui_portal.portal.views import Action, PauseOptionsView, PausePreviewView, SubscriptionView
from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal
from tui_portal.ui.screens import apply as changes
from tui_portal.ui.screens.base import N_, PortalScreen
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.screens.subscription_flow import SubscriptionFlowMixin
from tui_portal.ui.widgets.error_panel import ErrorPanel


def preview_lines(preview: PausePreviewView, translate: Callable[..., str]) -> list[str]:
    """The preview in lines: each renewal not charged, what happens to its invoice, when payments resume."""
    lines = [translate("Renewals not charged:")]
    for renewal in preview.renewals:
        lines.append(f"  {renewal.date_label:<14}{renewal.amount.display:>11}")
    lines += ["", preview.effect_label, "", preview.resumes_label, preview.next_charge_label]
    return lines


class PauseScreen(SubscriptionFlowMixin, PortalScreen[None]):
    """Pause payments for one subscription, for one of the configured durations."""

    TITLE_MSGID = N_("Pause payments")
    CSS_PATH = stylesheet("pause.tcss")
    ACTIONS = ActionTable(
        ScreenAction("pause", N_("Pause payments"), key="ctrl+s", palette_help=N_("Subscription"),
                     available=lambda screen: screen.preview is not None and screen.step_is("step-choose")),
    )

    def __init__(self, subscription_id: str | None = None, flow: str | None = None) -> None:
        super().__init__()
        self.subscription_id = subscription_id
        self.flow = flow
        self.options: PauseOptionsView | None = None
        self.preview: PausePreviewView | None = None
        self.outcome_message: str | None = None
        self._pause_action: Action | None = None
        self._paused_months: int | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="pause-body", can_focus=False):
            yield ErrorPanel(self._("Retry"), id="pause-error")
            yield LoadingIndicator(id="pause-loading")
            with ContentSwitcher(initial="step-choose", id="pause-steps"):
                with Vertical(id="step-choose"):
                    yield Static(id="pause-heading", classes="step-heading")
                    yield Static(literal(self._("How long should payments pause?")), classes="field-label")
                    yield Vertical(id="durations-box")
                    yield Static(id="pause-preview")
                    with Horizontal(classes="actions"):
                        yield Button(literal(self._("Pause payments")), id="pause-continue", variant="primary")
                        yield Button(literal(self._("Keep paying")), id="pause-keep")
                with Vertical(id="step-result"):
                    yield Static(id="result-message", classes="step-heading")
                    yield Static(id="result-detail")
                    with Horizontal(classes="actions"):
                        yield Button(literal(self._("Done")), id="result-done", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#pause-steps").display = False
        self.load()

    # ---- loading ----------------------------------------------------------------------------

    @work(exclusive=True, group="pause-load")
    async def load(self) -> None:
        error_panel = self.query_one(ErrorPanel)
        error_panel.hide()
        try:
            subscription_id = await self.resolve_subscription_id("pause")
            options = await self.service.pause_options(subscription_id)
            preview = await self.service.pause_preview(subscription_id, options.durations[0])
        except PortalError as error:
            self.query_one("#pause-loading").display = False
            error_panel.show_error(error, retry=self.load)
            return
        self.subscription_id = subscription_id
        self.options = options
        self.query_one("#pause-heading", Static).update(
            literal(self._("Pause payments for {plan}", plan=options.plan_name))
        )
        # Built whole once the durations are known: a RadioSet only learns which button is pressed
        # from the buttons it is created with.
        durations = RadioSet(
            *(RadioButton(literal(label), value=index == 0, name=str(months), id=f"months-{months}")
              for index, (months, label) in enumerate(zip(options.durations, options.duration_labels))),
            id="durations",
        )
        await self.query_one("#durations-box").mount(durations)
        self._show_preview(preview)
        self.query_one("#pause-loading").display = False
        self.query_one("#pause-steps").display = True
        durations.focus()

    def _show_preview(self, preview: PausePreviewView) -> None:
        self.preview = preview
        self.query_one("#pause-preview", Static).update(literal("\n".join(preview_lines(preview, self._))))
        self.refresh_bindings()

    @on(RadioSet.Changed, "#durations")
    def _duration_changed(self, event: RadioSet.Changed) -> None:
        months = int(event.pressed.name or 0)
        if self.preview is None or self.preview.months != months:
            self.preview = None  # no confirming a preview of another duration while the new one loads
            self.refresh_bindings()
            self.load_preview(months)

    @work(exclusive=True, group="pause-preview")
    async def load_preview(self, months: int) -> None:
        subscription_id = self.subscription_id
        assert subscription_id is not None
        panel = self.query_one(ErrorPanel)
        panel.hide()
        try:
            preview = await self.service.pause_preview(subscription_id, months)
        except PortalError as error:
            panel.show_error(error, retry=lambda: self.load_preview(months))
            return
        self._show_preview(preview)

    # ---- confirm -> apply -------------------------------------------------------------------

    @on(Button.Pressed, "#pause-keep")
    def _keep(self) -> None:
        if self.portal.flow_ends_session:
            self.flow_done(self._("Your payments were not paused."))
        else:
            self.go_back()

    @on(Button.Pressed, "#pause-continue")
    def action_pause(self) -> None:
        if self.preview is not None and self.step_is("step-choose"):
            self.run_worker(self._confirm_and_pause(self.preview), group="pause-apply", exclusive=True)

    async def _confirm_and_pause(self, preview: PausePreviewView) -> None:
        subscription_id = self.subscription_id
        assert subscription_id is not None
        if self._pause_action is None or self._paused_months != preview.months:
            self._pause_action = Action()  # a Retry of this same pause reuses it
            self._paused_months = preview.months
        action = self._pause_action

        def paused(subscription: SubscriptionView) -> None:
            self.outcome_message = subscription.outcome_label or subscription.pause_label
            self.query_one("#result-message", Static).update(literal(self.outcome_message or ""))
            self.query_one("#result-detail", Static).update(literal(preview.next_charge_label))
            self.show_step("step-result")
            self.query_one("#result-done", Button).focus()

        await changes.confirm_then_apply(
            self,
            ConfirmScreen(f"{preview.headline}?", "\n".join(preview_lines(preview, self._)), self._("Pause payments")),
            lambda: self.service.pause_subscription(subscription_id, months=preview.months, action=action),
            paused,
            group="pause-apply",
        )

    @on(Button.Pressed, "#result-done")
    def _done(self) -> None:
        self.flow_done(self.outcome_message)

    def action_back(self) -> None:
        if self.step_is("step-result"):
            self._done()
        else:
            self.go_back()
