"""Fill a DataTable with columns as wide as their widest text, right on the first frame.

DataTable measures automatic column widths on its next idle, and caches the header line it drew
before that idle: a table filled and drawn in between (the first frame of a busy SSH session, or a
snapshot) showed a header cut to its labels above wider rows. Widths computed here from the text
itself are fixed before the rows are added, so the header and the rows agree from the first frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from tui_portal.ui.safe import cell, clean

Justify = Literal["left", "right"]


@dataclass(frozen=True)
class Column:
    """One column: its key, its translated header, and how its cells line up."""

    key: str
    header: str
    justify: Justify = "left"


@dataclass(frozen=True)
class Row:
    """One row: its key (what the screen looks it up by) and its texts, one per column."""

    key: str | None
    texts: Sequence[object]


def add_columns(table: DataTable[object], columns: Sequence[Column]) -> None:
    """The table's columns, each as wide as its header until rows arrive (call once, on mount)."""
    for column in columns:
        table.add_column(Text(column.header, justify=column.justify), key=column.key, width=cell_len(column.header))


def show_rows(table: DataTable[object], columns: Sequence[Column], rows: Sequence[Row]) -> None:
    """Replace the rows; each column becomes as wide as its header or its widest cell."""
    for index, column in enumerate(columns):
        widths = [cell_len(column.header)]
        for row in rows:
            widths.append(cell_len(clean(row.texts[index])))
        table_column = table.columns[ColumnKey(column.key)]
        table_column.width = max(widths)
        table_column.auto_width = False
    table.clear()
    for row in rows:
        cells = [cell(text, justify=column.justify) for text, column in zip(row.texts, columns)]
        table.add_row(*cells, key=row.key)
