"""Statistics for any period, and the ledger spreadsheet — against the daily report's hand
count (the data set of tests/core/figures/test_reports.py)."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from core.figures import ledger
from models import Event
from tests.core.figures.test_reports import at, dataset  # noqa: F401  (the fixture)
from tests.factories import login, login_staff, make_district, make_staff

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
    title, header, *issues = list(wb["诉求台账"].iter_rows(values_only=True))
    assert title[0].startswith("诉求台账") and "期间：2026-11-01 至 2026-11-21" in title[0]
    assert header[0] == "编号" and len(issues) == 8  # X, V, P, Q, R, T, U, Y
    col = {name: i for i, name in enumerate(header)}
    contents = {row[col["内容"]] for row in issues}
    assert "X 一直没人管" in contents
    overdue = [row for row in issues if row[col["内容"]] == "X 一直没人管"][0]
    assert overdue[col["状态"]] == "待接单" and overdue[col["是否超期"]] == "是"
    assert len(list(wb["微心愿台账"].iter_rows())) == 3  # title, header, one wish
    summary = {row[0]: row[1] for row in wb["汇总"].iter_rows(values_only=True) if row[0]}
    assert summary["新增诉求"] == 8
    # no resident's name or phone travels with the file
    text = " ".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v)
    assert "13912340000" not in text
    for nickname in ("甲", "乙", "丙", "丁", "戊", "己", "庚"):  # the reporters' WeChat names
        assert nickname not in text
    assert Event.select().where(Event.action == "ledger.export").count() == 1


def test_ledger_is_made_to_be_filtered_and_printed(client):
    d = make_district()
    headers = login_staff(client, make_staff(d.communities[0]))
    with at(11, 20, 10):
        res = client.post(
            f"{API}/issues",
            json={"alley_id": d.alleys[0].id, "category": "环境卫生", "content": "垃圾" * 60},
            headers=login(client, "辛"),
        )
        assert res.status_code == 201
    with at(11, 22, 9):
        data = client.get(f"{API}/ledger.xlsx?date_from=2026-11-01", headers=headers).data
    wb = load_workbook(io.BytesIO(data))
    ws = wb["诉求台账"]
    title = ws.cell(row=1, column=1).value
    assert "单位：示范街道 / 第1社区" in title and "期间：2026-11-01 至 2026-11-22" in title
    assert "导出时间：2026-11-22 09:00" in title
    header = [c.value for c in ws[2]]
    row = {name: ws.cell(row=3, column=i + 1) for i, name in enumerate(header)}
    # real Excel values: a date sorts as a date, a count sums as a number
    assert row["反映时间"].value == datetime(2026, 11, 20, 10, 0) and row["反映时间"].is_date
    assert row["重开次数"].value == 0 and row["重开次数"].data_type == "n"
    assert row["内容"].alignment.wrap_text and not row["编号"].alignment.wrap_text
    assert ws.auto_filter.ref == f"A2:{ws.cell(row=2, column=len(header)).column_letter}3"
    assert ws.print_title_rows == "$2:$2" and ws.freeze_panes == "A3"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    summary = {r[0]: r[1] for r in wb["汇总"].iter_rows(min_row=3, values_only=True) if r[0]}
    assert summary["新增诉求"] == 1 and summary["微心愿 新增"] == 0  # no "2/1/0" mixed cells
    assert not any(isinstance(v, str) and "/" in v and v[0].isdigit() for v in summary.values())


@pytest.mark.parametrize(
    "today, expected",
    [
        (date(2026, 12, 1), (date(2026, 11, 1), date(2026, 11, 30))),
        (date(2026, 12, 5), (date(2026, 11, 1), date(2026, 11, 30))),
        (date(2026, 12, 6), (date(2026, 12, 1), date(2026, 12, 6))),
        (date(2027, 1, 3), (date(2026, 12, 1), date(2026, 12, 31))),
    ],
)
def test_default_ledger_period_is_last_month_in_the_first_five_days(today, expected):
    assert ledger.default_period(today) == expected
