"""Change the quantity (seats) of a plan within the product's minimum and maximum.

Steps: choose (number field, +/- keys, bounds shown) -> preview -> (ConfirmScreen) -> result.
An out-of-range number is explained next to the field before any request is made; the service
enforces the same bounds.
"""

from __future__ import annotations


from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, ContentSwitcher, Input, LoadingIndicator, Static

from tui_portal.portal.errors import ActionNotAllowed, FieldError, PortalError
from tui_portal.portal.views import ChangePreview, ChangeResult, PlanChoicesView
from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal
from tui_portal.ui.screens.base import N_, PortalScreen
from tui_portal.ui.screens.subscription_flow import ChangeFlowMixin
from tui_portal.ui.widgets.error_panel import ErrorPanel
from tui_portal.ui.widgets.field_message import FieldMessage
from tui_portal.ui.widgets.preview_panel import PreviewPanel


class QuantityScreen(ChangeFlowMixin, PortalScreen[None]):
    """Seats of the current plan: preview, confirm, result."""

    APPLY_GROUP = "quantity-apply"

    TITLE_MSGID = N_("Change quantity")
    CSS_PATH = stylesheet("quantity.tcss")
    # Priority: the number field would otherwise swallow + and - (no negative quantities anyway).
    # + - and ctrl+s are in the footer only while choosing.
    ACTIONS = ActionTable(
        ScreenAction("step(1)", N_("One more"), key="plus", key_display="+", priority=True,
                     palette_help=N_("Quantity"),
                     available=lambda screen: screen.choices is not None and screen.step_is("step-choose")),
        ScreenAction("step(-1)", N_("One less"), key="minus", key_display="-", priority=True,
                     palette_help=N_("Quantity"),
                     available=lambda screen: screen.choices is not None and screen.step_is("step-choose")),
        ScreenAction("preview", N_("Preview"), key="ctrl+s", palette_label=N_("Preview change"),
                     palette_help=N_("See what it costs"),
                     available=lambda screen: screen.choices is not None and screen.step_is("step-choose")),
        ScreenAction("confirm_change", N_("Confirm change"), palette_help=N_("Subscription"),
                     available=lambda screen: screen.step_is("step-preview")),
    )

    def __init__(self, subscription_id: str | None = None, flow: str | None = None) -> None:
        super().__init__()
        self.subscription_id = subscription_id
        self.flow = flow
        self.choices: PlanChoicesView | None = None
        self.preview: ChangePreview | None = None
        self.result: ChangeResult | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="quantity-body", can_focus=False):
            yield ErrorPanel(self._("Retry"), id="quantity-error")
            yield LoadingIndicator(id="quantity-loading")
            with ContentSwitcher(initial="step-choose", id="quantity-steps"):
                with Vertical(id="step-choose"):
                    yield Static(id="quantity-current", classes="muted")
                    yield Static(literal(self._("Quantity")), classes="field-label")
                    with Horizontal(id="quantity-row"):
                        yield Button(literal("−"), id="quantity-minus", classes="stepper")
                        # A text field, not type="integer": that one drops what it rejects, so
                        # "2.5" became 25; here "2.5" stays as typed and is explained.
                        yield Input(id="quantity-input")
                        yield Button(literal("+"), id="quantity-plus", classes="stepper")
                    yield Static(id="quantity-rule", classes="muted")
                    yield FieldMessage(id="quantity-field-error")
                    with Horizontal(classes="actions"):
                        yield Button(literal(self._("Preview change")), id="preview-button", variant="primary")
                        yield Button(literal(self._("Back")), id="back-button")
                yield from self.compose_preview_and_result_steps("quantity-preview")

    def on_mount(self) -> None:
        self.query_one("#quantity-steps").display = False
        self.load()

    @work(exclusive=True, group="quantity-load")
    async def load(self) -> None:
        error_panel = self.query_one(ErrorPanel)
        error_panel.hide()
        try:
            subscription_id = await self.resolve_subscription_id("quantity")
            choices = await self.service.plan_choices(subscription_id)
            if not choices.quantity.adjustable:
                raise ActionNotAllowed(self._("The quantity of this plan cannot be changed."))
        except PortalError as error:
            self.query_one("#quantity-loading").display = False
            error_panel.show_error(error, retry=self.load)
            return
        self.subscription_id = subscription_id
        self.choices = choices
        self.refresh_bindings()  # the choosing keys apply from now on
        current_plan = next((option.label for option in choices.options if option.is_current), None)
        current_text = self._("Current quantity: {quantity}", quantity=choices.current_quantity)
        if current_plan:
            current_text = f"{current_plan}\n{current_text}"
        self.query_one("#quantity-current", Static).update(literal(current_text))
        self.query_one("#quantity-rule", Static).update(literal(choices.quantity.label))
        quantity_input = self.query_one("#quantity-input", Input)
        quantity_input.value = str(choices.current_quantity)
        self.query_one("#quantity-loading").display = False
        self.query_one("#quantity-steps").display = True
        quantity_input.focus()

    # ---- choose -----------------------------------------------------------------------------

    def _typed_quantity(self) -> int | None:
        try:
            return int(self.query_one("#quantity-input", Input).value.strip())
        except ValueError:
            return None

    def action_step(self, delta: int) -> None:
        if self.choices is None or self.query_one(ContentSwitcher).current != "step-choose":
            return
        rule = self.choices.quantity
        current = self._typed_quantity()
        base = current if current is not None else self.choices.current_quantity
        wanted = base + delta
        stepped = min(max(wanted, rule.minimum), rule.maximum)  # + and - never leave the bounds
        field = self.query_one("#quantity-input", Input)
        if field.value.strip() != str(stepped):
            field.value = str(stepped)  # Input.Changed checks the new value
        if wanted != stepped:  # a step past a bound: say why nothing moved
            self.query_one("#quantity-field-error", FieldMessage).show(self._bound_message(wanted))
        else:
            self._check_bounds()

    @on(Button.Pressed, "#quantity-minus")
    def _minus(self) -> None:
        self.action_step(-1)

    @on(Button.Pressed, "#quantity-plus")
    def _plus(self) -> None:
        self.action_step(1)

    @on(Input.Changed, "#quantity-input")
    def _changed(self) -> None:
        self._check_bounds()

    def _check_bounds(self) -> int | None:
        """The typed quantity if valid, else None with the reason shown under the field."""
        if self.choices is None:
            return None
        quantity = self._typed_quantity()
        message = self._("Quantity: enter a whole number.") if quantity is None else self._bound_message(quantity)
        self.query_one("#quantity-field-error", FieldMessage).show(message)
        return None if message else quantity

    def _bound_message(self, quantity: int) -> str:
        """Why `quantity` is out of range ("" when it is in range)."""
        assert self.choices is not None
        rule = self.choices.quantity
        if quantity < rule.minimum:
            return self._("Quantity: the minimum is {minimum}.", minimum=rule.minimum)
        if quantity > rule.maximum:
            return self._("Quantity: the maximum is {maximum}.", maximum=rule.maximum)
        return ""

    def action_preview(self) -> None:
        if self.choices is None or self.query_one(ContentSwitcher).current != "step-choose":
            return
        quantity = self._check_bounds()
        if quantity is None:
            self.query_one("#quantity-input").focus()
            return
        if quantity == self.choices.current_quantity:
            self.query_one("#quantity-field-error", FieldMessage).show(self._("Quantity: this is your current quantity."))
            return
        self.request_preview(quantity)

    @on(Input.Submitted, "#quantity-input")
    @on(Button.Pressed, "#preview-button")
    def _preview_pressed(self) -> None:
        self.action_preview()

    @on(Button.Pressed, "#back-button")
    def _back_pressed(self) -> None:
        self.go_back()

    @work(exclusive=True, group="quantity-preview")
    async def request_preview(self, quantity: int) -> None:
        assert self.subscription_id is not None
        self.query_one(ErrorPanel).hide()
        try:
            preview = await self.service.preview_change(self.subscription_id, quantity=quantity)
        except FieldError as error:
            self.query_one("#quantity-field-error", FieldMessage).show(error.user_message)
            self.query_one("#quantity-input").focus()
            return
        except PortalError as error:
            self.query_one(ErrorPanel).show_error(error, retry=lambda: self.request_preview(quantity))
            return
        self.preview = preview
        self.query_one(PreviewPanel).show(preview, await self.terms_url())
        self.show_step("step-preview")
        self.query_one("#confirm-button", Button).focus()

    # ---- confirm -> result ------------------------------------------------------------------

    @on(Button.Pressed, "#choose-again")
    def _choose_again(self) -> None:
        self.show_step("step-choose")
        self.query_one("#quantity-input").focus()

    @on(Button.Pressed, "#confirm-button")
    def action_confirm_change(self) -> None:
        self.confirm_and_apply()

    @work(exclusive=True, group="quantity-apply")
    async def confirm_and_apply(self) -> None:
        await self.confirm_then_apply()

    @on(Button.Pressed, "#done-button")
    def _done(self) -> None:
        self.flow_done(self.result.message if self.result is not None else None)

    def action_back(self) -> None:
        step = self.query_one(ContentSwitcher).current
        if step == "step-preview":
            self._choose_again()
        elif step == "step-result":
            self._done()
        else:
            self.go_back()
