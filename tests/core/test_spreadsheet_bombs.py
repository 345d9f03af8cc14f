"""Spreadsheet uploads that unpack to far more than they weigh (zip bombs) are refused from the
archive's directory, before anything is unpacked: in well under a second and with little
memory, as 413 naming the file, on every way in (the console's roster and household uploads,
the CLI's imports). Real spreadsheets, large ones included, still pass."""

from __future__ import annotations

import io
import os
import struct
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

from openpyxl import Workbook

from core import uploads_guard
from core.people.roster_file import RosterError, read_table
from models import Household, Steward
from tests.console_world import build, console_login, csrf

HEADER = ["街道", "社区", "网格", "街巷", "管家姓名", "手机号"]
SECONDS = 1.0
EXTRA_MEMORY = 50 * 1024 * 1024


def _xlsx_parts(rows) -> list[tuple[str, bytes]]:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    archive = zipfile.ZipFile(buf)
    return [(info.filename, archive.read(info.filename)) for info in archive.infolist()]


def _zip(entries: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already-deflated entries: (name, raw deflate stream, CRC-32, unpacked size)."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, data, crc, size in entries:
        offset = out.tell()
        encoded = name.encode()
        fields = (20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + encoded + data)
        central.write(
            struct.pack("<IH", 0x02014B50, 20)
            + struct.pack("<HHHHHIIIHH", *fields)
            + struct.pack("<HHHII", 0, 0, 0, 0, offset)
            + encoded
        )
    directory = central.getvalue()
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), out.tell(), 0
    )
    return out.getvalue() + directory + end


