"""Roster import (`flask --app app import-roster FILE`): areas, alleys and stewards from a sheet.

A roster is a `.csv` (UTF-8 with or without BOM, or GBK as Excel on Chinese Windows saves it)
or an `.xlsx` (first sheet) with a header row and one row per steward per alley:

    街道, 社区, 网格, 街巷, 管家姓名, 手机号        required
    职责, 企业微信账号, 包联户数                  optional

Importing builds the tree street → community → grid → alley, the stewards (identified by
mobile phone), their alley links and one board per alley that has no active board yet.

Rules an operator can rely on:

* Every problem in the file is reported, each as "第N行 列名：原因" with N the spreadsheet row
  number (the header is row 1), before anything is written; one bad row means nothing at all
  is imported.
* The write is a single transaction: a failure midway leaves the database as it was.
* Re-importing updates, never duplicates: areas are matched by name under their parent,
  stewards by phone (their name, duties, posts, WeCom id and households are updated).
* A blank optional cell leaves the stored value alone, so a sheet without 企业微信账号 does
  not wipe the ids already recorded. When one steward has several rows, the first non-blank
  value of each optional column wins.
* Stewards missing from a roster are NOT removed or dismissed: a partial roster of one
  community must not dismiss everyone else. Dismissing is a deliberate act in the console.
  Likewise a dismissed steward listed again is not reinstated by an import.
* Boards whose printed details changed (a steward's name, phone, duties or households, or
  the alley's set of stewards) get their version bumped so reprints pick them up.

The import avoids per-row queries: the relevant part of the database is loaded into dicts
once, and new rows go in with chunked multi-row inserts (5,000 rows take about a second).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from peewee import Case

from core import audit, codes
from core.boards.boards import BOARD_CODE_LENGTH, bump_versions
from core.db import write_transaction
from core.people import phones
from core.timeutil import utcnow
from models import AREA_KINDS, STEWARD_POSTS, Area, Board, Steward, StewardAlley

REQUIRED_COLUMNS = ("街道", "社区", "网格", "街巷", "管家姓名", "手机号")
OPTIONAL_COLUMNS = ("职责", "企业微信账号", "包联户数")
AREA_COLUMNS = dict(zip(AREA_KINDS, REQUIRED_COLUMNS[:4], strict=True))  # kind → column

# Headers people actually type; matched after removing spaces, "*" marks and "(…)" notes.
HEADER_ALIASES = {
    "街道/镇": "街道",
    "镇街": "街道",
    "社区/村": "社区",
    "村社区": "社区",
    "网格名称": "网格",
    "街巷名称": "街巷",
    "巷道": "街巷",
    "姓名": "管家姓名",
    "管家": "管家姓名",
    "手机": "手机号",
    "手机号码": "手机号",
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
IN_CHUNK = 500
INSERT_CHUNK = 80
CASE_CHUNK = 300
STEWARD_UPDATE_CHUNK = 60
HEADER_SEARCH_ROWS = 10


class RosterError(Exception):
    """The roster cannot be imported; `problems` lists every reason, one line each."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
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


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    rows: int = 0
    areas_created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AREA_KINDS, 0))
    stewards_created: int = 0
    stewards_updated: int = 0
    stewards_unchanged: int = 0
    stewards_dismissed: int = 0  # listed, but dismissed earlier; left dismissed
    links_created: int = 0
    boards_created: int = 0
    boards_bumped: int = 0
    dry_run: bool = False

    @property
    def areas_created_total(self) -> int:
        return sum(self.areas_created.values())

    def counts(self) -> dict:
        return {
            "rows": self.rows,
            "areas_created": self.areas_created_total,
            "areas_created_by_kind": dict(self.areas_created),
            "stewards_created": self.stewards_created,
            "stewards_updated": self.stewards_updated,
            "stewards_unchanged": self.stewards_unchanged,
            "stewards_dismissed": self.stewards_dismissed,
            "links_created": self.links_created,
            "boards_created": self.boards_created,
            "boards_bumped": self.boards_bumped,
        }

    def summary(self) -> str:
        by_kind = "、".join(
            f"{label} {self.areas_created[kind]}" for kind, label in AREA_COLUMNS.items()
        )
        verb = "检查通过（未写入）" if self.dry_run else "导入完成"
        lines = [
            f"{verb}：共 {self.rows} 行。",
            f"  新建区域 {self.areas_created_total} 个（{by_kind}）",
            f"  新增管家 {self.stewards_created} 人，更新 {self.stewards_updated} 人，"
            f"无变化 {self.stewards_unchanged} 人",
            f"  新增管家与街巷的对应 {self.links_created} 条",
            f"  新建公示牌 {self.boards_created} 块",
        ]
        if self.boards_bumped:
            lines.append(f"  {self.boards_bumped} 块公示牌的内容有变化（版本号已更新），请重新打印")
        if self.stewards_dismissed:
            lines.append(
                f"  注意：名单中有 {self.stewards_dismissed} 位管家此前已离任，导入不会恢复其在任状态"
            )
        lines.append("  名单中没有出现的管家保持不变，不会被删除或离任。")
        return "\n".join(lines)


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


