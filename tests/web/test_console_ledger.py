"""台账 in the console: the full export and the 打印版 from one form, the print version named
for the person who made it (制表人) and audited as an export."""

from __future__ import annotations

import io
from urllib.parse import quote

from openpyxl import load_workbook

from models import Event
from tests.console_world import build, console_login


def test_print_version_downloads_with_the_makers_name(capp):
    world = build(capp)
    client = console_login(capp.test_client(), "secretary1")
    page = client.get("/console/ledger").get_data(as_text=True)
    assert 'name="version" value="print"' in page and "下载打印版" in page
    c1 = world.d.communities[0].id
    res = client.get(f"/console/ledger.xlsx?area={c1}&from=2026-10-01&to=2026-12-31&version=print")
    assert res.status_code == 200
    assert quote("台账打印版-第1社区-20261001-20261231.xlsx") in res.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(res.data))
    assert wb.sheetnames == ["2026年10月", "2026年11月", "2026年12月"]
    ws = wb.worksheets[0]
    assert [c.value for c in ws[ws.max_row]][0].startswith("制表人：")
    assert [c.value for c in ws[ws.max_row]][0] != "制表人："  # a name, not a blank
    event = Event.select().where(Event.action == "ledger.export").order_by(Event.id.desc()).get()
    assert event.data["version"] == "print" and event.actor_label
    # the full export is still there, every column
    full = client.get(f"/console/ledger.xlsx?area={c1}&version=full")
    assert "诉求台账" in load_workbook(io.BytesIO(full.data)).sheetnames
