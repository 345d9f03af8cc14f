"""Statistics for any period, and the ledger spreadsheet — against the daily report's hand
count (the data set of tests/test_reports.py)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from models import Event
from tests.factories import login, login_staff, make_staff
from tests.test_reports import at, dataset  # noqa: F401  (the fixture)

API = "/api/v1"
DAY = "2026-11-21"


def _staff(client, d):
    with at(11, 22, 8):
        return login_staff(client, make_staff(d.communities[0]))


def test_stats_of_a_day_match_the_report(client, dataset):  # noqa: F811
    headers = _staff(client, dataset)
    with at(11, 22, 9):
        res = client.get(f"{API}/stats?date_from={DAY}&date_to={DAY}", headers=headers)
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    c = body["counts"]
    assert (c["new"], c["accepted"], c["resolved"], c["open"], c["overdue"]) == (5, 3, 2, 3, 1)
    assert c["response_rate"] == round(2 / 3, 4) and c["resolution_rate"] == 0.5
    assert c["satisfaction_rate"] == 0.5 and body["rectification_rate"] == 0.5
    cats = {line["category"]: line for line in body["by_category"]}
    assert cats["环境卫生"]["new"] == 4 and cats["设施损坏"]["new"] == 1
    assert cats["设施损坏"]["resolved"] == 1
    s1 = next(s for s in body["by_steward"] if s["steward_id"] == dataset.stewards[0].id)
    assert (s1["accepted"], s1["resolved"], s1["overdue"], s1["patrol_days"]) == (2, 2, 1, 1)
    assert body["wishes"]["new"] == 1


def test_stats_of_the_month(client, dataset):  # noqa: F811
    headers = _staff(client, dataset)
    with at(11, 22, 9):
        body = client.get(
            f"{API}/stats?date_from=2026-11-01&date_to={DAY}", headers=headers
        ).get_json()
    c = body["counts"]
    assert (c["new"], c["accepted"], c["resolved"]) == (7, 4, 3)
    assert c["response_rate"] == 0.6


def test_stats_refusals(client, dataset):  # noqa: F811
    headers = _staff(client, dataset)
    with at(11, 22, 9):
        bad = client.get(f"{API}/stats?date_from=2026-11-21&date_to=2026-11-01", headers=headers)
        other = client.get(f"{API}/stats?area_id={dataset.communities[1].id}", headers=headers)
    assert bad.status_code == 400 and "起始日期" in bad.get_json()["error"]["message"]
    assert other.status_code == 403


def test_ledger_spreadsheet(client, dataset):  # noqa: F811
    headers = _staff(client, dataset)
    with at(11, 21, 21):
        body = {
            "board_code": dataset.boards[0].code,
            "category": "其他",
            "content": "Y 留了电话",
            "contact_phone": "13912340000",
        }
        res = client.post(f"{API}/issues", json=body, headers=login(client, "庚"))
        assert res.status_code == 201
    with at(11, 22, 9):
        res = client.get(f"{API}/ledger.xlsx?date_from=2026-11-01&date_to={DAY}", headers=headers)
    assert res.status_code == 200
    assert res.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in res.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(res.data))
    assert wb.sheetnames == ["汇总", "诉求台账", "微心愿台账", "巡查记录"]
    issues = list(wb["诉求台账"].iter_rows(values_only=True))
    assert issues[0][0] == "编号" and len(issues) - 1 == 8  # X, V, P, Q, R, T, U, Y
    contents = {row[3] for row in issues[1:]}
    assert "X 一直没人管" in contents
    overdue = [row for row in issues[1:] if row[3] == "X 一直没人管"][0]
    assert overdue[8] == "待接单" and overdue[17] == "是"
    assert len(list(wb["微心愿台账"].iter_rows())) == 2
    summary = {row[0]: row[1] for row in wb["汇总"].iter_rows(values_only=True) if row[0]}
    assert summary["新增诉求"] == 8
    # no resident's name or phone travels with the file
    text = " ".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v)
    assert "13912340000" not in text
    for nickname in ("甲", "乙", "丙", "丁", "戊", "己", "庚"):  # the reporters' WeChat names
        assert nickname not in text
    assert Event.select().where(Event.action == "ledger.export").count() == 1
