"""Change a subscription's items together: each item's price and quantity, remove an add-on, add one.

Steps: edit every item on one page -> one preview of the whole change -> (ConfirmScreen) -> result.
Nothing is sent per item: the page gathers the edits and the service previews and applies them as one
subscription update, so one confirmation covers one bill. A quantity that is not a whole number is
explained next to its item before any request; the service enforces the configured bounds and names
the product it refused.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Checkbox, ContentSwitcher, Input, LoadingIndicator, Select, Static

from tui_portal.portal.errors import ActionNotAllowed, FieldError, PortalError
from tui_portal.portal.views import ChangeResult, ItemChoicesView, ItemEdit, ItemsChangePreview
from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal
from tui_portal.ui.screens.base import N_, PortalScreen
from tui_portal.ui.screens.subscription_flow import ChangeFlowMixin
from tui_portal.ui.widgets.error_panel import ErrorPanel
from tui_portal.ui.widgets.field_message import FieldMessage
from tui_portal.ui.widgets.preview_panel import PreviewPanel
from tui_portal.ui.widgets.subscription_items import item_line


class ItemsScreen(ChangeFlowMixin, PortalScreen[None]):
    """Every item of one subscription, edited as one change with one preview and one confirmation."""

    APPLY_GROUP = "items-apply"

    TITLE_MSGID = N_("Items and add-ons")
    CSS_PATH = stylesheet("items.tcss")
    ACTIONS = ActionTable(
        ScreenAction("preview", N_("Preview"), key="ctrl+s", palette_label=N_("Preview change"),
                     palette_help=N_("See what it costs"),
                     available=lambda screen: screen.choices is not None and screen.step_is("step-choose")),
        ScreenAction("confirm_change", N_("Confirm change"), palette_help=N_("Subscription"),
                     available=lambda screen: screen.step_is("step-preview")),
        ScreenAction("choose_again", N_("Choose again"), palette_help=N_("Subscription"),
                     available=lambda screen: screen.step_is("step-preview")),
    )

    def __init__(self, subscription_id: str | None = None, flow: str | None = None) -> None:
        super().__init__()
        self.subscription_id = subscription_id
        self.flow = flow
        self.choices: ItemChoicesView | None = None
        self.preview: ItemsChangePreview | None = None
        self.result: ChangeResult | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="items-body", can_focus=False):
            yield ErrorPanel(self._("Retry"), id="items-error")
            yield LoadingIndicator(id="items-loading")
            with ContentSwitcher(initial="step-choose", id="items-steps"):
                with Vertical(id="step-choose"):
                    yield Static(
                        literal(self._("Change any item's price or quantity, remove an add-on or add one. "
                                       "One preview shows what the whole change costs.")),
                        id="items-intro", classes="muted",
                    )
                    yield Vertical(id="items-list")
                    yield Vertical(id="add-ons")
                    yield FieldMessage(id="items-field-error")
                    with Horizontal(classes="actions"):
                        yield Button(literal(self._("Preview change")), id="preview-button", variant="primary")
                        yield Button(literal(self._("Back")), id="back-button")
                yield from self.compose_preview_and_result_steps("items-preview")

    def on_mount(self) -> None:
        self.query_one("#items-steps").display = False
        self.load()

    @work(exclusive=True, group="items-load")
    async def load(self) -> None:
        error_panel = self.query_one(ErrorPanel)
        error_panel.hide()
        try:
            subscription_id = await self.resolve_subscription_id("items")
            choices = await self.service.item_choices(subscription_id)
        except PortalError as error:
            self.query_one("#items-loading").display = False
            error_panel.show_error(error, retry=self.load)
            return
        self.subscription_id = subscription_id
        self.choices = choices
        await self.query_one("#items-list").mount_all(self._item_rows(choices))
        await self.query_one("#add-ons").mount_all(self._add_on_rows(choices))
        self.refresh_bindings()
        self.query_one("#items-loading").display = False
        self.query_one("#items-steps").display = True
        focusable = [widget for widget in self.query("#step-choose Select, #step-choose Input, #step-choose Checkbox")]
        (focusable[0] if focusable else self.query_one("#preview-button")).focus()

    # ---- choose -----------------------------------------------------------------------------

    def _item_rows(self, choices: ItemChoicesView) -> list[Widget]:
        rows: list[Widget] = []
        for index, choice in enumerate(choices.items):
            parts: list[Widget] = [Static(literal(item_line(choice.item)), classes="item-current panel-title")]
            if choice.options:
                parts.append(Select(
                    [(literal(option.label), option.price_id) for option in choice.options],
                    value=choice.item.price_id, allow_blank=False, compact=True, id=f"item-{index}-price",
                ))
            if choice.quantity.adjustable:
                parts.append(Horizontal(
                    Static(literal(self._("Quantity")), classes="item-label"),
                    Input(str(choice.item.quantity), id=f"item-{index}-quantity", classes="item-quantity", compact=True),
                    Static(literal(choice.quantity.label), classes="muted item-rule"),
                    classes="item-row",
                ))
            if choice.can_remove:
                parts.append(Checkbox(literal(self._("Remove this add-on")), id=f"item-{index}-remove",
                                      compact=True))
            if not (choice.options or choice.quantity.adjustable or choice.can_remove):
                parts.append(Static(literal(self._("This item cannot be changed here.")), classes="muted"))
            rows.append(Vertical(*parts, classes="panel item-panel"))
        return rows

    def _add_on_rows(self, choices: ItemChoicesView) -> list[Widget]:
        if not choices.add_ons:
            return []
        rows: list[Widget] = [Static(literal(self._("Add an add-on")), classes="section-title")]
        for index, option in enumerate(choices.add_ons):
            rule = choices.add_on_rules[option.price_id]
            parts: list[Widget] = [Checkbox(literal(option.label), id=f"add-on-{index}-add", compact=True)]
            if option.product_description:
                parts.append(Static(literal(option.product_description), classes="muted"))
            if rule.adjustable:
                parts.append(Horizontal(
                    Static(literal(self._("Quantity")), classes="item-label"),
                    Input(str(rule.minimum), id=f"add-on-{index}-quantity", classes="item-quantity", compact=True),
                    Static(literal(rule.label), classes="muted item-rule"),
                    classes="item-row",
                ))
            rows.append(Vertical(*parts, classes="panel item-panel"))
        return rows

    def _typed_quantity(self, selector: str) -> int | None:
        """The whole number typed in `selector`, or None (the reason is shown by the caller)."""
        try:
            return int(self.query_one(selector, Input).value.strip())
        except ValueError:
            return None

    def edits(self) -> list[ItemEdit] | None:
        """What the page says should change (unchanged items left out); None when a quantity is not a
        whole number (explained under the list)."""
        assert self.choices is not None
        edits: list[ItemEdit] = []
        for index, choice in enumerate(self.choices.items):
            item = choice.item
            removes = self.query(f"#item-{index}-remove")
            if removes and removes.first(Checkbox).value:
                edits.append(ItemEdit(item.id, item.price_id, item.quantity, deleted=True))
                continue
            price_id = item.price_id
            if choice.options:
                chosen = self.query_one(f"#item-{index}-price", Select).value
                price_id = chosen if isinstance(chosen, str) else item.price_id
            quantity: int | None = None
            if choice.quantity.adjustable:
                quantity = self._typed_quantity(f"#item-{index}-quantity")
                if quantity is None:
                    self._not_a_number(item.product_name)
                    return None
            if price_id != item.price_id or (quantity is not None and quantity != item.quantity):
                edits.append(ItemEdit(item.id, price_id, quantity))
        for index, option in enumerate(self.choices.add_ons):
            if not self.query_one(f"#add-on-{index}-add", Checkbox).value:
                continue
            quantity = None
            if self.choices.add_on_rules[option.price_id].adjustable:
                quantity = self._typed_quantity(f"#add-on-{index}-quantity")
                if quantity is None:
                    self._not_a_number(option.product_name)
                    return None
            edits.append(ItemEdit(None, option.price_id, quantity))
        return edits

    def _not_a_number(self, product: str) -> None:
        self.query_one("#items-field-error", FieldMessage).show(
            self._("{product}: enter the quantity as a whole number.", product=product))

    def action_preview(self) -> None:
        if self.choices is None or not self.step_is("step-choose"):
            return
        edits = self.edits()
        if edits is None:
            return
        if not edits:
            self.query_one("#items-field-error", FieldMessage).show(
                self._("Nothing would change. Change a price or a quantity, or add or remove an add-on."))
            return
        self.query_one("#items-field-error", FieldMessage).show("")
        self.request_preview(edits)

    @on(Button.Pressed, "#preview-button")
    @on(Input.Submitted, ".item-quantity")
    def _preview_pressed(self) -> None:
        self.action_preview()

    @on(Button.Pressed, "#back-button")
    def _back_pressed(self) -> None:
        self.go_back()

    @work(exclusive=True, group="items-preview")
    async def request_preview(self, edits: list[ItemEdit]) -> None:
        assert self.subscription_id is not None
        self.query_one(ErrorPanel).hide()
        try:
            preview = await self.service.preview_items_change(self.subscription_id, edits)
        except (FieldError, ActionNotAllowed) as error:
            # Refusals (a bound, a price not offered, the last item) name the item: shown by the list.
            self.query_one("#items-field-error", FieldMessage).show(error.user_message)
            return
        except PortalError as error:
            self.query_one(ErrorPanel).show_error(error, retry=lambda: self.request_preview(edits))
            return
        self.preview = preview
        self.query_one(PreviewPanel).show(preview, await self.terms_url())
        self.show_step("step-preview")
        self.query_one("#confirm-button", Button).focus()

    # ---- confirm -> result ------------------------------------------------------------------

    def action_choose_again(self) -> None:
        self.show_step("step-choose")

    @on(Button.Pressed, "#choose-again")
    def _choose_again(self) -> None:
        self.action_choose_again()

    @on(Button.Pressed, "#confirm-button")
    def action_confirm_change(self) -> None:
        self.confirm_and_apply()

    @work(exclusive=True, group="items-apply")
    async def confirm_and_apply(self) -> None:
        await self.confirm_then_apply()

    @on(Button.Pressed, "#done-button")
    def _done(self) -> None:
        self.flow_done(self.result.message if self.result is not None else None)

    def action_back(self) -> None:
        if self.step_is("step-preview"):
            self.action_choose_again()
        elif self.step_is("step-result"):
            self._done()
        else:
            self.go_back()
