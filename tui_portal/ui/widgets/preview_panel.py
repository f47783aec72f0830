"""What a plan, quantity or promotion-code change costs, as Stripe computed it (a `ChangePreview`).

Shared by the plans and quantity screens so both show the same numbers in the same words.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui_portal.portal.views import ChangePreview, ItemsChangePreview
from tui_portal.ui.safe import literal


class PreviewPanel(Vertical):
    """Summary, amount due now, next renewal, when it applies, and the invoice lines."""

    def __init__(self, translate: Callable[..., str], *, id: str | None = None) -> None:
        super().__init__(id=id, classes="panel preview-panel")
        self._ = translate

    def compose(self) -> ComposeResult:
        yield Static(classes="preview-summary")
        yield Static(classes="preview-due-now")
        yield Static(classes="preview-next")
        yield Static(classes="preview-when")
        yield Static(literal(self._("Details")), classes="panel-title preview-lines-title")
        yield Static(classes="preview-lines")
        yield Static(classes="preview-terms muted")

    def show(self, preview: ChangePreview | ItemsChangePreview, terms_url: str | None) -> None:
        _ = self._
        summary = preview.summary
        if isinstance(preview, ItemsChangePreview):  # a multi-item change names each item it changes
            summary = "\n".join([*preview.changes, summary])
        self.query_one(".preview-summary", Static).update(literal(summary))
        self.query_one(".preview-due-now", Static).update(
            literal(_("Due now: {amount}", amount=preview.amount_due_now.display))
        )
        self.query_one(".preview-next", Static).update(
            literal(f"{preview.next_renewal_label}: {preview.next_renewal_amount.display}")
        )
        when = preview.effective_label
        if preview.scheduled_at_period_end:
            when = _("{when} (at the end of the current period; nothing changes before then)", when=when)
        if preview.promotion_code is not None:
            when = _("{when}. Promotion code {code}: {description}", when=when, code=preview.promotion_code.code,
                     description=preview.promotion_code.description)
        self.query_one(".preview-when", Static).update(literal(when))
        rows = []
        for line in preview.lines:
            text = line.description
            if line.period_label:
                text = f"{text} ({line.period_label})"
            rows.append(f"{line.amount.display:>12}  {text}")
        self.query_one(".preview-lines", Static).update(literal("\n".join(rows) or _("No invoice lines.")))
        terms = _("By confirming you agree to the terms of service: {url}", url=terms_url) if terms_url else ""
        terms_widget = self.query_one(".preview-terms", Static)
        terms_widget.update(literal(terms))
        terms_widget.display = bool(terms)