def zip_bomb_xlsx(unpacked_mb: int = 200) -> bytes:
    """A real workbook (openpyxl's own parts) whose sheet holds `unpacked_mb` MB of empty rows,
    deflated about a thousand times: the sheet's 1 MB block of rows is compressed once, after
    a full flush (so it refers to nothing before it), and repeated."""
    entries = []
    for name, data in _xlsx_parts([HEADER]):
        if name == "xl/worksheets/sheet1.xml":
            head, tail = data.split(b"</sheetData>")
            tail = b"</sheetData>" + tail
            rows = b"<row/>" * ((1 << 20) // 6)
            deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
            start = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
            block = deflate.compress(rows) + deflate.flush(zlib.Z_FULL_FLUSH)
            stream = start + block * unpacked_mb + deflate.compress(tail) + deflate.flush()
            crc = zlib.crc32(head)
            for _ in range(unpacked_mb):
                crc = zlib.crc32(rows, crc)
            size = len(head) + len(rows) * unpacked_mb + len(tail)
            entries.append((name, stream, zlib.crc32(tail, crc), size))
        else:
            deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
            stream = deflate.compress(data) + deflate.flush()
            entries.append((name, stream, zlib.crc32(data), len(data)))
    return _zip(entries)


def _bounded(fn):
    """Run `fn`; (its exception, seconds taken, peak memory allocated meanwhile)."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - returned for the caller to check
        error = exc
    else:
        error = None
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return error, seconds, peak


def test_the_bomb_is_what_it_claims(tmp_path):
    data = zip_bomb_xlsx()
    assert len(data) < 400_000  # a 0.3 MB file …
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size > 200_000_000  # … that unpacks to over 200 MB
    with zipfile.ZipFile(io.BytesIO(data)).open("xl/worksheets/sheet1.xml") as sheet:
        assert sheet.read(64).startswith(b"<worksheet")  # … and is a sheet,
        unpacked = 64
        while chunk := sheet.read(1 << 22):  # CRC and all (zipfile checks it at the end)
            unpacked += len(chunk)
    assert unpacked == info.file_size


def test_reading_a_bomb_is_refused_at_once_with_little_memory(tmp_path):
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(zip_bomb_xlsx())
    error, seconds, peak = _bounded(lambda: read_table(path))
    assert isinstance(error, RosterError) and error.status == 413
    (problem,) = error.problems
    assert "上传的文件（file）" in problem and "倍" in problem
    assert seconds < SECONDS and peak < EXTRA_MEMORY


def test_a_bomb_within_the_ratio_is_still_refused_by_its_total(tmp_path):
    """A sheet compressed no more than real ones are (about 35 times), but of 60 MB."""
    block = b"".join(os.urandom(200) + b"x" * 9800 for _ in range(105))  # ~1 MB
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    packed = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(60):
        crc = zlib.crc32(block, crc)
    stream = packed * 60 + deflate.flush()
    size = len(block) * 60
    assert size > uploads_guard.MAX_UNPACKED_BYTES and size < 50 * len(stream)
    path = tmp_path / "big.xlsx"
    path.write_bytes(_zip([("xl/worksheets/sheet1.xml", stream, crc, size)]))
    error, seconds, peak = _bounded(lambda: read_table(path))
    assert isinstance(error, RosterError) and error.status == 413
    assert "解压后超过 50 MB" in error.problems[0]
    assert seconds < SECONDS and peak < EXTRA_MEMORY


def test_an_archive_of_thousands_of_entries_is_refused(tmp_path):
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for n in range(uploads_guard.MAX_ENTRIES + 1):
            archive.writestr(f"x/{n}.xml", b"")
    error, seconds, _ = _bounded(lambda: read_table(path))
    assert isinstance(error, RosterError) and error.status == 413
    assert f"包含 {uploads_guard.MAX_ENTRIES + 1} 个内部文件" in error.problems[0]


def test_a_large_real_roster_passes(tmp_path):
    rows = [HEADER] + [
        ["示范街道", f"第{i % 20}社区", f"第{i % 100}网格", f"{i}巷", f"管家{i}", f"139{i:08d}"]
        for i in range(5000)
    ]
    path = tmp_path / "roster.xlsx"
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    assert len(read_table(path)) == 5001


def _small_sheet() -> bytes:
    buf = io.BytesIO()
    wb = Workbook()
    wb.active.append(HEADER)
    wb.active.append(["示范街道", "第1社区", "第1网格", "新巷", "李四", "13900002222"])
    wb.save(buf)
    return buf.getvalue()


def test_console_uploads_of_a_bomb_are_413_and_keep_nothing(app, tmp_path):
    """Timed against the upload of a small real sheet on the same pages (a machine under load
    slows both alike): the bomb costs no more than that plus the bound."""
    build(app)
    staff = console_login(app.test_client(), "secretary1")
    bomb = zip_bomb_xlsx()
    for page, folder in (
        ("/console/roster", "roster-uploads"),
        ("/console/households/import", "household-uploads"),
    ):
        stewards, households = Steward.select().count(), Household.select().count()
        answers = []

        def post(data, page=page, answers=answers):
            token = csrf(staff, page)
            answers.append(
                staff.post(
                    page,
                    data={"csrf_token": token, "file": (io.BytesIO(data), "花名册.xlsx")},
                    content_type="multipart/form-data",
                )
            )

        _, usual, _ = _bounded(lambda post=post: post(_small_sheet()))
        kept = sorted((Path(app.instance_path) / folder).iterdir())
        error, seconds, peak = _bounded(lambda post=post: post(bomb))
        assert error is None and seconds < usual + SECONDS and peak < EXTRA_MEMORY
        res = answers[-1]
        html = res.get_data(as_text=True)
        assert res.status_code == 413, html
        assert "上传的文件（file）" in html and "不像正常的 Excel 表格" in html
        assert sorted((Path(app.instance_path) / folder).iterdir()) == kept  # the bomb is gone
        assert Steward.select().count() == stewards
        assert Household.select().count() == households


def test_cli_imports_of_a_bomb_fail_at_once(app, runner, tmp_path):
    """Timed, like the console, against the same command on a small real sheet."""
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(zip_bomb_xlsx())
    small = tmp_path / "small.xlsx"
    small.write_bytes(_small_sheet())
    for command in ("import-roster", "import-households"):
        _, usual, _ = _bounded(lambda c=command: runner.invoke(args=[c, str(small), "--dry-run"]))
        results = []
        error, seconds, peak = _bounded(
            lambda c=command, r=results: r.append(runner.invoke(args=[c, str(path)]))
        )
        assert error is None and seconds < usual + SECONDS and peak < EXTRA_MEMORY
        (result,) = results
        assert result.exit_code == 1
        assert "导入失败，数据库未做任何修改" in result.output
        assert "不像正常的 Excel 表格" in result.output
