"""SSH keys: the keys this customer can log in to the portal with over SSH; add one, revoke one.

Adding takes a pasted public key line (what `cat ~/.ssh/id_ed25519.pub` prints), because that is
the one thing every SSH user can produce. The fingerprint is shown in full, as `ssh-keygen -lf`
prints it, so the customer can tell two keys apart. Revoking asks for confirmation: a revoked key
logs nobody in from the next login on, including the customer at another computer.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Input, Static

from tui_portal.portal.errors import FieldError, PortalError, ServiceUnavailable
from tui_portal.portal.views import Action
from tui_portal.portal.login.key_registry import RegisteredKey
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal, template
from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.screens.base import N_, PortalScreen
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.widgets.account_field import AccountField
from tui_portal.ui.widgets.content_table import Column, Row, add_columns, show_rows
from tui_portal.ui.widgets.error_panel import ErrorPanel


class SshKeysScreen(PortalScreen[None]):
    """List, add and revoke the bound customer's SSH keys."""

    CSS_PATH = [stylesheet("account_forms.tcss"), stylesheet("ssh_keys.tcss")]
    TITLE_MSGID = N_("SSH keys")
    # Without a key to revoke, "r" says so. Not in the palette (as before this table).
    ACTIONS = ActionTable(ScreenAction("revoke", N_("Revoke"), key="r", palette=False))

    def __init__(self, **_options: object) -> None:
        super().__init__()
        self._keys: dict[str, RegisteredKey] = {}
        self._pending_add: tuple[str, str, Action] | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="ssh-keys-body"):
            with Vertical(classes="panel"):
                yield Static(literal(self._("Your SSH keys")), classes="panel-title")
                yield Static(
                    literal(self._("These keys open this billing portal over SSH, for this account only.")),
                    classes="muted",
                )
                yield DataTable(id="ssh-key-table", cursor_type="row", zebra_stripes=True)
                yield Static(literal(self._("No SSH keys yet.")), id="ssh-keys-empty", classes="muted")
                yield Button(literal(self._("Revoke selected key")), id="revoke-ssh-key", variant="error", disabled=True)
            with Vertical(classes="panel", id="add-ssh-key"):
                yield Static(literal(self._("Add an SSH key")), classes="panel-title")
                yield Static(
                    literal(self._("Paste your public key, e.g. the output of: cat ~/.ssh/id_ed25519.pub")),
                    classes="muted",
                )
                yield AccountField("public_key", self._("Public key"), placeholder="ssh-ed25519 AAAA… you@laptop",
                                   id="ssh-key-line")
                yield AccountField("label", self._("Label (optional)"), max_length=100, id="ssh-key-label")
                yield Button(literal(self._("Add key")), id="add-ssh-key-button", variant="primary")
        yield ErrorPanel(self._("Retry"), id="ssh-keys-error")
        yield Static(id="ssh-keys-status")

    def on_mount(self) -> None:
        add_columns(self.query_one("#ssh-key-table", DataTable), self._columns())
        self.load_keys()

    # ---- list -------------------------------------------------------------------------------

    @work(exclusive=True, group="ssh-keys-load")
    async def load_keys(self) -> None:
        try:
            keys = await self.service.ssh_keys()
        except PortalError as error:
            retry = self.load_keys if isinstance(error, ServiceUnavailable) else None
            self.query_one(ErrorPanel).show(error.user_message, retry=retry)
            return
        self.query_one(ErrorPanel).hide()
        self._show_keys(keys)

    def _columns(self) -> tuple[Column, ...]:
        return (
            Column("label", self._("Label")),
            Column("fingerprint", self._("Fingerprint")),
            Column("type", self._("Type")),
            Column("added", self._("Added")),
        )

    def _show_keys(self, keys: list[RegisteredKey]) -> None:
        self._keys = {key.fingerprint: key for key in keys}
        table = self.query_one("#ssh-key-table", DataTable)
        rows = [
            Row(key.fingerprint, (key.label or "—", key.fingerprint, key.key_type or "—", key.added or "—"))
            for key in keys
        ]
        show_rows(table, self._columns(), rows)
        table.display = bool(keys)
        self.query_one("#ssh-keys-empty").display = not keys
        self.query_one("#revoke-ssh-key", Button).disabled = not keys

    def _selected(self) -> RegisteredKey | None:
        table = self.query_one("#ssh-key-table", DataTable)
        if not self._keys or table.row_count == 0:
            return None
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self._keys.get(str(row_key.value))

    # ---- add --------------------------------------------------------------------------------

    @on(Button.Pressed, "#add-ssh-key-button")
    def _add_pressed(self) -> None:
        self.add_key()

    @on(Input.Submitted, "#ssh-key-line Input")
    @on(Input.Submitted, "#ssh-key-label Input")
    def _submitted(self) -> None:
        self.add_key()

    @work(exclusive=True, group="ssh-keys-add")
    async def add_key(self) -> None:
        self.query_one(ErrorPanel).hide()
        line_field = self.query_one("#ssh-key-line", AccountField)
        label_field = self.query_one("#ssh-key-label", AccountField)
        line_field.set_error(None)
        label_field.set_error(None)
        line, label = line_field.value, label_field.value
        if self._pending_add is None or self._pending_add[:2] != (line, label):
            self._pending_add = (line, label, Action())
        self._set_status(self._("Adding…"))
        try:
            added = await self.service.add_ssh_key(line, label=label or None, action=self._pending_add[2])
        except FieldError as error:
            self._pending_add = None
            for each in error.errors:
                (label_field if each.field == "label" else line_field).set_error(each.user_message)
            self._set_status(self._("Nothing was added. Please correct the marked fields."), problem=True)
            line_field.input.focus()
            return
        except ServiceUnavailable as error:
            self.query_one(ErrorPanel).show(error.user_message, retry=self.add_key)
            self._set_status("")
            return
        except PortalError as error:
            self._pending_add = None
            self._set_status(error.user_message, problem=True)
            return
        self._pending_add = None
        line_field.set_value("")
        label_field.set_value("")
        self._set_status(self._("Added {fingerprint}.", fingerprint=added.fingerprint), success=True)
        self.load_keys()

    # ---- revoke -----------------------------------------------------------------------------

    @on(Button.Pressed, "#revoke-ssh-key")
    def _revoke_pressed(self) -> None:
        self.action_revoke()

    def action_revoke(self) -> None:
        key = self._selected()
        if key is None:
            self._set_status(self._("There is no SSH key to revoke."), problem=True)
            return
        self.revoke_key(key)

    @work(exclusive=True, group="ssh-keys-revoke")
    async def revoke_key(self, key: RegisteredKey) -> None:
        body = template(
            "$intro\n\n[b]$label[/b]\n$fingerprint",
            intro=self._("This key will no longer open the portal over SSH, from any computer."),
            label=key.label or key.key_type,
            fingerprint=key.fingerprint,
        )
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen(self._("Revoke SSH key"), body, self._("Revoke"), danger=True)
        )
        if not confirmed:
            self._set_status(self._("Nothing was revoked."))
            return
        try:
            await self.service.revoke_ssh_key(key.fingerprint, action=Action())
        except PortalError as error:
            self._set_status(error.user_message, problem=True)
            return
        self._set_status(self._("Revoked {fingerprint}.", fingerprint=key.fingerprint), success=True)
        self.load_keys()

    def _set_status(self, message: str, *, problem: bool = False, success: bool = False) -> None:
        status = self.query_one("#ssh-keys-status", Static)
        status.update(literal(message))
        status.set_class(problem, "-problem")
        status.set_class(success, "-success")

    @property
    def status(self) -> str:
        return str(self.query_one("#ssh-keys-status", Static).content)
