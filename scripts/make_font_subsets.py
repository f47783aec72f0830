"""Make the fonts the sandbox embeds in invoice PDFs (tui_portal/sandbox/fonts/), reproducibly.

Why: the sandbox writes PDFs by hand and embeds, per document, only the glyphs it uses; it needs
TrueType (glyf) fonts that together cover Latin, Greek, Cyrillic and Japanese, small enough to ship
in the wheel. DejaVu Sans (Bitstream Vera licence) covers the alphabets; Droid Sans Fallback
(Apache 2.0) covers kana and kanji. This script cuts them down to the characters invoices need and
drops what a PDF never uses (hinting, layout tables, glyph names). It runs at development time only;
fontTools is not a dependency of tui-portal.

    pip install fonttools
    apt-get download fonts-dejavu-core fonts-droid-fallback   # then dpkg-deb -x each into SOURCE
    python scripts/make_font_subsets.py SOURCE
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

TARGET = Path(__file__).resolve().parent.parent / "tui_portal" / "sandbox" / "fonts"

ALPHABETS = [
    (0x0020, 0x024F),  # Basic Latin, Latin-1, Latin Extended-A and -B
    (0x0300, 0x036F),  # combining diacritics
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x052F),  # Cyrillic and supplement
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese)
    (0x2000, 0x206F),  # general punctuation (dashes, quotes, narrow no-break space, ellipsis)
    (0x20A0, 0x20CF),  # currency symbols
    (0x2100, 0x214F),  # letterlike symbols (No., TM)
    (0x2190, 0x21FF),  # arrows
    (0x2212, 0x2212),  # minus sign
]


def jis_x_0208() -> set[int]:
    """Every character of JIS X 0208 (kana, 6,355 kanji, full-width forms), via the EUC-JP codec."""
    characters = set()
    for first in range(0xA1, 0xFF):
        for second in range(0xA1, 0xFF):
            try:
                decoded = bytes((first, second)).decode("euc_jp")
            except UnicodeDecodeError:
                continue
            characters.update(ord(character) for character in decoded)
    return characters


def japanese() -> set[int]:
    extra = set(range(0x3000, 0x3100)) | set(range(0x31F0, 0x3200)) | set(range(0xFF00, 0xFFF0))
    return jis_x_0208() | extra


def cut(source: Path, target: Path, unicodes: set[int]) -> None:
    options = subset.Options()
    options.hinting = False  # instructions, cvt, fpgm, prep: useless in a PDF scaled by the viewer
    options.layout_features = []  # the sandbox places glyphs itself: no GSUB/GPOS
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM", "gasp", "DSIG", "vhea", "vmtx", "MATH"]
    options.glyph_names = False
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep the copyright and licence records
    options.notdef_outline = True
    font = TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(unicodes & set(font.getBestCmap())))
    subsetter.subset(font)
    font.save(target)
    print(f"{target.name}: {len(font.getGlyphOrder())} glyphs, {target.stat().st_size:,} bytes")


def main(source_root: str) -> None:
    root = Path(source_root)
    alphabets = {code for first, last in ALPHABETS for code in range(first, last + 1)}
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        (found,) = root.rglob(name)
        cut(found, TARGET / name, alphabets)
    (droid,) = root.rglob("DroidSansFallbackFull.ttf")
    cut(droid, TARGET / "DroidSansFallback-JIS.ttf", japanese())


if __name__ == "__main__":
    main(sys.argv[1])
