"""The demo district's board scans: twelve weeks of believable daily counts for every board,
except 打铁巷's, whose scans stopped sixteen days ago — so the daily board check
(`core.boards.health`) flags it at once and asks its steward in the group, and the console's
公示牌 page shows one flagged board among lines of weekly scans."""

from __future__ import annotations

from datetime import timedelta

from core.boards import health
from infra.timeutil import to_local, utcnow
from models import Area, Board, ScanDaily

QUIET_ALLEY = "打铁巷"
WEEKS = 12
QUIET_DAYS = 16


def write(street: Area) -> list[str]:
    """Write the scans (once: a rerun finds them and changes nothing) and run the check; the
    lines to print."""
    boards = list(
        Board.select(Board, Area)
        .join(Area, on=(Board.alley == Area.id))
        .where(Board.active & Area.path.startswith(street.path))
        .order_by(Area.path, Board.id)
    )
    if not boards or ScanDaily.select().where(ScanDaily.board.in_(boards)).exists():
        return []
    today = to_local(utcnow()).date()
    rows = []
    for board in boards:
        first = QUIET_DAYS + 1 if board.alley.name == QUIET_ALLEY else 1
        for n in range(first, WEEKS * 7 + 1):
            # a few scans a day, more at weekends, different per board; never random
            count = (
                2
                + (board.id * 7 + n * 3) % 5
                + (2 if (today - timedelta(days=n)).weekday() >= 5 else 0)
            )
            rows.append({"board": board.id, "day": today - timedelta(days=n), "count": count})
    ScanDaily.insert_many(rows).execute()
    flagged = health.scan()
    if not flagged["flagged"]:
        return []
    return [
        f"公示牌巡检：{QUIET_ALLEY}的公示牌近两周没人扫码，已在群里请管家看一眼（管理后台 → 公示牌）"
    ]
