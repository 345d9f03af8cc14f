"""The quarterly assessment against a hand-computed data set, its schedule and its API."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler

from core.figures import assessment
from jobs.scheduler import configure
from models import Assessment, ChatGroup, OutboxMessage, Steward
from tests.factories import login, login_staff, login_steward, make_district, make_staff

SH = ZoneInfo("Asia/Shanghai")
API = "/api/v1"


def at(y, m, d, h=10):
    return time_machine.travel(datetime(y, m, d, h, tzinfo=SH), tick=False)


def _post(client, path, headers, body=None, status=200):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, res.get_json()
    return res.get_json()


@pytest.fixture
def quarter_data(client):
    d = make_district()
    s1 = login_steward(client, d.stewards[0])
    staff = make_staff(d.communities[0])
    staff_h = login_staff(client, staff)
    resident = login(client, "居民")
    board = d.boards[0].code

    def report():
        body = {"board_code": board, "category": "环境卫生", "content": "垃圾"}
        return _post(client, "/issues", resident, body, status=201)["id"]

    with at(2026, 10, 5):
        a = report()
    with at(2026, 10, 6):
        _post(client, f"/issues/{a}/resolve", s1, {"note": "好了"})  # on time
        _post(client, f"/issues/{a}/rate", resident, {"score": 5})
    with at(2026, 10, 10):
        b = report()
    with at(2026, 10, 15):
        _post(client, f"/issues/{b}/resolve", s1, {"note": "好了"})  # 3 days late
        _post(client, f"/issues/{b}/rate", resident, {"score": 3})
    with at(2026, 11, 1):
        report()  # still open at the end of the quarter
    for day in range(1, 11):  # patrols on ten different days (twice on the first)
        with at(2026, 12, day):
            _post(client, "/patrols", s1, {"note": "巡查"}, status=201)
    with at(2026, 12, 1, 18):
        _post(client, "/patrols", s1, {"note": "再巡一次"}, status=201)
    with at(2026, 12, 20):
        wish = {
            "board_code": board,
            "beneficiary_type": "elderly",
            "display_name": "王奶奶",
            "title": "收音机",
            "content": "想听戏",
        }
        wid = _post(client, "/wishes", resident, wish, status=201)["id"]
        _post(client, f"/wishes/{wid}/approve", staff_h)
        _post(client, f"/wishes/{wid}/claim", s1)
        _post(client, f"/wishes/{wid}/fulfil", s1, {"note": "送到了"})
    return d, staff_h


def test_scores_match_the_hand_count(quarter_data):
    d, _ = quarter_data
    with at(2027, 1, 1, 6):
        rows = assessment.run(assessment.Quarter.parse("2026Q4"), send=False)
    by_steward = {r.steward_id: r for r in rows}
    s1 = by_steward[d.stewards[0].id]
    parts = s1.scores["parts"]
    assert parts == {
        "satisfaction": 0.8,  # (5 + 3) / 2 / 5
        "resolution": round(2 / 3, 4),  # A, B of A, B, C
        "timeliness": 0.5,  # A on time, B late
        "patrol": round(10 / 92, 4),  # ten days of 92
        "wishes": round(1 / 3, 4),  # one of three for full marks
    }
    expected = round(100 * (0.35 * 0.8 + 0.2 * 2 / 3 + 0.2 * 0.5 + 0.15 * 10 / 92 + 0.1 / 3))
    assert s1.total == expected == 56 and s1.tier == "不称职"
    # nothing to measure counts as neutral (0.8), no patrols and no wishes count as 0
    s2 = by_steward[d.stewards[1].id]
    assert s2.total == 60 and s2.tier == "称职"
    # the quarter's time bank entries, from the ledger: A +2 办结 +1 按时 +1 满意, B +2 办结
    # −1 超期 (resolved late), the open one not yet deducted (no scan ran)
    assert s1.scores["counts"]["points"] == 5 and s2.scores["counts"]["points"] == 0
    # it informs; it never dismisses
    assert Steward.get_by_id(d.stewards[0].id).active


def test_quarterly_job_runs_once_on_the_first_day_and_tells_staff(app, quarter_data):
    d, _ = quarter_data
    staff_group = ChatGroup.create(
        area=d.communities[0], name="社区工作人员群", webhook_key="staff-key", audience="staff"
    )
    ChatGroup.create(area=d.communities[0], name="管家群", webhook_key="steward-key")
    worker = configure(app, BackgroundScheduler(), holder="solo").worker
    job = worker.leader_only(worker.quarterly_assessment, "assessment")
    with at(2026, 12, 31, 6):
        assert job() == 0
    with at(2027, 1, 1, 6):
        assert job() == len(Steward.select().where(Steward.active))
        assert job() == 0  # a rerun does nothing
    with at(2027, 1, 2, 6):
        assert job() == 0
    assert Assessment.select().where(Assessment.period == "2026Q4").count() > 0
    sent = list(
        OutboxMessage.select().where(OutboxMessage.idempotency_key.startswith("assessment:"))
    )
    assert [m.target for m in sent] == [staff_group.webhook_key]  # never the stewards' group
    content = sent[0].payload["markdown"]["content"]
    assert "2026Q4" in content and "不称职" in content and "不自动调整人员" in content


def test_staff_read_assessments_of_their_community(client, quarter_data):
    d, _ = quarter_data
    with at(2027, 1, 3):
        from models import StaffAccount

        staff_h = login_staff(client, StaffAccount.get(StaffAccount.role == "staff"))
        ran = _post(client, "/assessments/run", staff_h, {"period": "2026Q4", "send": False})
        assert ran["assessed"] == 2  # the two stewards of community 1
        from models import Event

        event = Event.select().where(Event.action == "assessment.run").order_by(Event.id.desc())
        assert event.first().actor_id is not None  # a staff action: who ran it is recorded
        listed = client.get(f"{API}/assessments?period=2026Q4", headers=staff_h).get_json()
        # While the token issued at that date is still valid, whenever the suite runs.
        bad = client.get(f"{API}/assessments?period=Q9", headers=staff_h)
    assert listed["total"] == 2
    assert listed["items"][0]["total"] >= listed["items"][1]["total"]
    names = {i["steward_name"] for i in listed["items"]}
    assert names == {d.stewards[0].name, d.stewards[1].name}
    assert bad.status_code == 400 and "period" in bad.get_json()["error"]["fields"]


def test_quarter_arithmetic():
    q = assessment.Quarter.parse("2026q4")
    assert (q.start.isoformat(), q.end.isoformat()) == ("2026-10-01", "2027-01-01")
    from datetime import date

    assert str(assessment.Quarter.last_finished(date(2027, 1, 1))) == "2026Q4"
    assert str(assessment.Quarter.last_finished(date(2026, 5, 20))) == "2026Q1"
    assert timedelta(days=92) == q.end - q.start
