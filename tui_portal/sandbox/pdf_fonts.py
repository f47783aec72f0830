"""Unicode text in the sandbox's hand-written invoice PDFs: TrueType fonts embedded per document.

Why by hand: the PDF needs only a few things from a font (which glyph draws a character, how wide it
is, and the glyph outlines it uses), and reading those from a TrueType file is a few table lookups.
A PDF library or fontTools would add a dependency and, for fontTools, 300+ ms of imports for that.

How: the fonts under `fonts/` (DejaVu Sans and its bold for Latin, Greek and Cyrillic; Droid Sans
Fallback for kana and kanji; cut down by `scripts/make_font_subsets.py`) are read once, when the
first PDF is rendered. Each document then embeds, per font it uses, a copy of the font program in
which every glyph it does not draw is empty: glyph ids stay those of the font, so the PDF's CIDs are
glyph ids (`/CIDToGIDMap /Identity`, `/Encoding /Identity-H`), and a `/ToUnicode` CMap maps them
back to the text, so copying and `pdftotext` give the characters that were written. Text is written
as hex strings of glyph ids, so no customer-supplied character can break the PDF's string syntax.

A character no bundled font has (Arabic, Thai, Hangul, a kanji outside JIS X 0208...) is printed as
"?" and extracts as "?": the document says plainly that something is missing rather than drawing an
empty box.
"""

from __future__ import annotations

import hashlib
import struct
import unicodedata
import zlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent / "fonts"
REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"
JAPANESE = "DroidSansFallback-JIS.ttf"
# The fonts tried, in order, for a character in regular or bold text. Droid has no bold: bold kanji
# are printed regular.
FALLBACKS = {False: (REGULAR, JAPANESE), True: (BOLD, REGULAR, JAPANESE)}
MISSING = "?"

# Composite glyph flags (TrueType 'glyf' table).
_ARGS_ARE_WORDS = 0x0001
_HAVE_SCALE = 0x0008
_MORE_COMPONENTS = 0x0020
_HAVE_X_AND_Y_SCALE = 0x0040
_HAVE_TWO_BY_TWO = 0x0080


class FontError(ValueError):
    """A bundled font file that is not the TrueType the PDF writer expects (a packaging error)."""


@dataclass(frozen=True)
class TrueTypeFont:
    """The parts of a TrueType font a PDF needs, read from its tables."""

    file_name: str
    postscript_name: str
    data: bytes
    tables: dict[bytes, tuple[int, int]]
    units_per_em: int
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int
    advances: tuple[int, ...]
    loca: tuple[int, ...]
    cmap: dict[int, int]

    def table(self, tag: bytes) -> bytes:
        offset, length = self.tables[tag]
        return self.data[offset:offset + length]

    def scaled(self, value: int) -> int:
        """Font units to the PDF's thousandths of an em."""
        return round(value * 1000 / self.units_per_em)

    def width(self, glyph: int) -> int:
        return self.scaled(self.advances[glyph])

    def glyph_data(self, glyph: int) -> bytes:
        glyf_offset = self.tables[b"glyf"][0]
        return self.data[glyf_offset + self.loca[glyph]:glyf_offset + self.loca[glyph + 1]]

    def components(self, glyph: int) -> list[int]:
        """The glyphs a composite glyph is built from (Droid builds many kanji from radicals)."""
        data = self.glyph_data(glyph)
        if len(data) < 10 or struct.unpack_from(">h", data, 0)[0] >= 0:
            return []
        found, position = [], 10
        while True:
            flags, component = struct.unpack_from(">HH", data, position)
            found.append(component)
            position += 4 + (4 if flags & _ARGS_ARE_WORDS else 2)
            if flags & _HAVE_SCALE:
                position += 2
            elif flags & _HAVE_X_AND_Y_SCALE:
                position += 4
            elif flags & _HAVE_TWO_BY_TWO:
                position += 8
            if not flags & _MORE_COMPONENTS:
                return found

    def program_with_only(self, glyphs: set[int]) -> bytes:
        """This font with every glyph outside `glyphs` (and their components) emptied; ids unchanged."""
        keep, pending = {0}, list(glyphs)
        while pending:
            glyph = pending.pop()
            if glyph not in keep:
                keep.add(glyph)
            pending.extend(component for component in self.components(glyph) if component not in keep)
        pieces, loca, offset, next_glyph = [], [], 0, 0
        for glyph in sorted(keep):
            loca.extend([offset] * (glyph - next_glyph))  # the empty glyphs before this one
            loca.append(offset)
            data = self.glyph_data(glyph)
            data += b"\0" * (-len(data) % 4)
            pieces.append(data)
            offset += len(data)
            next_glyph = glyph + 1
        loca.extend([offset] * (len(self.advances) + 1 - next_glyph))
        glyf = b"".join(pieces)
        head = bytearray(self.table(b"head"))
        struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment, recomputed below
        struct.pack_into(">h", head, 50, 1)  # long loca offsets
        tables = {
            b"head": bytes(head),
            b"hhea": self.table(b"hhea"),
            b"maxp": self.table(b"maxp"),
            b"hmtx": self.table(b"hmtx"),
            b"loca": struct.pack(f">{len(loca)}I", *loca),
            b"glyf": glyf,
        }
        for optional in (b"OS/2", b"name", b"post"):
            if optional in self.tables:
                tables[optional] = self.table(optional)
        return _font_file(tables)


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF


