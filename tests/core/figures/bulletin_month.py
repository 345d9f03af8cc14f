"""A street's month for the bulletin's files, made by hand without a database: four
communities (three ranked, one under the minimum), three units (a department, a community's
property company, an idle department), the street's total, how the month's items were solved
and the notable items. `tests/core/figures/test_bulletin_xlsx.py` and `test_bulletin_pdf.py`
read the files made from it back and compare them with these figures.

The scores (weights 10 / 20 / 35 / 35 %, minimum 5 items), by hand:

- 第1社区: 8 items, 8/8, 8/8, 6/6, 6/6 → 100.0, first (红榜).
- 第2社区: 10 items, 9/10, 8/10, 7/8, 6/8 → 100 × (0.09 + 0.16 + 0.30625 + 0.2625) = 81.9.
- 第3社区: 6 items, 3/6, 2/6, 1/2, no rating → 100 × (0.05 + 0.0667 + 0.175) / 0.65 = 44.9,
  third (待改进); its 满意率 is a dash.
- 第4社区: 2 items (under 5): listed after the ranked ones, not ranked.
- 幸福物业 (物业 of 第2社区): 5 items, 5/5, 4/5, 3/3, 3/3 → 100 × (0.1 + 0.16 + 0.35 + 0.35) =
  96.0, first (红榜).
- 住建办 (部门): 6 items, 3/6, 3/6, 2/4, 1/4 → 100 × 0.4125, rounded as a float: 41.2, second
  (待改进).
- 城管办 (部门): nothing this month, and no counts at all (an idle unit's row).
"""

from __future__ import annotations

from datetime import datetime

from core.figures import bulletin
from core.figures.bulletin import Bulletin, Line, Month, Notable
from core.figures.league import Row

WEIGHTS = {"response": 0.1, "on_time": 0.2, "resolution": 0.35, "satisfaction": 0.35}
RATES = ("response", "on_time", "resolution", "satisfaction")


def line(id_, name, kind, volume, counts, overdue=0, levels=None, community="") -> Line:
    row = Row(id=id_, name=name, kind=kind, volume=volume, overdue=overdue)
    row.counts = dict(zip(RATES, counts, strict=True)) if counts else {}
    return Line(row, community=community, levels=levels or {})


def communities() -> list[Line]:
    lines = [
        line(
            101,
            "第1社区",
            "community",
            8,
            ((8, 8), (8, 8), (6, 6), (6, 6)),
            levels={"现场解决": 6, "吹哨联合": 1},
        ),
        line(
            102,
            "第2社区",
            "community",
            10,
            ((9, 10), (8, 10), (7, 8), (6, 8)),
            overdue=2,
            levels={"现场解决": 5, "上报社区": 3},
        ),
        line(
            103,
            "第3社区",
            "community",
            6,
            ((3, 6), (2, 6), (1, 2), (0, 0)),
            overdue=1,
            levels={"上报社区": 1},
        ),
        line(104, "第4社区", "community", 2, ((2, 2), (2, 2), (1, 1), (1, 1))),
    ]
    return bulletin.ranked_lines(lines, WEIGHTS, min_volume=5)


def units() -> list[Line]:
    lines = [
        line(
            201,
            "住建办",
            "department",
            6,
            ((3, 6), (3, 6), (2, 4), (1, 4)),
            overdue=1,
            levels={"吹哨联合": 1},
        ),
        line(
            202,
            "幸福物业",
            "property",
            5,
            ((5, 5), (4, 5), (3, 3), (3, 3)),
            levels={"吹哨联合": 1},
            community="第2社区",
        ),
        line(203, "城管办", "department", 0, ()),
    ]
    return bulletin.ranked_lines(lines, WEIGHTS, min_volume=5)


def notable(id_, number, content, deadline, **kw) -> Notable:
    return Notable(
        id=id_,
        number=number,
        community=kw.pop("community", "第2社区"),
        alley=kw.pop("alley", "2巷"),
        category=kw.pop("category", "设施损坏"),
        content=content,
        status="open",
        deadline=deadline,
        **kw,
    )


def month(**changes) -> Bulletin:
    """November 2026, made at 10:30 on 2 December (Shanghai)."""
    total = line(
        1,
        "示范街道",
        "street",
        26,
        ((22, 26), (20, 26), (15, 17), (13, 15)),
        overdue=3,
    )
    fields = {
        "street": _street(),
        "month": Month(2026, 11),
        "made_at": datetime(2026, 12, 2, 2, 30),
        "as_of": datetime(2026, 11, 30, 16),
        "weights": WEIGHTS,
        "min_volume": 5,
        "total": total,
        "communities": communities(),
        "units": units(),
        "levels": {"现场解决": 11, "上报社区": 4, "吹哨联合": 2},
        "longest_overdue": [
            notable(
                11,
                "W20261105001",
                "路灯坏了没人修",
                datetime(2026, 11, 7, 1, 0),
                overdue_days=23,
                unit="住建办",
            ),
            notable(
                12,
                "W20261120002",
                "楼道堆物",
                datetime(2026, 11, 22, 9, 15),
                community="第3社区",
                alley="3巷",
                category="安全隐患",
                overdue_days=7,
            ),
        ],
        "most_followed": [
            notable(
                13,
                "W20261112003",
                "井盖松动",
                datetime(2026, 11, 14, 3, 0),
                category="设施损坏",
                followers=4,
            ),
        ],
    }
    fields.update(changes)
    return Bulletin(**fields)


def quiet(**changes) -> Bulletin:
    """A street with nothing to rank: no community, no unit, no notable item."""
    fields = {
        "total": Line(Row(id=1, name="示范街道", kind="street")),
        "communities": [],
        "units": [],
        "levels": {"现场解决": 0, "上报社区": 0, "吹哨联合": 0},
        "longest_overdue": [],
        "most_followed": [],
    }
    return month(**{**fields, **changes})


def _street():
    from models import Area  # noqa: PLC0415 (a model instance, never saved)

    return Area(id=1, name="示范街道", kind="street")
