"""Checking an uploaded archive before anything unpacks it: an `.xlsx` is a zip, and a 0.3 MB
zip can unpack to gigabytes (a zip bomb). Parsed as it came, one such upload took 7.5 s and
600 MB of the server's memory before it was refused; a few at once take a 2-core server down.

`check_zip` reads only the archive's directory — its end record, then one entry per file, never
a byte of content — and refuses, in milliseconds and with almost no memory, an archive with
too many entries, whose entries unpack to more than `MAX_UNPACKED_BYTES` in all, or one of whose
large entries is compressed more than `MAX_RATIO` times (real spreadsheets: 5 to 20 times;
a bomb: hundreds to a thousand). The sizes it trusts are the ones the directory declares;
Python's zipfile, which openpyxl reads through, never unpacks an entry past its declared size
(a liar is cut there and fails its CRC), so the check holds for what is parsed afterwards.

Every spreadsheet import reads through `core.people.roster_file.read_table`, which calls this
first: the console's roster and household uploads and the CLI's `import-roster` and
`import-households`.
"""

from __future__ import annotations

import os
import zipfile

from infra.errors import ApiError

MAX_ENTRIES = 1000  # an .xlsx has about ten; a workbook of many sheets a few hundred
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # a 5,000-row roster unpacks to about 3 MB
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 1024 * 1024  # small entries (styles, themes) may compress very well


class ArchiveRefused(ApiError):
    """An archive refused unopened: 413, the field named."""

    def __init__(self, reason: str, field: str = "file"):
        message = f"上传的文件（{field}）{reason}"
        super().__init__(413, "file_too_large", message, {field: message})


def _declared_entries(path: str | os.PathLike) -> int | None:
    """How many entries the archive's end record declares (None: not a zip), read before the
    directory itself, which zipfile would hold in memory whole."""
    with open(path, "rb") as fh:
        end = zipfile._EndRecData(fh)  # noqa: SLF001 - the stdlib's own end-record reader
    return None if end is None else end[zipfile._ECD_ENTRIES_TOTAL]


def check_zip(path: str | os.PathLike, field: str = "file") -> None:
    """Refuse (`ArchiveRefused`) an archive whose directory promises too much; return quietly
    for an acceptable one or one that is not a zip at all (its reader says what is wrong)."""
    entries = _declared_entries(path)
    if entries is None:
        return
    if entries > MAX_ENTRIES:
        raise ArchiveRefused(
            f"包含 {entries} 个内部文件，不像正常的 Excel 表格，请重新导出后上传", field
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    if len(infos) > MAX_ENTRIES:
        raise ArchiveRefused(
            f"包含 {len(infos)} 个内部文件，不像正常的 Excel 表格，请重新导出后上传", field
        )
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise ArchiveRefused(
                f"解压后是原来的 {info.file_size // max(info.compress_size, 1)} 倍，"
                "不像正常的 Excel 表格（可能是恶意文件），请重新导出后上传",
                field,
            )
    if total > MAX_UNPACKED_BYTES:
        raise ArchiveRefused(
            f"解压后超过 {MAX_UNPACKED_BYTES // (1024 * 1024)} MB，请拆分成几个较小的表格再上传",
            field,
        )
