"""Reading a PDF's layout back for tests: each piece of text with its position (millimetres from
the page's top left, rounded to a tenth) and its size in points, read from the page's text
operators by pypdf. Shared by the certificate's and the bulletin's layout tests."""

from __future__ import annotations

PT = 25.4 / 72  # millimetres per point
A4 = (210, 297)


def runs(page) -> list[tuple[float, float, float, str]]:
    """Each piece of text: (x, baseline from the top, size in points, text)."""
    found = []

    def visit(text, cm, tm, font, size):
        text = text.replace("\x00", "").strip()
        if text:
            found.append((round(tm[4] * PT, 1), round(A4[1] - tm[5] * PT, 1), size, text))

    page.extract_text(visitor_text=visit)
    return found


def at(page_runs, text: str) -> tuple[float, float, float]:
    """(x, baseline, size) of the first piece of text that starts with `text`."""
    for x, y, size, found in page_runs:
        if found.startswith(text):
            return x, y, size
    raise AssertionError(f"{text!r} not on the page: {[r[3] for r in page_runs]}")
