"""The board PDF a print shop accepts: vector pages drawn with fpdf2 from the same geometry as
the 300-dpi PNG (`compose(..., record=True)` writes down every shape, text and element as it
draws it: `Layout.ops`).

- Text is text, in the embedded subset of the board font (Noto Sans CJK SC; fpdf2 subsets it
  to the characters used), placed on the same baseline as the pixels.
- The QR code is filled squares, one per dark module (each row's runs merged into one).
- Photos are the only images (JPEG, at the size they are printed at 300 dpi).
- `bleed=True` adds 3 mm of bleed and crop marks: the page grows by 10 mm a side (3 mm bleed,
  7 mm for the marks), the board sits in the middle and the marks show the trim at each
  corner. The board's edge is white paper, so the bleed is white too.

Pages are added one by one (`VectorPdf.add`); fpdf2 keeps them in memory until `close`, which
is a few tens of kB a board — a thousand boards are far below the 60 MB budget.
"""

from __future__ import annotations

import functools
import io
import math
import os
from pathlib import Path

from fpdf import FPDF

from core.boards.fonts import font_source, get_font
from core.boards.layout import DPI, PAGE_SIZES, TITLE, WATERMARK_INK, _load_photo

PT_PER_PX = 72 / DPI
MM = 72 / 25.4  # points per millimetre
BLEED_MM = 3.0
SLUG_MM = 7.0  # beyond the bleed, room for the crop marks
MARK_WIDTH_PT = 0.25
JPEG_QUALITY = 88


@functools.lru_cache(maxsize=256)
def _metrics(weight: str, px: int) -> tuple[int, int]:
    return get_font(weight, px).getmetrics()


