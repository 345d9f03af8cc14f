"""The quarterly assessment against a hand-computed data set, its schedule and its API."""

from __future__ import annotations

import io
import re
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
        "satisfaction": 0.5,  # A's 5★ of A's 5★ and B's 3★ (3★ is solved, not satisfied)
        "resolution": round(2 / 3, 4),  # A, B confirmed (≥ 3★) of A, B and C (still undone)
        "timeliness": 0.5,  # A on time, B late
        "patrol": round(10 / 92, 4),  # ten days of 92
        "wishes": round(1 / 3, 4),  # one of three for full marks
    }
    expected = round(100 * (0.35 * 0.5 + 0.2 * 2 / 3 + 0.2 * 0.5 + 0.15 * 10 / 92 + 0.1 / 3))
    assert s1.total == expected == 46 and s1.tier == "不称职"
    counts = s1.scores["counts"]
    assert (counts["answered"], counts["confirmed"], counts["satisfied"]) == (2, 2, 1)
    assert counts["pending"] == 1
    # nothing to measure counts as neutral (0.8), no patrols and no wishes count as 0
    s2 = by_steward[d.stewards[1].id]
    assert s2.total == 60 and s2.tier == "称职"
    # the quarter's time bank entries, from the ledger: A +2 办结 +1 按时 +1 满意, B +2 办结
    # −1 超期 (resolved late), the open one not yet deducted (no scan ran)
    assert s1.scores["counts"]["points"] == 5 and s2.scores["counts"]["points"] == 0
    # it informs; it never dismisses
    assert Steward.get_by_id(d.stewards[0].id).active


def test_a_callback_moves_the_stewards_satisfaction_and_resolution(client, quarter_data):
    """D: reported 11-02, resolved by 管家11 on 11-03, never rated — no word, so it moves
    nothing until staff call back. 满意 on 11-10 makes it a satisfied, solved word: 满意率
    (A, D of A, B, D) 2/3, 解决率 (A, B, D of A, B, D and C undone) 3/4. Called back after the
    quarter, the word belongs to the next one."""
    d, staff_h = quarter_data
    s1 = login_steward(client, d.stewards[0])
    resident = login(client, "居民")
    body = {"board_code": d.boards[0].code, "category": "环境卫生", "content": "D 落叶"}
    with at(2026, 11, 2):
        item = _post(client, "/issues", resident, body, status=201)["id"]
    with at(2026, 11, 3):
        _post(client, f"/issues/{item}/resolve", s1, {"note": "扫了"})

    def parts():
        with at(2027, 1, 1, 6):
            rows = assessment.run(assessment.Quarter.parse("2026Q4"), send=False)
        row = next(r for r in rows if r.steward_id == d.stewards[0].id)
        return row.scores["parts"]["satisfaction"], row.scores["parts"]["resolution"], row.total

    # as without D, but for timeliness (D on time: 2/3), which needs no word
    assert parts() == (0.5, round(2 / 3, 4), 49)
    with at(2026, 11, 10):
        body = {"result": "satisfied", "note": "居民说扫干净了"}
        _post(client, f"/issues/{item}/callback", staff_h, body, status=201)
    satisfaction, resolution, total = parts()
    assert (satisfaction, resolution) == (round(2 / 3, 4), 0.75)
    assert total == round(
        100 * (0.35 * 2 / 3 + 0.2 * 0.75 + 0.2 * 2 / 3 + 0.15 * 10 / 92 + 0.1 / 3)
    )
    # 2027Q1's word: the quarter's figures stay as the residents left them then
    with at(2027, 1, 1, 6):
        rows = assessment.run(assessment.Quarter.parse("2027Q1"), send=False)
    q1 = next(r for r in rows if r.steward_id == d.stewards[0].id)
    assert q1.scores["counts"]["answered"] == 0


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


# --- the console's assessment page: periods, ranks, the year, exports ---------------------------


