"""Switch plan: compare the configured plans, preview the cost, confirm, see what happened.

Steps in one screen (a ContentSwitcher): choose -> preview -> (ConfirmScreen) -> result. Nothing is
changed before the customer confirms; the confirmed preview is applied as is (same proration date,
same idempotency key, also when retried after an error).
"""

from __future__ import annotations


from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, ContentSwitcher, Input, LoadingIndicator, OptionList, Static
from textual.widgets.option_list import Option

from tui_portal.portal.errors import ActionNotAllowed, FieldError, PortalError, PromotionCodeInvalid
from tui_portal.portal.views import ChangePreview, ChangeResult, PlanChoicesView
from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal
from tui_portal.ui.screens.base import N_, PortalScreen
from tui_portal.ui.screens.subscription_flow import ChangeFlowMixin
from tui_portal.ui.widgets.error_panel import ErrorPanel
from tui_portal.ui.widgets.field_message import FieldMessage
from tui_portal.ui.widgets.preview_panel import PreviewPanel


class PlansScreen(ChangeFlowMixin, PortalScreen[None]):
    """Plan comparison and switch (also applies a promotion code to the current plan)."""

    APPLY_GROUP = "plans-apply"

    TITLE_MSGID = N_("Change plan")
    CSS_PATH = stylesheet("plans.tcss")
    # ctrl+s is in the footer only while choosing (it previews the choice).
    ACTIONS = ActionTable(
        ScreenAction("preview", N_("Preview"), key="ctrl+s", palette_label=N_("Preview change"),
                     palette_help=N_("See what it costs"),
                     available=lambda screen: screen.choices is not None and screen.step_is("step-choose")),
        ScreenAction("to_quantity", N_("Change quantity"), palette_help=N_("Subscription"),
                     available=lambda screen: screen.choices is not None and screen.step_is("step-choose")
                     and screen.choices.quantity.adjustable),
        ScreenAction("confirm_change", N_("Confirm change"), palette_help=N_("Subscription"),
                     available=lambda screen: screen.step_is("step-preview")),
        ScreenAction("choose_again", N_("Choose again"), palette_help=N_("Subscription"),
                     available=lambda screen: screen.step_is("step-preview")),
    )

    def __init__(
        self,
        subscription_id: str | None = None,
        flow: str | None = None,
        price_id: str | None = None,
        quantity: int | None = None,
        promotion_code: str | None = None,
    ) -> None:
        super().__init__()
        self.subscription_id = subscription_id
        self.flow = flow
        self._requested_price = price_id
        self._requested_quantity = quantity
        self._requested_code = promotion_code
        self.choices: PlanChoicesView | None = None
        self.preview: ChangePreview | None = None
        self.result: ChangeResult | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="plans-body", can_focus=False):
            yield ErrorPanel(self._("Retry"), id="plans-error")
            yield LoadingIndicator(id="plans-loading")
            with ContentSwitcher(initial="step-choose", id="plans-steps"):
                with Vertical(id="step-choose"):
                    yield Static(id="current-plan", classes="muted")
                    yield OptionList(id="plan-options")
                    yield FieldMessage(id="choose-error")
                    with Vertical(id="promotion", classes="promotion"):
                        yield Static(literal(self._("Promotion code (optional)")), classes="field-label")
                        yield Input(id="promotion-code", placeholder=self._("e.g. SAVE20"))
                        yield FieldMessage(id="promotion-error")
                    with Horizontal(classes="actions"):
                        yield Button(literal(self._("Preview change")), id="preview-button", variant="primary")
                        yield Button(literal(self._("Change quantity")), id="to-quantity")
                        yield Button(literal(self._("Back")), id="back-button")
                yield from self.compose_preview_and_result_steps("plans-preview")

    def on_mount(self) -> None:
        self.query_one("#plans-steps").display = False
        self.load()

    # ---- loading ----------------------------------------------------------------------------

    @work(exclusive=True, group="plans-load")
    async def load(self) -> None:
        error_panel = self.query_one(ErrorPanel)
        error_panel.hide()
        try:
            subscription_id = await self.resolve_subscription_id("plans")
            choices = await self.service.plan_choices(subscription_id)
        except PortalError as error:
            self.query_one("#plans-loading").display = False
            error_panel.show_error(error, retry=self.load)
            return
        self.subscription_id = subscription_id
        self.choices = choices
        self.refresh_bindings()  # the choosing keys apply from now on
        self._fill_choices(choices)
        self.query_one("#plans-loading").display = False
        self.query_one("#plans-steps").display = True
        if self._requested_price or self._requested_code or self._requested_quantity:
            # subscription_update_confirm: the change is given, go straight to its preview.
            if self._requested_code:
                self.query_one("#promotion-code", Input).value = self._requested_code
            self.request_preview(self._requested_price, self._requested_code, self._requested_quantity)
        else:
            self.query_one("#plan-options", OptionList).focus()

    def _fill_choices(self, choices: PlanChoicesView) -> None:
        options = self.query_one("#plan-options", OptionList)
        options.clear_options()
        current_index = 0
        for index, option in enumerate(choices.options):
            text = option.label
            if option.is_current:
                text = self._("{plan} (current plan)", plan=option.label)
                current_index = index
            options.add_option(Option(literal(text), id=option.price_id))
        if choices.options:
            options.highlighted = current_index
        options.display = choices.can_switch_price and bool(choices.options)
        current = next((o for o in choices.options if o.is_current), None)
        current_text = self._("Your current plan: {plan}", plan=current.label) if current else ""
        self.query_one("#current-plan", Static).update(literal(current_text))
        self.query_one("#promotion").display = choices.promotion_codes_allowed
        self.query_one("#to-quantity").display = choices.quantity.adjustable

    # ---- choose -> preview ------------------------------------------------------------------

    def _selected_price(self) -> str | None:
        options = self.query_one("#plan-options", OptionList)
        if not options.display or options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id

    def action_preview(self) -> None:
        if self.choices is None or self.query_one(ContentSwitcher).current != "step-choose":
            return
        code = self.query_one("#promotion-code", Input).value.strip() or None
        price = self._selected_price()
        if price == self.choices.current_price_id:
            price = None
        if price is None and code is None:  # the current plan chosen, and no code to apply to it
            self._clear_field_errors()
            self._field_error("#choose-error", self._("This is your current plan. Choose another plan to change to."),
                              focus="#plan-options")
            return
        self.request_preview(price, code, None)

    @on(OptionList.OptionSelected, "#plan-options")
    def _option_selected(self) -> None:
        self.action_preview()

    @on(Input.Submitted, "#promotion-code")
    def _code_submitted(self) -> None:
        self.action_preview()

    @work(exclusive=True, group="plans-preview")
    async def request_preview(self, price_id: str | None, code: str | None, quantity: int | None) -> None:
        assert self.subscription_id is not None
        self._clear_field_errors()
        self.query_one(ErrorPanel).hide()
        button = self.query_one("#preview-button", Button)
        button.disabled = True
        try:
            preview = await self.service.preview_change(
                self.subscription_id, price_id=price_id, quantity=quantity, promotion_code=code
            )
        except PromotionCodeInvalid as error:
            self._field_error("#promotion-error", error.user_message, focus="#promotion-code")
            return
        except FieldError as error:
            self._field_error("#choose-error", error.user_message, focus="#plan-options")
            return
        except ActionNotAllowed as error:
            self._field_error("#choose-error", error.user_message, focus="#plan-options")
            return
        except PortalError as error:
            self.query_one(ErrorPanel).show_error(error, retry=lambda: self.request_preview(price_id, code, quantity))
            return
        finally:
            button.disabled = False
        self.preview = preview
        self.query_one(PreviewPanel).show(preview, await self.terms_url())
        self.show_step("step-preview")
        self.query_one("#confirm-button", Button).focus()

    def _clear_field_errors(self) -> None:
        for selector in ("#promotion-error", "#choose-error"):
            self.query_one(selector, FieldMessage).clear()

    def _field_error(self, selector: str, message: str, focus: str) -> None:
        self.query_one(selector, FieldMessage).show(message)
        self.query_one(focus).focus()

    # ---- preview -> confirm -> result -------------------------------------------------------

    @on(Button.Pressed, "#preview-button")
    def _preview_pressed(self) -> None:
        self.action_preview()

    @on(Button.Pressed, "#to-quantity")
    def action_to_quantity(self) -> None:
        """Seats of the current plan are changed on their own screen (same subscription)."""
        self.open_screen("quantity", subscription_id=self.subscription_id, flow=self.flow)

    @on(Button.Pressed, "#back-button")
    def _back_pressed(self) -> None:
        self.go_back()

    @on(Button.Pressed, "#choose-again")
    def action_choose_again(self) -> None:
        self.show_step("step-choose")
        self.query_one("#plan-options", OptionList).focus()

    @on(Button.Pressed, "#confirm-button")
    def action_confirm_change(self) -> None:
        self.confirm_and_apply()

    @work(exclusive=True, group="plans-apply")
    async def confirm_and_apply(self) -> None:
        await self.confirm_then_apply()

    @on(Button.Pressed, "#done-button")
    def _done(self) -> None:
        self.finish()

    def action_back(self) -> None:
        step = self.query_one(ContentSwitcher).current
        if step == "step-preview":
            self.action_choose_again()
        elif step == "step-result":
            self.finish()
        else:
            self.go_back()

    def finish(self) -> None:
        message = self.result.message if self.result is not None else None
        self.flow_done(message)
