"""Signboards: codes, QR, layout, fonts, bulk printing, reprints and retiring.

Everything here is checked by rendering: QR codes are decoded from the whole board image
with a real reader (zxing-cpp), text fitting is checked from the ink actually drawn, the PDF
is opened with a PDF parser and the font's own cmap is read with fontTools.
"""

from __future__ import annotations

import io
import subprocess
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest
import zxingcpp
from fontTools.ttLib import TTFont
from PIL import Image

from cli import boards_command, retire_board_command
from core import media
from core.boards import boards, fonts, layout, print_data, render
from core.boards.layout import PAGE_SIZES, compose
from core.boards.print_data import BoardData, StewardData
from core.boards.typeset import wrap
from core.people import auth
from infra.timeutil import utcnow
from models import Board, Event, Steward, StewardAlley
from tests.factories import make_district, next_phone

BASE = "https://xx.example.cn"  # PUBLIC_BASE_URL of the test app
LONG_NAME = "阿卜杜热合曼·买买提依明·艾力江木拉提"  # 20 characters
DUTY_SENTENCE = (
    "负责本巷环境卫生巡查、车辆停放劝导、消防通道畅通、独居老人走访、邻里矛盾调解、"
    "政策宣传解答、微心愿收集上报等工作。"
)
LONG_DUTIES = (DUTY_SENTENCE * 7)[:300]
# Rare but real characters of personal names (通用规范汉字表 level 3 and GB 2312 alike).
NAME_CHARS = "喆堃淼犇玥珺瑄琇赟婧昕翀祎琬珅旻晔钰彧垚燚珏瑀珩炜煜栩睿骞彤镕玮鋆"


def steward(i: int = 0, **kw) -> StewardData:
    values = {
        "name": ["王秀英", "欧阳建国", "张桂兰", "刘志强"][i % 4],
        "phone": f"1700000010{i}",
        "posts": ("信息员", "调解员"),
        "duties": "信息员：收集社情民意，发现问题及时上报；调解员：化解邻里纠纷",
        "households": 46,
        "is_leader": i == 0,
    }
    values.update(kw)
    return StewardData(**values)


def board(stewards, **kw) -> BoardData:
    values = {
        "code": "ABCD2345",
        "version": 3,
        "url": f"{BASE}/b/ABCD2345",
        "alley_name": "豆腐坊巷",
        "area_path": "城关街道 · 槐树社区 · 第二网格",
        "community_name": "槐树社区",
        "supervision_phone": "0731-88886666",
        "stewards": tuple(stewards),
        "printed_on": "2026-11-22",
    }
    values.update(kw)
    return BoardData(**values)


def decode(image: Image.Image) -> list:
    return [r for r in zxingcpp.read_barcodes(image.convert("L")) if r.valid]


# --- layout ---------------------------------------------------------------------------------

CASES = {
    "one steward": [steward(0)],
    "four stewards": [steward(i) for i in range(4)],
    "20-character name": [steward(0, name=LONG_NAME), steward(1)],
    "20-character name, four stewards": [steward(i, name=LONG_NAME) for i in range(4)],
    "300-character duties, one steward": [steward(0, duties=LONG_DUTIES)],
    "300-character duties and a long name, four stewards": [
        steward(0, duties=LONG_DUTIES),
        steward(1, duties=LONG_DUTIES, name=LONG_NAME),
        steward(2, duties=LONG_DUTIES),
        steward(3, duties=LONG_DUTIES),
    ],
    "no photo, posts or households": [steward(0, posts=(), households=0, duties="")],
}


@pytest.mark.parametrize("size", ["A4", "A3"])
@pytest.mark.parametrize("case", list(CASES))
def test_everything_fits_inside_the_page_without_overlap(size, case):
    image, layout = compose(board(CASES[case]), size)

    assert image.size == PAGE_SIZES[size]
    assert image.info["dpi"] == (300, 300)
    assert layout.problems() == []
    names = {b.name for b in layout.boxes}
    for i, s in enumerate(CASES[case]):
        assert {f"steward[{i}].name", f"steward[{i}].phone", f"steward[{i}].photo"} <= names
        assert layout.box(f"steward[{i}].name").lines == [s.name]  # never wrapped or cut
        if s.duties:
            drawn = "".join(layout.box(f"steward[{i}].duties").lines)
            assert s.duties in drawn  # all of it, nothing cut
    for b in layout.boxes:
        if b.kind == "text" and b.text:
            assert b.ink is not None and b.fits, b.name
    assert layout.box("qr.cue").lines == ["微信扫一扫"]
    assert layout.box("qr.caption").lines == ["反映问题 · 提交微心愿"]
    assert layout.box("title").lines == ["小巷管家公示牌"]


