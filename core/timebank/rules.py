"""The rules that add or deduct points (加减分细则), as configuration.

A rule has a code (stored on every ledger entry), the words a person reads in their passbook,
the points per unit (negative for a deduction) and whether staff may pick it for a manual entry.
`TIMEBANK_RULES` in the configuration overrides a default's points or label, switches one off
(`"points": 0`) or adds a community's own rules; codes already on the ledger must stay.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import current_app

from core.errors import bad_request


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

DEFAULT_RULES: dict[str, Rule] = {
    "service_hour": Rule("service_hour", "志愿服务时长", 1, unit="小时"),
}


def catalogue() -> dict[str, Rule]:
    """Every rule in force: the defaults, changed and extended by `TIMEBANK_RULES`."""
    merged = dict(DEFAULT_RULES)
    for code, override in (current_app.config.get("TIMEBANK_RULES") or {}).items():
        base = merged.get(code) or Rule(code, override.get("label", code), 0)
        merged[code] = replace(base, **{k: v for k, v in override.items() if k != "code"})
    merged.update(SYSTEM_RULES)
    return merged


def get(code: str, field: str = "rule") -> Rule:
    """The rule with this code, or a 400 naming the field."""
    rule = catalogue().get(code)
    if rule is None:
        raise bad_request("没有这条积分规则", {field: "没有这条积分规则"})
    return rule
