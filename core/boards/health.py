"""Boards that report their own health: a board nobody scans any more is probably torn,
faded, covered or gone, and its steward walks past it every day.

Once a day (`scan`) each active board is read from its daily scan counts (`ScanDaily`):

- **stopped**: at least `BOARD_ACTIVE_WEEKLY_SCANS` scans in each of the `BOARD_ACTIVE_WEEKS`
  weeks before the last `BOARD_QUIET_DAYS` days, and none in those days;
- **never**: put up at least `BOARD_START_DAYS` days ago (its `created_at`: a board is made
  when its alley is imported, and printed then) and never scanned;
- **still quiet**: its steward said it was fine more than `BOARD_OK_DAYS` days ago and
  nobody has scanned it since it was flagged.

Such a board is flagged (`BoardCheck`) and the alley's stewards are asked in their group,
once: "南门巷的公示牌近两周没人扫码，路过时请看一眼：回复 牌子好的 / 牌子坏了 并拍照". A board
with an open check is not flagged again. The answer (`answer`, the bot's `牌子好的` /
`牌子坏了`) either clears the flag — no new check for `BOARD_OK_DAYS` days — or puts the board
on the print page's 待重印 list, with the photo sent along, until it is printed again
(`mark_reprinted`, called when a print job takes it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from peewee import JOIN, fn

from core import audit, runs
from core.delivery import robot
from infra.db import write_transaction
from infra.errors import ApiError
from infra.timeutil import local_midnight_utc, to_local, utcnow
from models import Area, Board, BoardCheck, Media, ScanDaily, Steward, StewardAlley

STOPPED, NEVER = "stopped", "never"
OK, BROKEN = "ok", "broken"
REASONS = {STOPPED: "扫码停了", NEVER: "从未有人扫码"}
ANSWERS = {OK: "牌子好的", BROKEN: "牌子坏了"}


@dataclass(frozen=True)
class Thresholds:
    quiet_days: int
    active_weeks: int
    weekly_scans: int
    start_days: int
    ok_days: int

    @classmethod
    def from_config(cls) -> Thresholds:
        cfg = current_app.config
        return cls(
            quiet_days=int(cfg["BOARD_QUIET_DAYS"]),
            active_weeks=int(cfg["BOARD_ACTIVE_WEEKS"]),
            weekly_scans=int(cfg["BOARD_ACTIVE_WEEKLY_SCANS"]),
            start_days=int(cfg["BOARD_START_DAYS"]),
            ok_days=int(cfg["BOARD_OK_DAYS"]),
        )


def _span(days: int) -> str:
    """A number of days as people say it: 两周, 一个月, or "20 天"."""
    return {7: "一周", 14: "两周", 21: "三周", 30: "一个月"}.get(days, f"{days} 天")


def question(alley_name: str, reason: str, t: Thresholds) -> str:
    """What the group is asked about a flagged board."""
    if reason == NEVER:
        said = f"{alley_name}的公示牌贴出{_span(t.start_days)}了还没人扫码"
    else:
        said = f"{alley_name}的公示牌近{_span(t.quiet_days)}没人扫码"
    return f"{said}，路过时请看一眼：回复 牌子好的 / 牌子坏了 并拍照"


# --- finding quiet boards -----------------------------------------------------------------------


def _quiet(today: date, t: Thresholds) -> dict[int, str]:
    """Active boards whose scans stopped or never started, by id → reason (nothing is
    excluded yet for open checks or recent answers)."""
    quiet_from = today - timedelta(days=t.quiet_days)
    active_from = quiet_from - timedelta(weeks=t.active_weeks)
    weekly: dict[int, list[int]] = defaultdict(lambda: [0] * t.active_weeks)
    recent: set[int] = set()
    rows = (
        ScanDaily.select(ScanDaily.board, ScanDaily.day, ScanDaily.count)
        .join(Board, on=(ScanDaily.board == Board.id))
        .where(Board.active & (ScanDaily.day >= active_from) & (ScanDaily.day < today))
        .tuples()
    )
    for board_id, day, count in rows:
        if isinstance(day, str):  # SQLite hands dates back as text in a .tuples() read
            day = date.fromisoformat(day)
        if day >= quiet_from:
            if count:
                recent.add(board_id)
        else:
            weekly[board_id][(day - active_from).days // 7] += count
    out = {
        board_id: STOPPED
        for board_id, weeks in weekly.items()
        if board_id not in recent and all(n >= t.weekly_scans for n in weeks)
    }
    put_up_before = local_midnight_utc(today - timedelta(days=t.start_days))
    scanned = ScanDaily.select(ScanDaily.id).where(
        (ScanDaily.board == Board.id) & (ScanDaily.count > 0)
    )
    never = Board.select(Board.id).where(
        Board.active & (Board.created_at < put_up_before) & ~fn.EXISTS(scanned)
    )
    out.update({b.id: NEVER for b in never})
    return out


def _still_quiet(now: datetime, t: Thresholds) -> dict[int, str]:
    """Boards their steward said were fine more than `ok_days` ago and nobody has scanned
    since they were flagged: by then the rule that flagged them no longer looks back far
    enough to see them, but they are as quiet as ever — flagged again, for the same reason."""
    latest = BoardCheck.select(fn.MAX(BoardCheck.id)).group_by(BoardCheck.board)
    since = ScanDaily.select(ScanDaily.id).where(
        (ScanDaily.board == BoardCheck.board)
        & (ScanDaily.day >= fn.DATE(BoardCheck.flagged_at))
        & (ScanDaily.count > 0)
    )
    rows = (
        BoardCheck.select(BoardCheck.board, BoardCheck.reason)
        .join(Board, on=(BoardCheck.board == Board.id))
        .where(
            BoardCheck.id.in_(latest)
            & Board.active
            & (BoardCheck.answer == OK)
            & (BoardCheck.answered_at < now - timedelta(days=t.ok_days))
            & ~fn.EXISTS(since)
        )
    )
    return {r.board_id: r.reason for r in rows}


def _settled(board_ids: list[int], now: datetime, t: Thresholds) -> set[int]:
    """Of these boards, those not to be flagged now: an open check (asked, not answered), a
    board waiting for its reprint, or one its steward said was fine within `ok_days`."""
    if not board_ids:
        return set()
    recent_ok = (BoardCheck.answer == OK) & (
        BoardCheck.answered_at >= now - timedelta(days=t.ok_days)
    )
    waiting = (BoardCheck.answer == BROKEN) & BoardCheck.reprinted_at.is_null()
    rows = BoardCheck.select(BoardCheck.board).where(
        BoardCheck.board.in_(board_ids) & (BoardCheck.answer.is_null() | recent_ok | waiting)
    )
    return {r.board_id for r in rows}


def _stewards_by_alley(alley_ids: list[int]) -> dict[int, list[Steward]]:
    links = (
        StewardAlley.select(StewardAlley, Steward)
        .join(Steward)
        .where(StewardAlley.alley.in_(alley_ids) & Steward.active)
        .order_by(StewardAlley.is_leader.desc(), StewardAlley.id)
    )
    out: dict[int, list[Steward]] = defaultdict(list)
    for link in links:
        out[link.alley_id].append(link.steward)
    return out


def scan(now: datetime | None = None) -> dict[str, int]:
    """Flag today's quiet boards and ask their stewards, once per board; the counts.

    Idempotent: a board with an open check is skipped, and each flag claims the run key
    `board-check:{board}:{day}` in the transaction that makes it, so a second scheduler (or
    a rerun the same day) asks nobody twice."""
    now = now or utcnow()
    today = to_local(now).date()
    t = Thresholds.from_config()
    quiet = _quiet(today, t)
    quiet.update(_still_quiet(now, t))
    settled = _settled(list(quiet), now, t)
    todo = {b: r for b, r in quiet.items() if b not in settled}
    counts = {"flagged": 0, "asked": 0}
    if not todo:
        return counts
    boards = list(
        Board.select(Board, Area)
        .join(Area, on=(Board.alley == Area.id))
        .where(Board.id.in_(list(todo)))
        .order_by(Area.path, Board.id)
    )
    stewards = _stewards_by_alley([b.alley_id for b in boards])
    for board in boards:
        alley = board.alley
        people = stewards.get(alley.id, [])
        groups = robot.groups_for_area(alley)[:1]  # the most specific group, as every push
        with write_transaction():
            if not runs.claim(f"board-check:{board.id}:{today.isoformat()}"):
                continue  # a concurrent scan has it
            check = BoardCheck.create(
                board=board,
                reason=todo[board.id],
                flagged_at=now,
                steward=people[0] if people else None,
            )
            audit.record(
                "board.flag",
                "board",
                board.id,
                label="公示牌巡检",
                area=alley.id,
                data={"check": check.id, "reason": check.reason, "asked": bool(groups)},
            )
            counts["flagged"] += 1
            for group in groups:
                robot.push_text(
                    group,
                    question(alley.name, check.reason, t),
                    key=f"board-check-{check.id}",
                    mentions=[s.phone for s in people if s.phone],
                    fetch=False,
                )
                counts["asked"] += 1
    return counts


# --- the steward's answer -----------------------------------------------------------------------


def open_checks(alley_ids) -> list[BoardCheck]:
    """Unanswered checks of boards in these alleys, with board and alley loaded."""
    ids = sorted(alley_ids)
    if not ids:
        return []
    return list(
        BoardCheck.select(BoardCheck, Board, Area)
        .join(Board, on=(BoardCheck.board == Board.id))
        .join(Area, on=(Board.alley == Area.id))
        .where(BoardCheck.answer.is_null() & Board.active & Board.alley.in_(ids))
        .order_by(Area.path, BoardCheck.id)
    )


def answer(principal, said: str, hint: str = "", photo_ids=(), now=None) -> BoardCheck:
    """A steward answers for a board of one of their alleys: `ok` or `broken` (with an
    optional photo of it). With several boards waiting, `hint` names the alley. Two answers
    at once: the first wins, the second is told it was already answered."""
    if said not in ANSWERS:
        raise ValueError(said)
    now = now or utcnow()
    checks = open_checks(principal.alley_ids)
    if not checks:
        raise ApiError(409, "no_board_check", "您负责的街巷没有需要查看的公示牌")
    hint = (hint or "").strip()
    if hint:
        checks = [c for c in checks if c.board.alley.name in hint] or checks
    if len(checks) > 1:
        names = "、".join(dict.fromkeys(c.board.alley.name for c in checks))
        first = checks[0].board.alley.name
        raise ApiError(
            409,
            "which_board",
            f"有 {len(checks)} 块公示牌等您查看（{names}），请写上巷名，例如：{ANSWERS[said]} {first}",
        )
    check = checks[0]
    photo = next(iter(photo_ids), None)
    with write_transaction():
        won = (
            BoardCheck.update(
                answer=said,
                answered_at=now,
                answered_by=principal.user,
                photo=photo if said == BROKEN else None,
            )
            .where((BoardCheck.id == check.id) & BoardCheck.answer.is_null())
            .execute()
        )
        if not won:
            raise ApiError(409, "already_answered", "这块公示牌已有人回复过了，谢谢")
        audit.record(
            "board.check_answer",
            "board",
            check.board_id,
            actor=principal.user,
            area=check.board.alley_id,
            data={"check": check.id, "answer": said, "photo": photo if said == BROKEN else None},
        )
    return BoardCheck.get_by_id(check.id)


# --- the console --------------------------------------------------------------------------------


def latest_checks(board_ids) -> dict[int, BoardCheck]:
    """Each board's latest check (flag and answer), if it has one."""
    ids = list(board_ids)
    if not ids:
        return {}
    latest = (
        BoardCheck.select(fn.MAX(BoardCheck.id))
        .where(BoardCheck.board.in_(ids))
        .group_by(BoardCheck.board)
    )
    rows = (
        BoardCheck.select(BoardCheck, Steward)
        .join(Steward, JOIN.LEFT_OUTER, on=(BoardCheck.steward == Steward.id))
        .where(BoardCheck.id.in_(latest))
    )
    return {c.board_id: c for c in rows}