def test_1_and_4_stewards_sizes_follow_the_space():
    _, one = compose(board([steward(0)]))
    _, four = compose(board([steward(i) for i in range(4)]))
    assert one.box("steward[0].name").font_px > four.box("steward[0].name").font_px
    # The 20-character name shrinks instead of overflowing or wrapping.
    _, long = compose(board([steward(0, name=LONG_NAME)]))
    assert long.box("steward[0].name").font_px < one.box("steward[0].name").font_px
    assert long.box("steward[0].name").lines == [LONG_NAME]


def test_text_beyond_any_size_is_cut_with_an_ellipsis_as_a_last_resort():
    huge = DUTY_SENTENCE * 40
    _, layout = compose(board([steward(i, duties=huge) for i in range(4)]))
    box = layout.box("steward[0].duties")
    assert box.truncated and box.fits
    assert box.lines[-1].endswith("…")
    assert box.font_px == round(2.2 * 2480 / 210)  # shrunk to the minimum first
    assert any("已截断" in p for p in layout.problems())
    assert not any("溢出" in p or "重叠" in p or "超出版面" in p for p in layout.problems())


def test_more_stewards_than_fit_and_none_at_all_are_reported_not_crashed():
    _, layout = compose(board([steward(i, phone=f"1700000020{i}") for i in range(6)]))
    assert any("6 位管家" in p for p in layout.problems())
    _, empty = compose(board([]))
    assert empty.problems() == []
    assert "选聘" in empty.box("stewards.none").text


def test_wrap_breaks_cjk_anywhere_keeps_numbers_whole_and_respects_punctuation():
    def width(text: str) -> float:
        return float(len(text))

    assert wrap("一二三四五六", 4, width) == ["一二三四", "五六"]
    # A closing comma never starts a line: the character before it moves down too.
    assert wrap("一二三四，五六", 4, width) == ["一二三", "四，五六"]
    # An opening bracket never ends a line.
    assert wrap("一二三（四）", 4, width) == ["一二三", "（四）"]
    # A phone number is a word: kept whole when it fits a line, broken only when it cannot.
    assert wrap("电话17000000101", 11, width) == ["电话", "17000000101"]
    assert wrap("17000000101", 4, width) == ["1700", "0000", "101"]
    assert wrap("甲\n乙", 10, width) == ["甲", "乙"]


# --- QR -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", ["A4", "A3"])
def test_every_board_qr_decodes_to_exactly_its_url(app, size):
    district = make_district(communities=2, alleys_per_community=2)
    data = print_data.collect(district.boards)
    assert len(data) == 4
    for record, row in zip(data, district.boards, strict=True):
        image, layout = compose(record, size)
        results = decode(image)  # the whole board, as a phone camera sees it
        assert [r.text for r in results] == [f"{BASE}/b/{row.code}"]
        assert results[0].format == zxingcpp.BarcodeFormat.QRCode
        assert results[0].ec_level in ("Q", "H")
        # At least 6 cm printed (readable from 1-2 m), quiet zone included in the box.
        qr = layout.box("qr").rect
        assert (qr[2] - qr[0]) / 300 * 25.4 >= 60


def test_qr_survives_a_sticker_over_part_of_it():
    record = board([steward(0)])
    image, layout = compose(record)
    x0, y0, x1, y1 = layout.box("qr").rect
    w = x1 - x0
    # A sticker over the middle: 9 % of the printed square, some 13 % of the symbol itself.
    lo, hi = w * 35 // 100, w * 65 // 100
    image.paste((250, 240, 60), (x0 + lo, y0 + lo, x0 + hi, y0 + hi))
    assert [r.text for r in decode(image)] == [record.url]


def test_qr_has_a_quiet_zone_of_four_modules():
    qr = layout.qr_image(f"{BASE}/b/ABCD2345", 780)
    px = qr.load()
    n = qr.width
    # Modules are whole pixels; find the module size from the top-left finder pattern.
    first_dark = next(i for i in range(n) if px[i, i] == 0)
    assert first_dark > 0 and first_dark % 4 == 0
    module = first_dark // 4
    assert n % module == 0
    assert all(px[x, y] == 255 for x in range(n) for y in range(first_dark))