def _find_header(table: list[tuple[int, list]]) -> tuple[int, list[str]] | None:
    """The header row: the first of the leading rows naming a known column.

    A title row ("城关街道小巷管家名单") above the header is common and harmless.
    """
    known = set(REQUIRED_COLUMNS) | set(OPTIONAL_COLUMNS)
    candidates = [(n, cells) for n, cells in table if any(clean_cell(c) for c in cells)]
    for number, cells in candidates[:HEADER_SEARCH_ROWS]:
        names = [_header_name(c) for c in cells]
        if len(known.intersection(names)) >= 2:
            return number, names
    if candidates:
        number, cells = candidates[0]
        return number, [_header_name(c) for c in cells]
    return None


def parse_table(table: list[tuple[int, list]]) -> _Parsed:
    """Check every row; return the good rows and every problem found (nothing is written)."""
    header = _find_header(table)
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

    for line, raw in table:
        if line <= header_line:
            continue
        cells = {
            name: clean_cell(raw[pos]) if pos < len(raw) else "" for name, pos in index.items()
        }
        if not any(cells.values()):
            continue  # blank rows between blocks are common in hand-kept sheets
        row_count += 1
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
    return _Parsed(rows=rows, row_count=row_count, problems=problems, first_line=first_line)


# --- the database side --------------------------------------------------------------------


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class _AreaRef:
    id: int
    kind: str
    path: str


@dataclass
class _StewardPlan:
    phone: str
    name: str
    duties: str | None
    wecom: str | None
    households: int | None
    line: int


class _Snapshot:
    """The part of the database a roster touches, loaded with a handful of queries."""

    def __init__(self, rows: list[RosterRow], plans: dict[str, _StewardPlan]):
        self.areas: dict[tuple[int | None, str], _AreaRef] = {}
        streets = sorted({r.street for r in rows})
        roots = list(
            Area.select(Area.id, Area.kind, Area.path, Area.name).where(
                Area.parent.is_null() & Area.name.in_(streets)
            )
        )
        for root in roots:
            self.areas[(None, root.name)] = _AreaRef(root.id, root.kind, root.path)
            subtree = Area.select(Area.id, Area.parent, Area.kind, Area.path, Area.name).where(
                Area.path.startswith(root.path) & (Area.id != root.id)
            )
            for area in subtree:
                self.areas[(area.parent_id, area.name)] = _AreaRef(area.id, area.kind, area.path)

        phones = sorted(plans)
        self.stewards: dict[str, Steward] = {}
        for chunk in _chunks(phones, IN_CHUNK):
            for steward in Steward.select().where(Steward.phone.in_(chunk)):
                self.stewards[steward.phone] = steward
        wecoms = sorted({p.wecom for p in plans.values() if p.wecom})
        self.wecom_holders: dict[str, Steward] = {}
        for chunk in _chunks(wecoms, IN_CHUNK):
            for steward in Steward.select().where(Steward.wecom_userid.in_(chunk)):
                self.wecom_holders[steward.wecom_userid] = steward

    def load_alley_state(self, alley_ids: list[int]) -> None:
        self.links: set[tuple[int, int]] = set()
        self.boarded: set[int] = set()
        for chunk in _chunks(alley_ids, IN_CHUNK):
            query = StewardAlley.select(StewardAlley.steward, StewardAlley.alley).where(
                StewardAlley.alley.in_(chunk)
            )
            self.links.update((link.steward_id, link.alley_id) for link in query)
            boards = Board.select(Board.alley).where(Board.alley.in_(chunk) & Board.active)
            self.boarded.update(b.alley_id for b in boards)


