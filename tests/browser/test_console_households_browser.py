"""包联户 in the console, in a real browser: a visit recorded with a photo through the card's
form (the thumbnail shows on the visit; a photo over the limit is refused before sending, the
note still typed), and the older tables with a 60-character address and a 30-character alley
name — the households list, the card, care alerts, the steward pages, the 诉求 and 微心愿
lists, search — at 1366×768 and 390×844: no cell spills out of its cell or its table, no table is wider than
the page. Screenshots go to the instance folder (instance/shots/) to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.households import cards, care_alerts
from core.people.permissions import Principal
from models import Area, Household, Media, User, Visit
from tests.browser.helpers import login, new_page, no_sideways_scroll
from tests.factories import gps_jpeg

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "instance" / "shots"
DESK = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
LONG_ALLEY = "幸福里东段向阳花园北侧老供销社家属宿舍区后排第三条无名小巷道"  # 30 characters
LONG_ADDRESS = (  # 60 characters, with the unbreakable run a real one has
    "解放路街道幸福里社区向阳花园小区东门进去左手第12栋3单元501室"
    "（原供销社宿舍B-12-3-501号，门口有棵老槐树）"
)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _household(app, w, address="1区1巷8号") -> Household:
    with app.app_context():
        admin = Principal.for_user(User.get_by_id(w.admin.user_id))
        return cards.create(
            admin,
            {
                "alley_id": w.d.alleys[0].id,
                "steward_id": w.d.stewards[0].id,
                "address": address,
                "head_name": "王大爷",
                "head_phone": "13811112222",
                "members": [{"name": "李秀兰", "relation": "配偶", "birth_year": 1950}],
                "tags": ["独居老人", "低保"],
                "notes": "",
            },
        )


def test_a_visit_with_a_photo_through_the_form(browser, live, tmp_path):
    app, base, w = live
    household = _household(app, w)
    photo = tmp_path / "门口.jpg"
    photo.write_bytes(gps_jpeg((1200, 900)))
    for screen, name in ((DESK, "1366"), (PHONE, "390")):
        context, page = new_page(browser, screen)
        try:
            login(page, base)
            page.goto(f"{base}/console/households/{household.id}")
            form = page.locator("#visit-form")
            form.locator("textarea[name=note]").fill(f"上门看望，屋里暖和（{name}）")
            form.locator("input[name=photos]").set_input_files(str(photo))
            with page.expect_navigation():
                form.locator("button[type=submit]").click()
            assert "走访已登记" in page.locator(".flash.ok").inner_text()
            visit = page.locator("ol.timeline li").first
            assert f"（{name}）" in visit.inner_text()
            thumb = visit.locator(".photos img")
            thumb.wait_for()
            assert thumb.evaluate("img => img.complete && img.naturalWidth > 0")
            no_sideways_scroll(page, f"card with a visit photo at {name}")
            _shot(page, f"household-visit-photo-{name}.png")
        finally:
            context.close()
    with app.app_context():
        visits = list(Visit.select().order_by(Visit.id))
        assert len(visits) == 2 and all(len(v.photo_ids) == 1 for v in visits)
        assert Media.select().count() == 1  # the same photo twice is one stored file


def test_a_photo_over_the_limit_is_refused_before_sending(browser, live):
    app, base, w = live
    household = _household(app, w)
    limit = app.config["MAX_UPLOAD_BYTES"]
    context, page = new_page(browser, DESK)
    try:
        login(page, base)
        page.goto(f"{base}/console/households/{household.id}")
        form = page.locator("#visit-form")
        form.locator("textarea[name=note]").fill("楼道灯坏了")
        big = {"name": "大图.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * (limit + 1)}
        field = form.locator("input[name=photos]")
        field.set_input_files(big)
        assert (
            field.evaluate("f => f.validationMessage")
            == "照片：大图.jpg 超过 10 MB，请缩小后再上传"
        )
        form.locator("button[type=submit]").click()  # the browser keeps the form here
        assert page.url.endswith(f"/console/households/{household.id}")
        assert form.locator("textarea[name=note]").input_value() == "楼道灯坏了"
        field.set_input_files(str(Path(__file__)))  # a small file again: the form may go
        assert field.evaluate("f => f.validationMessage") == ""
    finally:
        context.close()
    with app.app_context():
        assert Visit.select().count() == 0


# Every table.grid on the page: a cell whose content is wider than the cell, a cell reaching
# past its table's own box (its scroll width: at 390 a table scrolls inside its box), a table
# wider than the page; on a desk screen a short word (a name, a status: up to 4 characters)
# broken over two lines because a long address took its room; on a phone (given `cap`) a cell
# of long text wider than `cap` pixels, the address taking the phone's width.
_OVERFLOWS = """([cap, marker]) => {
  const found = [];
  const page = document.documentElement.clientWidth;
  const lines = (cell) => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    return new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top))).size;
  };
  document.querySelectorAll('table.grid').forEach((table, t) => {
    const box = table.getBoundingClientRect();
    if (box.width === 0) return;
    if (box.right > page + 1) found.push(`table ${t} ends at ${box.right} of ${page}`);
    const right = box.left + table.clientLeft + table.scrollWidth;  // its border, then all
    table.querySelectorAll('th, td').forEach((cell) => {
      const r = cell.getBoundingClientRect();
      const text = cell.innerText.trim();
      const what = `table ${t} "${text.slice(0, 20)}"`;
      if (cell.scrollWidth > cell.clientWidth + 1)
        found.push(`${what} spills: ${cell.scrollWidth} > ${cell.clientWidth}`);
      if (r.right > right + 1) found.push(`${what} past the table`);
      if (!cap && text && /^\\S{1,4}$/.test(text) && lines(cell) > 1)
        found.push(`${what} broken over ${lines(cell)} lines`);
      if (cap && text.includes(marker) && r.width > cap)
        found.push(`${what} is ${Math.round(r.width)}px wide`);
    });
  });
  return found;
}"""


def test_long_addresses_and_alley_names_stay_inside_their_tables(browser, live):
    app, base, w = live
    with app.app_context():
        Area.update(name=LONG_ALLEY).where(Area.id == w.d.alleys[0].id).execute()
    assert len(LONG_ALLEY) == 30 and len(LONG_ADDRESS) == 60
    household = _household(app, w, LONG_ADDRESS)
    with app.app_context():
        admin = Principal.for_user(User.get_by_id(w.admin.user_id))
        alert = care_alerts.create(admin, w.d.alleys[0].id, "寒潮", ["低保"], "请看望")
    steward = w.d.stewards[0]
    pages = {
        "households": "/console/households",
        "household": f"/console/households/{household.id}",
        "care-alerts": "/console/care-alerts",
        "care-alert": f"/console/care-alerts/{alert.id}",
        "stewards": "/console/stewards",
        "steward": f"/console/stewards/{steward.id}",
        "issues": "/console/issues",
        "wishes": "/console/wishes",
        "search": "/console/search?q=幸福里",
    }
    for screen, cap in ((DESK, None), (PHONE, 240)):
        context, page = new_page(browser, screen)
        try:
            login(page, base)
            for name, path in pages.items():
                assert page.goto(f"{base}{path}").status == 200, path
                assert LONG_ALLEY[:6] in page.content() or LONG_ADDRESS[:6] in page.content()
                where = f"{path} at {screen['width']}"
                no_sideways_scroll(page, where)
                found = page.evaluate(_OVERFLOWS, [cap, LONG_ALLEY[:4]])
                found += page.evaluate(_OVERFLOWS, [cap, LONG_ADDRESS[:4]])
                assert not found, (where, found)
                _shot(page, f"long-{name}-{screen['width']}.png")
        finally:
            context.close()
