"""The rules that add or deduct points (加减分细则), as configuration.

A rule has a code (stored on every ledger entry), the words a person reads in their passbook,
the points per unit (negative for a deduction) and whether staff may pick it for a manual entry.
`TIMEBANK_RULES` in the configuration overrides a default's points or label, switches one off
(`"points": 0`) or adds a community's own rules; codes already on the ledger must stay.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import current_app

from infra.errors import bad_request


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    points: int  # per unit; negative for a deduction
    unit: str = "次"
    manual: bool = False  # staff may choose it for a manual entry (POST /points/adjustments)


# Entries the system writes whatever the configuration says: their points come from elsewhere
# (the item's price, the entry being reversed, the staff member's figure).
SYSTEM_RULES = {
    "redemption": Rule("redemption", "积分兑换", 0),
    "reversal": Rule("reversal", "冲正（更正错误记录）", 0),
    "adjustment": Rule("adjustment", "人工调整", 0, manual=True),
}


def _rules(*rows: Rule) -> dict[str, Rule]:
    return {r.code: r for r in rows}


# Ratings: 满意 is 4–5 stars, 不满意 1–2 (core.timebank.awards). "按时" is within the
# "2310" deadline of the tier (DEADLINE_DAYS).
# Written automatically where an issue's state changes (core.timebank.awards), to the passbook
# of the steward credited with the work (core.items.credit) in the community. Drawn
# from the seeds' duties (办结, the "2310" deadlines, 满意率) and the interim rule they replace
# (办结 +2, 按时 +1, 超期 −1). Wishes and patrols earn hours through certified service records
# instead (`service_hour`), so they have no rule here.
DUTY_RULES = _rules(
    Rule("issue_resolved", "办结诉求", 2, unit="件"),
    Rule("issue_on_time", "按时办结", 1, unit="件"),
    Rule("issue_on_the_spot", "随手做", 1, unit="件"),
    Rule("issue_satisfied", "群众满意", 1, unit="件"),
    Rule("issue_dissatisfied", "群众不满意", -1, unit="件"),
    Rule("issue_overdue", "超期未办结", -1, unit="件"),
    Rule("issue_reopened", "办结后被群众重新打开", -1, unit="件"),
)

# What staff may pick for a manual entry (加减分细则, after Zaozhuang's 36 rules): each is a
# fixed number of points per unit, and the entry says how many units. `adjustment` (a free
# figure) stays for anything these do not cover. Communities change, switch off (points 0) or
# add rules through `TIMEBANK_RULES`.
MANUAL_RULES = _rules(
    # adds
    Rule("meeting", "参加社区例会、议事会", 1, manual=True),
    Rule("training", "参加培训学习", 1, manual=True),
    Rule("publicity", "政策宣传、入户宣讲", 1, manual=True),
    Rule("home_visit", "走访联系包联户", 1, unit="户", manual=True),
    Rule("pairing_help", "结对帮扶困难群众", 2, manual=True),
    Rule("dispute_mediated", "成功调解邻里纠纷", 3, unit="件", manual=True),
    Rule("hazard_reported", "发现并报告重大安全隐患", 3, unit="件", manual=True),
    Rule("campaign", "参加环境整治、文明创建集中行动", 2, manual=True),
    Rule("emergency", "参与防汛、防疫等应急处置", 5, manual=True),
    Rule("suggestion_adopted", "合理化建议被采纳", 2, unit="条", manual=True),
    Rule("blood_donation", "无偿献血", 5, manual=True),
    Rule("good_deed", "好人好事、见义勇为（经核实）", 10, manual=True),
    Rule("commended", "受到街道及以上表彰", 10, manual=True),
    # deductions
    Rule("absent", "无故缺席例会或集中行动", -1, manual=True),
    Rule("patrol_missed", "未按要求巡查", -1, manual=True),
    Rule("attitude", "服务态度差，造成不良影响", -2, manual=True),
    Rule("valid_complaint", "被群众有效投诉", -3, unit="件", manual=True),
    Rule("false_record", "虚报、瞒报工作记录", -5, manual=True),
    Rule("public_order", "违反居民公约、村规民约", -5, manual=True),
)

DEFAULT_RULES: dict[str, Rule] = {
    "service_hour": Rule("service_hour", "志愿服务时长", 1, unit="小时"),
    **DUTY_RULES,
    **MANUAL_RULES,
}


def catalogue() -> dict[str, Rule]:
    """Every rule in force: the defaults, changed and extended by `TIMEBANK_RULES`."""
    merged = dict(DEFAULT_RULES)
    for code, override in (current_app.config.get("TIMEBANK_RULES") or {}).items():
        base = merged.get(code) or Rule(code, override.get("label", code), 0)
        merged[code] = replace(base, **{k: v for k, v in override.items() if k != "code"})
    merged.update(SYSTEM_RULES)
    return merged


def manual() -> list[Rule]:
    """The rules staff may pick for a manual entry, in catalogue order (switched-off ones —
    points 0 — left out; the free `adjustment` last)."""
    return [
        r for r in catalogue().values() if r.manual and (r.points != 0 or r.code == "adjustment")
    ]


def as_dict(rule: Rule) -> dict:
    return {
        "code": rule.code,
        "label": rule.label,
        "points": rule.points,
        "unit": rule.unit,
        "manual": rule.manual,
    }


def get(code: str, field: str = "rule") -> Rule:
    """The rule with this code, or a 400 naming the field."""
    rule = catalogue().get(code)
    if rule is None:
        raise bad_request("没有这条积分规则", {field: "没有这条积分规则"})
    return rule