def _steward_plans(rows: list[RosterRow]) -> dict[str, _StewardPlan]:
    plans: dict[str, _StewardPlan] = {}
    for row in rows:
        plan = plans.get(row.phone)
        if plan is None:
            plans[row.phone] = _StewardPlan(
                row.phone, row.name, row.duties, row.wecom, row.households, row.line
            )
            continue
        plan.duties = plan.duties or row.duties
        plan.wecom = plan.wecom or row.wecom
        plan.households = plan.households if plan.households is not None else row.households
    return plans


def _resolve_areas(
    rows: list[RosterRow], snapshot: _Snapshot, problems: list[str]
) -> tuple[dict[tuple, _AreaRef], list[list[tuple]]]:
    """Existing nodes by name chain, and per level the chains still to create.

    A name already used under the same parent for another kind of area is a problem.
    """
    existing: dict[tuple, _AreaRef] = {}
    missing: list[list[tuple]] = [[] for _ in AREA_KINDS]
    missing_seen: set[tuple] = set()
    conflicts: dict[tuple, list[int]] = {}
    conflict_kind: dict[tuple, str] = {}
    for row in rows:
        names = row.alley_key
        for depth, kind in enumerate(AREA_KINDS):
            chain = names[: depth + 1]
            if chain in missing_seen:
                continue
            if chain in existing:
                continue
            if chain in conflicts:
                conflicts[chain].append(row.line)
                break
            parent = existing.get(chain[:-1]) if depth else None
            if depth and parent is None:  # the parent is new, so is everything below it
                missing_seen.add(chain)
                missing[depth].append(chain)
                continue
            found = snapshot.areas.get((parent.id if parent else None, chain[-1]))
            if found is None:
                missing_seen.add(chain)
                missing[depth].append(chain)
            elif found.kind != kind:
                conflicts[chain] = [row.line]
                conflict_kind[chain] = found.kind
                break
            else:
                existing[chain] = found
    for chain, lines in conflicts.items():
        kind = AREA_KINDS[len(chain) - 1]
        column = AREA_COLUMNS[kind]
        where = "在“" + " / ".join(chain[:-1]) + "”下" if len(chain) > 1 else "在顶层"
        more = f"（共 {len(lines)} 行）" if len(lines) > 1 else ""
        problems.append(
            f"第{lines[0]}行 {column}：“{chain[-1]}”{where}已作为"
            f"{AREA_COLUMNS.get(conflict_kind[chain], conflict_kind[chain])}存在，"
            f"不能再作为{column}{more}"
        )
    return existing, missing


def _check_wecom_holders(
    plans: dict[str, _StewardPlan], snapshot: _Snapshot, problems: list[str]
) -> None:
    """A WeCom id the file gives one steward must not stay with another in the database."""
    for wecom, holder in snapshot.wecom_holders.items():
        owner = next((p for p in plans.values() if p.wecom == wecom), None)
        if owner is None or holder.phone == owner.phone:
            continue
        releasing = plans.get(holder.phone)
        if releasing is not None and releasing.wecom and releasing.wecom != wecom:
            continue  # the holder is given another id in the same file: a swap
        problems.append(
            f"第{owner.line}行 企业微信账号：“{wecom}”已属于管家{holder.name}"
            f"（手机号 {holder.phone}），一个企业微信账号只能对应一位管家"
        )


