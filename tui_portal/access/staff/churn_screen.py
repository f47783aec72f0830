"""Churn report: cancellations by month and reason (with a bar chart), comments, retention offers."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, LoadingIndicator, Static

from tui_portal.access.staff.churn import ChurnReport, bar, load_report
from tui_portal.access.staff.connection import StaffConnection
from tui_portal.ui.actions import ActionTable, DeclaredActions, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal
from tui_portal.ui.screens.base import N_
from tui_portal.ui.widgets.content_table import Column, Row, add_columns, show_rows
from tui_portal.ui.widgets.footer import PortalFooter

REASON_COLUMNS = (Column("month", "Month"), Column("reason", "Reason"), Column("count", "Cancellations", "right"))
COMMENT_COLUMNS = (
    Column("month", "Month"), Column("reason", "Reason"), Column("comment", "Comment"), Column("subscription", "Subscription"),
)
RETENTION_COLUMNS = (
    Column("month", "Month"), Column("made", "Offers made", "right"), Column("accepted", "Offers accepted", "right"),
)


class ChurnScreen(DeclaredActions, Screen[None]):
    """Read-only; every number is computed from the API when the screen opens (r reloads)."""

    CSS_PATH = stylesheet("staff.tcss")
    ACTIONS = ActionTable(
        ScreenAction("back", N_("Back"), key="escape", palette=False),
        ScreenAction("reload", N_("Reload"), key="r", palette=False),
    )

    def __init__(self, connection: StaffConnection) -> None:
        super().__init__(id="staff-churn")
        self.connection = connection
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
        add_columns(self.query_one("#churn-reasons", DataTable), REASON_COLUMNS)
        add_columns(self.query_one("#churn-comments", DataTable), COMMENT_COLUMNS)
        add_columns(self.query_one("#churn-retention", DataTable), RETENTION_COLUMNS)
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.load()

    @work(exclusive=True, group="staff-churn")
    async def load(self) -> None:
        loading = self.query_one("#churn-loading")
        loading.display = True
        try:
            async with self.connection.client() as client:
                configuration = await self.connection.configuration(client)
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

        reason_rows = [
            Row(None, (month, reason, str(count))) for (month, reason), count in sorted(report.cancellations.items())
        ]
        show_rows(self.query_one("#churn-reasons", DataTable), REASON_COLUMNS, reason_rows)
        comment_rows = [
            Row(None, (comment.month, comment.reason, comment.comment, comment.subscription_id))
            for comment in report.comments
        ]
        show_rows(self.query_one("#churn-comments", DataTable), COMMENT_COLUMNS, comment_rows)

        coupon = report.retention_coupon
        self.query_one("#retention-title", Static).update(
            literal(f"Retention offer ({coupon})" if coupon else "Retention offer (none configured)")
        )
        retention_rows = []
        for month in months:
            made, accepted = report.offers_made[month], report.offers_accepted[month]
            if made or accepted:
                retention_rows.append(Row(None, (month, str(made), str(accepted))))
        show_rows(self.query_one("#churn-retention", DataTable), RETENTION_COLUMNS, retention_rows)
        total_made, total_accepted = sum(report.offers_made.values()), sum(report.offers_accepted.values())
        self.query_one("#retention-totals", Static).update(
            literal(
                f"Offers made: {total_made}   Offers accepted: {total_accepted}   "
                f"Cancellations: {sum(report.cancellations.values())}"
            )
        )
