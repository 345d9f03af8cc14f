"""Operator commands: from an empty database to a bound staff member and steward, no SQL."""

from __future__ import annotations

import json

from core import schema
from infra.db import db, is_sqlite
from models import ALL_MODELS, Event, StaffAccount
from tests.factories import login

ROSTER = """街道,社区,网格,街巷,管家姓名,手机号,职责,企业微信账号,包联户数
城关街道,槐树社区,第一网格,南门巷,王秀英,17000000001,信息员、调解员,wangxy,12
城关街道,槐树社区,第一网格,打铁巷,李建国,17000000002,劝导员,,8
"""


def _alley(nodes, name):
    for node in nodes:
        if node["name"] == name:
            return node
        found = _alley(node["children"], name)
        if found:
            return found
    return None


def test_operator_flow_from_an_empty_database(runner, client, tmp_path):
    db.drop_tables(ALL_MODELS, cascade=not is_sqlite())
    assert schema.current_version() == 0
    assert runner.invoke(args=["init-db"]).exit_code == 0

    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    result = runner.invoke(args=["import-roster", str(roster)])
    assert result.exit_code == 0, result.output

    tree = json.loads(runner.invoke(args=["areas", "--json"]).output)
    street = tree[0]
    community = street["children"][0]
    assert (street["kind"], community["kind"]) == ("street", "community")
    alley = _alley(tree, "南门巷")
    steward_id = alley["stewards"][0]["id"]
    assert len(alley["boards"][0]["code"]) == 8

    text = runner.invoke(args=["areas"]).output
    assert "南门巷" in text and alley["boards"][0]["code"] in text and "王秀英" in text

    made = runner.invoke(
        args=[
            "create-staff",
            "--username",
            "wang",
            "--area",
            str(community["id"]),
            "--role",
            "staff",
            "--password-stdin",
        ],
        input="a-long-password\n",
    )
    assert made.exit_code == 0, made.output
    assert StaffAccount.get(username="wang").role == "staff"
    assert Event.select().where(Event.action == "staff.create").count() == 1

    steward_code = runner.invoke(args=["bind-code", "--steward", str(steward_id)]).stdout.strip()
    staff_code = runner.invoke(args=["bind-code", "--staff", "wang"]).stdout.strip()
    assert len(steward_code) == len(staff_code) == 8

    steward_headers = login(client, "王秀英的微信")
    res = client.post("/api/v1/auth/bind", json={"code": steward_code}, headers=steward_headers)
    assert res.status_code == 200 and res.get_json()["role"] == "steward"
    me = client.get("/api/v1/me", headers=steward_headers).get_json()
    assert "steward" in me["roles"] and me["areas"][0]["name"] == "南门巷"

    staff_headers = login(client, "王主任的微信")
    res = client.post("/api/v1/auth/bind", json={"code": staff_code}, headers=staff_headers)
    assert res.status_code == 200 and res.get_json()["role"] == "staff"
    areas = client.get("/api/v1/areas", headers=staff_headers).get_json()["items"]
    assert areas[0]["name"] == "槐树社区"


def test_create_staff_errors_are_clear(runner):
    res = runner.invoke(
        args=["create-staff", "--username", "x", "--area", "999", "--password-stdin"],
        input="a-long-password\n",
    )
    assert res.exit_code != 0 and "找不到区域 999" in res.output


def test_bind_code_needs_exactly_one_target(runner):
    res = runner.invoke(args=["bind-code"])
    assert res.exit_code != 0 and "--steward" in res.output
