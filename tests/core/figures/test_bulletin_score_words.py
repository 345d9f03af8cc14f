"""How the monthly bulletin words its score (`core.figures.bulletin.weights_text`): each
weighted rate with its configured weight as a whole percentage, a rate without weight left
unsaid, and the minimum volume for a rank."""

from __future__ import annotations

from datetime import datetime

from core.figures import bulletin
from core.figures.bulletin import Bulletin, Line, Month
from core.figures.league import Row


def _bulletin(weights: dict[str, float], min_volume: int) -> Bulletin:
    """Only what `weights_text` reads."""
    return Bulletin(
        street=None,
        month=Month(2026, 11),
        made_at=datetime(2026, 12, 1),
        as_of=datetime(2026, 11, 30, 16),
        weights=weights,
        min_volume=min_volume,
        total=Line(Row(id=1, name="街", kind="street")),
        communities=[],
        units=[],
        levels={},
        longest_overdue=[],
        most_followed=[],
    )


def test_the_score_is_explained_with_each_configured_weight_as_a_percentage():
    weights = {"response": 0.3, "on_time": 0.0, "resolution": 0.0, "satisfaction": 0.7}
    assert bulletin.weights_text(_bulletin(weights, 10)) == (
        "排名按综合得分（不按单项）：综合得分 = 响应率 30%、满意率 70% 的加权平均 × 100；"
        "某项没有可计的件时不计该项，其余按权重折算；得分相同的名次并列，按名称排列。"
        "当月件数少于 10 件的只列出、不参与排名（与街道总览同一标准）。"
    )