def reprint_queue(area: Area) -> list[BoardCheck]:
    """Boards in `area` their steward reported broken and nobody has printed since, oldest
    report first, with the board, its alley and the photo loaded."""
    return list(
        BoardCheck.select(BoardCheck, Board, Area, Media)
        .join(Board, on=(BoardCheck.board == Board.id))
        .join(Area, on=(Board.alley == Area.id))
        .switch(BoardCheck)
        .join(Media, JOIN.LEFT_OUTER, on=(BoardCheck.photo == Media.id))
        .where(
            (BoardCheck.answer == BROKEN)
            & BoardCheck.reprinted_at.is_null()
            & Board.active
            & Area.path.startswith(area.path)
        )
        .order_by(BoardCheck.answered_at, BoardCheck.id)
    )


def mark_reprinted(board_ids, now=None) -> int:
    """These boards are being printed again: off the 待重印 list. How many left it."""
    ids = list(board_ids)
    if not ids:
        return 0
    return (
        BoardCheck.update(reprinted_at=now or utcnow())
        .where(
            BoardCheck.board.in_(ids)
            & (BoardCheck.answer == BROKEN)
            & BoardCheck.reprinted_at.is_null()
        )
        .execute()
    )


def weekly_scans(board_ids, weeks: int = 12, today: date | None = None) -> dict[int, list[int]]:
    """Scans per board in each of the last `weeks` weeks ending yesterday, oldest first."""
    ids = list(board_ids)
    today = today or to_local(utcnow()).date()
    start = today - timedelta(weeks=weeks)
    out = {i: [0] * weeks for i in ids}
    if not ids:
        return out
    rows = (
        ScanDaily.select(ScanDaily.board, ScanDaily.day, ScanDaily.count)
        .where(ScanDaily.board.in_(ids) & (ScanDaily.day >= start) & (ScanDaily.day < today))
        .tuples()
    )
    for board_id, day, count in rows:
        if isinstance(day, str):
            day = date.fromisoformat(day)
        out[board_id][(day - start).days // 7] += count
    return out


def sparkline(counts: list[int], width: int = 96, height: int = 24) -> dict:
    """The points of a small line chart of `counts` (an SVG polyline in a width×height box,
    1 px of margin), and the peak it is scaled to."""
    peak = max(counts, default=0)
    n = len(counts)
    step = (width - 2) / max(n - 1, 1)
    points = " ".join(
        f"{1 + i * step:.1f},{height - 1 - (c / peak * (height - 2) if peak else 0):.1f}"
        for i, c in enumerate(counts)
    )
    return {"points": points, "peak": peak, "width": width, "height": height}
