"""Reading a roster spreadsheet and checking it, before anything is written: `.csv` (UTF-8
with or without BOM, or GBK as Excel on Chinese Windows saves it) or `.xlsx` (first sheet),
a header row found among the first rows (Chinese names or their aliases), cells cleaned
(full-width characters, Excel's scientific-notation phones), and every problem collected as
"第N行 列名：原因" with N the spreadsheet row number. `core.people.roster` applies the result."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core import uploads_guard
from core.people import phones
from models import AREA_KINDS, STEWARD_POSTS

REQUIRED_COLUMNS = ("街道", "社区", "网格", "街巷", "管家姓名", "手机号")
OPTIONAL_COLUMNS = ("职责", "企业微信账号", "包联户数")
AREA_COLUMNS = dict(zip(AREA_KINDS, REQUIRED_COLUMNS[:4], strict=True))  # kind → column

# Headers people actually type; matched after removing spaces, "*" marks and "(…)" notes.
HEADER_ALIASES = {
    "街道/镇": "街道",
    "镇街": "街道",
    "社区/村": "社区",
    "村社区": "社区",
    "街道名称": "街道",
    "所属街道": "街道",
    "社区名称": "社区",
    "所属社区": "社区",
    "网格名称": "网格",
    "所属网格": "网格",
    "街巷名称": "街巷",
    "街巷名": "街巷",
    "巷道": "街巷",
    "小巷": "街巷",
    "小巷名称": "街巷",
    "姓名": "管家姓名",
    "管家": "管家姓名",
    "小巷管家": "管家姓名",
    "管家名字": "管家姓名",
    "手机": "手机号",
    "手机号码": "手机号",
    "电话": "手机号",
    "电话号码": "手机号",
    "联系电话": "手机号",
    "联系方式": "手机号",
    "岗位职责": "职责",
    "企业微信": "企业微信账号",
    "企业微信号": "企业微信账号",
    "企业微信ID": "企业微信账号",
    "企微账号": "企业微信账号",
    "包联户": "包联户数",
    "联系户数": "包联户数",
}

# Column widths in `models` (PostgreSQL enforces them; SQLite would silently keep more).
MAX_LENGTHS = {
    "街道": 100,
    "社区": 100,
    "网格": 100,
    "街巷": 100,
    "管家姓名": 50,
    "企业微信账号": 64,
}
MAX_HOUSEHOLDS = 100_000

SCIENTIFIC_RE = re.compile(r"[0-9.]+[eE]\+?[0-9]+")

# Chunk sizes keep every statement under SQLite's oldest limit of 999 bound parameters.
HEADER_SEARCH_ROWS = 10


class RosterError(Exception):
    """The roster cannot be imported; `problems` lists every reason, one line each."""

    def __init__(self, problems: Sequence[str], status: int = 400):
        self.problems = list(problems)
        self.status = status  # 413: a file refused unopened (core.uploads_guard)
        super().__init__("\n".join(self.problems))


@dataclass
class RosterRow:
    """One valid data row, cells cleaned and the phone normalised."""

    line: int
    street: str
    community: str
    grid: str
    alley: str
    name: str
    phone: str
    duties: str | None = None
    wecom: str | None = None
    households: int | None = None

    @property
    def alley_key(self) -> tuple[str, str, str, str]:
        return (self.street, self.community, self.grid, self.alley)


# --- reading files ------------------------------------------------------------------------


def read_table(path: str | Path) -> list[tuple[int, list]]:
    """(spreadsheet row number, raw cells) for every row of a .csv or .xlsx file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".xls":
        raise RosterError(["文件格式：不支持旧版 .xls 文件，请在 Excel 中“另存为” .xlsx 或 .csv"])
    raise RosterError([f"文件格式：不支持“{suffix or '无扩展名'}”文件，请使用 .csv 或 .xlsx"])


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")  # Excel's "Unicode text"
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 is a superset of GBK (and of GB2312): what Excel on Chinese Windows writes.
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise RosterError(
            ["文件编码：无法识别，请将文件另存为 UTF-8 或 GBK（ANSI）编码的 CSV"]
        ) from None


def _read_csv(path: Path) -> list[tuple[int, list]]:
    text = _decode(path.read_bytes())
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    # Rows are numbered by record, as a spreadsheet shows them, not by physical line.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [(number, row) for number, row in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise RosterError([f"文件格式：CSV 无法解析（{exc}）"]) from None