def _insert_areas(
    missing: list[list[tuple]], existing: dict[tuple, _AreaRef], now
) -> dict[str, int]:
    """Create the missing nodes level by level, then give them their paths in bulk."""
    created = dict.fromkeys(AREA_KINDS, 0)
    for depth, kind in enumerate(AREA_KINDS):
        chains = missing[depth]
        if not chains:
            continue
        parent_of = {c: (existing[c[:-1]].id if depth else None) for c in chains}
        rows = [
            {
                Area.parent: parent_of[c],
                Area.kind: kind,
                Area.name: c[-1],
                Area.path: "",
                Area.active: True,
                Area.created_at: now,
                Area.updated_at: now,
            }
            for c in chains
        ]
        for chunk in _chunks(rows, INSERT_CHUNK):
            Area.insert_many(chunk).execute()

        # Read the ids back by (parent, name): portable, no RETURNING needed on SQLite.
        found: dict[tuple[int | None, str], int] = {}
        if depth == 0:
            names = sorted({c[-1] for c in chains})
            for chunk in _chunks(names, IN_CHUNK):
                query = Area.select(Area.id, Area.name).where(
                    Area.parent.is_null() & Area.name.in_(chunk)
                )
                found.update(((None, a.name), a.id) for a in query)
        else:
            parent_ids = sorted({pid for pid in parent_of.values()})
            for chunk in _chunks(parent_ids, IN_CHUNK):
                query = Area.select(Area.id, Area.parent, Area.name).where(Area.parent.in_(chunk))
                found.update(((a.parent_id, a.name), a.id) for a in query)

        paths: list[tuple[int, str]] = []
        for chain in chains:
            area_id = found[(parent_of[chain], chain[-1])]
            prefix = existing[chain[:-1]].path if depth else "/"
            ref = _AreaRef(area_id, kind, f"{prefix}{area_id}/")
            existing[chain] = ref
            paths.append((ref.id, ref.path))
        for chunk in _chunks(paths, CASE_CHUNK):
            Area.update(path=Case(Area.id, chunk)).where(
                Area.id.in_([area_id for area_id, _ in chunk])
            ).execute()
        created[kind] = len(chains)
    return created


