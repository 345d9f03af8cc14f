"""Importing households from a spreadsheet (`flask --app app import-households FILE
[--dry-run]` and the console's upload): read like the roster (`core.people.roster_file`:
.xlsx, .csv in UTF-8 or GBK, a header row among the first rows), checked whole, applied
all-or-nothing.

Columns (header row, Chinese):

    社区, 街巷, 管家手机号, 地址, 户主                 required
    街道, 户主电话, 成员, 标签, 备注                   optional

* 成员: one member per "；" (or ";" or a line break), each `姓名/关系/出生年份/电话/备注`
  from the left, e.g. `李秀兰/配偶/1950；王小明/孙子/2015`.
* 标签: from the configured list (`HOUSEHOLD_TAGS`), separated by "、", "，" or spaces.
* 管家手机号: the phone of a steward (from the roster) who serves that 街巷.
* 街道: needed only when two communities share a name.

Rules: every problem is reported as "第N行 列名：原因" before anything is written, and one
bad row means nothing is imported; a household is identified by (社区, 地址), so importing
again updates it and never duplicates it; a blank optional cell leaves what is stored alone;
households missing from a sheet are left as they are. The console passes the staff member's
scope (`within`): rows outside it are refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core import audit
from core.households import cards, due
from core.people import phones
from core.people.roster_file import RosterError, clean_cell, find_header, read_table
from infra.db import write_transaction
from infra.errors import ApiError
from infra.timeutil import utcnow
from models import Area, Household, Steward, StewardAlley

SheetError = RosterError  # the same shape: a list of "第N行 列名：原因"

REQUIRED = ("社区", "街巷", "管家手机号", "地址", "户主")
OPTIONAL = ("街道", "户主电话", "成员", "标签", "备注")
ALIASES = {
    "社区/村": "社区",
    "村社区": "社区",
    "街巷名称": "街巷",
    "巷道": "街巷",
    "管家电话": "管家手机号",
    "包联管家手机号": "管家手机号",
    "管家手机": "管家手机号",
    "住址": "地址",
    "家庭住址": "地址",
    "门牌号": "地址",
    "户主姓名": "户主",
    "户主手机号": "户主电话",
    "联系电话": "户主电话",
    "家庭成员": "成员",
    "人员标签": "标签",
    "街道/镇": "街道",
}
MEMBER_SPLIT = re.compile(r"[；;\n]+")
FIELD_SPLIT = re.compile(r"[/／]")
TAG_SPLIT = re.compile(r"[、，,；;\s]+")


@dataclass
class SheetResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    changes: list[str] = field(default_factory=list)  # "第N行 新增：地址" … for the dry run

    def counts(self) -> dict:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }

    def summary(self) -> str:
        verb = "检查通过（未写入）" if self.dry_run else "导入完成"
        lines = [
            f"{verb}：共 {self.rows} 户。",
            f"  新增 {self.created} 户，更新 {self.updated} 户，无变化 {self.unchanged} 户",
        ]
        lines.extend(f"  {line}" for line in self.changes)
        lines.append("  表中没有出现的住户保持不变，不会被删除。")
        return "\n".join(lines)


def _header_name(cell) -> str:
    text = unicodedata.normalize("NFKC", clean_cell(cell))
    text = re.sub(r"\(.*?\)|[\s*]", "", text)
    return ALIASES.get(text, text)


@dataclass
class _Row:
    line: int
    street: str
    community: str
    alley: str
    steward_phone: str
    data: dict  # the card's fields present in the row, checked


def parse_members(text: str) -> list[dict]:
    """`姓名/关系/出生年份/电话/备注` per member, members separated by "；" or lines (the
    sheet's 成员 cell and the console's members box); everything after the fourth slash is
    the note."""
    out = []
    for part in MEMBER_SPLIT.split(text):
        if not part.strip():
            continue
        # the note is the last field and may hold a slash itself ("腿脚不便/需轮椅")
        bits = [b.strip() for b in FIELD_SPLIT.split(part, maxsplit=4)]
        bits += [""] * (5 - len(bits))
        name, relation, year, phone, notes = bits[:5]
        out.append(
            {
                "name": name,
                "relation": relation,
                "birth_year": year or None,
                "phone": phone or None,
                "notes": notes,
            }
        )
    return out


def _api_reason(exc: ApiError) -> str:
    return next(iter(exc.fields.values()), exc.message) if exc.fields else exc.message


def parse(table) -> tuple[list[_Row], int, list[str]]:
    # A household sheet's header names at least three of its columns.
    header = find_header(table, set(REQUIRED) | set(OPTIONAL), _header_name, minimum=3)
    if header is None:
        raise SheetError(["文件内容：文件是空的，没有表头和数据"])
    header_line, names = header
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise SheetError(
            [
                f"第{header_line}行 表头：缺少必填列“{'”、“'.join(missing)}”"
                f"（表头须包含：{'、'.join(REQUIRED)}）"
            ]
        )
    index: dict[str, int] = {}
    problems: list[str] = []
    for position, name in enumerate(names):
        if name in index and name in REQUIRED + OPTIONAL:
            problems.append(f"第{header_line}行 表头：列“{name}”出现了不止一次")
        index.setdefault(name, position)
    rows: list[_Row] = []
    count = 0
    for line, raw in table:
        if line <= header_line:
            continue
        cells = {n: clean_cell(raw[p]) if p < len(raw) else "" for n, p in index.items()}
        if not any(cells.get(c) for c in REQUIRED + OPTIONAL):
            continue
        count += 1
        bad = False

        def problem(column: str, reason: str, line=line) -> None:
            nonlocal bad
            bad = True
            problems.append(f"第{line}行 {column}：{reason}")

        for column in REQUIRED:
            if not cells.get(column):
                problem(column, "不能为空")
        phone = phones.mobile(cells.get("管家手机号", "")) if cells.get("管家手机号") else None
        if cells.get("管家手机号") and phone is None:
            problem("管家手机号", f"“{cells['管家手机号']}”不是有效的手机号")
        data: dict = {"address": cells.get("地址", ""), "head_name": cells.get("户主", "")}
        for column, key in (("地址", "address"), ("户主", "head_name"), ("备注", "notes")):
            if len(cells.get(column, "")) > cards.LIMITS[key]:
                problem(column, f"内容过长（最多 {cards.LIMITS[key]} 个字）")
        if cells.get("备注"):
            data["notes"] = cells["备注"]
        if cells.get("户主电话"):
            try:
                data["head_phone"] = phones.contact(cells["户主电话"])
            except ValueError as exc:
                problem("户主电话", f"“{cells['户主电话']}”不正确：{exc}")
        if cells.get("成员"):
            try:
                data["members"] = cards.check_members(parse_members(cells["成员"]))
            except ApiError as exc:
                problem("成员", _api_reason(exc))
        if cells.get("标签"):
            try:
                data["tags"] = cards.check_tags([t for t in TAG_SPLIT.split(cells["标签"]) if t])
            except ApiError as exc:
                problem("标签", _api_reason(exc))
        if not bad:
            rows.append(
                _Row(
                    line,
                    cells.get("街道", ""),
                    cells["社区"],
                    cells["街巷"],
                    phone,
                    data,
                )
            )
    if count == 0 and not problems:
        problems.append(f"第{header_line + 1}行 文件内容：表头下面没有任何数据行")
    return rows, count, problems


def _resolve(rows: list[_Row], within: Sequence[Area] | None, problems: list[str]):
    """(community, alley, steward) per row, every problem named by its row."""
    communities: dict[tuple[str, str], list[Area]] = {}
    resolved = {}
    seen: dict[tuple[int, str], int] = {}
    for row in rows:
        key = (row.street, row.community)
        if key not in communities:
            query = Area.select().where((Area.kind == "community") & (Area.name == row.community))
            found = list(query)
            if row.street:
                found = [c for c in found if c.parent and c.parent.name == row.street]
            communities[key] = found
        found = communities[key]
        if not found:
            problems.append(f"第{row.line}行 社区：找不到“{row.community}”，请先导入花名册")
            continue
        if len(found) > 1:
            problems.append(
                f"第{row.line}行 社区：有多个名为“{row.community}”的社区，请填写“街道”列"
            )
            continue
        community = found[0]
        if within is not None and not any(root.covers(community) for root in within):
            problems.append(f"第{row.line}行 社区：不在您的管辖范围内")
            continue
        alleys = list(
            Area.select().where(
                (Area.kind == "alley")
                & (Area.name == row.alley)
                & Area.path.startswith(community.path)
            )
        )
        if len(alleys) != 1:
            reason = "找不到该街巷" if not alleys else "本社区有多条同名街巷，请先在花名册中区分"
            problems.append(f"第{row.line}行 街巷：“{row.alley}”{reason}")
            continue
        alley = alleys[0]
        steward = Steward.get_or_none(Steward.phone == row.steward_phone)
        serves = (
            steward is not None
            and steward.active
            and StewardAlley.select()
            .where((StewardAlley.steward == steward) & (StewardAlley.alley == alley))
            .exists()
        )
        if not serves:
            problems.append(
                f"第{row.line}行 管家手机号：{row.steward_phone} 不是“{row.alley}”在任的管家"
            )
            continue
        address_key = (community.id, row.data["address"])
        if address_key in seen:
            problems.append(
                f"第{row.line}行 地址：与第{seen[address_key]}行是同一社区的同一地址，请合并"
            )
            continue
        seen[address_key] = row.line
        resolved[row.line] = (community, alley, steward)
    return resolved


def _sorted(problems: list[str]) -> list[str]:
    def key(item):
        position, text = item
        match = re.match(r"第(\d+)行", text)
        return (int(match.group(1)) if match else 0, position)

    return [t for _, t in sorted(enumerate(problems), key=key)]


def import_file(
    path: str | Path,
    *,
    label: str,
    dry_run: bool = False,
    within: Sequence[Area] | None = None,
    actor=None,
) -> SheetResult:
    return import_table(
        read_table(path),
        label=label,
        source=Path(path).name,
        dry_run=dry_run,
        within=within,
        actor=actor,
    )


def import_table(
    table, *, label: str, source: str = "", dry_run: bool = False, within=None, actor=None
) -> SheetResult:
    """Check every row, then (unless `dry_run`) write them all in one transaction."""
    if table and not isinstance(table[0], tuple):
        table = list(enumerate(table, start=1))
    rows, count, problems = parse(table)
    result = SheetResult(rows=count, dry_run=dry_run)
    with write_transaction():
        resolved = _resolve(rows, within, problems)
        if problems:
            raise SheetError(_sorted(problems))
        now = utcnow()
        for row in rows:
            community, alley, steward = resolved[row.line]
            existing = Household.get_or_none(
                (Household.community == community) & (Household.address == row.data["address"])
            )
            if existing is None:
                result.created += 1
                result.changes.append(f"第{row.line}行 新增：{row.data['address']}")
                if not dry_run:
                    fields = {"head_phone": None, "members": [], "tags": [], "notes": ""}
                    fields.update(row.data)
                    Household.create(
                        community=community,
                        alley=alley,
                        steward=steward,
                        created_at=now,
                        updated_at=now,
                        **fields,
                    )
                continue
            wanted = dict(row.data, alley=alley.id, steward=steward.id, active=True)
            current = {
                "alley": existing.alley_id,
                "steward": existing.steward_id,
                "active": existing.active,
            }
            changed = [
                k for k, v in wanted.items() if current.get(k, getattr(existing, k, None)) != v
            ]
            if not changed:
                result.unchanged += 1
                continue
            result.updated += 1
            result.changes.append(f"第{row.line}行 更新：{row.data['address']}")
            if not dry_run:
                for key in changed:
                    setattr(existing, key, wanted[key])
                existing.updated_at = now
                existing.save()
                due.refresh(existing)
        if not dry_run:
            audit.record(
                "households.import",
                "household",
                None,
                actor=actor,
                label=label,
                area=within[0] if within else None,
                data={"source": source, **result.counts()},
            )
    return result


def template_xlsx() -> bytes:
    """The blank sheet the console hands out: the header and one example row."""
    import io  # noqa: PLC0415

    from openpyxl import Workbook  # noqa: PLC0415 (slow to import; rarely needed)

    wb = Workbook()
    ws = wb.active
    ws.title = "包联户"
    ws.append([*REQUIRED, *OPTIONAL])
    ws.append(
        [
            "幸福社区",
            "光明巷",
            "13800000000",
            "光明巷3号",
            "王大爷",
            "示范街道",
            "13900000000",
            "李秀兰/配偶/1950；王小明/孙子/2015",
            "独居老人、低保",
            "腿脚不便",
        ]
    )
    for cell in ws[2]:
        cell.number_format = "@"
    for letter, width in zip("ABCDEFGHIJ", (12, 12, 14, 20, 10, 12, 14, 36, 18, 20), strict=True):
        ws.column_dimensions[letter].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