def _font_file(tables: dict[bytes, bytes]) -> bytes:
    """An sfnt file of `tables`, with the directory, checksums and head.checkSumAdjustment right."""
    count = len(tables)
    power = 1 << (count.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x00010000, count, power * 16, power.bit_length() - 1, count * 16 - power * 16)
    directory, body = bytearray(), bytearray()
    offset = 12 + 16 * count
    head_at = 0
    for tag in sorted(tables):
        data = tables[tag]
        if tag == b"head":
            head_at = offset + len(body)
        directory += struct.pack(">4sIII", tag, _checksum(data), offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(header + directory + body)
    struct.pack_into(">I", font, head_at + 8, (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)


def _read_cmap(data: bytes, offset: int) -> dict[int, int]:
    """Character -> glyph from the best Unicode subtable (format 12 if present, else format 4)."""
    count = struct.unpack_from(">H", data, offset + 2)[0]
    subtables = {}
    for index in range(count):
        platform, encoding, relative = struct.unpack_from(">HHI", data, offset + 4 + 8 * index)
        table_format = struct.unpack_from(">H", data, offset + relative)[0]
        if platform in (0, 3):
            subtables[table_format] = offset + relative
    mapping: dict[int, int] = {}
    if 12 in subtables:
        start = subtables[12]
        groups = struct.unpack_from(">I", data, start + 12)[0]
        for index in range(groups):
            first, last, glyph = struct.unpack_from(">III", data, start + 16 + 12 * index)
            for code in range(first, last + 1):
                mapping[code] = glyph + code - first
        return mapping
    if 4 not in subtables:
        raise FontError("no Unicode cmap")
    start = subtables[4]
    segments = struct.unpack_from(">H", data, start + 6)[0] // 2
    ends_at = start + 14
    starts_at = ends_at + 2 * segments + 2
    deltas_at = starts_at + 2 * segments
    ranges_at = deltas_at + 2 * segments
    for segment in range(segments):
        end = struct.unpack_from(">H", data, ends_at + 2 * segment)[0]
        first = struct.unpack_from(">H", data, starts_at + 2 * segment)[0]
        delta = struct.unpack_from(">h", data, deltas_at + 2 * segment)[0]
        range_offset = struct.unpack_from(">H", data, ranges_at + 2 * segment)[0]
        for code in range(first, end + 1):
            if code == 0xFFFF:
                continue
            if range_offset == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                at = ranges_at + 2 * segment + range_offset + 2 * (code - first)
                glyph = struct.unpack_from(">H", data, at)[0]
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                mapping[code] = glyph
    return mapping


@cache
def load_font(file_name: str) -> TrueTypeFont:
    """Read a bundled font once per process (about 15 ms for the Japanese one, 2 ms for DejaVu)."""
    return parse_font((FONT_DIR / file_name).read_bytes(), file_name)


def parse_font(data: bytes, file_name: str) -> TrueTypeFont:
    """The tables of a TrueType file; also reads back a font program embedded in a PDF (in tests)."""
    if data[:4] != b"\x00\x01\x00\x00":
        raise FontError(f"{file_name} is not a TrueType (glyf) font")
    count = struct.unpack_from(">H", data, 4)[0]
    tables = {}
    for index in range(count):
        tag, _checksum_value, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * index)
        tables[tag] = (offset, length)
    for required in (b"head", b"hhea", b"maxp", b"hmtx", b"loca", b"glyf"):
        if required not in tables:
            raise FontError(f"{file_name} has no {required.decode()} table")
    head = tables[b"head"][0]
    units_per_em = struct.unpack_from(">H", data, head + 18)[0]
    bbox = struct.unpack_from(">hhhh", data, head + 36)
    long_loca = struct.unpack_from(">h", data, head + 50)[0] == 1
    hhea = tables[b"hhea"][0]
    ascent, descent = struct.unpack_from(">hh", data, hhea + 4)
    metric_count = struct.unpack_from(">H", data, hhea + 34)[0]
    glyph_count = struct.unpack_from(">H", data, tables[b"maxp"][0] + 4)[0]
    hmtx = tables[b"hmtx"][0]
    advances = [struct.unpack_from(">H", data, hmtx + 4 * index)[0] for index in range(metric_count)]
    advances += [advances[-1]] * (glyph_count - metric_count)
    loca_at = tables[b"loca"][0]
    if long_loca:
        loca = struct.unpack_from(f">{glyph_count + 1}I", data, loca_at)
    else:
        loca = tuple(2 * value for value in struct.unpack_from(f">{glyph_count + 1}H", data, loca_at))
    cap_height = ascent
    if b"OS/2" in tables:
        os2, os2_length = tables[b"OS/2"]
        if struct.unpack_from(">H", data, os2)[0] >= 2 and os2_length >= 90:
            cap_height = struct.unpack_from(">h", data, os2 + 88)[0]
    return TrueTypeFont(
        file_name=file_name, postscript_name=file_name.removesuffix(".ttf").replace("-JIS", ""),
        data=data, tables=tables, units_per_em=units_per_em, bbox=tuple(bbox), ascent=ascent,
        descent=descent, cap_height=cap_height, advances=tuple(advances), loca=tuple(loca),
        cmap=_read_cmap(data, tables[b"cmap"][0]) if b"cmap" in tables else {},
    )


def printable(value: str) -> str:
    """Composed characters (so an accent typed as two code points is one glyph), no control characters."""
    composed = unicodedata.normalize("NFC", value)
    return "".join(character for character in composed if unicodedata.category(character) not in ("Cc", "Cf"))


@dataclass
class _UsedFont:
    font: TrueTypeFont
    resource: str  # /F1, /F2... in the page resources
    text: dict[int, str] = field(default_factory=dict)  # glyph -> the characters it stands for


@dataclass(frozen=True)
class Run:
    """A stretch of text drawn with one font: the resource name and the glyph ids as a hex string."""

    resource: str
    hex_glyphs: bytes


class DocumentFonts:
    """The fonts of one PDF: turns text into glyph runs and records each glyph used, to embed them."""

    def __init__(self) -> None:
        self._used: dict[str, _UsedFont] = {}
        self._glyphs: dict[tuple[str, bool], tuple[str, int]] = {}

    def _font(self, file_name: str) -> _UsedFont:
        if file_name not in self._used:
            self._used[file_name] = _UsedFont(load_font(file_name), f"F{len(self._used) + 1}")
        return self._used[file_name]

    def _glyph(self, character: str, bold: bool) -> tuple[str, int]:
        """The first font of the fallback chain that has `character`, and its glyph there."""
        found = self._glyphs.get((character, bold))
        if found is None:
            for file_name in FALLBACKS[bold]:
                glyph = load_font(file_name).cmap.get(ord(character))
                if glyph:
                    found = file_name, glyph
                    break
            else:
                found = FALLBACKS[bold][0], load_font(FALLBACKS[bold][0]).cmap[ord(MISSING)]
            self._glyphs[character, bold] = found
        return found

    def runs(self, value: str, *, bold: bool = False) -> list[Run]:
        runs: list[Run] = []
        current: _UsedFont | None = None
        glyphs: list[int] = []
        for character in printable(value):
            file_name, glyph = self._glyph(character, bold)
            used = self._font(file_name)
            if used.font.cmap.get(ord(character)) == glyph:
                used.text.setdefault(glyph, character)
            else:
                used.text.setdefault(glyph, MISSING)
            if current is not None and used is not current:
                runs.append(Run(current.resource, b"".join(b"%04X" % glyph for glyph in glyphs)))
                glyphs = []
            current = used
            glyphs.append(glyph)
        if current is not None and glyphs:
            runs.append(Run(current.resource, b"".join(b"%04X" % glyph for glyph in glyphs)))
        return runs

    def width(self, value: str, size: float, *, bold: bool = False) -> float:
        """The printed width of `value` in points, from the fonts' advance widths."""
        total = 0
        for character in printable(value):
            file_name, glyph = self._glyph(character, bold)
            total += load_font(file_name).width(glyph)
        return total * size / 1000

    def clip(self, value: str, limit: float, size: float, *, bold: bool = False, ellipsis: str = "\u2026") -> str:
        """`value`, cut to fit `limit` points with `ellipsis` at the end when it is wider (one pass, so a
        5,000-character description costs no more than printing it)."""
        text = printable(value)
        if self.width(text, size, bold=bold) <= limit:
            return text
        room = limit - self.width(ellipsis, size, bold=bold)
        used, kept = 0.0, 0
        for character in text:
            file_name, glyph = self._glyph(character, bold)
            used += load_font(file_name).width(glyph) * size / 1000
            if used > room:
                break
            kept += 1
        return text[:kept].rstrip() + ellipsis

    def objects(self, first_number: int) -> tuple[bytes, list[bytes]]:
        """The page `/Font` resource dictionary and the PDF objects of every font used, numbered from
        `first_number` (five objects per font: Type0, CIDFont, descriptor, font file, ToUnicode)."""
        entries: list[bytes] = []
        objects: list[bytes] = []
        for used in self._used.values():
            number = first_number + len(objects)
            entries.append(b"/%s %d 0 R" % (used.resource.encode(), number))
            objects.extend(_font_objects(used, number))
        return b"<< " + b" ".join(entries) + b" >>", objects


def _subset_tag(font: TrueTypeFont, glyphs: list[int]) -> bytes:
    """Six capitals naming this subset, as PDF requires for an embedded subset (ABCDEF+Name)."""
    digest = hashlib.sha256(font.file_name.encode() + b"".join(b"%d," % glyph for glyph in glyphs)).digest()
    return bytes(65 + byte % 26 for byte in digest[:6])


def _stream(dictionary: bytes, data: bytes) -> bytes:
    compressed = zlib.compress(data)
    return (b"<< " + dictionary + b" /Filter /FlateDecode /Length %d >>\nstream\n" % len(compressed)
            + compressed + b"\nendstream")


def _to_unicode(text: dict[int, str]) -> bytes:
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <FFFF>", b"endcodespacerange"]
    items = sorted(text.items())
    for start in range(0, len(items), 100):
        block = items[start:start + 100]
        lines.append(b"%d beginbfchar" % len(block))
        for glyph, characters in block:
            lines.append(b"<%04X> <%s>" % (glyph, characters.encode("utf-16-be").hex().upper().encode()))
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines) + b"\n"