class VectorPdf:
    """A multi-page vector PDF of boards, one page each; `close()` writes the file."""

    def __init__(self, path: str | os.PathLike, size: str = "A4", bleed: bool = False):
        if size not in PAGE_SIZES:
            raise ValueError(f"unknown page size {size!r}")
        self.path = Path(path)
        self.size = size
        self.bleed = bleed
        self.offset = (BLEED_MM + SLUG_MM) * MM if bleed else 0.0
        w, h = PAGE_SIZES[size]
        self.trim = (w * PT_PER_PX, h * PT_PER_PX)
        page = (self.trim[0] + 2 * self.offset, self.trim[1] + 2 * self.offset)
        pdf = FPDF(unit="pt", format=page)
        pdf.set_auto_page_break(False)
        pdf.set_margins(0, 0, 0)
        pdf.set_title(TITLE)
        pdf.set_producer("xiaoxiang")
        pdf.set_creator("小巷管家")
        for weight in ("regular", "bold"):
            pdf.add_font(f"board-{weight}", "", font_source(weight)[0])
        self.pdf = pdf
        self.page_count = 0
        self._photos: dict[tuple, bytes] = {}

    # --- one page -------------------------------------------------------------------------

    def add(self, ops: list[tuple]) -> None:
        """One board page from its recorded drawing (`compose(..., record=True)[1].ops`)."""
        pdf = self.pdf
        pdf.add_page()
        self.page_count += 1
        for op in ops:
            getattr(self, f"_{op[0]}")(*op[1:])
        if self.bleed:
            self._crop_marks()

    def _xy(self, x: float, y: float) -> tuple[float, float]:
        return self.offset + x * PT_PER_PX, self.offset + y * PT_PER_PX

    def _color(self, color, fill: bool) -> None:
        if color is None:
            return
        if isinstance(color, int):
            color = (color, color, color)
        (self.pdf.set_fill_color if fill else self.pdf.set_draw_color)(*color[:3])

    def _box(self, xy, kwargs, radius: float = 0.0) -> None:
        """PIL's rectangle: corners inclusive, the outline drawn inside the box."""
        x0, y0, x1, y1 = xy
        fill, outline = kwargs.get("fill"), kwargs.get("outline")
        width = kwargs.get("width", 1) if outline is not None else 0
        corners = {"round_corners": True, "corner_radius": radius * PT_PER_PX} if radius else {}
        if fill is not None:
            self._color(fill, True)
            x, y = self._xy(x0, y0)
            self.pdf.rect(
                x, y, (x1 + 1 - x0) * PT_PER_PX, (y1 + 1 - y0) * PT_PER_PX, style="F", **corners
            )
        if outline is not None and width:
            self._color(outline, False)
            self.pdf.set_line_width(width * PT_PER_PX)
            half = width / 2
            x, y = self._xy(x0 + half, y0 + half)
            self.pdf.rect(
                x,
                y,
                (x1 + 1 - x0 - width) * PT_PER_PX,
                (y1 + 1 - y0 - width) * PT_PER_PX,
                style="D",
                **corners,
            )

    def _rectangle(self, xy, kwargs) -> None:
        self._box(xy, kwargs)

    def _rounded_rectangle(self, xy, kwargs) -> None:
        self._box(xy, kwargs, kwargs.get("radius", 0))

    def _line(self, xy, kwargs) -> None:
        points = list(xy)
        if points and not isinstance(points[0], tuple | list):
            points = list(zip(points[::2], points[1::2], strict=True))
        self._color(kwargs.get("fill"), False)
        self.pdf.set_line_width(kwargs.get("width", 1) * PT_PER_PX)
        # PIL's line covers its end pixels: half a pixel further at each end, as drawn
        self.pdf.polyline([self._xy(x + 0.5, y + 0.5) for x, y in points])

    def _ellipse(self, xy, kwargs) -> None:
        x0, y0, x1, y1 = xy
        self._color(kwargs.get("fill"), True)
        x, y = self._xy(x0, y0)
        self.pdf.ellipse(x, y, (x1 + 1 - x0) * PT_PER_PX, (y1 + 1 - y0) * PT_PER_PX, style="F")

    def _text(self, x, y, text, weight, px, fill, anchor) -> None:
        ascent, descent = _metrics(weight, px)
        if anchor[0] == "m":
            x -= get_font(weight, px).getlength(text) / 2
        elif anchor[0] == "r":
            x -= get_font(weight, px).getlength(text)
        baseline = y + ascent if anchor[1] == "a" else y + (ascent - descent) / 2
        self.pdf.set_font(f"board-{weight}", size=px * PT_PER_PX)
        self.pdf.set_text_color(*(fill or (0, 0, 0))[:3])
        self.pdf.text(*self._xy(x, baseline), text)

    def _qr(self, ox, oy, module, rows) -> None:
        """Each dark module a filled square; a row's neighbouring modules one rectangle. The
        rectangles go into the page as one path filled once: a QR code has hundreds of them,
        and fpdf2's `rect` per rectangle would cost more than the rest of the page."""
        size = module * PT_PER_PX
        height = self.pdf.h  # PDF space runs upwards from the page's bottom edge
        parts = ["q 0 g"]
        for r, row in enumerate(rows):
            c = 0
            while c < len(row):
                if row[c] != "1":
                    c += 1
                    continue
                start = c
                while c < len(row) and row[c] == "1":
                    c += 1
                x, y = self._xy(ox + start * module, oy + r * module)
                parts.append(
                    f"{x:.2f} {height - y - size:.2f} {(c - start) * size:.2f} {size:.2f} re"
                )
        parts.append("f Q")
        self.pdf._out("\n".join(parts))  # noqa: SLF001 - raw operators, see above

    def _photo(self, path, rect) -> None:
        x0, y0, x1, y1 = rect
        key = (path, x1 - x0, y1 - y0)
        data = self._photos.get(key)
        if data is None:
            photo = _load_photo(path, (x1 - x0, y1 - y0))
            if photo is None:
                return
            buf = io.BytesIO()
            photo.save(buf, "JPEG", quality=JPEG_QUALITY, dpi=(DPI, DPI))
            data = self._photos[key] = buf.getvalue()
        x, y = self._xy(x0, y0)
        # the same bytes for every board the steward is on: fpdf2 embeds them once
        self.pdf.image(io.BytesIO(data), x, y, (x1 - x0) * PT_PER_PX, (y1 - y0) * PT_PER_PX)

    def _watermark(self, text) -> None:
        """The sample's watermark along the page's diagonal, see-through, as on the PNG."""
        w, h = PAGE_SIZES[self.size]
        px = int(w * 0.085)
        cx, cy = self._xy(w / 2, h / 2)
        angle = math.degrees(math.atan2(h, w))
        *rgb, alpha = WATERMARK_INK
        with self.pdf.local_context(fill_opacity=alpha / 255):
            with self.pdf.rotation(angle, cx, cy):
                self.pdf.set_font("board-bold", size=px * PT_PER_PX)
                self.pdf.set_text_color(*rgb)
                ascent, descent = _metrics("bold", px)
                width = get_font("bold", px).getlength(text) * PT_PER_PX
                self.pdf.text(cx - width / 2, cy + (ascent - descent) / 2 * PT_PER_PX, text)

    def _crop_marks(self) -> None:
        """At each corner of the trim, a horizontal and a vertical mark in the slug, starting
        1 mm beyond the bleed so no mark shows on a board cut a little off."""
        pdf = self.pdf
        pdf.set_draw_color(0, 0, 0)
        pdf.set_line_width(MARK_WIDTH_PT)
        o, (tw, th) = self.offset, self.trim
        near, far = (BLEED_MM + 1) * MM, (BLEED_MM + SLUG_MM) * MM
        for x in (o, o + tw):
            for y in (o, o + th):
                sx = -1 if x == o else 1
                sy = -1 if y == o else 1
                pdf.line(x + sx * near, y, x + sx * far, y)
                pdf.line(x, y + sy * near, x, y + sy * far)

    # --- the file -------------------------------------------------------------------------

    def close(self) -> None:
        tmp = self.path.with_name(f".{self.path.name}.part")
        self.pdf.output(str(tmp))
        os.replace(tmp, self.path)

    def abort(self) -> None:
        """Nothing is written until `close`: half a PDF never reaches a printer."""
        self.path.with_name(f".{self.path.name}.part").unlink(missing_ok=True)


def board_pdf(boards, path, size: str = "A4", bleed: bool = False) -> int:
    """Draw `BoardData` records straight into a vector PDF (no PNG); the page count."""
    from core.boards.layout import compose

    pdf = VectorPdf(path, size, bleed)
    for data in boards:
        pdf.add(compose(data, size, pixels=False)[1].ops)
    pdf.close()
    return pdf.page_count
