"""Print output: boards as 300-dpi PNGs (a fast deflate) and one streaming print PDF, and bulk
rendering of many boards on every core (`render_many`). The drawing itself is
`core.boards.layout.compose`; the data comes from `core.boards.print_data.collect`."""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import math
import os
import struct
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PIL import Image

try:  # ISA-L's deflate: the same zlib stream, about ten times faster than zlib's level 1
    from isal import isal_zlib as deflate
except ImportError:  # pragma: no cover - a slower but identical fallback
    deflate = zlib

from core import pools
from core.boards.fonts import font_source
from core.boards.layout import DPI, PAGE_SIZES, TITLE, compose
from core.boards.print_data import BoardData

PNG_ZLIB_LEVEL = 1  # flat artwork compresses nearly as well at 1 as at 9, many times faster


# --- PNG and PDF ----------------------------------------------------------------------------


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def encode_png(image: Image.Image, dpi: int = DPI) -> bytes:
    """An RGB PNG with its resolution recorded, written for speed.

    Pillow's encoder tries five row filters on every row and then runs zlib; on a page that
    is mostly flat colour "no filter" plus ISA-L's deflate is about as small and over ten
    times quicker, which is what lets a thousand boards render within budget. The single IDAT stream is reused, unchanged, as
    the page image of the PDF.
    """
    image = image.convert("RGB") if image.mode != "RGB" else image
    w, h = image.size
    # Pillow writes each row `stride` bytes apart and zero-fills the byte after it; shifted by
    # one, that byte is the next row's filter byte ("none"), so no row is copied in Python.
    rows = image.tobytes("raw", "RGB", w * 3 + 1)
    compressor = deflate.compressobj(PNG_ZLIB_LEVEL)
    idat = compressor.compress(b"\0") + compressor.compress(memoryview(rows)[:-1])
    idat += compressor.flush()
    ppm = int(round(dpi / 0.0254))
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)),
            _chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
            _chunk(b"IDAT", idat),
            _chunk(b"IEND", b""),
        )
    )


def _png_parts(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and the zlib stream of an 8-bit RGB, non-interlaced PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        body = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    if header is None or header[2:4] != (8, 2) or header[6] != 0:
        raise ValueError("PNG is not 8-bit RGB without interlacing")
    return header[0], header[1], b"".join(idat)


def _pdf_text(text: str) -> bytes:
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


class PdfWriter:
    """A streaming, multi-page PDF of full-page images: one page per board, at 300 dpi.

    Pages are written as they come, so a thousand boards never sit in memory together. Each
    page's image is the PNG's own deflate stream with the PNG predictor, so nothing is
    compressed twice and nothing is lost (no JPEG artefacts around the QR code).
    """

    def __init__(self, path: str | os.PathLike, title: str = TITLE):
        self.path = Path(path)
        self._fh = open(self.path, "wb")  # noqa: SIM115 — closed in close()
        self._offsets: dict[int, int] = {}
        self._pages: list[int] = []
        self._next = 4  # 1 catalog, 2 pages, 3 info
        self._title = title
        self._fh.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _obj(self, num: int, body: bytes, stream: bytes | None = None) -> None:
        self._offsets[num] = self._fh.tell()
        self._fh.write(b"%d 0 obj\n" % num + body)
        if stream is not None:
            self._fh.write(b"\nstream\n" + stream + b"\nendstream")
        self._fh.write(b"\nendobj\n")

    def _alloc(self) -> int:
        self._next += 1
        return self._next - 1

    def add_png(self, png: bytes, dpi: int = DPI) -> None:
        try:
            w, h, data = _png_parts(png)
        except ValueError:
            with Image.open(io.BytesIO(png)) as img:
                w, h, data = _png_parts(encode_png(img.convert("RGB"), dpi))
        image_num, content_num, page_num = self._alloc(), self._alloc(), self._alloc()
        self._obj(
            image_num,
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 15 "
            b"/Colors 3 /BitsPerComponent 8 /Columns %d >> /Length %d >>" % (w, h, w, len(data)),
            data,
        )
        pw, ph = w * 72 / dpi, h * 72 / dpi
        content = b"q %.3f 0 0 %.3f 0 0 cm /Im0 Do Q" % (pw, ph)
        self._obj(content_num, b"<< /Length %d >>" % len(content), content)
        self._obj(
            page_num,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.3f %.3f] "
            b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
            % (pw, ph, image_num, content_num),
        )
        self._pages.append(page_num)

    def add_image(self, image: Image.Image) -> None:
        self.add_png(encode_png(image))

    @property
    def page_count(self) -> int:
        return len(self._pages)

    def close(self) -> None:
        kids = b" ".join(b"%d 0 R" % n for n in self._pages)
        self._obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        self._obj(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self._pages)))
        self._obj(3, b"<< /Title %s /Producer (xiaoxiang) >>" % _pdf_text(self._title))
        xref = self._fh.tell()
        size = self._next
        self._fh.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for num in range(1, size):
            self._fh.write(b"%010d 00000 n \n" % self._offsets[num])
        self._fh.write(
            b"trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (size, xref)
        )
        self._fh.close()

    def abort(self) -> None:
        """Close and delete the file: half a PDF must never reach a printer."""
        self._fh.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()