@pytest.fixture
def stored_results(app):
    """Stored results (what `assessment.run` leaves) for four stewards, counted by hand:
    2026Q3 — 管家12 88, 管家21 88 (a shared 1st), 管家11 70 (3rd); 管家11 also 90 in 2026Q2,
    so the year 2026 gives 管家11 (90 + 70) / 2 = 80.0 (称职) over two quarters; 管家22 only
    in 2025Q4."""
    d = make_district()
    make_staff(d.street, role="admin", username="assess-admin")
    s = d.stewards

    def stored(steward, period, total, satisfaction):
        Assessment.create(
            steward=steward,
            period=period,
            total=total,
            tier=assessment._tier(total),
            scores={
                "parts": {"satisfaction": satisfaction, "resolution": 1.0, "timeliness": None},
                "counts": {"reported": 4, "resolved": 3, "on_time": 2, "patrol_days": 10},
            },
        )

    stored(s[0], "2026Q2", 90, 0.9)
    stored(s[0], "2026Q3", 70, 0.7)
    stored(s[1], "2026Q3", 88, 1.0)
    stored(s[2], "2026Q3", 88, 0.8)
    stored(s[3], "2025Q4", 50, 0.5)
    return d


def _table_rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_page_opens_on_the_latest_period_ranked_with_weights_explained(app, stored_results):
    from tests.console_world import console_login

    with at(2026, 11, 20):
        client = console_login(app.test_client(), "assess-admin")
        html = client.get("/console/assessments").get_data(as_text=True)
    assert "2026 年第 3 季度" in html
    options = re.findall(r'<option value="([^"]+)"', html)
    assert options == ["2026", "2026Q3", "2026Q2", "2025", "2025Q4"]
    ranked = [(r[0], r[1], r[2], r[3]) for r in _table_rows(html)]
    assert ranked == [("1", "管家12", "88.0", "优秀"), ("1", "管家21", "88.0", "优秀"),
                      ("3", "管家11", "70.0", "称职")]  # fmt: skip
    assert "满意度" in html and "35%" in html and "居民本季评价或回访为满意" in html
    assert "不奖不罚" in html


def test_the_year_rolls_up_its_quarters(app, stored_results):
    from tests.console_world import console_login

    with at(2026, 11, 20):
        client = console_login(app.test_client(), "assess-admin")
        html = client.get("/console/assessments?period=2026").get_data(as_text=True)
    rows = _table_rows(html)
    assert [(r[0], r[1], r[2], r[3], r[-1]) for r in rows] == [
        ("1", "管家12", "88.0", "优秀", "1"),
        ("1", "管家21", "88.0", "优秀", "1"),
        ("3", "管家11", "80.0", "称职", "2"),  # (90 + 70) / 2, two quarters
    ]
    assert rows[2][4] == "80.0%"  # satisfaction (0.9 + 0.7) / 2
    assert "立即（重新）考核" not in html  # a year is not run, it is summed up


def test_the_exports_read_back(app, stored_results):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    from models import Event
    from tests.console_world import console_login

    with at(2026, 11, 20):
        client = console_login(app.test_client(), "assess-admin")
        res = client.get("/console/assessments.xlsx?period=2026")
        pdf = client.get("/console/assessments.pdf?period=2026Q3")
        bad = client.get("/console/assessments.xlsx?period=2026Q5")
    assert res.status_code == 200 and "assessment-2026.xlsx" in res.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(res.data))
    ws = wb["考核"]
    assert [c.value for c in ws[2]][:4] == ["名次", "管家", "总分", "等次"]
    assert [c.value for c in ws[5]][:5] == [3, "管家11", 80, "称职", 0.8]
    weights = {r[0].value: r[1].value for r in wb["权重与说明"].iter_rows(2) if r[1].value}
    assert weights["满意度"] == 0.35 and weights["巡查"] == 0.15
    assert pdf.status_code == 200
    text = "".join(
        p.extract_text().replace("\x00", "") for p in PdfReader(io.BytesIO(pdf.data)).pages
    )
    for part in (
        "2026 年第 3 季度",
        "管家12",
        "88.0",
        "优秀",
        "满意度",
        "35%",
        "第 1 页 / 共 1 页",
        "制表",
    ):
        assert part in text, part
    assert bad.status_code == 400 and "期间" in bad.get_data(as_text=True)
    exports = [e.data["period"] for e in Event.select().where(Event.action == "assessment.export")]
    assert exports == ["2026", "2026Q3"]