def _write_stewards(
    plans: dict[str, _StewardPlan], snapshot: _Snapshot, result: ImportResult, now
) -> tuple[dict[str, int], set[int]]:
    """Create and update stewards. Returns phone → id and the ids whose printed details changed."""
    changed: list[Steward] = []
    printed_changed: set[int] = set()
    releasing: list[int] = []
    new_rows: list[dict] = []
    for phone, plan in plans.items():
        steward = snapshot.stewards.get(phone)
        if steward is None:
            duties = plan.duties or ""
            new_rows.append(
                {
                    Steward.name: plan.name,
                    Steward.phone: phone,
                    Steward.duties: duties,
                    Steward.posts: posts_in(duties),
                    Steward.households: plan.households or 0,
                    Steward.wecom_userid: plan.wecom,
                    Steward.active: True,
                    Steward.created_at: now,
                    Steward.updated_at: now,
                }
            )
            continue
        if not steward.active:
            result.stewards_dismissed += 1
        dirty = printed = False
        if steward.name != plan.name:
            steward.name, dirty, printed = plan.name, True, True
        if plan.duties is not None and steward.duties != plan.duties:
            steward.duties, dirty, printed = plan.duties, True, True
        if plan.duties is not None and steward.posts != posts_in(plan.duties):
            steward.posts, dirty = posts_in(plan.duties), True
        if plan.households is not None and steward.households != plan.households:
            steward.households, dirty, printed = plan.households, True, True
        if plan.wecom is not None and steward.wecom_userid != plan.wecom:
            if steward.wecom_userid is not None:
                releasing.append(steward.id)
            steward.wecom_userid, dirty = plan.wecom, True
        if dirty:
            steward.updated_at = now
            changed.append(steward)
        else:
            result.stewards_unchanged += 1
        if printed:
            printed_changed.add(steward.id)

    # Ids change hands in one statement order that never holds one id twice (unique index).
    for chunk in _chunks(releasing, IN_CHUNK):
        Steward.update(wecom_userid=None).where(Steward.id.in_(chunk)).execute()
    if changed:
        fields = [
            Steward.name,
            Steward.duties,
            Steward.posts,
            Steward.households,
            Steward.wecom_userid,
            Steward.updated_at,
        ]
        Steward.bulk_update(changed, fields=fields, batch_size=STEWARD_UPDATE_CHUNK)
    for chunk in _chunks(new_rows, INSERT_CHUNK):
        Steward.insert_many(chunk).execute()

    ids = {phone: s.id for phone, s in snapshot.stewards.items()}
    new_phones = [row[Steward.phone] for row in new_rows]
    for chunk in _chunks(new_phones, IN_CHUNK):
        query = Steward.select(Steward.id, Steward.phone).where(Steward.phone.in_(chunk))
        ids.update((s.phone, s.id) for s in query)
    result.stewards_created = len(new_rows)
    result.stewards_updated = len(changed)
    return ids, printed_changed


def _draw_board_codes(count: int) -> list[str]:
    """Fresh codes, checked against the table so one collision cannot abort the import."""
    drawn: set[str] = set()
    while len(drawn) < count:
        batch = {codes.random_code(BOARD_CODE_LENGTH) for _ in range(count - len(drawn))}
        batch -= drawn
        taken: set[str] = set()
        for chunk in _chunks(sorted(batch), IN_CHUNK):
            taken.update(b.code for b in Board.select(Board.code).where(Board.code.in_(chunk)))
        drawn |= batch - taken
    return sorted(drawn)


def _count_active_boards(alley_ids: list[int]) -> int:
    total = 0
    for chunk in _chunks(alley_ids, IN_CHUNK):
        total += Board.select().where(Board.alley.in_(chunk) & Board.active).count()
    return total


# --- the entry points ---------------------------------------------------------------------


def import_file(path: str | Path, *, label: str, dry_run: bool = False) -> ImportResult:
    """Import a roster file. Raises `RosterError` listing every problem; writes nothing then."""
    return import_table(read_table(path), label=label, source=Path(path).name, dry_run=dry_run)


