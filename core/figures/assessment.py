"""The quarterly assessment (考核) of stewards: scored, tiered, stored, sent to staff.

Per steward and quarter, each part a share between 0 and 1:

- satisfaction (weighted most): 满意率 on the resident's word — of the issues they resolved
  whose resident gave a word in the quarter (a rating, or a 回访 verdict: each item by its last
  word, `core.figures.words`), the share satisfied (4–5 stars or 满意);
- resolution: 解决率 on the resident's word — of those same issues, the share the resident
  confirmed solved (3 stars or more, 满意 or 基本满意; never one closed as answered, not ours
  or unsolvable), the issues they left undone counted as not solved: reported in the quarter,
  accepted by them and still open, or taken by nobody and overdue while assigned to them.
  So a callback moves both parts: 满意 after a silent closure adds a satisfied, solved word;
  不满意 one that is neither;
- timeliness: of the issues they resolved in the quarter, the share resolved by the deadline;
- patrol: days with a patrol check-in over the days of the quarter (up to today for the
  running quarter);
- wishes: wishes they fulfilled, `ASSESSMENT_WISHES_FULL_MARKS` or more for full marks.

Beside the parts, `counts["points"]` is the quarter's sum of the steward's time bank entries
(`core.timebank.passbook`, the ledger the bot's `积分` reads): shown to staff, not weighted —
its duty awards already follow the same facts as the parts above.

Credit goes to the steward who did the work (`Issue.resolved_by`, `Issue.accepted_by`,
`Wish.fulfilled_by`, see `core.items.credit`): a co-steward of the alley who did not act is
neither credited nor blamed for it.

A part with nothing to measure (no ratings, no issues) counts as 0.8, so a steward of a quiet
alley is neither rewarded nor punished for it. The total is the weighted sum × 100; tiers come
from `ASSESSMENT_TIERS`. It informs the staff; it never dismisses anyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from peewee import SQL, fn

from core import audit, runs
from core.delivery import robot
from core.figures import words
from core.timebank import passbook
from infra.db import count_if, is_sqlite, write_transaction
from infra.timeutil import MAX_DATE, MIN_DATE, local_midnight_utc, to_local, utcnow
from models import (
    ISSUE_OPEN,
    Area,
    Assessment,
    ChatGroup,
    Issue,
    IssueAssignee,
    Patrol,
    Steward,
    StewardAlley,
    Wish,
)

NEUTRAL = 0.8
LOWEST_TIER = "不称职"


@dataclass(frozen=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        m = re.fullmatch(r"(\d{4})\s*[Qq]([1-4])", text.strip())
        if not m:
            raise ValueError("季度格式须为 2026Q3")
        year = int(m.group(1))
        if not MIN_DATE.year <= year <= MAX_DATE.year:
            raise ValueError(f"季度的年份须在 {MIN_DATE.year} 至 {MAX_DATE.year} 之间")
        return cls(year, int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def last_finished(cls, today: date | None = None) -> Quarter:
        today = today or to_local(utcnow()).date()
        return cls.of(cls.of(today).start - timedelta(days=1))

    @property
    def start(self) -> date:
        return date(self.year, 3 * (self.q - 1) + 1, 1)

    @property
    def end(self) -> date:
        """The first day after the quarter."""
        return date(self.year + 1, 1, 1) if self.q == 4 else date(self.year, 3 * self.q + 1, 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"


def local_day(column):
    """The local calendar day of a stored (UTC) datetime, in SQL."""
    hours = int(to_local(utcnow()).utcoffset().total_seconds() // 3600)
    if is_sqlite():
        return fn.date(column, f"{hours:+d} hours")
    return fn.DATE(column + SQL(f"interval '{hours} hours'"))


def _tier(total: int) -> str:
    tiers = sorted(current_app.config["ASSESSMENT_TIERS"].items(), key=lambda kv: -kv[1])
    return next((name for name, floor in tiers if total >= floor), LOWEST_TIER)


def _share(part, whole) -> float | None:
    return part / whole if whole else None


def score(steward_ids: list[int], quarter: Quarter) -> dict[int, dict]:
    """Each steward's parts, total and tier — a fixed number of queries."""
    start, end = local_midnight_utc(quarter.start), local_midnight_utc(quarter.end)
    today_end = local_midnight_utc(to_local(utcnow()).date() + timedelta(days=1))
    days = max((min(end, today_end) - start).days, 1)
    in_q = lambda col: (col >= start) & (col < end)  # noqa: E731
    on_time = Issue.resolved_at <= Issue.deadline
    rows = (
        Issue.select(
            Issue.resolved_by.alias("steward"),
            count_if(in_q(Issue.created_at) & (Issue.status != "cancelled")).alias("done"),
            count_if(in_q(Issue.resolved_at)).alias("resolved"),
            count_if(in_q(Issue.resolved_at) & on_time).alias("on_time"),
        )
        .where(Issue.resolved_by.in_(steward_ids) & Issue.resolved_at.is_null(False))
        .group_by(Issue.resolved_by)
        .dicts()
    )
    issue_stats = {r["steward"]: dict(r) for r in rows}
    # accepted by them, reported in the quarter and not resolved: theirs, still to do
    for r in (
        Issue.select(Issue.accepted_by.alias("steward"), fn.COUNT(Issue.id).alias("n"))
        .where(
            Issue.accepted_by.in_(steward_ids)
            & Issue.resolved_at.is_null()
            & in_q(Issue.created_at)
            & Issue.status.in_(ISSUE_OPEN)  # still to do: not cancelled, not merged away
        )
        .group_by(Issue.accepted_by)
        .dicts()
    ):
        issue_stats.setdefault(r["steward"], {})["pending"] = int(r["n"])
    # nobody took it and it ran past its deadline: it counts against all its assignees
    for r in (
        IssueAssignee.select(IssueAssignee.steward, fn.COUNT(Issue.id).alias("n"))
        .join(Issue)
        .where(
            IssueAssignee.steward.in_(steward_ids)
            & Issue.resolved_at.is_null()
            & Issue.accepted_by.is_null()
            & in_q(Issue.created_at)
            & Issue.status.in_(ISSUE_OPEN)  # still to do: not cancelled, not merged away
            & (Issue.deadline < min(end, utcnow()))
        )
        .group_by(IssueAssignee.steward)
        .dicts()
    ):
        st = issue_stats.setdefault(r["steward"], {})
        st["pending"] = int(st.get("pending") or 0) + int(r["n"])
    for st in issue_stats.values():
        st["reported"] = int(st.get("done") or 0) + int(st.get("pending") or 0)
    # the residents' words in the quarter (ratings and 回访) on the items they resolved
    said = words.tally_by(Issue.resolved_by, Issue.resolved_by.in_(steward_ids), start, end)
    day_expr = local_day(Patrol.created_at)
    patrol_days = {
        r["steward"]: int(r["days"])
        for r in Patrol.select(Patrol.steward, fn.COUNT(fn.DISTINCT(day_expr)).alias("days"))
        .where(Patrol.steward.in_(steward_ids) & in_q(Patrol.created_at))
        .group_by(Patrol.steward)
        .dicts()
    }
    wishes = {
        r["steward"]: int(r["n"])
        for r in Wish.select(Wish.fulfilled_by.alias("steward"), fn.COUNT(Wish.id).alias("n"))
        .where(Wish.fulfilled_by.in_(steward_ids) & in_q(Wish.fulfilled_at))
        .group_by(Wish.fulfilled_by)
        .dicts()
    }
    points = passbook.quarter_points_of_stewards(steward_ids, start, end)
    weights = current_app.config["ASSESSMENT_WEIGHTS"]
    full_marks = int(current_app.config["ASSESSMENT_WISHES_FULL_MARKS"])
    out = {}
    for sid in steward_ids:
        st = issue_stats.get(sid, {})
        confirmed, satisfied, answered = said.get(sid, (0, 0, 0))
        pending = int(st.get("pending") or 0)
        parts = {
            "satisfaction": _share(satisfied, answered),
            "resolution": _share(confirmed, answered + pending),
            "timeliness": _share(int(st.get("on_time") or 0), int(st.get("resolved") or 0)),
            "patrol": min(patrol_days.get(sid, 0) / days, 1.0),
            "wishes": min(wishes.get(sid, 0) / full_marks, 1.0) if full_marks else 1.0,
        }
        filled = {k: (NEUTRAL if v is None else v) for k, v in parts.items()}
        total = round(100 * sum(weights[k] * filled[k] for k in weights))
        out[sid] = {
            "parts": {k: (None if v is None else round(v, 4)) for k, v in parts.items()},
            "counts": {
                "reported": int(st.get("reported") or 0),
                # the residents' words behind satisfaction and resolution, and what is undone
                "answered": answered,
                "confirmed": confirmed,
                "satisfied": satisfied,
                "pending": pending,
                "resolved": int(st.get("resolved") or 0),
                "on_time": int(st.get("on_time") or 0),
                "patrol_days": patrol_days.get(sid, 0),
                "wishes": wishes.get(sid, 0),
                "points": points.get(sid, 0),
            },
            "total": total,
            "tier": _tier(total),
        }
    return out


