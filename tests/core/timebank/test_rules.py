"""The rules' catalogue (`core.timebank.rules`): a community's own rule added through
`TIMEBANK_RULES` with only some of its fields, and the refusal of an unknown code."""

from __future__ import annotations

import pytest

from core.timebank import rules
from infra.errors import ApiError


def test_a_rule_added_without_a_label_reads_as_its_code_and_without_points_is_off(app):
    app.config["TIMEBANK_RULES"] = {
        # no label given; a "code" in the override never renames the rule
        "river_patrol": {"points": 2, "manual": True, "code": "renamed"},
        "tree_care": {"label": "认养树木", "manual": True},  # no points given
    }
    catalogue = rules.catalogue()
    assert catalogue["river_patrol"] == rules.Rule("river_patrol", "river_patrol", 2, manual=True)
    assert catalogue["tree_care"] == rules.Rule("tree_care", "认养树木", 0, manual=True)
    manual = [r.code for r in rules.manual()]
    assert "river_patrol" in manual
    assert "tree_care" not in manual  # points 0: switched off, not offered to staff


def test_an_unknown_rule_is_refused_in_chinese_naming_the_field(app):
    with pytest.raises(ApiError) as err:
        rules.get("no_such_rule", field="rule_code")
    assert err.value.status == 400
    assert err.value.message == "没有这条积分规则"
    assert err.value.fields == {"rule_code": "没有这条积分规则"}
