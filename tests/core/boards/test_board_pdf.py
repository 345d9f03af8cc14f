"""The vector board PDF a print shop accepts (core/boards/vector.py), checked by rendering it
back: poppler's pdftoppm draws the page, the text boxes of the PNG layout are found with ink
in the same places, zxing-cpp decodes the QR from the rendered page, pdffonts and pdfimages
say the text is in an embedded font subset and photos are the only images; --bleed grows the
page by 10 mm a side with crop marks outside the trim."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pypdf
import pytest
import zxingcpp
from PIL import Image, ImageChops

from cli import boards_command
from core import media
from core.boards import vector
from core.boards.layout import PAGE_SIZES, compose
from core.boards.print_data import BoardData, StewardData
from models import Steward
from tests.factories import jpeg_bytes, make_district

URL = "https://xx.example.cn/b/ABCD2345"
RENDER_DPI = 100  # enough to find every box and decode the QR, quick to rasterise
SCALE = RENDER_DPI / 300


def board(stewards=2, **kw) -> BoardData:
    people = (
        StewardData(
            name="王秀英",
            phone="17000000101",
            posts=("信息员", "调解员"),
            duties="信息员：收集社情民意，发现问题及时上报；调解员：化解邻里纠纷",
            households=46,
            is_leader=True,
        ),
        StewardData(name="欧阳建国", phone="17000000102", posts=("劝导员",), duties="劝导乱停乱放"),
    )[:stewards]
    values = {
        "code": "ABCD2345",
        "version": 3,
        "url": URL,
        "alley_name": "豆腐坊巷",
        "area_path": "城关街道 · 槐树社区 · 第二网格",
        "community_name": "槐树社区",
        "supervision_phone": "0731-88886666",
        "stewards": people,
        "printed_on": "2026-12-07",
    }
    values.update(kw)
    return BoardData(**values)


def rendered(pdf: Path, tmp_path: Path, dpi: int = RENDER_DPI) -> Image.Image:
    """The PDF's first page drawn by poppler at `dpi`."""
    prefix = tmp_path / f"{pdf.stem}-{dpi}"
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-f",
            "1",
            "-l",
            "1",
            "-png",
            "-singlefile",
            str(pdf),
            str(prefix),
        ],
        check=True,
    )
    with Image.open(f"{prefix}.png") as image:
        return image.convert("RGB")


def ink(image: Image.Image, rect) -> tuple[int, int, int, int] | None:
    """The bounding box of whatever differs from the box's own background colour."""
    region = image.crop(rect)
    background = Image.new("RGB", region.size, region.getpixel((0, 0)))
    diff = (
        ImageChops.difference(region, background).convert("L").point(lambda v: 255 if v > 60 else 0)
    )
    return diff.getbbox()