def render_pdf(images: Iterable[Image.Image | bytes], path: str | os.PathLike) -> int:
    """Write board images (PIL images or PNG bytes) as one multi-page PDF; the page count."""
    with PdfWriter(path) as pdf:
        for image in images:
            if isinstance(image, bytes | bytearray):
                pdf.add_png(bytes(image))
            else:
                pdf.add_image(image)
    return pdf.page_count


# --- bulk rendering -------------------------------------------------------------------------


@dataclass
class Rendered:
    code: str
    path: Path
    problems: list[str]
    ops: list[tuple] | None = None  # the drawing, for the vector PDF (`record=True`)


def _render_one(job: tuple[BoardData, str, str, bool]) -> Rendered:
    data, size, out_dir, record = job
    image, layout = compose(data, size, record=record)
    path = Path(out_dir) / f"{data.file_stem}.png"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_bytes(encode_png(image))
    os.replace(tmp, path)
    return Rendered(data.code, path, layout.problems(), layout.ops)


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc mallopt() parameters


def _keep_memory() -> None:
    """Stop glibc from handing each board's big buffers (the 26 MB page bytes, the PNG) back
    to the kernel only to fault them in again for the next board: left alone, that page
    faulting costs as much system time as the drawing itself. A no-op off glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024)  # glibc's maximum
        libc.mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024)
    except (OSError, AttributeError):
        pass


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _start_worker() -> None:
    """A worker's initializer: glibc told to keep its memory, the fonts loaded."""
    _keep_memory()
    for weight in ("regular", "bold"):
        font_source(weight)


def render_many(
    boards: Sequence[BoardData],
    out_dir: str | os.PathLike,
    size: str = "A4",
    jobs: int = 0,
    timeout: float | None = None,
    record: bool = False,
) -> Iterator[Rendered]:
    """Render boards to `out_dir/{code}-v{version}.png`, yielding results in input order
    (with `record`, each with its drawing for the vector PDF, `core.boards.vector`).

    With more than one job the rendering runs in a process pool (Pillow's drawing holds the
    GIL) whose workers come from a fork server, never forked from this process (`core.pools`);
    fonts and the static artwork are cached in each worker, so only the first board of each
    pays for them. A pool that stalls for `timeout` seconds or loses a worker raises
    `pools.PoolFailed`; the boards already yielded are complete files.
    """
    if size not in PAGE_SIZES:
        raise ValueError(f"unknown page size {size!r}")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    work = [(data, size, str(out_dir), record) for data in boards]
    jobs = min(jobs or default_jobs(), len(work))
    font_source("regular"), font_source("bold")  # fail before starting workers, clearly
    if jobs <= 1:
        _keep_memory()
        yield from map(_render_one, work)
        return
    chunk = max(1, min(8, math.ceil(len(work) / (jobs * 8))))
    yield from pools.imap(
        _render_one,
        work,
        jobs=jobs,
        what="公示牌生成",
        chunksize=chunk,
        initializer=_start_worker,
        timeout=timeout,
        preload=(__name__,),
    )


def pdf_name(area_id: int, day: date) -> str:
    return f"boards-{area_id}-{day.isoformat()}.pdf"
