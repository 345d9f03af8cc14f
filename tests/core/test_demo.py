"""`seed-demo`: the demo district, its printed logins, idempotency and a dev-code login."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import time
from datetime import timedelta

import openpyxl

from core import demo
from core.demo_history import STORIES
from infra.timeutil import to_local, utcnow
from models import (
    ALL_MODELS,
    ISSUE_OPEN,
    Area,
    Assessment,
    Board,
    ChatGroup,
    Department,
    Event,
    Issue,
    LedgerProposal,
    Patrol,
    StaffAccount,
    Steward,
    StewardAlley,
    Wish,
)
from tests.conftest import make_app


def table_counts() -> dict[str, int]:
    return {model.__name__: model.select().count() for model in ALL_MODELS}


def test_seed_demo_prints_boards_and_logins(runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    out = result.output

    codes = re.findall(r"  (\w{8})  https://xx\.example\.cn/b/([A-Z0-9]{8})", out)
    codes = [code for code, again in codes if code == again]
    assert len(codes) == Board.select().count() >= 12
    assert set(codes) == {b.code for b in Board.select()}
    assert "dev:王秀英" in out
    assert "用户名 huaishu" in out and "密码 huaishu-demo" in out and "dev:chengguan" in out
    # each login is one person's, and what they do is recorded under their name
    staff = {a.username: a for a in StaffAccount.select()}
    assert staff["huaishu"].display_name == "赵丽" and staff["qinghe"].display_name == "孙伟"
    assert staff["huaishu"].user.nickname == "赵丽" and "槐树社区工作人员 赵丽" in out
    assert not any(a.display_name.endswith(("工作人员", "管理员")) for a in staff.values())

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

    # Each steward's login code with the WeCom id the bot knows them by.
    for steward in stewards:
        assert re.search(rf"dev:{steward.name}\s+企业微信账号 {steward.wecom_userid}\s", out)
    name = re.search(r"dev:(\S+)\s+企业微信账号", out).group(1)
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


def test_seed_demo_writes_two_weeks_of_history_through_the_workflows(runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output

    statuses = {i.status for i in Issue.select()}
    assert {"closed", "resolved", "accepted", "submitted", "whistled", "escalated"} <= statuses
    assert "cancelled" in statuses
    assert Issue.select().where(Issue.visibility == "held").count() == 1  # waits for moderation
    assert Issue.select().where(Issue.reopen_count > 0).count() == 1
    # a 随手做 on patrol, and yesterday's two recorded from the group (core/demo_ledger.py)
    assert Issue.select().where(Issue.source == "steward").count() == 3
    assert {p.status for p in LedgerProposal.select()} == {"recorded", "expired"}
    overdue = [i for i in Issue.select() if i.status in ISSUE_OPEN and i.deadline < utcnow()]
    assert len(overdue) >= 3
    # Dated as it happened: two weeks, each number carrying its own (local) day.
    first = Issue.select().order_by(Issue.created_at).first()
    assert (utcnow() - first.created_at).days >= 13
    for issue in Issue.select():
        assert issue.number[1:7] == f"{to_local(issue.created_at):%y%m%d}"
    # Every step went through the workflow, so every item has its trail.
    for issue in Issue.select():
        assert (
            Event.select()
            .where((Event.subject_type == "issue") & (Event.subject_id == issue.id))
            .exists()
        )
    assert {w.status for w in Wish.select()} == {
        "pending_review",
        "published",
        "claimed",
        "fulfilled",
        "closed",
        "rejected",
    }
    patrol_days = {to_local(p.created_at).date() for p in Patrol.select()}
    assert len(patrol_days) >= 14
    assert ChatGroup.select().where(ChatGroup.audience == "stewards").count() == 2
    assert ChatGroup.select().where(ChatGroup.audience == "staff").count() == 3  # + the street's
    assert all(s.wecom_userid for s in Steward.select())
    rows = list(Assessment.select())
    assert len(rows) == Steward.select().count() and any(r.total > 0 for r in rows)

    # What people see first shows real numbers.
    code = re.search(r"公示牌页面：https://xx\.example\.cn/b/([A-Z0-9]{8})", result.output).group(1)
    board = client.get(f"/api/v1/boards/{code}").get_json()
    assert board["figures"]["resolved_30d"] > 0 and board["recent_issues"]
    report = runner.invoke(args=["report", "--dry-run"])
    assert report.exit_code == 0 and "每日通报" in report.output
    assert "平稳无事" not in report.output and "超期诉求" in report.output
    assert "王秀英：随手做 2，巡查 2，走访 1" in report.output  # her day, from the group
    token = client.post("/api/v1/auth/login", json={"code": "dev:chengguan"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    since = (to_local(utcnow()).date() - timedelta(days=14)).isoformat()
    stats = client.get(f"/api/v1/stats?date_from={since}", headers=headers)
    assert stats.status_code == 200, stats.get_json()
    assert stats.get_json()["counts"]["new"] >= len(STORIES) - 1
    ledger = client.get(f"/api/v1/ledger.xlsx?date_from={since}", headers=headers)
    assert ledger.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(ledger.data)).worksheets[0]
    assert sheet.max_row > len(STORIES) // 2


def test_seed_demo_ends_with_a_try_it_list_whose_bridge_line_works(runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    tail = result.output.rstrip().split("\n")
    start = tail.index("试一试：")
    assert start >= len(tail) - 9  # the last thing printed (heading, 7 entries, the command)
    listed = "\n".join(tail[start:])
    assert "/console/login" in listed and "/dev/outbox" in listed and "/bot/bridge" in listed
    assert "xiaoxiang-demo" in listed and "lijianguo" in listed

    # The pasted command signs with the demo's published secret: the relay answers.
    body = json.dumps(
        {"msg_id": "try-1", "ts": int(time.time()), "sender": "lijianguo", "text": "待办"}
    ).encode()
    signature = hmac.new(b"xiaoxiang-demo", body, hashlib.sha256).hexdigest()
    res = client.post(
        "/bot/bridge",
        data=body,
        headers={"X-Signature": signature, "Content-Type": "application/json"},
    )
    assert res.status_code == 200, res.get_json()
    assert "槐荫里" in res.get_json()["reply"]  # his overdue item


def test_demo_bridge_secret_is_offline_only(online_app):
    assert online_app.config["BRIDGE_SECRET"] is None


def _links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s/）（'\"]+", text)


def test_seed_demo_port_moves_every_printed_link_when_no_public_base_url_is_set(tmp_path):
    app = make_app(tmp_path, PUBLIC_BASE_URL=None)  # as on a fresh machine
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-demo", "--port", "5130"])
    assert result.exit_code == 0, result.output
    links = _links(result.output)
    assert len(links) > Board.select().count() + 3  # every board, the 试一试 list, the relay
    assert set(links) == {"http://127.0.0.1:5130"}
    tail = result.output[result.output.index("试一试：") :]
    for path in ("/b/", "/console/login", "/dev/outbox", "/api/v1/docs", "/bot/bridge"):
        assert f"http://127.0.0.1:5130{path}" in tail, path


def test_a_configured_public_base_url_wins_over_the_port(runner):
    result = runner.invoke(args=["seed-demo", "--port", "5130"])
    assert result.exit_code == 0, result.output
    assert set(_links(result.output)) == {"https://xx.example.cn"}


def test_the_try_it_list_names_its_stewards_wecom_id_with_the_login(runner):
    result = runner.invoke(args=["seed-demo"])
    tail = result.output[result.output.index("试一试：") :]
    line = next(x for x in tail.split("\n") if "模拟管家" in x)
    assert f"企业微信账号 {demo.WECOM_IDS[demo.TRY_STEWARD]}" in line
    assert f"dev:{demo.TRY_STEWARD}" in line


def test_seed_demo_has_units_with_members_and_items_in_each_state(runner, client):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "用户名 zhujian  密码 zhujian-demo" in result.output
    assert "用户名 anju  密码 anju-demo" in result.output
    # the 试一试 list says how to log in as a member of each unit
    tail = result.output[result.output.index("试一试：") :]
    for unit, username in (("住建办，街道部门", "zhujian"), ("安居物业，物业公司", "anju")):
        line = next(x for x in tail.split("\n") if f"承办单位成员（{unit}）" in x)
        assert f"用户名 {username}  密码 {username}-demo" in line, line
        assert f"dev:{username}" in line and "/console/login" in line, line
    kinds = {d.kind for d in Department.select()}
    assert kinds == {"department", "property"}

    for username, password in (("zhujian", "zhujian-demo"), ("anju", "anju-demo")):
        res = client.post(
            "/api/v1/auth/password", json={"username": username, "password": password}
        )
        assert res.status_code == 200 and res.get_json()["roles"] == ["unit"]
        headers = {"Authorization": f"Bearer {res.get_json()['token']}"}
        listed = client.get("/api/v1/issues?scope=unit", headers=headers).get_json()
        assert listed["total"] >= 1, username
        offline = client.post("/api/v1/auth/login", json={"code": f"dev:{username}"})
        assert offline.get_json()["roles"] == ["resident", "unit"]
    # each unit holds an item in every state: waiting for 报到, checked in, progress, an
    # extension waiting, returned, resolved, supervised
    for name in ("住建办", "安居物业"):
        unit = Department.get(Department.name == name)
        seen = {
            e.subject_id: e.data.get("unit_id")
            for e in Event.select().where(Event.action == "issue.whistle")
        }
        states = set()
        for issue_id in (i for i, u in seen.items() if u == unit.id):
            issue = Issue.get_by_id(issue_id)
            acts = {e.action.split(".")[1] for e in Event.for_subject("issue", issue_id)}
            if issue.status == "resolved" and "resolve" in acts:
                states.add("resolved")
            elif "return" in acts and issue.department_id is None:
                states.add("returned")
            elif issue.supervised_at is not None:
                states.add("supervised")
            elif "extension" in acts and "extension_decide" not in acts:
                states.add("extension")
            elif "progress" in acts:
                states.add("progress")
            elif issue.checked_in_at is not None:
                states.add("checked_in")
            elif issue.status == "whistled":
                states.add("whistled")
        assert states >= {
            "whistled",
            "checked_in",
            "progress",
            "extension",
            "returned",
            "resolved",
            "supervised",
        }, (name, states)


def test_seed_demo_leaves_last_month_for_the_streets_bulletin(runner):
    from core.figures import bulletin, league

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    street = Area.get(Area.kind == "street")
    month = bulletin.Month.of(to_local(utcnow()).date()).previous()
    b = bulletin.build(street, month)
    ranked = [x for x in b.communities if x.ranked]
    assert [x.name for x in ranked] == ["槐树社区", "清河社区"]  # both over the minimum volume
    assert all(x.volume >= b.min_volume for x in ranked) and ranked[0].score > ranked[1].score
    assert b.honour(b.communities) == ranked[:1] and b.to_improve(b.communities) == ranked[1:]
    assert b.levels["吹哨联合"] >= 2 and b.levels["现场解决"] >= 10
    assert b.total.overdue >= 1 and b.longest_overdue and b.most_followed
    units = {x.name: x for x in b.units}
    assert units["住建办"].volume >= 2 and units["安居物业"].volume >= 1
    # a unit ranked too, and a couple listed below the minimum without a rank
    assert units["城管执法中队"].ranked and units["城管执法中队"].volume >= b.min_volume
    assert not units["住建办"].ranked and not units["安居物业"].ranked
    # the 街道总览 opens on this month: the same, whatever day of the month it is
    today = to_local(utcnow()).date()
    t = league.league(street, today.replace(day=1), today)
    assert {r.name for r in t.communities if r.ranked} == {"槐树社区", "清河社区"}
    # three 12345 tickets each month, the 街道总览's 12345 columns and the street edition's
    assert sum(r.tickets for r in t.communities) == 3
    last = league.league(street, month.first, month.end - timedelta(days=1), sort=None)
    assert sum(r.tickets for r in last.communities) == 3
    assert sum(r.counts["ticket_on_time"][1] for r in last.communities) == 2  # one still open
    ranked_units = {r.name for r in t.units if r.ranked}
    listed = {r.name: r for r in t.units}
    assert ranked_units == {"城管执法中队"}
    assert 0 < listed["住建办"].volume < t.min_volume and listed["安居物业"].rank is None


def test_seed_demo_has_one_care_alert_half_answered(runner):
    from models import OutboxMessage
    from models.care import CareAlert, CareTarget

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    (alert,) = CareAlert.select()
    assert (alert.kind, alert.area.name) == ("寒潮", "槐树社区")
    rows = CareTarget.select().where(CareTarget.alert == alert).order_by(CareTarget.id)
    answered = sorted((t.household.head_name, t.status) for t in rows if t.status != "pending")
    waiting = sorted(t.household.head_name for t in rows if t.status == "pending")
    assert answered == [("孙秀珍", "contacted"), ("钱建华", "visited")]
    assert waiting == ["周桂英", "王大爷"]  # 王大爷's overdue 一人一策 visit stays overdue
    lists = OutboxMessage.select().where(
        (OutboxMessage.kind == "private")
        & OutboxMessage.idempotency_key.startswith("private:care:")
    )
    assert lists.count() == 2  # 王秀英's and 槐荫里's steward's own lists
    assert all("请逐户回复" in m.payload["text"]["content"] for m in lists)


def test_seed_demo_has_one_flagged_board_among_weeks_of_scans(runner):
    from core.boards import health
    from models import BoardCheck, OutboxMessage, ScanDaily

    result = runner.invoke(args=["seed-demo"])
    assert "公示牌巡检：打铁巷的公示牌近两周没人扫码" in result.output
    (check,) = BoardCheck.select()
    assert check.board.alley.name == "打铁巷" and check.answer is None
    asked = [
        m.payload["text"]["content"] for m in OutboxMessage.select() if "没人扫码" in str(m.payload)
    ]
    assert asked == [
        "打铁巷的公示牌近两周没人扫码，路过时请看一眼：回复 牌子好的 / 牌子坏了 并拍照"
    ]
    weekly = health.weekly_scans([b.id for b in Board.select()])
    assert sum(1 for w in weekly.values() if all(n >= 3 for n in w)) == Board.select().count() - 1
    before = ScanDaily.select().count()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert ScanDaily.select().count() == before and BoardCheck.select().count() == 1


def test_seed_demo_fills_the_volunteer_directory_with_passbooks(runner, client):
    from core.timebank import passbook
    from models import PointAccount, Volunteer

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    communities = {v.community_id for v in Volunteer.select()}
    assert len(communities) >= 2  # every community of the demo has its directory
    wang = Volunteer.select().where(Volunteer.name == "王秀英").first()
    account = PointAccount.get(
        (PointAccount.user == wang.user_id) & (PointAccount.community == wang.community_id)
    )
    assert account.balance == 9 and passbook.holder_name(account) == "王秀英"
