"""Rebuild the shipped CJK font subsets (a build-time tool; fontTools is a dev dependency).

    apt-get install fonts-noto-cjk unicode-data
    .venv/bin/python assets/fonts/build_subset.py

Takes the Simplified Chinese face of Debian's Noto Sans CJK (SIL OFL 1.1) and keeps only:

* every character of GB 2312 (6,763 hanzi plus its punctuation, full-width forms, digits
  in circles, Greek, Cyrillic, kana …);
* every character of the 通用规范汉字表 (2013, 8,105 hanzi: its level 3 exists for personal
  and place names), read from the Unihan kTGH field that Debian's unicode-data ships;
* ASCII, Latin-1, general punctuation and the CJK symbol and full-width blocks.

Layout features other than the defaults, hinting and the other scripts' glyphs are dropped,
which brings each weight from about 19 MB (the collection) to a few MB.
"""

from __future__ import annotations

import bz2
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE_DIR = Path("/usr/share/fonts/opentype/noto")
UNIHAN = Path("/usr/share/unicode/Unihan_OtherMappings.txt.bz2")
HERE = Path(__file__).resolve().parent
WEIGHTS = ("Regular", "Bold")
FAMILY = "Noto Sans CJK SC"
RANGES = (
    (0x20, 0x7E),  # ASCII
    (0xA0, 0xFF),  # Latin-1
    (0x2000, 0x206F),  # general punctuation
    (0x2100, 0x214F),  # letter-like symbols (№, ℃)
    (0x2160, 0x217F),  # Roman numerals
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed alphanumerics
    (0x25A0, 0x25FF),  # geometric shapes
    (0x2600, 0x26FF),  # misc symbols (☎)
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # half- and full-width forms
)


def gb2312() -> set[str]:
    chars = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def tongyong_guifan() -> set[str]:
    chars = set()
    with bz2.open(UNIHAN, "rt", encoding="utf-8") as fh:
        for line in fh:
            if "\tkTGH\t" in line:
                chars.add(chr(int(line.split("\t", 1)[0][2:], 16)))
    return chars


def wanted() -> set[int]:
    codepoints = {ord(c) for c in gb2312() | tongyong_guifan()}
    for low, high in RANGES:
        codepoints.update(range(low, high + 1))
    return codepoints


def build(weight: str, codepoints: set[int]) -> Path:
    collection = TTCollection(str(SOURCE_DIR / f"NotoSansCJK-{weight}.ttc"))
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == FAMILY)
    options = subset.Options()
    options.hinting = False
    options.desubroutinize = False
    options.name_IDs = ["*"]  # keep the copyright and licence records
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    out = HERE / f"NotoSansCJKsc-{weight}-subset.otf"
    font.save(str(out))
    return out


def main() -> int:
    codepoints = wanted()
    for weight in WEIGHTS:
        out = build(weight, codepoints)
        print(f"{out.name}: {out.stat().st_size / 1e6:.1f} MB, {len(codepoints)} code points asked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
