"""The roster import in a real browser, with the sheet a secretary really has: a merged title
row, a blank line, full-width digits, names padded with spaces, a "小巷" header and one bad
phone. The preview shows every row cleaned with the bad one first, the marked sheet downloads,
the fixed sheet imports on confirm, and the result page survives a reload."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from models import Area, Steward
from tests.browser.helpers import SCREENSHOTS, no_sideways_scroll, signed_in

pytestmark = pytest.mark.browser


def _messy(path: Path, bad_phone: str) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["示范街道第1社区小巷管家名单（2026年12月）"])
    ws.merge_cells("A1:F1")
    ws.append(["街道", "社区", "网格", "小巷", "姓名", "电话"])
    ws.append([])
    ws.append(
        [
            "示范街道",
            "第1社区",
            "第１网格",
            "长长的东关大街南段西侧第十七号院后巷",
            "周  强",
            "139 0000 7001",
        ]
    )
    ws.append(["示范街道", "第1社区", "第１网格", "新巷", " 王 秀 英 ", "１３９００００７００２"])
    ws.append(["示范街道", "第1社区", "第１网格", "新巷", "李四", bad_phone])
    wb.save(path)
    return path


def test_messy_sheet_previewed_marked_fixed_and_imported(browser, live, tmp_path):
    app, base, w = live
    with app.app_context():
        before = Steward.select().count()
    with signed_in(browser, base) as page:
        page.goto(f"{base}/console/roster")
        page.set_input_files("input[type=file]", str(_messy(tmp_path / "名单.xlsx", "1390000")))
        with page.expect_navigation():
            page.click("button:has-text('上传并检查')")
        rows = page.locator("table.roster-preview tbody tr")
        assert rows.count() == 3
        first = rows.nth(0).inner_text()
        assert "第6行" in first and "错误" in first and "“1390000”不是有效的手机号" in first
        second, third = rows.nth(1).inner_text(), rows.nth(2).inner_text()
        assert "周强" in second and "第1网格" in second and "13900007001" in second
        assert "王秀英" in third and "13900007002" in third and "新管家" in third
        assert page.locator("button:has-text('确认导入')").count() == 0
        no_sideways_scroll(page, "roster preview")
        page.screenshot(path=str(SCREENSHOTS / "console-roster-preview-bad.png"), full_page=True)
        with app.app_context():
            assert Steward.select().count() == before

        with page.expect_download() as dl:
            page.click("text=下载标注了错误的表格")
        marked = load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).active
        assert marked.cell(2, 7).value == "错误说明" and "1390000" in marked.cell(6, 7).value

        page.goto(f"{base}/console/roster")
        page.set_input_files("input[type=file]", str(_messy(tmp_path / "改.xlsx", "13900007003")))
        with page.expect_navigation():
            page.click("button:has-text('上传并检查')")
        chips = page.locator("table.roster-preview tbody .action-chip").all_inner_texts()
        assert chips == ["新建", "新建", "新建"]
        page.screenshot(path=str(SCREENSHOTS / "console-roster-preview-good.png"), full_page=True)
        with page.expect_navigation():
            page.click("button:has-text('确认导入')")
        assert page.url.endswith("/console/roster?done=1")
        assert "新增管家 3 人" in page.locator("section.ok-box").inner_text()
        page.reload()
        assert "导入完成" in page.locator("section.ok-box").inner_text()
        with app.app_context():
            assert Steward.select().count() == before + 3
            assert Steward.get(Steward.phone == "13900007001").name == "周强"
            assert Area.get(Area.name == "第1网格").kind == "grid"
