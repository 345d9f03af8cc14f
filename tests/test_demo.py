"""`seed-demo`: the demo district, its printed logins, idempotency and a dev-code login."""

from __future__ import annotations

import re

from models import ALL_MODELS, Area, Board, Department, Steward, StewardAlley


def table_counts() -> dict[str, int]:
    return {model.__name__: model.select().count() for model in ALL_MODELS}


def test_seed_demo_prints_boards_and_logins(runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    out = result.output

    codes = re.findall(r"https://xx\.example\.cn/b/([A-Z0-9]{8})", out)
    assert len(codes) == Board.select().count() >= 12
    assert set(codes) == {b.code for b in Board.select()}
    assert "dev:王秀英" in out
    assert "用户名 huaishu" in out and "密码 huaishu-demo" in out and "dev:chengguan" in out

    assert Area.select().where(Area.kind == "community").count() == 2
    assert Area.select().where(Area.kind == "alley").count() >= 12
    assert all(
        c.phone and c.phone.startswith("170") for c in Area.select().where(Area.kind == "community")
    )
    stewards = list(Steward.select())
    assert 12 <= len(stewards) <= 16
    assert all(s.phone.startswith("170") for s in stewards)
    assert all(s.posts and s.households > 0 for s in stewards)
    assert any(s.alleys().count() == 2 for s in stewards)
    leaders = StewardAlley.select().where(StewardAlley.is_leader)
    assert len({link.alley.ancestors()[1].name for link in leaders}) == 2
    assert Department.select().count() >= 6

    name = re.search(r"dev:(\S+)\s+（", out).group(1)
    res = client.post("/api/v1/auth/login", json={"code": f"dev:{name}"})
    assert res.status_code == 200, res.get_json()
    assert "steward" in res.get_json()["roles"]

    res = client.post("/api/v1/auth/login", json={"code": "dev:huaishu"})
    assert "staff" in res.get_json()["roles"]
    res = client.post(
        "/api/v1/auth/password", json={"username": "chengguan", "password": "chengguan-demo"}
    )
    assert res.status_code == 200 and res.get_json()["roles"] == ["admin"]


def test_seed_demo_twice_does_not_duplicate(runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    before = table_counts()
    codes = {b.code for b in Board.select()}

    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "跳过" in result.output
    assert table_counts() == before

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    after = table_counts()
    assert after.pop("Event") == before.pop("Event") + 1  # one more roster.import record
    assert after == before
    assert {b.code for b in Board.select()} == codes