def import_table(
    table: list[tuple[int, list]] | list[list],
    *,
    label: str,
    source: str = "",
    dry_run: bool = False,
) -> ImportResult:
    """Import rows already in memory: [(row number, cells), …] or plain [header, row, …].

    The demo data goes through here, so it follows exactly the rules of a real roster.
    """
    if table and not isinstance(table[0], tuple):
        table = list(enumerate(table, start=1))
    parsed = parse_table(table)
    plans = _steward_plans(parsed.rows)
    result = ImportResult(rows=parsed.row_count, dry_run=dry_run)

    # Validate against the database inside the write transaction, so nothing can change
    # between the checks and the writes.
    with write_transaction():
        snapshot = _Snapshot(parsed.rows, plans)
        problems = list(parsed.problems)
        existing, missing = _resolve_areas(parsed.rows, snapshot, problems)
        _check_wecom_holders(plans, snapshot, problems)
        if problems:
            raise RosterError(_sorted_problems(problems))

        known_alleys = sorted({ref.id for chain, ref in existing.items() if len(chain) == 4})
        snapshot.load_alley_state(known_alleys)
        if dry_run:
            _plan_counts(parsed.rows, plans, snapshot, existing, missing, result)
            return result

        now = utcnow()
        result.areas_created = _insert_areas(missing, existing, now)
        steward_ids, printed_changed = _write_stewards(plans, snapshot, result, now)

        pairs = {(steward_ids[r.phone], existing[r.alley_key].id) for r in parsed.rows}
        new_links = sorted(pairs - snapshot.links)
        link_rows = [
            {
                StewardAlley.steward: sid,
                StewardAlley.alley: aid,
                StewardAlley.is_leader: False,
                StewardAlley.created_at: now,
            }
            for sid, aid in new_links
        ]
        for chunk in _chunks(link_rows, INSERT_CHUNK):
            StewardAlley.insert_many(chunk).execute()
        result.links_created = len(new_links)

        # Before creating boards, so a board printed today starts at version 1.
        reprint = {aid for _, aid in new_links}
        changed_ids = sorted(printed_changed)
        for chunk in _chunks(changed_ids, IN_CHUNK):
            query = StewardAlley.select(StewardAlley.alley).where(StewardAlley.steward.in_(chunk))
            reprint.update(link.alley_id for link in query)
        reprint_ids = sorted(reprint)
        result.boards_bumped = _count_active_boards(reprint_ids)
        for chunk in _chunks(reprint_ids, IN_CHUNK):
            bump_versions(chunk)

        all_alleys = sorted({existing[r.alley_key].id for r in parsed.rows})
        bare = [aid for aid in all_alleys if aid not in snapshot.boarded]
        board_rows = [
            {
                Board.alley: aid,
                Board.code: code,
                Board.version: 1,
                Board.active: True,
                Board.created_at: now,
                Board.updated_at: now,
            }
            for aid, code in zip(bare, _draw_board_codes(len(bare)), strict=True)
        ]
        for chunk in _chunks(board_rows, INSERT_CHUNK):
            Board.insert_many(chunk).execute()
        result.boards_created = len(board_rows)

        streets = {existing[r.alley_key[:1]].id for r in parsed.rows}
        audit.record(
            "roster.import",
            "roster",
            None,
            label=label,
            area=next(iter(streets)) if len(streets) == 1 else None,
            data={"source": source, **result.counts()},
        )
    return result


def _plan_counts(rows, plans, snapshot, existing, missing, result: ImportResult) -> None:
    """Fill a dry run's counts from the plan (boards bumped is left at 0: it needs writes)."""
    for depth, kind in enumerate(AREA_KINDS):
        result.areas_created[kind] = len(missing[depth])
    for phone, plan in plans.items():
        steward = snapshot.stewards.get(phone)
        if steward is None:
            result.stewards_created += 1
            continue
        if not steward.active:
            result.stewards_dismissed += 1
        differs = (
            steward.name != plan.name
            or (plan.duties is not None and steward.duties != plan.duties)
            or (plan.households is not None and steward.households != plan.households)
            or (plan.wecom is not None and steward.wecom_userid != plan.wecom)
        )
        if differs:
            result.stewards_updated += 1
        else:
            result.stewards_unchanged += 1
    pairs = set()
    bare = set()
    for row in rows:
        alley = existing.get(row.alley_key)
        steward = snapshot.stewards.get(row.phone)
        if alley is None:
            bare.add(row.alley_key)
            pairs.add((row.phone, row.alley_key))
        else:
            if alley.id not in snapshot.boarded:
                bare.add(row.alley_key)
            if steward is None or (steward.id, alley.id) not in snapshot.links:
                pairs.add((row.phone, row.alley_key))
    result.links_created = len(pairs)
    result.boards_created = len(bare)


def _sorted_problems(problems: list[str]) -> list[str]:
    """Header problems first, then by row number, keeping the order within a row."""

    def key(item: tuple[int, str]):
        position, text = item
        match = re.match(r"第(\d+)行", text)
        return (int(match.group(1)) if match else 0, position)

    return [text for _, text in sorted(enumerate(problems), key=key)]