def stewards_under(area: Area | None) -> list[Steward]:
    query = Steward.select().where(Steward.active).order_by(Steward.id)
    if area is not None:
        alleys = Area.alley_ids_under(area)
        query = query.where(
            Steward.id.in_(
                StewardAlley.select(StewardAlley.steward).where(StewardAlley.alley.in_(alleys))
            )
        )
    return list(query)


def run(
    quarter: Quarter, area: Area | None = None, send: bool = True, actor=None
) -> list[Assessment]:
    """Assess (again) every active steward under `area`; results replace earlier ones."""
    stewards = stewards_under(area)
    results = score([s.id for s in stewards], quarter)
    rows = []
    with write_transaction():
        for s in stewards:
            r = results[s.id]
            fields = {
                "scores": {"parts": r["parts"], "counts": r["counts"]},
                "total": r["total"],
                "tier": r["tier"],
                "created_at": utcnow(),
            }
            (
                Assessment.insert(steward=s, period=str(quarter), **fields)
                .on_conflict(
                    conflict_target=[Assessment.steward, Assessment.period],
                    update=fields,
                )
                .execute()
            )
        rows = list(
            Assessment.select()
            .where(
                Assessment.steward.in_([s.id for s in stewards])
                & (Assessment.period == str(quarter))
            )
            .order_by(Assessment.total.desc(), Assessment.steward)
        )
        audit.record(
            "assessment.run",
            "assessment",
            None,
            actor=actor,
            label=None if actor else "季度考核",
            area=area,
            data={"period": str(quarter), "stewards": len(rows)},
        )
        if send:
            _send_to_staff(quarter, rows)
    return rows