def _read_xlsx(path: Path) -> list[tuple[int, list]]:
    try:
        # A zip bomb is refused from the archive's directory, before anything is unpacked.
        uploads_guard.check_zip(path)
    except uploads_guard.ArchiveRefused as exc:
        raise RosterError([exc.message], status=exc.status) from None
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise RosterError(
            ["文件格式：无法读取该 Excel 文件，请确认它是 .xlsx 格式且未加密"]
        ) from None
    try:
        if not workbook.worksheets:
            return []
        sheet = workbook.worksheets[0]
        # Some generators write a wrong <dimension>; read_only would silently cut rows.
        sheet.reset_dimensions()
        # Missing rows come back as empty tuples, so enumeration keeps sheet row numbers.
        return [
            (number, list(row))
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()


# --- cleaning cells -----------------------------------------------------------------------


def clean_cell(value) -> str:
    """Text of a cell: trimmed, full-width spaces and invisible characters removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel keeps phones typed as numbers as 13800138000.0
    elif isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    text = str(value)
    for ch in ("\u3000", "\ufeff", "\u200b", "\u200c", "\u200d"):
        text = text.replace(ch, "")
    return text.strip()


# Whitespace between two CJK characters is padding ("周  强", "南门 巷"), never meaning.
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_GAP_RE = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


def clean_value(value) -> str:
    """A data cell as a person means it: `clean_cell`, then NFKC (full-width digits, letters
    and brackets to half-width: "第１网格" is "第1网格"), spaces between Chinese characters
    removed ("周  强" → "周强") and other runs of spaces made one ("Li  Ming" → "Li Ming")."""
    text = unicodedata.normalize("NFKC", clean_cell(value))
    text = _CJK_GAP_RE.sub("", text)
    return " ".join(text.split()) if "  " in text or "\t" in text or "\n" in text else text


def normalize_phone(text: str) -> str | None:
    """A mainland mobile number as 11 ASCII digits, or None when it is not one."""
    return phones.mobile(text)


def parse_households(text: str) -> int | None:
    """A non-negative whole number of households ("35", "35户", "1,200"), or None."""
    text = unicodedata.normalize("NFKC", text).replace(",", "").strip()
    text = text.removesuffix("户").strip()
    if re.fullmatch(r"[0-9]+", text):
        return int(text)
    if re.fullmatch(r"[0-9]+\.0*", text):
        return int(text.split(".", 1)[0])
    return None


def posts_in(duties: str) -> list[str]:
    """The four standard posts mentioned in a duties text, in their canonical order."""
    return [post for post in STEWARD_POSTS if post in duties]


def _header_name(cell) -> str:
    text = unicodedata.normalize("NFKC", clean_cell(cell))
    text = re.sub(r"\(.*?\)|[\s*]", "", text)  # "手机号(必填)", "*街巷"
    return HEADER_ALIASES.get(text, text)


# --- parsing and validating rows ----------------------------------------------------------


@dataclass
class _Parsed:
    rows: list[RosterRow]
    row_count: int
    problems: list[str]
    first_line: dict[str, int]  # phone → first row number, for messages
    # Every data row's cleaned cells (bad rows too), by row number: the preview shows them.
    cells: dict[int, dict[str, str]] = field(default_factory=dict)
    header_line: int = 1


def find_header(
    table: list[tuple[int, list]], known: set[str], header_name, minimum: int = 2
) -> tuple[int, list[str]] | None:
    """The header row of a sheet: the first of the leading rows naming at least `minimum` of
    the `known` columns (`header_name` maps a cell to a column name, aliases resolved), else
    the first non-empty row. A title row ("城关街道小巷管家名单") above the header is common and
    harmless. Shared by every spreadsheet import (the roster, households)."""
    candidates = [(n, cells) for n, cells in table if any(clean_cell(c) for c in cells)]
    for number, cells in candidates[:HEADER_SEARCH_ROWS]:
        names = [header_name(c) for c in cells]
        if len(known.intersection(names)) >= minimum:
            return number, names
    if candidates:
        number, cells = candidates[0]
        return number, [header_name(c) for c in cells]
    return None


def parse_table(table: list[tuple[int, list]]) -> _Parsed:
    """Check every row; return the good rows and every problem found (nothing is written)."""
    header = find_header(table, set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS), _header_name)
    if header is None:
        raise RosterError(["文件内容：文件是空的，没有表头和数据"])
    header_line, names = header
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise RosterError(
            [
                f"第{header_line}行 表头：缺少必填列“{'”、“'.join(missing)}”"
                f"（表头须包含：{'、'.join(REQUIRED_COLUMNS)}）"
            ]
        )
    problems: list[str] = []
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in index and name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
            problems.append(f"第{header_line}行 表头：列“{name}”出现了不止一次")
        index.setdefault(name, position)

    rows: list[RosterRow] = []
    row_count = 0
    steward_name: dict[str, tuple[str, int]] = {}  # phone → (name, first row)
    steward_wecom: dict[str, tuple[str, int]] = {}  # phone → (wecom id, first row)
    wecom_owner: dict[str, tuple[str, int]] = {}  # wecom id → (phone, first row)
    first_line: dict[str, int] = {}
    shown: dict[int, dict[str, str]] = {}

    for line, raw in table:
        if line <= header_line:
            continue
        cells = {
            name: clean_value(raw[pos]) if pos < len(raw) else ""
            for name, pos in index.items()
            if name in REQUIRED_COLUMNS or name in OPTIONAL_COLUMNS
        }
        if not any(cells.values()):
            continue  # blank rows between blocks are common in hand-kept sheets
        row_count += 1
        shown[line] = cells
        bad = False

        def problem(column: str, reason: str, line=line) -> None:
            nonlocal bad
            bad = True
            problems.append(f"第{line}行 {column}：{reason}")

        for column in REQUIRED_COLUMNS:
            if not cells[column]:
                problem(column, "不能为空")
        for column, limit in MAX_LENGTHS.items():
            if len(cells.get(column, "")) > limit:
                problem(column, f"内容过长（最多 {limit} 个字）")

        phone = None
        raw_phone = cells["手机号"]
        if raw_phone:
            phone = normalize_phone(raw_phone)
            if phone is not None:
                cells["手机号"] = phone  # the preview shows the number as it will be stored
            if phone is None:
                if SCIENTIFIC_RE.fullmatch(raw_phone):
                    problem(
                        "手机号",
                        f"“{raw_phone}”被 Excel 显示成了科学计数法，"
                        "请把该列设为“文本”后重新填写号码",
                    )
                else:
                    problem("手机号", f"“{raw_phone}”不是有效的手机号（应为 1 开头的 11 位数字）")

        households = None
        raw_households = cells.get("包联户数", "")
        if raw_households:
            households = parse_households(raw_households)
            if households is None:
                problem("包联户数", f"“{raw_households}”不是非负整数")
            elif households > MAX_HOUSEHOLDS:
                problem("包联户数", f"“{raw_households}”过大，请核对")
                households = None

        wecom = cells.get("企业微信账号") or None
        name = cells["管家姓名"]
        if phone:
            first_line.setdefault(phone, line)
            if name:
                seen = steward_name.setdefault(phone, (name, line))
                if seen[0] != name:
                    problem(
                        "管家姓名",
                        f"手机号 {phone} 在第{seen[1]}行登记的姓名是“{seen[0]}”，这里却是“{name}”",
                    )
            if wecom:
                seen = steward_wecom.setdefault(phone, (wecom, line))
                if seen[0] != wecom:
                    problem(
                        "企业微信账号",
                        f"手机号 {phone} 在第{seen[1]}行填写的是“{seen[0]}”，这里却是“{wecom}”",
                    )
                owner = wecom_owner.setdefault(wecom, (phone, line))
                if owner[0] != phone:
                    problem(
                        "企业微信账号",
                        f"“{wecom}”在第{owner[1]}行已用于手机号 {owner[0]}，"
                        "一个企业微信账号只能对应一位管家",
                    )
        if bad:
            continue
        rows.append(
            RosterRow(
                line=line,
                street=cells["街道"],
                community=cells["社区"],
                grid=cells["网格"],
                alley=cells["街巷"],
                name=name,
                phone=phone,
                duties=cells.get("职责") or None,
                wecom=wecom,
                households=households,
            )
        )
    if row_count == 0 and not problems:
        problems.append(f"第{header_line + 1}行 文件内容：表头下面没有任何数据行")
    return _Parsed(
        rows=rows,
        row_count=row_count,
        problems=problems,
        first_line=first_line,
        cells=shown,
        header_line=header_line,
    )


# --- the blank template the console hands out ---------------------------------------------

TEMPLATE_EXAMPLE = (
    "示范街道",
    "幸福社区",
    "第一网格",
    "光明巷",
    "张三",
    "13800000000",
    "环境卫生巡查",
    "",
    "12",
)


def template_xlsx() -> bytes:
    """A roster template: the header row every reader here accepts, one example row (to be
    replaced) and column widths a secretary can type into."""
    from openpyxl import Workbook  # noqa: PLC0415 (openpyxl is slow to import; rarely needed)

    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append([*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS])
    ws.append(list(TEMPLATE_EXAMPLE))
    for letter, width in zip("ABCDEFGHI", (12, 12, 12, 14, 10, 14, 24, 16, 10), strict=True):
        ws.column_dimensions[letter].width = width
    for cell in ws[2]:
        cell.number_format = "@"  # phones stay text, never 1.38E+10
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
