"""A QR code drawn with half-block characters, for the Stripe-hosted card setup link.

Card numbers are never typed into the terminal: the customer scans this code (or opens the link) and
enters the card on Stripe's own page. Two QR modules share one character cell (upper/lower half block),
so a typical setup URL fits in about 40 x 20 cells, beside the link text on an 80 x 24 terminal.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

# Dark modules must be dark and light modules light whatever the terminal theme, or phones cannot scan
# the code; so the colours are fixed instead of following the app theme.
QR_STYLE = "#000000 on #ffffff"


def qr_code_lines(data: str, *, border: int = 2) -> list[str]:
    """Return the QR code for `data` as lines of half-block characters (dark module = drawn ink)."""
    # Imported on first use: the link screen (and so this module) is loaded at start-up, a QR code is
    # drawn rarely, and qrcode costs ~30 ms of import time.
    import qrcode
    from qrcode.constants import ERROR_CORRECT_L

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_L, border=border)
    code.add_data(data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    if len(matrix) % 2:
        matrix.append([False] * len(matrix[0]))
    lines: list[str] = []
    for row in range(0, len(matrix), 2):
        top_row = matrix[row]
        bottom_row = matrix[row + 1]
        characters: list[str] = []
        for top, bottom in zip(top_row, bottom_row):
            if top and bottom:
                characters.append("█")
            elif top:
                characters.append("▀")
            elif bottom:
                characters.append("▄")
            else:
                characters.append(" ")
        lines.append("".join(characters))
    return lines


class CardSetupQR(Static):
    """Shows the QR code of a URL; the text is built here from a matrix, never parsed as markup."""

    def __init__(self, url: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(self._render_code(url), id=id, classes=classes, markup=False)

    @staticmethod
    def _render_code(url: str) -> Text:
        return Text("\n".join(qr_code_lines(url)), style=QR_STYLE, no_wrap=True)