def _send_to_staff(quarter: Quarter, rows: list[Assessment]) -> None:
    """One summary per community, to its staff-only group(s)."""

    by_community: dict[int, list[Assessment]] = {}
    communities = {}
    for row in rows:
        alley = row.steward.alleys().first()
        if alley is None:
            continue
        community = next((a for a in alley.ancestors() if a.kind == "community"), None)
        if community is None:
            continue
        communities[community.id] = community
        by_community.setdefault(community.id, []).append(row)
    for community_id, items in by_community.items():
        groups = ChatGroup.select().where(
            ChatGroup.active & (ChatGroup.audience == "staff") & (ChatGroup.area == community_id)
        )
        text = summary_markdown(communities[community_id], quarter, items)
        for group in groups:
            key = f"assessment:{quarter}:community:{community_id}:group:{group.id}"
            robot.push_markdown(group, text, key=key)


def summary_markdown(community: Area, quarter: Quarter, rows: list[Assessment]) -> str:
    tiers = {}
    for row in rows:
        tiers[row.tier] = tiers.get(row.tier, 0) + 1
    head = " · ".join(f"{t} {n} 人" for t, n in tiers.items())
    lines = [f"## {community.name} {quarter} 小巷管家考核", f"> {head}（仅供参考，不自动调整人员）"]
    for row in rows:
        mark = f'<font color="warning">{row.tier}</font>' if row.tier == LOWEST_TIER else row.tier
        lines.append(f"{row.steward.name}：{row.total} 分 · {mark}")
    return "\n".join(lines)


def summary_text(quarter: Quarter, rows: list[Assessment]) -> str:
    if not rows:
        return f"{quarter}：没有在任的管家需要考核。"
    tiers = {}
    for row in rows:
        tiers[row.tier] = tiers.get(row.tier, 0) + 1
    head = "，".join(f"{t} {n} 人" for t, n in tiers.items())
    lines = [f"{quarter} 考核完成：共 {len(rows)} 人，{head}。"]
    lines += [f"  {row.steward.name}  {row.total} 分  {row.tier}" for row in rows]
    return "\n".join(lines)


def run_if_quarter_started(today: date) -> int:
    """The scheduled job: on the first day of a quarter, assess the one that just ended."""
    if today != Quarter.of(today).start:
        return 0
    quarter = Quarter.last_finished(today)
    key = f"assessment:{quarter}"
    with write_transaction():
        if not runs.claim(key):
            return 0
        rows = run(quarter)
        runs.finish(key, {"stewards": len(rows)})
    return len(rows)
