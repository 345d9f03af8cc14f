"""The board's design: a 300-dpi page on A4 (2480×3508 px) or A3 (3508×4961 px), portrait,
laid out in millimetres of an A4 sheet and scaled, so A3 is the same board √2 larger (its QR
code too, which helps from further away). `compose()` turns one `BoardData` into an image plus
a `Layout` report; it touches neither the database nor Flask."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

import qrcode
from PIL import Image, ImageDraw, ImageOps

from core.boards.fonts import get_font
from core.boards.print_data import BoardData, StewardData, collect
from core.boards.typeset import INK, Box, Canvas, Layout, Rect, TextStyle
from core.people import phones

DPI = 300
PAGE_SIZES = {"A4": (2480, 3508), "A3": (3508, 4961)}  # 210×297 mm and 297×420 mm at 300 dpi
MAX_STEWARDS = 4
# By the QR code: what to do (most people scan with WeChat) and what it is for.
QR_CUE = "微信扫一扫"
QR_CAPTION = "反映问题 · 提交微心愿"
TITLE = "小巷管家公示牌"
MOTTO = "职责上墙 · 姓名上墙 · 电话上墙"


RED = (192, 22, 29)
DARK_RED = (150, 20, 26)
GOLD = (255, 226, 160)
GREY = (96, 96, 96)
LIGHT_GREY = (150, 150, 150)
TINT = (253, 241, 238)
CARD = (255, 250, 247)
LINE = (232, 196, 190)
WHITE = (255, 255, 255)
PLACEHOLDER = (226, 132, 124)

# Surnames of two characters: the placeholder shows the whole surname, not half of it.
COMPOUND_SURNAMES = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 "
    "端木 独孤 南宫 呼延 澹台 公冶 太史 申屠 闻人 万俟 赫连 第五"
).split()


# --- QR code --------------------------------------------------------------------------------

QR_BORDER = 4  # modules of quiet zone, as ISO/IEC 18004 asks


def qr_matrix(url: str) -> list[list[bool]]:
    """The QR code for `url`, level H (30 % of it may be lost to weather or a sticker), with a
    4-module quiet zone: rows of modules, True for dark."""
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_H, border=QR_BORDER, box_size=1
    )
    qr.add_data(url)
    qr.make(fit=True)
    return qr.get_matrix()


def qr_image(url: str, box_px: int, matrix: list[list[bool]] | None = None) -> Image.Image:
    """The QR code for `url` at a whole number of pixels per module, at most `box_px` square."""
    matrix = matrix or qr_matrix(url)
    n = len(matrix)
    raw = bytes(0 if dark else 255 for row in matrix for dark in row)
    module = max(1, box_px // n)
    return Image.frombytes("L", (n, n), raw).resize((n * module, n * module), Image.NEAREST)


# --- the board ------------------------------------------------------------------------------

# The page in design millimetres (A4, 210 × 297).
MARGIN = 12.0
HEADER = (5.0, 5.0, 205.0, 44.0)
ALLEY_NAME = (MARGIN, 50.0, 210 - MARGIN, 67.0)
AREA_PATH = (MARGIN, 69.0, 210 - MARGIN, 77.0)
SECTION = (MARGIN, 81.0, 210 - MARGIN, 88.0)
STEWARDS = (MARGIN, 90.0, 210 - MARGIN, 207.0)
FOOTER_TOP = 211.0
QR_BOX = (132.0, 211.0, 198.0, 277.0)  # 66 mm with its quiet zone: readable from 2 m
CUE = (130.0, 277.5, 200.0, 284.0)
CAPTION = (130.0, 284.2, 200.0, 290.0)
PANEL = (MARGIN, 211.0, 127.0, 287.0)

# Per number of stewards: heights (mm) of the name, phone and posts lines, the duties' largest
# font size, and whether name and phone share one line (short cards). A lone steward's card
# is the whole middle of the board: it is set large, to be read from across the alley.
CARD_SPECS = {
    1: {"name": 19.0, "phone": 15.0, "meta": 9.0, "duties": 7.5, "compact": False, "pad": 3.5},
    2: {"name": 12.0, "phone": 10.0, "meta": 6.5, "duties": 5.0, "compact": False, "pad": 2.5},
    3: {"name": 8.8, "phone": 8.8, "meta": 5.5, "duties": 4.2, "compact": True, "pad": 2.5},
    4: {"name": 7.6, "phone": 7.6, "meta": 5.0, "duties": 3.8, "compact": True, "pad": 2.0},
}
CARD_GAP = 2.5


@functools.lru_cache(maxsize=4)
def _background(size: str) -> tuple[Image.Image, tuple[Box, ...], tuple[tuple, ...]]:
    """The static artwork of a page size, its text boxes and its drawing (`Layout.ops`),
    drawn once per process and copied for every board."""
    image = Image.new("RGB", PAGE_SIZES[size], WHITE)
    c = Canvas(image, size, record=True)
    d = c.draw
    d.rectangle(c.rect(3, 3, 207, 294), outline=RED, width=c.px(1.2))
    d.rectangle(c.rect(5, 5, 205, 292), outline=GOLD, width=max(1, c.px(0.4)))
    d.rectangle(c.rect(*HEADER), fill=RED)
    # A lattice band under the title, like the window grilles of old alleys.
    y0, y1 = c.px(41.0), c.px(44.0)
    step = c.px(4.0)
    for x in range(c.px(5.0), c.px(205.0), step):
        d.rectangle((x + step // 4, y0, x + step * 3 // 4, y1 - 1), fill=DARK_RED)
    for corner_x, corner_y, sx, sy in (
        (8, 8, 1, 1),
        (202, 8, -1, 1),
        (8, 38, 1, -1),
        (202, 38, -1, -1),
    ):
        _corner(c, corner_x, corner_y, sx, sy)
    c.text(
        "title", TITLE, c.rect(16, 9, 194, 31), TextStyle("bold", 17, 10, WHITE, "center", "middle")
    )
    c.text("motto", MOTTO, c.rect(16, 31.5, 194, 39), TextStyle("regular", 5, 3, GOLD, "center"))
    d.rectangle(c.rect(MARGIN, 82.2, MARGIN + 1.2, 87.2), fill=RED)
    c.text(
        "section",
        "本巷管家",
        c.rect(MARGIN + 3, 81, 46, 88.5),
        TextStyle("bold", 5.2, 4, RED, "left", "middle"),
    )
    d.line(c.rect(48, 84.7, 210 - MARGIN, 84.7), fill=LINE, width=max(1, c.px(0.35)))
    d.rounded_rectangle(c.rect(*PANEL), radius=c.px(3), fill=TINT)
    d.line(c.rect(MARGIN, FOOTER_TOP - 2.5, 210 - MARGIN, FOOTER_TOP - 2.5), fill=LINE, width=2)
    return image, tuple(c.layout.boxes), tuple(c.layout.ops)


def _corner(c: Canvas, x: float, y: float, sx: int, sy: int) -> None:
    """A small 回-pattern corner ornament in gold."""
    length, t = 5.0, 0.6
    for inset in (0.0, 1.6):
        ax, ay = x + sx * inset, y + sy * inset
        c.draw.line(
            [
                (c.px(ax), c.px(ay + sy * (length - inset))),
                (c.px(ax), c.px(ay)),
                (c.px(ax + sx * (length - inset)), c.px(ay)),
            ],
            fill=GOLD,
            width=max(1, c.px(t)),
        )


def compose(
    data: BoardData, size: str = "A4", record: bool = False, pixels: bool = True
) -> tuple[Image.Image, Layout]:
    """Draw one board; the image (300 dpi) and the layout report of what went where. With
    `record`, also every drawing operation in `layout.ops`, for the vector PDF; without
    `pixels` only that record is made (the image is a 1×1 stand-in: several times faster)."""
    if size not in PAGE_SIZES:
        raise ValueError(f"unknown page size {size!r}")
    background, static_boxes, static_ops = _background(size)
    page = PAGE_SIZES[size]
    image = background.copy() if pixels else Image.new("RGB", (1, 1), WHITE)
    image.info["dpi"] = (DPI, DPI)
    record = record or not pixels
    layout = Layout(size, page, ops=list(static_ops) if record else None)
    c = Canvas(image, size, layout, record, page)
    # The static texts are drawn on the cached background; their boxes still count.
    c.layout.boxes.extend(dataclasses.replace(b) for b in static_boxes)

    c.text(
        "alley", data.alley_name, c.rect(*ALLEY_NAME), TextStyle("bold", 14, 5, DARK_RED, "center")
    )
    c.text(
        "area_path",
        data.area_path,
        c.rect(*AREA_PATH),
        TextStyle("regular", 5.5, 3, GREY, "center", max_lines=1),
    )
    _stewards(c, data.stewards)
    _footer(c, data)
    if data.watermark:
        if c.pixels:
            _watermark(image, data.watermark)
        c.note(("watermark", data.watermark))
    return image, c.layout


WATERMARK_INK = (200, 30, 30, 110)  # red, see-through: the board stays readable under it


@functools.lru_cache(maxsize=4)
def _watermark_layer(text: str, page: tuple[int, int]) -> Image.Image:
    """The watermark of a page size: `text` large, along the page's diagonal, on a
    transparent layer (drawn once per process)."""
    w, h = page
    diagonal = int(math.hypot(w, h))
    font = get_font("bold", int(w * 0.085))
    strip = Image.new("RGBA", (diagonal, int(w * 0.16)), (0, 0, 0, 0))
    ImageDraw.Draw(strip).text(
        (diagonal // 2, strip.height // 2), text, font=font, fill=WATERMARK_INK, anchor="mm"
    )
    rotated = strip.rotate(math.degrees(math.atan2(h, w)), expand=True, resample=Image.BICUBIC)
    layer = Image.new("RGBA", page, (0, 0, 0, 0))
    layer.paste(rotated, ((w - rotated.width) // 2, (h - rotated.height) // 2))
    return layer


def _watermark(image: Image.Image, text: str) -> None:
    """Print `text` across the board (not a layout box: it is meant to cover everything)."""
    layer = _watermark_layer(text, image.size)
    image.paste(layer.convert("RGB"), (0, 0), layer)


def _stewards(c: Canvas, stewards: Sequence[StewardData]) -> None:
    x0, y0, x1, y1 = STEWARDS
    if not stewards:
        c.text(
            "stewards.none",
            "本巷管家正在选聘中，有事请联系社区",
            c.rect(x0, y0 + 20, x1, y0 + 40),
            TextStyle("regular", 7, 4, GREY, "center", "middle"),
        )
        return
    if len(stewards) > MAX_STEWARDS:
        c.layout.notes.append(
            f"本巷有 {len(stewards)} 位管家，公示牌只能放 {MAX_STEWARDS} 位，"
            f"未印：{'、'.join(s.name for s in stewards[MAX_STEWARDS:])}"
        )
        stewards = stewards[:MAX_STEWARDS]
    n = len(stewards)
    card_h = (y1 - y0 - CARD_GAP * (n - 1)) / n
    for i, steward in enumerate(stewards):
        top = y0 + i * (card_h + CARD_GAP)
        _card(c, f"steward[{i}]", steward, (x0, top, x1, top + card_h), CARD_SPECS[n])


def _card(c: Canvas, name: str, s: StewardData, rect, spec: dict) -> None:
    x0, y0, x1, y1 = rect
    c.draw.rounded_rectangle(c.rect(x0, y0, x1, y1), radius=c.px(2.5), fill=CARD, outline=LINE)
    pad = spec["pad"]
    photo_h = min(y1 - y0 - 2 * pad, 80.0)
    photo_w = photo_h * 0.75
    py = y0 + (y1 - y0 - photo_h) / 2
    photo_rect = c.rect(x0 + pad, py, x0 + pad + photo_w, py + photo_h)
    _photo(c, f"{name}.photo", s, photo_rect)

    tx0, tx1 = x0 + pad + photo_w + 4.0, x1 - pad
    y = y0 + pad
    meta = _meta_text(s)
    duties = ("职责：" + s.duties.strip()) if s.duties.strip() else ""
    if spec["compact"]:
        # Short cards: name, posts and phone share the first line, so the duties get the rest.
        line = (y, y + spec["name"])
        phone = c.text(
            f"{name}.phone",
            _phone_text(s.phone),
            c.rect(tx0 + (tx1 - tx0) * 0.6, line[0], tx1, line[1]),
            TextStyle("bold", spec["name"] * 0.78, 2.4, RED, "right", "middle", 1),
        )
        _shrink_to_ink(phone)
        right = _name(c, name, s, (tx0, line[0], tx0 + (tx1 - tx0) * 0.42, line[1]), spec)
        meta_rect = (right + c.px(3.0), c.px(line[0]), phone.rect[0] - c.px(3.0), c.px(line[1]))
        if meta and meta_rect[2] - meta_rect[0] >= c.px(30.0):
            meta_style = TextStyle("regular", spec["meta"] * 0.75, 2.2, GREY, "left", "middle", 1)
            c.text(f"{name}.meta", meta, meta_rect, meta_style)
        elif meta:
            duties = f"{meta}\n{duties}" if duties else meta
        y += spec["name"] + 0.8
    else:
        _name(c, name, s, (tx0, y, tx1, y + spec["name"]), spec)
        y += spec["name"] + 0.8
        c.text(
            f"{name}.phone",
            _phone_text(s.phone),
            c.rect(tx0, y, tx1, y + spec["phone"]),
            TextStyle("bold", spec["phone"] * 0.8, 3, RED, "left", "middle", 1),
        )
        y += spec["phone"] + 0.8
        if meta:
            c.text(
                f"{name}.meta",
                meta,
                c.rect(tx0, y, tx1, y + spec["meta"]),
                TextStyle("regular", spec["meta"] * 0.75, 2.2, GREY, "left", "middle", 1),
            )
            y += spec["meta"] + 0.6
    if duties:
        c.text(
            f"{name}.duties",
            duties,
            c.rect(tx0, y, tx1, y1 - pad),
            TextStyle("regular", spec["duties"], 2.2, INK, spacing=1.3),
        )


def _shrink_to_ink(box: Box) -> None:
    """Let a one-line box claim only the width its text took, freeing the rest of the line."""
    if box.ink:
        x0, y0, x1, y1 = box.rect
        box.rect = (max(x0, box.ink[0] - 1), y0, min(x1, box.ink[2] + 1), y1)


def _name(c: Canvas, name: str, s: StewardData, rect, spec: dict) -> int:
    """Draw the name (and the 队长 badge); the pixel x where what was drawn ends."""
    x0, y0, x1, y1 = rect
    badge_w = spec["name"] * 1.6 if s.is_leader else 0.0
    style = TextStyle("bold", spec["name"] * 0.8, 2.5, INK, "left", "middle", 1)
    box = c.text(f"{name}.name", s.name, c.rect(x0, y0, x1 - badge_w, y1), style)
    _shrink_to_ink(box)
    right = box.rect[2]
    if s.is_leader:
        # The badge sits right after the name as drawn, not at the end of the box.
        bw, bh = c.px(badge_w - 1.5), c.px(min(spec["name"] * 0.62, 6.0))
        bx = right + c.px(1.5)
        by = (box.rect[1] + box.rect[3] - bh) // 2
        rect_px = (bx, by, bx + bw, by + bh)
        c.draw.rounded_rectangle(rect_px, radius=bh // 4, fill=RED)
        c.text(
            f"{name}.leader",
            "队长",
            rect_px,
            TextStyle("bold", spec["name"] * 0.42, 1.5, WHITE, "center", "middle", 1),
        )
        c.layout.box(f"{name}.leader").kind = "badge"
        right = bx + bw
    return right


def _phone_text(phone: str) -> str:
    return f"电话 {phones.display(phone)}"


def _meta_text(s: StewardData) -> str:
    """岗位 and 包联户数 in one line. A post the duties already name (the roster's 职责
    "信息员：收集社情民意…" for the post 信息员) is not said twice on the board."""
    parts = []
    posts = [p for p in s.posts if p and p not in s.duties]
    if posts:
        parts.append("岗位：" + "、".join(posts))
    if s.households:
        parts.append(f"包联 {s.households} 户")
    return "　".join(parts)


def surname(name: str) -> str:
    name = name.strip()
    if name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1] or "管"


def _photo(c: Canvas, name: str, s: StewardData, rect: Rect) -> None:
    c.place(name, "photo", rect)
    x0, y0, x1, y1 = rect
    w, h = x1 - x0, y1 - y0
    if s.photo_path and not c.pixels:  # the vector page loads it: a missing file is skipped
        photo = _load_photo(s.photo_path, (1, 1))
    else:
        photo = _load_photo(s.photo_path, (w, h)) if s.photo_path else None
    if photo is not None:
        if c.pixels:
            c.image.paste(photo, (x0, y0))
        c.note(("photo", s.photo_path, (x0, y0, x1, y1)))
        c.draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=LINE, width=max(1, c.px(0.3)))
        return
    # A placeholder: the surname in a circle, so the board does not look unfinished.
    c.draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=TINT, outline=LINE, width=max(1, c.px(0.3)))
    r = int(min(w, h) * 0.36)
    cx, cy = x0 + w // 2, y0 + int(h * 0.45)
    c.draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=PLACEHOLDER)
    initial = surname(s.name)
    font = get_font("bold", max(1, int(r * (1.0 if len(initial) == 1 else 0.62))))
    c.draw.text((cx, cy), initial, font=font, fill=WHITE, anchor="mm")
    label_font = get_font("regular", max(1, int(h * 0.075)))
    c.draw.text((cx, cy + r + int(h * 0.1)), "管家", font=label_font, fill=GREY, anchor="mm")


def _load_photo(path: str, size: tuple[int, int]) -> Image.Image | None:
    try:
        with Image.open(path) as img:
            img.draft("RGB", size)  # JPEG: decode at a reduced scale when far too big
            img = ImageOps.exif_transpose(img).convert("RGB")
            # Faces sit in the upper part of a portrait: crop towards the top.
            return ImageOps.fit(img, size, Image.LANCZOS, centering=(0.5, 0.35))
    except (OSError, ValueError):
        return None  # a missing or broken file must not stop a print run of a thousand


SUPERVISION_PHONE_MAX_MM = 13.0


def _footer(c: Canvas, data: BoardData) -> None:
    x0, y0, x1, y1 = PANEL
    ix0, ix1 = x0 + 6, x1 - 6
    c.text(
        "supervision.label",
        "社区监督电话",
        c.rect(ix0, y0 + 5, ix1, y0 + 13),
        TextStyle("bold", 6, 4, INK, max_lines=1),
    )
    # Residents should call their steward first: the community's number is never printed
    # larger than the smallest steward phone on the board.
    steward_px = [
        b.font_px
        for b in c.layout.boxes
        if b.name.endswith(".phone") and b.name != "supervision.phone"
    ]
    largest = SUPERVISION_PHONE_MAX_MM
    if steward_px:
        largest = min(largest, min(steward_px) / c.scale)
    c.text(
        "supervision.phone",
        phones.display(data.supervision_phone) or "请联系所在社区",
        c.rect(ix0, y0 + 14, ix1, y0 + 30),
        TextStyle("bold", largest, min(5, largest), RED, "left", "middle", 1),
    )
    c.text(
        "community",
        data.community_name,
        c.rect(ix0, y0 + 31, ix1, y0 + 38),
        TextStyle("regular", 5, 3, GREY, max_lines=1),
    )
    c.text(
        "help",
        "小事找管家，难事找社区。发现问题、需要帮助，请拨打管家电话，或扫描右侧二维码。",
        c.rect(ix0, y0 + 41, ix1, y0 + 60),
        TextStyle("regular", 4.6, 3, INK, spacing=1.45),
    )
    c.text(
        "code",
        f"编号 {data.code} · 第 {data.version} 版"
        + (f" · {data.printed_on}" if data.printed_on else ""),
        c.rect(ix0, y1 - 11, ix1, y1 - 4),
        TextStyle("regular", 3.6, 2.4, LIGHT_GREY, max_lines=1),
    )
    qx0, qy0, qx1, qy1 = c.rect(*QR_BOX)
    matrix = qr_matrix(data.url)
    qr = qr_image(data.url, qx1 - qx0, matrix)
    ox = qx0 + (qx1 - qx0 - qr.width) // 2
    oy = qy0 + (qy1 - qy0 - qr.height) // 2
    if c.pixels:
        c.image.paste(qr, (ox, oy))
    # the modules, not the pixels: the vector page draws each dark module as a filled square
    rows = tuple("".join("1" if dark else "0" for dark in row) for row in matrix)
    c.note(("qr", ox, oy, qr.width // len(matrix), rows))
    c.place("qr", "qr", (ox, oy, ox + qr.width, oy + qr.height))
    c.text("qr.cue", QR_CUE, c.rect(*CUE), TextStyle("bold", 6.0, 3, RED, "center", max_lines=1))
    c.text(
        "qr.caption",
        QR_CAPTION,
        c.rect(*CAPTION),
        TextStyle("regular", 4.8, 3, INK, "center", max_lines=1),
    )


def render_board(board, size: str = "A4") -> Image.Image:
    """The board image (PIL, RGB, 300 dpi) of a `Board` row; needs an app context."""
    (data,) = collect([board])
    return compose(data, size)[0]
