"""Rows of an openpyxl write-only sheet written as XML text: the ledger's month of 50,000 issues
(a million cells) within its 15 s.

openpyxl's write-only mode streams a sheet to disk, but each cell still goes through its Python
objects — a `WriteOnlyCell`, its value's type guessed, a `ValueError` raised and caught for
every styled cell appended, the cell's style looked up in the workbook, one XML element opened
and closed per cell and per value — about 10 µs a cell, most of a busy month's export. Here a
row is built as one string (`<row><c r=… s=… t=…>…</c></row>`), a chunk of rows is parsed once
and written through the sheet's own XML stream, and everything else — the sheet's top
(widths, frozen panes), its tail (autofilter, merged cells, print settings), the styles table,
the package — stays openpyxl's. Cells come out as openpyxl writes them: inline strings
(`xml:space="preserve"` when a string starts or ends with whitespace), numbers as `%.16g`,
dates as Excel serial numbers with the style that formats them.

Built on three attributes of `WriteOnlyWorksheet` (`_get_writer`, `_writer.xf`, `_rows`: how
its own `append` reaches the stream; openpyxl is pinned in requirements.txt). The sheet is then
written only through `StreamedSheet.append`, never `ws.append`.
"""

from __future__ import annotations

from datetime import date, datetime, time
from xml.sax.saxutils import escape

from openpyxl.cell import WriteOnlyCell
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.xml.functions import fromstring

CHUNK = 200  # rows parsed at once: few parser calls, and little text held

# `escape` turns &, < and > into entities; a CR would be read back as a newline by the parser
# (text.clean already makes it one; this keeps the writer right on its own).
_ENTITIES = {"\r": "&#13;"}


class StreamedSheet:
    """A write-only sheet whose rows are appended here. `rows` is how many have been written
    (write-only sheets do not count them). openpyxl finishes the sheet when the workbook is
    saved (the rows still pending are written then)."""

    def __init__(self, ws):
        self.ws = ws
        self.rows = 0
        self._letters: list[str] = []
        self._pending: list[str] = []
        self._epoch = ws.parent.epoch
        ws._get_writer()  # writes the sheet's top: widths and panes must be set before
        self._stream = self._sheet_data()
        next(self._stream)
        # The worksheet closes the rows' stream when the workbook is saved.
        ws._rows = self._stream

    def style(
        self, font=None, fill=None, alignment=None, border=None, number_format=None, quote=False
    ) -> str:
        """This combination of styles for `append`: the workbook's number for it (registered
        on first use) as the cell's `s` attribute, none for the default style (as openpyxl
        writes an unstyled cell). Look it up once per kind of cell, not once per cell."""
        probe = WriteOnlyCell(self.ws)
        if font is not None:
            probe.font = font
        if fill is not None:
            probe.fill = fill
        if alignment is not None:
            probe.alignment = alignment
        if border is not None:
            probe.border = border
        if number_format:
            probe.number_format = number_format
        if quote:
            probe.quotePrefix = True
        number = probe.style_id
        return f' s="{number}"' if number else ""

    def append(self, cells: list) -> None:
        """One row: each item is `(value, style)` with `style` from `style()`, or None for no
        cell at all. A value of None (or "") with a style is an empty cell that keeps its style
        (a border on the printed sheet). Strings are written as they are: the caller cleans
        them (`infra.text.clean`); a string is always text, never a formula."""
        self.rows += 1
        r = str(self.rows)
        letters = self._letters
        if len(letters) < len(cells):
            letters.extend(get_column_letter(i) for i in range(len(letters) + 1, len(cells) + 1))
        parts = [f'<row r="{r}">']
        for index, item in enumerate(cells):
            if item is None:
                continue
            value, s = item
            ref = letters[index] + r
            kind = type(value)
            if kind is str:
                if not value:
                    parts.append(f'<c r="{ref}"{s} t="inlineStr"/>')
                    continue
                space = ' xml:space="preserve"' if value != value.strip() else ""
                parts.append(
                    f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>'
                    f"{escape(value, _ENTITIES)}</t></is></c>"
                )
            elif value is None:
                parts.append(f'<c r="{ref}"{s} t="n"/>')
            elif kind is bool:
                parts.append(f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, datetime | date | time):
                if getattr(value, "tzinfo", None) is not None:
                    raise TypeError("Excel 的日期不带时区：先换成当地时间")
                serial = safe_string(to_excel(value, self._epoch))
                parts.append(f'<c r="{ref}"{s} t="n"><v>{serial}</v></c>')
            else:
                parts.append(f'<c r="{ref}"{s} t="n"><v>{safe_string(value)}</v></c>')
        parts.append("</row>")
        self._pending.append("".join(parts))
        if len(self._pending) >= CHUNK:
            self._stream.send(self._take())

    def _take(self) -> str:
        text, self._pending = "".join(self._pending), []
        return text

    def _sheet_data(self):
        """The `<sheetData>` element, as `WriteOnlyWorksheet._write_rows` makes it: open on the
        sheet's stream, rows sent in, closed (with the rows still pending) when the workbook
        closes the worksheet."""
        writer = self.ws._writer
        xf = writer.xf.send(True)
        with xf.element("sheetData"):
            try:
                while True:
                    _write(xf, (yield))
            except GeneratorExit:
                _write(xf, self._take())
        writer.xf.send(None)


def _write(xf, rows: str) -> None:
    if rows:
        for row in fromstring(f"<sheetData>{rows}</sheetData>"):
            xf.write(row)
