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

Why one long file: applying a roster in a few chunked queries instead of per row needs the
snapshot, the plan and the chunked writes side by side (reading the file is `roster_file`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from peewee import Case

from core import audit
from core.boards.boards import BOARD_CODE_LENGTH, bump_versions
from core.people.roster_file import (
    AREA_COLUMNS,
    RosterError,
    RosterRow,
    _Parsed,
    clean_value,
    parse_table,
    posts_in,
    read_table,
)
from infra import codes
from infra.db import write_transaction
from infra.timeutil import utcnow
from models import AREA_KINDS, Area, Board, Steward, StewardAlley

IN_CHUNK = 500
INSERT_CHUNK = 80
CASE_CHUNK = 300
STEWARD_UPDATE_CHUNK = 60


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
                # Keyed as a sheet's cell is cleaned, so "第１网格" stored before cells were
                # normalised is still the sheet's "第1网格", not a second grid beside it.
                key = (area.parent_id, clean_value(area.name))
                self.areas.setdefault(key, _AreaRef(area.id, area.kind, area.path))

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


def import_file(
    path: str | Path, *, label: str, dry_run: bool = False, within: Sequence[Area] | None = None
) -> ImportResult:
    """Import a roster file. Raises `RosterError` listing every problem; writes nothing then."""
    return import_table(
        read_table(path), label=label, source=Path(path).name, dry_run=dry_run, within=within
    )


def _check_within(rows: list[RosterRow], within: Sequence[Area], problems: list[str]) -> None:
    """Each row's street/community must lie under one of `within` (a staff member's scope):
    the console's staff load their own community's roster, never a neighbour's."""
    chains = [tuple(a.name for a in root.ancestors()) for root in within]
    for row in rows:
        if not any(row.alley_key[: len(chain)] == chain for chain in chains):
            column = "社区" if row.alley_key[:1] in {c[:1] for c in chains} else "街道"
            problems.append(f"第{row.line}行 {column}：不在您的管辖范围内")
    # A phone already known as a steward elsewhere would rename that steward: refuse it.
    phones = sorted({row.phone for row in rows})
    outside: set[str] = set()
    for chunk in _chunks(phones, IN_CHUNK):
        for steward in Steward.select().where(Steward.phone.in_(chunk)):
            alleys = list(steward.alleys())
            if alleys and not any(root.covers(a) for a in alleys for root in within):
                outside.add(steward.phone)
    for row in rows:
        if row.phone in outside:
            problems.append(f"第{row.line}行 手机号：该手机号已是其他社区的管家，请核对")


def import_table(
    table: list[tuple[int, list]] | list[list],
    *,
    label: str,
    source: str = "",
    dry_run: bool = False,
    within: Sequence[Area] | None = None,
) -> ImportResult:
    """Import rows already in memory: [(row number, cells), …] or plain [header, row, …].

    The demo data goes through here, so it follows exactly the rules of a real roster.
    `within` (the console's staff scope) refuses rows outside those areas; None = anywhere
    (the command line, run by whoever runs the server).
    """
    if table and not isinstance(table[0], tuple):
        table = list(enumerate(table, start=1))
    parsed = parse_table(table)
    plans = _steward_plans(parsed.rows)
    result = ImportResult(rows=parsed.row_count, dry_run=dry_run)

    # Validate against the database inside the write transaction, so nothing can change
    # between the checks and the writes.
    with write_transaction():
        snapshot, existing, missing, problems = check_against_database(parsed, plans, within)
        if problems:
            raise RosterError(_sorted_problems(problems))
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


def check_against_database(parsed: _Parsed, plans: dict[str, _StewardPlan], within):
    """The checks that need the database, on a parsed sheet: (snapshot with the alleys' links
    and boards loaded, existing areas by name chain, areas to create per level, every problem
    of the file, the sheet's own first). Shared by the import and its row-by-row preview."""
    snapshot = _Snapshot(parsed.rows, plans)
    problems = list(parsed.problems)
    if within is not None:
        _check_within(parsed.rows, within, problems)
    existing, missing = _resolve_areas(parsed.rows, snapshot, problems)
    _check_wecom_holders(plans, snapshot, problems)
    known_alleys = sorted({ref.id for chain, ref in existing.items() if len(chain) == 4})
    snapshot.load_alley_state(known_alleys)
    return snapshot, existing, missing, problems


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
