"""Usage of metered plans: used so far this period, what it will cost, and a chart of the last periods.

Everything shown comes from `service.usage()` (a `UsageView`): the figures are computed in the portal
layer and only laid out here. The chart is horizontal bars of block characters, one line per billing
period, each labelled with its dates, its usage and its cost, so it reads at 80x24, on a terminal
without colour and to a screen reader alike; the running period says "so far" in words, not only in
a colour.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import LoadingIndicator, Static

from tui_portal.portal.errors import PortalError
from tui_portal.portal.views import MeteredItemView, UsagePeriodView, UsageView
from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal
from tui_portal.ui.screens.base import N_, PortalScreen
from tui_portal.ui.widgets.error_panel import ErrorPanel

# Eighths of a block: a bar's length is exact to 1/8 of a cell.
_PARTIAL_BLOCKS = " \u258f\u258e\u258d\u258c\u258b\u258a\u2589"
_FULL_BLOCK = "\u2588"
MIN_BAR_WIDTH = 8


def bar(value: float, maximum: float, width: int) -> str:
    """A bar `width` cells long at `maximum`, in eighths of a cell; any use above zero shows at least
    a sliver, so "a little" never looks like "nothing"."""
    if maximum <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / maximum * width * 8))
    full, partial = divmod(eighths, 8)
    return _FULL_BLOCK * full + (_PARTIAL_BLOCKS[partial] if partial else "")


def chart_lines(periods: tuple[UsagePeriodView, ...], width: int, so_far: str) -> list[str]:
    """One line per period: dates, bar, usage and cost, aligned in columns that fit `width` cells."""
    if not periods:
        return []
    label_width = max(len(period.label) for period in periods)
    usage_width = max(len(period.usage_label) for period in periods)
    cost_width = max(len(period.cost.display) for period in periods)
    note_width = len(so_far) + 1
    bar_width = max(MIN_BAR_WIDTH, width - label_width - usage_width - cost_width - note_width - 6)
    maximum = float(max(period.usage for period in periods))
    lines = []
    for period in periods:
        drawn = bar(float(period.usage), maximum, bar_width)
        note = so_far if period.is_current else ""
        lines.append(f"{period.label:<{label_width}}  {drawn:<{bar_width}}  {period.usage_label:>{usage_width}}"
                     f"  {period.cost.display:>{cost_width}} {note}".rstrip())
    return lines


class UsageScreen(PortalScreen[None]):
    """The usage of each metered item of the customer's subscriptions."""

    TITLE_MSGID = N_("Usage")
    CSS_PATH = stylesheet("usage.tcss")
    ACTIONS = ActionTable(
        ScreenAction("reload", N_("Reload"), key="ctrl+r", palette_help=N_("Fetch the latest usage")),
    )

    def __init__(self, subscription_id: str | None = None, **_options: object) -> None:
        """`subscription_id`: the plan whose "Usage" button opened the screen; its items are scrolled
        into view (all metered items are shown either way)."""
        super().__init__()
        self.subscription_id = subscription_id
        self.data: UsageView | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="usage-body"):
            yield ErrorPanel(self._("Retry"), id="usage-error")
            if self.data is None:
                yield LoadingIndicator(id="usage-loading")
            else:
                for index, item in enumerate(self.data.items):
                    yield from self._compose_item(item, index)

    def _compose_item(self, item: MeteredItemView, index: int) -> ComposeResult:
        _ = self._
        with Vertical(id=f"usage-item-{index}", classes="panel usage-item"):
            yield Static(literal(f"{item.meter_name} \u00b7 {item.product_name}"), classes="panel-title")
            yield Static(literal(_("This period: {period}", period=item.period_label)), classes="usage-period")
            yield Static(literal(_("Used so far: {usage}", usage=item.usage_label)), classes="usage-figure usage-so-far")
            yield Static(literal(_("Cost so far: {amount}", amount=item.cost.display)), classes="usage-figure usage-cost")
            yield Static(literal(item.billed_label), classes="muted")
            yield Static(literal(item.price_label), classes="muted usage-price")
            for tier in item.tiers:
                if tier.range_label:
                    text = f"  {tier.range_label}: {tier.units_label} \u00d7 {tier.rate_label} = {tier.amount.display}"
                else:
                    text = f"  {tier.units_label} \u00d7 {tier.rate_label} = {tier.amount.display}"
                yield Static(literal(text), classes="usage-tier")
            yield Static(literal(_("Usage per period (cost at the current price)")), classes="usage-chart-title")
            width = max(40, self.app.size.width - 6)  # the panel's border and padding
            for line in chart_lines(item.history, width, _("so far")):
                yield Static(literal(line), classes="usage-bar")

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="usage-load")
    async def load(self) -> None:
        try:
            data = await self.service.usage()
        except PortalError as error:
            self.query("#usage-loading").remove()
            self.query_one(ErrorPanel).show_error(error, retry=self.load)
            return
        self.data = data
        await self.recompose()
        self.query_one("#usage-body").focus()
        for index, item in enumerate(data.items):
            if item.subscription_id == self.subscription_id:
                self.query_one(f"#usage-item-{index}").scroll_visible(animate=False, top=True)
                break

    def action_reload(self) -> None:
        self.load()