def _font_objects(used: _UsedFont, number: int) -> list[bytes]:
    font = used.font
    glyphs = sorted(used.text)
    name = b"/" + _subset_tag(font, glyphs) + b"+" + font.postscript_name.encode()
    widths = b" ".join(b"%d [%d]" % (glyph, font.width(glyph)) for glyph in glyphs)
    program = font.program_with_only(set(glyphs))
    bbox = b" ".join(b"%d" % font.scaled(value) for value in font.bbox)
    return [
        b"<< /Type /Font /Subtype /Type0 /BaseFont %s /Encoding /Identity-H /DescendantFonts [%d 0 R] "
        b"/ToUnicode %d 0 R >>" % (name, number + 1, number + 4),
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont %s "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        b"/FontDescriptor %d 0 R /DW 1000 /W [%s] /CIDToGIDMap /Identity >>" % (name, number + 2, widths),
        b"<< /Type /FontDescriptor /FontName %s /Flags 4 /FontBBox [%s] /ItalicAngle 0 /Ascent %d "
        b"/Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>"
        % (name, bbox, font.scaled(font.ascent), font.scaled(font.descent), font.scaled(font.cap_height),
           number + 3),
        _stream(b"/Length1 %d" % len(program), program),
        _stream(b"", _to_unicode(used.text)),
    ]
