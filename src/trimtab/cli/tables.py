"""Tables that never cut a number: :class:`FittedTable`, the rich ``Table`` every front end prints.

rich shrinks a table that is wider than the terminal by cutting cells (``25,754.…``) and, when that is not
enough, by dropping columns' contents altogether. A FittedTable decides its layout at render time, from
the width it is given:

1. the table fits as it is: printed as it is;
2. it fits when text wraps between words (headers and text cells; a number has no spaces, so it is never
   broken): printed with column widths computed here, each column at least its longest word;
3. otherwise: one block per row, ``header  value`` lines, so every column and every digit is still there.

No cell is ever shortened with an ellipsis (overflow is ``fold`` in every layout).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Column, Table
from rich.text import Text

__all__ = ["FittedTable"]


class FittedTable(Table):
    """A ``rich.table.Table`` that wraps text or turns vertical rather than cut a cell (see the module)."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        ranges = [self._column_range(console, options, i, column) for i, column in enumerate(self.columns)]
        extra = self._extra_width
        if sum(high for _, high in ranges) + extra <= width:
            yield from Table.__rich_console__(self._with_widths(None), console, options)
        elif sum(low for low, _ in ranges) + extra <= width:
            widths = _share(width - extra, ranges)
            yield from Table.__rich_console__(self._with_widths(widths), console, options)
        else:
            yield from self._vertical(console)

    def _column_range(
        self, console: Console, options: ConsoleOptions, index: int, column: Column
    ) -> tuple[int, int]:
        """The narrowest (longest word) and widest (longest cell) the column can be, padding included."""
        cells: list[RenderableType] = [column.header, *column.cells]
        if self.show_footer:
            cells.append(column.footer)
        measured = [Measurement.get(console, options, cell) for cell in cells]
        padding = self._get_padding_width(index)
        low = max(m.minimum for m in measured) + padding
        high = max(m.maximum for m in measured) + padding
        if column.min_width is not None:  # a column asking for room (long text) wraps no narrower
            low = max(low, min(column.min_width + padding, high))
        return low, high

    def _with_widths(self, widths: list[int] | None) -> Table:
        """A copy whose columns fold instead of cropping, at ``widths`` (padding included) when given."""
        table = copy.copy(self)
        table.columns = [
            dataclasses.replace(
                column,
                overflow="fold",
                no_wrap=False if widths is not None else column.no_wrap,
                width=column.width if widths is None else widths[i] - self._get_padding_width(i),
                min_width=None if widths is not None else column.min_width,
                max_width=None if widths is not None else column.max_width,
            )
            for i, column in enumerate(self.columns)
        ]
        return table

    def _vertical(self, console: Console) -> Iterator[RenderableType]:
        """One block per row: each column's header and the row's value, one pair a line."""
        if self.title is not None:
            yield (
                Text(self.title, style=self.title_style or "bold")
                if isinstance(self.title, str)
                else self.title
            )
        rows: list[list[RenderableType]] = [
            list(row) for row in zip(*(column.cells for column in self.columns), strict=True)
        ]
        if self.show_footer:
            rows.append([column.footer for column in self.columns])
        for row in rows:
            block = Table.grid(padding=(0, 2))
            block.add_column(style="bold", overflow="fold")
            block.add_column(overflow="fold")
            for column, cell in zip(self.columns, row, strict=True):
                block.add_row(column.header, cell)
            yield Text("")
            yield block
        if self.caption is not None:
            yield self.caption


def _share(room: int, ranges: list[tuple[int, int]]) -> list[int]:
    """Widths from each range's low end; the room left goes first to the columns that need least to be whole
    on one line (numbers, dates, short text), and what remains to the longest text, which wraps."""
    widths = [low for low, _ in ranges]
    spare = room - sum(widths)
    for i in sorted(range(len(ranges)), key=lambda i: ranges[i][1] - ranges[i][0]):
        give = max(0, min(ranges[i][1] - widths[i], spare))
        widths[i] += give
        spare -= give
    return widths