def tool(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("size", ["A4", "A3"])
def test_every_text_box_of_the_png_has_its_ink_in_the_same_place_on_the_pdf(tmp_path, size):
    data = board()
    png, layout = compose(data, size)
    pdf = tmp_path / "b.pdf"
    assert vector.board_pdf([data], pdf, size) == 1
    page = rendered(pdf, tmp_path)
    w, h = PAGE_SIZES[size]
    assert abs(page.width - w * SCALE) <= 1 and abs(page.height - h * SCALE) <= 1
    small = png.resize(page.size, Image.LANCZOS)
    checked = 0
    for box in layout.boxes:
        if box.kind != "text" or box.ink is None:
            continue
        # the box, a little larger, in the rendered page's pixels
        x0, y0, x1, y1 = (round(v * SCALE) for v in box.rect)
        area = (max(x0 - 3, 0), max(y0 - 3, 0), x1 + 3, y1 + 3)
        want, got = ink(small, area), ink(page, area)
        assert got is not None, f"{box.name}: nothing drawn on the PDF page"
        # the same ink box within 0.5 mm (2 px at 100 dpi)
        assert all(abs(a - b) <= 2 for a, b in zip(want, got, strict=True)), (box.name, want, got)
        checked += 1
    assert checked >= 15


def test_the_qr_decodes_from_the_rendered_page(tmp_path):
    pdf = tmp_path / "b.pdf"
    vector.board_pdf([board()], pdf)
    page = rendered(pdf, tmp_path, dpi=150)
    results = [r for r in zxingcpp.read_barcodes(page.convert("L")) if r.valid]
    assert [r.text for r in results] == [URL]
    assert results[0].ec_level == "H"


def test_text_is_in_an_embedded_font_subset_and_photos_are_the_only_images(app, tmp_path):
    pdf = tmp_path / "b.pdf"
    vector.board_pdf([board()], pdf)
    fonts = tool("pdffonts", str(pdf)).splitlines()[2:]
    assert len(fonts) == 2  # regular and bold
    for line in fonts:
        name, *_, emb, sub, uni, _obj, _gen = line.split()
        assert "+NotoSansCJKSC" in name and (emb, sub, uni) == ("yes", "yes", "yes")
    assert tool("pdfimages", "-list", str(pdf)).splitlines()[2:] == []
    text = tool("pdftotext", str(pdf), "-")
    for words in (
        "小巷管家公示牌",
        "豆腐坊巷",
        "王秀英",
        "170 0000 0101",
        "欧阳建国",
        "微信扫一扫",
    ):
        assert words in text
    # with a steward's photo: that photo, once per steward, is the page's one image
    d = make_district(communities=1, alleys_per_community=1)
    steward = d.stewards[0]
    photo = media.save_image(jpeg_bytes("blue"), None)
    Steward.update(photo=photo).where(Steward.id == steward.id).execute()
    from core.boards import print_data

    (record,) = print_data.collect(d.boards)
    with_photo = tmp_path / "photo.pdf"
    vector.board_pdf([record, record], with_photo)
    images = tool("pdfimages", "-list", str(with_photo)).splitlines()[2:]
    assert len(images) == 2 and all(" jpeg " in line for line in images)
    reader = pypdf.PdfReader(with_photo)
    xobjects = [p["/Resources"]["/XObject"] for p in reader.pages]
    assert xobjects[0] == xobjects[1]  # the same image object on both pages: embedded once


def test_bleed_adds_three_millimetres_and_crop_marks(tmp_path):
    plain, bled = tmp_path / "plain.pdf", tmp_path / "bleed.pdf"
    vector.board_pdf([board()], plain)
    vector.board_pdf([board()], bled, bleed=True)
    (pw, ph), (bw, bh) = (
        tuple(float(v) for v in pypdf.PdfReader(f).pages[0].mediabox.upper_right)
        for f in (plain, bled)
    )
    mm = 72 / 25.4
    assert abs(bw - pw - 20 * mm) < 0.01 and abs(bh - ph - 20 * mm) < 0.01
    # at 127 dpi a millimetre is 5 px: the trim's corner falls on a whole pixel (10 mm in)
    page = rendered(bled, tmp_path, dpi=127)
    px, corner = 5, 50
    # a mark runs along the trim's top edge, left of the corner, 4 to 10 mm out
    mark = page.crop((1 * px, corner - 1, 5 * px, corner + 2))
    assert min(mark.convert("L").get_flattened_data()) < 128
    # nothing is drawn in the 3 mm bleed itself (the board's edge is white paper)
    bleed = page.crop((7 * px + 2, 7 * px + 2, corner - 1, corner - 1))
    assert min(bleed.convert("L").get_flattened_data()) > 200
    # the board is the plain page, moved 10 mm right and down
    inner = rendered(plain, tmp_path, dpi=127)
    moved = page.crop((corner, corner, corner + inner.width, corner + inner.height))
    differs = ImageChops.difference(moved, inner).convert("L").point(lambda v: 255 if v > 80 else 0)
    # (a glyph's antialiased edge may fall a pixel row differently: a few hundred pixels of
    # a million and a half, where a shifted or missing board would differ by tens of
    # thousands)
    assert differs.histogram()[255] < 500


def test_the_cli_writes_a_vector_pdf_with_bleed_and_refuses_bleed_without_pdf(
    app, runner, tmp_path
):
    d = make_district(communities=1, alleys_per_community=2)
    out = tmp_path / "out"
    args = ["--area", str(d.street.id), "--out", str(out)]
    refused = runner.invoke(boards_command, [*args, "--bleed"])
    assert refused.exit_code != 0 and "--bleed 只用于 PDF" in refused.output
    result = runner.invoke(boards_command, [*args, "--pdf", "--bleed", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "矢量 PDF，2 页，每块一页，含 3 毫米出血和裁切线" in result.output
    (pdf,) = out.glob("boards-*.pdf")
    width = float(pypdf.PdfReader(pdf).pages[0].mediabox.upper_right[0])
    assert abs(width - (595.2 + 20 * 72 / 25.4)) < 0.5
    assert len(list(out.glob("*.png"))) == 2  # PNG previews stay


def test_a_sample_pdf_carries_the_watermark(tmp_path):
    plain, sample = tmp_path / "a.pdf", tmp_path / "b.pdf"
    vector.board_pdf([board()], plain)
    vector.board_pdf([board(watermark="样张 · 二维码不可用")], sample)
    # set along the diagonal, its characters come out of the text one by one
    assert set("样张二维码不可用") <= set(tool("pdftotext", str(sample), "-"))
    assert "样" not in tool("pdftotext", str(plain), "-")