# --- fonts ----------------------------------------------------------------------------------


def _gb2312_hanzi() -> str:
    chars = []
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.append(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return "".join(chars)


def test_the_font_covers_gb2312_and_rare_name_characters():
    hanzi = _gb2312_hanzi()
    assert len(hanzi) == 6763
    for weight in ("regular", "bold"):
        path, index = fonts.font_source(weight)
        assert Path(path).parent == fonts.FONT_DIR  # the shipped subset, not the system's
        cmap = TTFont(path, fontNumber=index).getBestCmap()
        missing = [ch for ch in hanzi + NAME_CHARS + "：；，。、（）·…—０１" if ord(ch) not in cmap]
        assert missing == []
        # The runtime check agrees with the cmap, and does see a character the font lacks.
        font = fonts.get_font(weight, 40)
        assert fonts.missing_glyphs(font, NAME_CHARS + hanzi[::50]) == []
        assert fonts.missing_glyphs(font, "한") == ["한"]


def test_a_board_with_rare_name_characters_has_no_tofu():
    names = [NAME_CHARS[i : i + 3] for i in range(0, 12, 3)]
    _, layout = compose(board([steward(i, name=n) for i, n in enumerate(names)]))
    assert layout.problems() == []
    _, bad = compose(board([steward(0, name="金한수")]))
    assert any("缺字" in p and "한" in p for p in bad.problems())


# --- from the database ----------------------------------------------------------------------


def _photo(app) -> media.Media:
    buf = io.BytesIO()
    Image.new("RGB", (600, 800), (20, 90, 200)).save(buf, "JPEG", quality=95)
    return media.save_image(buf.getvalue(), None)


def test_a_steward_photo_is_used_and_a_placeholder_otherwise(app):
    district = make_district(communities=1, alleys_per_community=2)
    with_photo = district.stewards[0]
    with_photo.photo = _photo(app)
    with_photo.save()
    first, second = print_data.collect(district.boards)
    assert first.stewards[0].photo_path == str(media.media_path(with_photo.photo))
    assert second.stewards[0].photo_path is None

    image, layout = compose(first)
    x0, y0, x1, y1 = layout.box("steward[0].photo").rect
    r, g, b = image.getpixel(((x0 + x1) // 2, (y0 + y1) // 2))
    assert abs(r - 20) < 12 and abs(g - 90) < 12 and abs(b - 200) < 12

    image, layout = compose(second)
    x0, y0, x1, y1 = layout.box("steward[0].photo").rect
    assert image.getpixel(((x0 + x1) // 2, (y0 + y1) // 2)) != (20, 90, 200)
    assert layout.problems() == []


def test_collect_reads_what_the_board_prints(app):
    district = make_district(communities=1, alleys_per_community=1)
    community = district.communities[0]
    community.phone = "0731-88886666"
    community.save()
    leader = Steward.create(name="李建国", phone=next_phone(), households=12, posts=["守护员"])
    StewardAlley.create(steward=leader, alley=district.alleys[0], is_leader=True)
    gone = Steward.create(name="离任者", phone=next_phone(), active=False)
    StewardAlley.create(steward=gone, alley=district.alleys[0])

    (data,) = print_data.collect(district.boards)
    row = district.boards[0]
    assert data.url == f"{BASE}/b/{row.code}" and data.version == row.version
    assert data.alley_name == district.alleys[0].name
    assert data.area_path == "示范街道 · 第1社区 · 第1网格"
    assert data.supervision_phone == "0731-88886666"
    assert [s.name for s in data.stewards] == ["李建国", district.stewards[0].name]  # leader first
    assert data.stewards[0].is_leader and data.stewards[0].posts == ("守护员",)
    image = layout.render_board(row, "A4")
    assert image.size == (2480, 3508)


def test_codes_are_random_not_sequential(app):
    district = make_district(communities=2, alleys_per_community=5)
    codes = [b.code for b in district.boards]
    assert len(set(codes)) == len(codes)
    assert all(len(c) == boards.BOARD_CODE_LENGTH for c in codes)
    # Neighbours share no long common prefix, as a counter's codes would.
    assert max(len(_common_prefix(a, b)) for a, b in zip(codes, codes[1:], strict=False)) < 5


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


# --- the CLI --------------------------------------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_cli_writes_one_png_per_board_and_a_pdf_with_one_page_each(app, runner, tmp_path, jobs):
    district = make_district(communities=2, alleys_per_community=2)
    retired = district.boards[-1]
    boards.retire_board(retired, label="test")
    out = tmp_path / "out"
    result = runner.invoke(
        boards_command,
        ["--area", str(district.street.id), "--out", str(out), "--pdf", "--jobs", jobs],
    )
    assert result.exit_code == 0, result.output
    active = [b for b in district.boards if b.id != retired.id]
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == sorted(f"{b.code}-v{b.version}.png" for b in active)
    (pdf_path,) = out.glob("boards-*.pdf")
    assert pdf_path.name.startswith(f"boards-{district.street.id}-")
    reader = pypdf.PdfReader(pdf_path)
    assert len(reader.pages) == len(active) == 3
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1  # A4 in points
    with Image.open(out / pngs[0]) as png:
        assert png.size == (2480, 3508)
        assert round(png.info["dpi"][0]) == 300
        assert [r.text for r in decode(png)][0].startswith(f"{BASE}/b/")
    # The PDF is vector (tests/core/boards/test_board_pdf.py): no images without photos, the
    # board's words as text.
    assert list(reader.pages[0].images) == []
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf_path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert active[0].alley.name in text
    assert "已生成 3 块公示牌" in result.output and "矢量 PDF，3 页" in result.output


def test_cli_a3_and_a_subtree(app, runner, tmp_path):
    district = make_district(communities=2, alleys_per_community=2)
    result = runner.invoke(
        boards_command,
        ["--area", str(district.grids[0].id), "--out", str(tmp_path), "--size", "A3"],
    )
    assert result.exit_code == 0, result.output
    pngs = list(tmp_path.glob("*.png"))
    assert len(pngs) == 2 and not list(tmp_path.glob("*.pdf"))  # no PDF without --pdf
    with Image.open(pngs[0]) as png:
        assert png.size == (3508, 4961)


def test_cli_unknown_area_is_an_error(app, runner, tmp_path):
    result = runner.invoke(boards_command, ["--area", "999", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "找不到区域 999" in result.output


def test_changed_since_selects_only_boards_whose_content_changed(app, runner, tmp_path):
    district = make_district(communities=2, alleys_per_community=2)
    last_week = utcnow() - timedelta(days=7)
    Board.update(updated_at=last_week).execute()
    before = {b.id: b.version for b in Board.select()}

    boards.bump_for_steward(district.stewards[0])  # e.g. a new phone number
    auth.dismiss_steward(district.stewards[3], label="test")  # a steward leaves

    changed = {b.id for b in Board.select() if b.version != before[b.id]}
    assert changed == {district.boards[0].id, district.boards[3].id}
    today = utcnow().date().isoformat()
    result = runner.invoke(
        boards_command,
        ["--area", str(district.street.id), "--out", str(tmp_path), "--changed-since", today],
    )
    assert result.exit_code == 0, result.output
    expected = {f"{b.code}-v{b.version}.png" for b in Board.select().where(Board.id.in_(changed))}
    assert {p.name for p in tmp_path.glob("*.png")} == expected
    assert all("-v2.png" in name for name in expected)

    result = runner.invoke(
        boards_command,
        [
            "--area",
            str(district.street.id),
            "--out",
            str(tmp_path / "none"),
            "--changed-since",
            (utcnow() + timedelta(days=2)).date().isoformat(),
        ],
    )
    assert result.exit_code == 0 and "没有需要打印的公示牌" in result.output


def test_retire_board_answers_410_with_the_community_phone(app, client, runner):
    district = make_district(communities=1, alleys_per_community=2)
    community = district.communities[0]
    community.phone = "0731-88886666"
    community.save()
    target = district.boards[0]
    assert client.get(f"/api/v1/boards/{target.code}").status_code == 200

    result = runner.invoke(retire_board_command, [target.code.lower()])
    assert result.exit_code == 0, result.output
    assert "已停用公示牌" in result.output

    res = client.get(f"/api/v1/boards/{target.code}")
    assert res.status_code == 410
    error = res.get_json()["error"]
    assert error["code"] == "board_retired"
    assert "已停用" in error["message"] and "0731-88886666" in error["message"]
    # The URL the QR itself carries (the web page outside WeChat) says the same, not a crash.
    page = client.get(f"/b/{target.code}")
    assert page.status_code == 410
    assert "已停用" in page.get_data(as_text=True)
    assert "0731-88886666" in page.get_data(as_text=True)
    row = Board.get_by_id(target.id)
    assert not row.active and row.retired_at is not None
    (event,) = Event.for_subject("board", target.id)
    assert event.action == "board.retire" and event.actor_label == "命令行"

    again = runner.invoke(retire_board_command, [target.code])
    assert again.exit_code == 0 and "早已停用" in again.output
    assert Event.for_subject("board", target.id).count() == 1

    replaced = runner.invoke(retire_board_command, [district.boards[1].code, "--replace"])
    assert replaced.exit_code == 0, replaced.output
    new = Board.get((Board.alley == district.alleys[1]) & Board.active)
    assert new.code in replaced.output and new.code != district.boards[1].code

    missing = runner.invoke(retire_board_command, ["ZZZZ9999"])
    assert missing.exit_code != 0 and "找不到" in missing.output


def test_render_pdf_from_images(tmp_path):
    images = [compose(board([steward(0)], code=c))[0] for c in ("AAAA2222", "BBBB3333")]
    path = tmp_path / "x.pdf"
    assert render.render_pdf(images, path) == 2
    assert len(pypdf.PdfReader(path).pages) == 2


@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_every_steward_phone_is_at_least_as_large_as_the_supervision_phone(count):
    _, layout = compose(board([steward(i) for i in range(count)]))
    supervision = layout.box("supervision.phone")
    for i in range(count):
        phone = layout.box(f"steward[{i}].phone")
        assert phone.font_px >= supervision.font_px
        ink_h = phone.ink[3] - phone.ink[1]
        assert ink_h >= supervision.ink[3] - supervision.ink[1]
    assert layout.problems() == []


def test_a_single_steward_is_printed_large():
    _, one = compose(board([steward(0)]))
    _, four = compose(board([steward(i) for i in range(4)]))

    def ink_h(layout, name):
        box = layout.box(name)
        return box.ink[3] - box.ink[1]

    # 1 mm is about 11.8 px at 300 dpi: the lone steward's phone is a centimetre tall.
    assert ink_h(one, "steward[0].phone") >= 10 * 11.8
    assert ink_h(one, "steward[0].phone") > 1.8 * ink_h(four, "steward[0].phone")
    assert one.box("steward[0].duties").font_px > four.box("steward[0].duties").font_px


def test_posts_the_duties_already_name_are_not_repeated():
    """The roster's 职责 usually starts with the post (信息员：收集社情民意…): the meta line then
    says only what the duties do not (households), never 岗位：信息员 over 职责：信息员…."""
    named = steward(1, posts=("信息员", "调解员"))  # the default duties name both posts
    _, layout = compose(board([named, steward(2, posts=("信息员", "守护员"))]))
    assert layout.box("steward[0].meta").text == "包联 46 户"
    assert layout.box("steward[1].meta").text == "岗位：守护员　包联 46 户"
    assert "信息员" in layout.box("steward[1].duties").text


def test_a_sample_is_watermarked_across_the_page_and_still_fits(app):
    plain, layout = compose(board([steward(0)]))
    sample, sample_layout = compose(board([steward(0)], watermark=print_data.SAMPLE_WATERMARK))
    assert sample_layout.problems() == [] and len(sample_layout.boxes) == len(layout.boxes)
    w, h = plain.size
    # along the diagonal (bottom left to top right) the red ink of the watermark, off it none
    on = [(int(w * f), int(h * (1 - f))) for f in (0.3, 0.4, 0.5, 0.6)]
    changed = [p for p in on if plain.getpixel(p) != sample.getpixel(p)]
    assert changed, "no watermark along the diagonal"
    assert plain.getpixel((int(w * 0.1), int(h * 0.1))) == sample.getpixel(
        (int(w * 0.1), int(h * 0.1))
    )
    # boards printed with a local base URL are samples; with the real one they are not
    district = make_district(communities=1, alleys_per_community=1)
    assert print_data.collect(district.boards)[0].watermark == ""
    local = print_data.collect(district.boards, base_url="http://127.0.0.1:5000")
    assert local[0].watermark == "样张 · 二维码不可用"
