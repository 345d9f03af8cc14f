"""A roster's row-by-row preview and the sheet handed back with its errors marked.

The console's dry run shows every data row of the sheet as it will be stored (cells cleaned:
full-width to half-width, padding inside names gone, phones as 11 digits) and what the import
would do with it — 新建 (a new steward), 更新 (a known steward whose details change, or who
takes on another alley), 不变, or 错误 with every reason — errors first. The checks are the
import's own (`core.people.roster`), so a preview without errors imports exactly as shown.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.people import roster
from core.people.roster_file import (
    AREA_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    RosterError,
    parse_table,
    read_table,
)
from infra.db import write_transaction
from models import AREA_KINDS, Area

NEW, CHANGED, SAME, ERROR = "新建", "更新", "不变", "错误"
ACTIONS = (ERROR, NEW, CHANGED, SAME)  # the order rows are shown in
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
ERROR_COLUMN = "错误说明"

_LINE_RE = re.compile(r"第(\d+)行\s*")


@dataclass
class PreviewRow:
    line: int  # the spreadsheet's row number
    values: dict[str, str]  # column → cleaned value
    action: str
    reasons: list[str] = field(default_factory=list)


@dataclass
class RosterPreview:
    rows: list[PreviewRow]  # errors first, then in sheet order
    problems: list[str]  # every problem as "第N行 列：原因", as the import reports them
    result: roster.ImportResult  # the counts (meaningful when there are no errors)
    header_line: int = 1

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def error_rows(self) -> int:
        return sum(1 for r in self.rows if r.action == ERROR)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for row in self.rows:
            counts[row.action] += 1
        return counts


def preview_file(path: str | Path, *, within: Sequence[Area] | None = None) -> RosterPreview:
    return preview_table(read_table(path), within=within)


def preview_table(table: list[tuple[int, list]], *, within=None) -> RosterPreview:
    """What importing `table` would do, row by row; writes nothing. Raises `RosterError` only
    for what no row can show (an empty file, a missing column)."""
    parsed = parse_table(table)
    plans = roster._steward_plans(parsed.rows)
    result = roster.ImportResult(rows=parsed.row_count, dry_run=True)
    with write_transaction():  # one consistent view, as the import's own checks have
        snapshot, existing, missing, problems = roster.check_against_database(parsed, plans, within)
        problems = roster._sorted_problems(problems)
        if not problems:
            roster._plan_counts(parsed.rows, plans, snapshot, existing, missing, result)

    reasons: dict[int, list[str]] = {}
    for text in problems:
        match = _LINE_RE.match(text)
        if match and int(match.group(1)) in parsed.cells:
            reasons.setdefault(int(match.group(1)), []).append(text[match.end() :])
    header_problems = [p for p in problems if not _belongs_to_a_row(p, parsed.cells)]
    if header_problems:
        raise RosterError(header_problems)

    good = {row.line: row for row in parsed.rows}
    described: set[str] = set()  # phones whose steward changes were told on their first row
    rows: list[PreviewRow] = []
    for line, values in parsed.cells.items():
        if line in reasons or line not in good:
            rows.append(PreviewRow(line, values, ERROR, reasons.get(line, [])))
            continue
        row = good[line]
        why: list[str] = []
        steward = snapshot.stewards.get(row.phone)
        new_level = next(
            (d for d in range(len(AREA_KINDS)) if row.alley_key[: d + 1] not in existing), None
        )
        if new_level is not None:
            kind = AREA_KINDS[new_level]
            why.append(f"新建{AREA_COLUMNS[kind]}“{row.alley_key[new_level]}”")
        if steward is None:
            action = NEW
            why.insert(
                0, "新管家" if row.phone not in described else "新管家（同一人的另一条街巷）"
            )
            described.add(row.phone)
            rows.append(PreviewRow(line, values, action, why))
            continue
        if row.phone not in described:
            described.add(row.phone)
            why.extend(_steward_changes(steward, plans[row.phone]))
        alley = existing.get(row.alley_key)
        if alley is None or (steward.id, alley.id) not in snapshot.links:
            if new_level is None:
                why.append(f"新增负责街巷“{row.alley}”")
        action = CHANGED if why else SAME
        if not steward.active:
            why.append("此前已离任，导入不会恢复在任")
        rows.append(PreviewRow(line, values, action, why))
    rows.sort(key=lambda r: (r.action != ERROR, r.line))
    return RosterPreview(rows, problems, result, header_line=parsed.header_line)


def _belongs_to_a_row(problem: str, cells: dict) -> bool:
    match = _LINE_RE.match(problem)
    return bool(match) and int(match.group(1)) in cells


def _steward_changes(steward, plan) -> list[str]:
    """What the import changes on a known steward, as the preview says it."""
    out = []
    if steward.name != plan.name:
        out.append(f"姓名：{steward.name} → {plan.name}")
    if plan.duties is not None and steward.duties != plan.duties:
        out.append(f"职责：{steward.duties or '（空）'} → {plan.duties}")
    if plan.households is not None and steward.households != plan.households:
        out.append(f"包联户数：{steward.households} → {plan.households}")
    if plan.wecom is not None and steward.wecom_userid != plan.wecom:
        out.append(f"企业微信账号：{steward.wecom_userid or '（空）'} → {plan.wecom}")
    return out


def marked_xlsx(table: list[tuple[int, list]], preview: RosterPreview) -> bytes:
    """The uploaded sheet as it was, every row in its place, with a 错误说明 column after the
    last one: each bad row's reasons, the cell filled red. Written in openpyxl's write-only
    mode, so a long sheet costs little memory."""
    from openpyxl import Workbook  # noqa: PLC0415 (slow to import; rarely needed)
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.styles import Font, PatternFill  # noqa: PLC0415

    bad = {r.line: "；".join(r.reasons) for r in preview.rows if r.action == ERROR}
    width = max((len(cells) for _, cells in table), default=0)
    header = preview.header_line
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册（已标出错误）")
    ws.column_dimensions[_letter(width + 1)].width = 60
    fill = PatternFill("solid", fgColor="FFE1E1")
    next_line = 1
    for line, cells in table:
        while next_line < line:  # rows the reader skipped stay blank, so numbers match
            ws.append([])
            next_line += 1
        values = [_plain(c) for c in cells] + [None] * (width - len(cells))
        if line == header:
            note = WriteOnlyCell(ws, value=ERROR_COLUMN)
            note.font = Font(bold=True, color="C00000")
            ws.append([*values, note])
        elif line in bad:
            note = WriteOnlyCell(ws, value=bad[line])
            note.fill = fill
            note.font = Font(color="C00000")
            ws.append([*values, note])
        else:
            ws.append(values)
        next_line += 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _plain(value):
    """A cell value openpyxl writes back as it was read (times as they are, text as text)."""
    return value if isinstance(value, (int, float, str)) or value is None else str(value)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    return get_column_letter(max(index, 1))
