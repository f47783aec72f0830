"""Churn report: cancellations by month and reason (with a bar chart), comments, retention offers."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, LoadingIndicator, Static

from tui_portal.access.staff.churn import ChurnReport, bar, load_report
from tui_portal.ui.widgets.footer import PortalFooter
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import cell, literal
from tui_portal.ui.screens.base import N_

if TYPE_CHECKING:
    from tui_portal.access.staff.app import StaffApp


class ChurnScreen(Screen[None]):
    """Read-only; every number is computed from the API when the screen opens (r reloads)."""

    CSS_PATH = stylesheet("staff.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", N_("Back")),
        Binding("r", "reload", N_("Reload")),
    ]

    def __init__(self) -> None:
        super().__init__(id="staff-churn")
        self.report: ChurnReport | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="churn-body"):
            yield Static(literal("Churn and retention (all customers)"), id="churn-title")
            yield LoadingIndicator(id="churn-loading")
            yield Static(id="churn-status")
            yield Static(literal("Cancellations per month"), classes="section-title")
            yield Static(id="churn-chart")
            yield Static(literal("Cancellations by month and reason"), classes="section-title")
            yield DataTable(id="churn-reasons", cursor_type="row")
            yield Static(literal("Comments"), classes="section-title")
            yield DataTable(id="churn-comments", cursor_type="row")
            yield Static(id="retention-title", classes="section-title")
            yield DataTable(id="churn-retention", cursor_type="row")
            yield Static(id="retention-totals")
        yield PortalFooter()

    def on_mount(self) -> None:
        self.query_one("#churn-reasons", DataTable).add_columns("Month", "Reason", "Cancellations")
        self.query_one("#churn-comments", DataTable).add_columns("Month", "Reason", "Comment", "Subscription")
        self.query_one("#churn-retention", DataTable).add_columns("Month", "Offers made", "Offers accepted")
        self.load()

    def action_reload(self) -> None:
        self.load()

    @work(exclusive=True, group="staff-churn")
    async def load(self) -> None:
        staff_app: StaffApp = self.app  # type: ignore[assignment]
        loading = self.query_one("#churn-loading")
        loading.display = True
        try:
            async with staff_app.connection.client() as client:
                configuration = await staff_app.connection.configuration(client)
                report = await load_report(client, configuration.tui.retention_coupon)
        except Exception as error:  # noqa: BLE001 - explained on screen; r retries
            loading.display = False
            self.query_one("#churn-status", Static).update(
                literal(f"Could not load the report: {getattr(error, 'user_message', None) or error} (r to retry)")
            )
            return
        loading.display = False
        self.query_one("#churn-status", Static).update("")
        self.report = report
        self._show(report)

    def _show(self, report: ChurnReport) -> None:
        months = report.months
        largest = max((report.cancellations_in(month) for month in months), default=0)
        chart_lines = []
        for month in months:
            count = report.cancellations_in(month)
            chart_lines.append(f"{month}  {bar(count, largest):<31} {count}")
        self.query_one("#churn-chart", Static).update(
            literal("\n".join(chart_lines) if largest else "No cancellations yet.")
        )

        reasons = self.query_one("#churn-reasons", DataTable)
        reasons.clear()
        for (month, reason), count in sorted(report.cancellations.items()):
            reasons.add_row(cell(month), cell(reason), cell(str(count), justify="right"))

        comments = self.query_one("#churn-comments", DataTable)
        comments.clear()
        for comment in report.comments:
            comments.add_row(cell(comment.month), cell(comment.reason), cell(comment.comment), cell(comment.subscription_id))

        coupon = report.retention_coupon
        self.query_one("#retention-title", Static).update(
            literal(f"Retention offer ({coupon})" if coupon else "Retention offer (none configured)")
        )
        retention = self.query_one("#churn-retention", DataTable)
        retention.clear()
        for month in months:
            made, accepted = report.offers_made[month], report.offers_accepted[month]
            if made or accepted:
                retention.add_row(cell(month), cell(str(made), justify="right"), cell(str(accepted), justify="right"))
        total_made, total_accepted = sum(report.offers_made.values()), sum(report.offers_accepted.values())
        self.query_one("#retention-totals", Static).update(
            literal(
                f"Offers made: {total_made}   Offers accepted: {total_accepted}   "
                f"Cancellations: {sum(report.cancellations.values())}"
            )
        )
