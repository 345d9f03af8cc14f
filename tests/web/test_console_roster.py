"""花名册 in the console: the dry run is a row-by-row preview (cleaned values, 新建 / 更新 / 不变 /
错误 and why, errors first), a bad sheet comes back marked for its uploader only, and the
area pickers list grids in the order people count them."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from models import Area, Steward
from tests.console_world import build, console_login, csrf


@pytest.fixture
def world(capp):
    with capp.app_context():
        yield build(capp)


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, data: bytes, name="花名册.xlsx"):
    token = csrf(client, "/console/roster")
    return client.post(
        "/console/roster",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


MESSY = [
    ["示范街道管家名单"],
    ["街道", "社区", "网格", "小巷", "姓名", "手机"],
    [],
    ["示范街道", "第1社区", "第１网格", "新巷", "周  强", "139 0000 5555"],
    ["示范街道", "第1社区", "第1网格", "新巷", "王五", "1390000"],
]


def test_preview_lists_every_row_errors_first_and_offers_the_marked_sheet(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    before = Steward.select().count()
    res = _upload(client, _xlsx(MESSY))
    html = res.get_data(as_text=True)
    assert res.status_code == 400 and "未做任何修改" in html and 'name="confirm"' not in html
    table = html.split('class="grid compact roster-preview"')[1]
    assert table.index("第5行") < table.index("第4行")  # the bad row first
    assert "周强" in table and "第1网格" in table and "13900005555" in table
    assert "“1390000”不是有效的手机号" in table
    assert Steward.select().count() == before

    link = html.split('href="/console/roster/marked/')[1].split('"')[0]
    res = client.get(f"/console/roster/marked/{link}")
    assert res.status_code == 200 and "filename*=UTF-8''" in res.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(res.data)).active
    assert sheet.cell(2, 7).value == "错误说明" and "1390000" in sheet.cell(5, 7).value
    assert sheet.cell(4, 7).value is None

    # another member of staff cannot fetch it by its address
    other = console_login(capp.test_client(), "streetadmin")
    assert other.get(f"/console/roster/marked/{link}").status_code == 404


def test_good_sheet_previews_each_action_then_imports(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    known = world.d.stewards[0]
    alley = known.alleys()[0]
    grid, community = alley.parent, alley.parent.parent
    rows = [
        ["街道", "社区", "网格", "街巷名称", "管家姓名", "联系电话"],
        ["示范街道", community.name, grid.name, alley.name, known.name, known.phone],
        ["示范街道", community.name, grid.name, alley.name, "改名", known.phone],
        ["示范街道", community.name, grid.name, "新开巷", "周强", "139-0000-6666"],
    ]
    rows.pop(1)  # the same phone must not carry two names; keep the rename row
    html = _upload(client, _xlsx(rows)).get_data(as_text=True)
    assert "检查通过" in html and 'name="confirm"' in html
    table = html.split('class="grid compact roster-preview"')[1]
    assert f"姓名：{known.name} → 改名" in table and "更新" in table
    assert "新管家" in table and "新建街巷“新开巷”" in table
    assert "13900006666" in table


def test_area_picker_counts_grids_in_natural_order(capp, world):
    client = console_login(capp.test_client(), "streetadmin")
    community = world.d.communities[0]
    for name in ("第十网格", "第二网格", "第一网格", "第11网格", "第9网格"):
        area = Area.create(parent=community, kind="grid", name=name)
        area.set_path()
    html = client.get("/console/ledger").get_data(as_text=True)
    picker = html.split("<select", 1)[1].split("</select>", 1)[0]
    found = [n for n in ("第一网格", "第二网格", "第9网格", "第十网格", "第11网格") if n in picker]
    assert sorted(found, key=picker.index) == [
        "第一网格",
        "第二网格",
        "第9网格",
        "第十网格",
        "第11网格",
    ]
