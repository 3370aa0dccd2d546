"""The bundled fonts: which face sets which text, and the CSS that loads them.

Every glyph in our PDFs comes from fonts/ (subsets of Google's Noto fonts made by
scripts/build_fonts.py, see fonts/README.md), never from whatever the machine has
installed, so a build is the same everywhere. This module is the one table of
those faces; the CSS `@font-face` rules (CSS Fonts Module Level 4, section 4) and the
coverage gate (renderer.prepare.coverage) are derived from it.

Chinese text is set in a Song/Ming serif (body) and a Hei sans (headings), English
in a Latin serif/sans pair (W3C "Requirements for Chinese Text Layout", clreq,
section 2.1 on typefaces). The families carry our own names ("Press Serif SC" ...)
so an installed Noto CJK can never be picked instead of the subset.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from renderer.assets import FONTS

FONTS_DIR = FONTS

NOTO_CJK_DIR = "/usr/share/fonts/opentype/noto"
NOTO_CORE_DIR = "/usr/share/fonts/truetype/noto"
SC_FACE_INDEX = 2  # in Noto's .ttc collections: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK


@dataclass(frozen=True)
class Face:
    family: str  # CSS font-family, equal to the font's own name ID 1
    weight: int  # CSS font-weight
    style: str  # CSS font-style: "normal" or "italic"
    file: str  # file name inside fonts/
    language: str  # "en" or "zh": the text this face is made for
    role: str  # "body" or "heading"
    source: str  # the Debian-installed font it is subset from
    source_index: int  # face number inside `source` when it is a collection
    source_name: str  # upstream full name, for the README and error messages

    @property
    def path(self) -> Path:
        return FONTS_DIR / self.file

    @property
    def postscript_name(self) -> str:
        return Path(self.file).stem

    @property
    def subfamily(self) -> str:
        """The RIBBI style name (OpenType name ID 2)."""
        bold = self.weight >= 600
        italic = self.style == "italic"
        return {(False, False): "Regular", (True, False): "Bold",
                (False, True): "Italic", (True, True): "Bold Italic"}[(bold, italic)]


def _cjk(family: str, weight: int, file: str, role: str, source: str, name: str) -> Face:
    return Face(family, weight, "normal", file, "zh", role,
                f"{NOTO_CJK_DIR}/{source}", SC_FACE_INDEX, name)


def _latin(family: str, weight: int, style: str, file: str, role: str, source: str,
           name: str) -> Face:
    return Face(family, weight, style, file, "en", role, f"{NOTO_CORE_DIR}/{source}", 0, name)


FACES: tuple[Face, ...] = (
    _cjk("Press Serif SC", 400, "PressSerifSC-Regular.otf", "body",
         "NotoSerifCJK-Regular.ttc", "Noto Serif CJK SC Regular"),
    _cjk("Press Serif SC", 700, "PressSerifSC-Bold.otf", "body",
         "NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC Bold"),
    _cjk("Press Sans SC", 400, "PressSansSC-Regular.otf", "heading",
         "NotoSansCJK-Regular.ttc", "Noto Sans CJK SC Regular"),
    _cjk("Press Sans SC", 700, "PressSansSC-Bold.otf", "heading",
         "NotoSansCJK-Bold.ttc", "Noto Sans CJK SC Bold"),
    _latin("Press Serif", 400, "normal", "PressSerif-Regular.ttf", "body",
           "NotoSerif-Regular.ttf", "Noto Serif Regular"),
    _latin("Press Serif", 400, "italic", "PressSerif-Italic.ttf", "body",
           "NotoSerif-Italic.ttf", "Noto Serif Italic"),
    _latin("Press Serif", 700, "normal", "PressSerif-Bold.ttf", "body",
           "NotoSerif-Bold.ttf", "Noto Serif Bold"),
    _latin("Press Sans", 400, "normal", "PressSans-Regular.ttf", "heading",
           "NotoSans-Regular.ttf", "Noto Sans Regular"),
    _latin("Press Sans", 700, "normal", "PressSans-Bold.ttf", "heading",
           "NotoSans-Bold.ttf", "Noto Sans Bold"),
)

# The CSS font-family values the stylesheets use (styles/base.css). English
# falls back to the Chinese family only for Chinese characters quoted in English
# text (the coverage gate refuses anything else there, so an apostrophe is never
# a full-width CJK glyph); Chinese text is set entirely by the Chinese family,
# whose subset has ASCII and Latin-1 for the Latin words and digits inside it.
FONT_STACKS: dict[tuple[str, str], str] = {
    ("en", "body"): '"Press Serif", "Press Serif SC"',
    ("en", "heading"): '"Press Sans", "Press Sans SC"',
    ("zh", "body"): '"Press Serif SC"',
    ("zh", "heading"): '"Press Sans SC"',
}

_FORMATS = {".otf": "opentype", ".ttf": "truetype"}


def font_face_css(base_url: str) -> str:
    """The `@font-face` rules for every bundled face, files under `base_url`.

    `base_url` ends with "/" (e.g. "../fonts/" from styles/, or a file:// URL).
    """
    return "\n".join(_font_face_rule(face, f"{base_url}{face.file}") for face in FACES)


def _font_face_rule(face: Face, url: str, unicode_range: str | None = None,
                    family: str | None = None) -> str:
    fmt = _FORMATS[Path(face.file).suffix]
    return (
        "@font-face {\n"
        f'  font-family: "{family or face.family}";\n'
        f'  src: url("{url}") format("{fmt}");\n'
        f"  font-weight: {face.weight};\n"
        f"  font-style: {face.style};\n"
        + (f"  unicode-range: {unicode_range};\n" if unicode_range else "")
        + "}\n"
    )


def faces_for(key: str) -> tuple[Face, ...]:
    """Faces selected by a language ("en", "zh"), a role ("zh-body",
    "en-heading"), a family name ("Press Serif SC") or a file name."""
    selected = tuple(
        face for face in FACES
        if key in (face.language, f"{face.language}-{face.role}", face.family, face.file)
    )
    if not selected:
        raise KeyError(f"no bundled face matches {key!r}")
    return selected


@functools.cache
def _face_cmap(face: Face) -> frozenset[int]:
    data = face.path.read_bytes()
    covered = _format4_cmap(data)
    if covered is not None:
        return covered
    from fontTools.ttLib import TTFont

    with TTFont(face.path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def _format4_cmap(data: bytes) -> frozenset[int] | None:
    """The code points a font's Windows Unicode BMP cmap (3, 1, format 4) maps to a glyph.

    Read directly (OpenType spec, "cmap" table), because fontTools maps every code point
    to a glyph *name*, and for our Chinese fonts that means parsing the whole CFF
    charset first: a tenth of a second on every build, for a yes or a no per character.
    None when the font has no such subtable (fontTools then reads it)."""
    import struct

    tables = {data[12 + 16 * i: 16 + 16 * i]: struct.unpack_from(">I", data, 20 + 16 * i)[0]
              for i in range(struct.unpack_from(">H", data, 4)[0])}
    cmap = tables.get(b"cmap")
    if cmap is None:
        return None
    table = None
    supplementary: list[int] = []
    for i in range(struct.unpack_from(">H", data, cmap + 2)[0]):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
        at = cmap + offset
        kind = struct.unpack_from(">H", data, at)[0]
        if (platform, encoding) == (3, 1) and kind == 4:
            table = at
        elif (platform, encoding) == (3, 10) and kind == 12:
            # The full-repertoire subtable: only its characters beyond the BMP are read
            # here (CJK Extension B and later: 196 of the general standard list).
            for group in range(struct.unpack_from(">I", data, at + 12)[0]):
                start, end, _glyph = struct.unpack_from(">III", data, at + 16 + 12 * group)
                supplementary.extend(range(max(start, 0x10000), end + 1))
    if table is None:
        return None
    segments = struct.unpack_from(">H", data, table + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", data, table + 14)
    starts = struct.unpack_from(f">{segments}H", data, table + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", data, table + 16 + 4 * segments)
    range_offsets_at = table + 16 + 6 * segments
    covered = []
    for index, (start, end, delta) in enumerate(zip(starts, ends, deltas)):
        range_offset = struct.unpack_from(">H", data, range_offsets_at + 2 * index)[0]
        for code in range(start, min(end, 0xFFFE) + 1):
            if range_offset:
                at = range_offsets_at + 2 * index + range_offset + 2 * (code - start)
                glyph = struct.unpack_from(">H", data, at)[0]
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            else:
                glyph = (code + delta) & 0xFFFF
            if glyph:
                covered.append(code)
    return frozenset(covered + supplementary)


@functools.cache
def cmap_for(key: str) -> frozenset[int]:
    """Code points every face selected by `key` (see `faces_for`) can draw.

    The intersection, not the union: a character must not change font when
    the text around it turns bold or becomes a heading.
    """
    cmaps = [_face_cmap(face) for face in faces_for(key)]
    return frozenset.intersection(*cmaps)


def source_has(codepoint: int, language: str) -> bool | None:
    """Whether the upstream Noto font of `language` has `codepoint`, so that
    rebuilding the subset would add it; None when the source is not installed."""
    face = faces_for(language)[0]
    if not Path(face.source).exists():
        return None
    from fontTools.ttLib import TTFont

    number = face.source_index if face.source.endswith(".ttc") else -1
    with TTFont(face.source, fontNumber=number, lazy=True) as font:
        return codepoint in font.getBestCmap()


# --- build-time supplements ------------------------------------------------------
#
# A character that the bundled subsets lack but the full Noto font installed on the
# machine has (Debian's fonts-noto-cjk, fonts-noto-core: scripts/setup.sh installs
# them) is not an error: the build subsets those few characters from the installed
# font, once per character set (cached under OUT/.press-cache/fonts/), and typesets
# them through the same @font-face machinery as the bundled faces: one extra rule per
# face, with the bundled weight and style, a `unicode-range` naming just those
# characters, and the font as a data: URL (the typesetter's URL sandbox serves only
# styles/, fonts/ and data: URLs; the machine's font folders stay closed). Its family
# is the bundled one plus SUPPLEMENT_SUFFIX, added after the bundled family in every
# font stack of the stylesheets (`extend_stacks`): WeasyPrint 70 names a PDF font
# after its Pango description (family, weight, style), so two faces of one family
# would be merged into one PDF font and the supplement's glyph ids drawn from the
# bundled font.
SUPPLEMENT_SUFFIX = " Supplement"
_SPACES = frozenset((0x20, 0xA0, 0x3000))

SUPPLEMENT_VERSION = "2"  # part of the cache key: change when the subsetting changes
_CJK_FEATURES = ["ccmp", "locl", "kern", "halt", "palt", "mark", "liga", "calt"]
_LATIN_FEATURES = ["ccmp", "locl", "kern", "liga", "clig", "calt", "mark", "mkmk",
                   "lnum", "onum", "pnum", "tnum"]


@functools.cache
def source_cmap(face: Face) -> frozenset[int]:
    """What the installed upstream font of `face` has; empty when it is not installed."""
    if not Path(face.source).exists():
        return frozenset()
    from fontTools.ttLib import TTFont

    number = face.source_index if face.source.endswith(".ttc") else -1
    with TTFont(face.source, fontNumber=number, lazy=True) as font:
        return frozenset(font.getBestCmap())


def available_from_sources(codepoint: int, language: str) -> bool:
    """Whether every installed upstream face of `language` has `codepoint`, so that a
    build can draw it from a supplement in any weight and role."""
    return all(codepoint in source_cmap(face) for face in faces_for(language))


def supplement_font(face: Face, codepoints: frozenset[int], cache_dir: Path | None) -> bytes:
    """A subset of the installed upstream font of `face` holding `codepoints`, renamed
    as the bundled face; read from `cache_dir` when an earlier build made it."""
    import hashlib

    text = (f"{SUPPLEMENT_VERSION}\0{face.source}\0{face.source_index}\0{face.file}\0"
            f"{Path(face.source).stat().st_size}\0"
            + ",".join(f"{cp:X}" for cp in sorted(codepoints)))
    key = hashlib.sha256(text.encode()).hexdigest()[:24]
    name = f"{Path(face.file).stem}-{key}{Path(face.file).suffix}"
    cached = cache_dir / name if cache_dir is not None else None
    if cached is not None and cached.is_file():
        return cached.read_bytes()
    data = _subset_source(face, codepoints)
    if cached is not None:
        import os
        import secrets

        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f".{cached.name}.{secrets.token_hex(4)}.partial")
        partial.write_bytes(data)
        os.replace(partial, cached)  # atomic: two builds at once write the same bytes
    return data


def _subset_source(face: Face, codepoints: frozenset[int]) -> bytes:
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    number = face.source_index if face.source.endswith(".ttc") else -1
    font = TTFont(face.source, fontNumber=number, lazy=True, recalcTimestamp=False)
    options = subset.Options()
    options.layout_features = _CJK_FEATURES if face.language == "zh" else _LATIN_FEATURES
    options.drop_tables = options.drop_tables + ["vhea", "vmtx", "VORG", "DSIG"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    options.glyph_names = False
    subsetter = subset.Subsetter(options)
    # The spaces too: Pango keeps a space after a rare character in that character's
    # font, which must then have a space glyph, not draw .notdef.
    subsetter.populate(unicodes=sorted(codepoints | _SPACES))
    subsetter.subset(font)
    name = font["name"]
    for name_id in (1, 2, 3, 4, 6, 7, 16, 17):
        name.removeNames(nameID=name_id)
    postscript = f"{face.postscript_name}-Supplement"
    for name_id, text in ((1, face.family), (2, face.subfamily), (3, postscript),
                          (4, f"{face.family} {face.subfamily}"), (6, postscript),
                          (10, f"Build-time subset of {face.source_name} (SIL Open Font "
                               "License 1.1), made by bilingual-press.")):
        name.setName(text, name_id, 3, 1, 0x409)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        top.FullName, top.FamilyName = f"{face.family} {face.subfamily}", face.family
    out = io.BytesIO()
    font.save(out)
    font.close()
    return out.getvalue()


def supplement_css(codepoints: dict[str, frozenset[int]], cache_dir: Path | None) -> str:
    """@font-face rules drawing `codepoints` (per language, "en" or "zh") from subsets of
    the installed upstream fonts: "" when there is nothing to add."""
    import base64

    rules = []
    for language in ("zh", "en"):
        wanted = frozenset(codepoints.get(language, ()))
        if not wanted:
            continue
        ranges = ", ".join(f"U+{cp:X}" for cp in sorted(wanted))
        for face in faces_for(language):
            data = supplement_font(face, wanted, cache_dir)
            mime = "font/otf" if face.file.endswith(".otf") else "font/ttf"
            url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
            rules.append(_font_face_rule(face, url, ranges, face.family + SUPPLEMENT_SUFFIX))
    if not rules:
        return ""
    return ("/* Build-time supplements (renderer.prepare.fonts.supplement_css): characters "
            "the bundled subsets lack. */\n" + "\n".join(rules))


def supplemented_families(font_css: str) -> set[str]:
    """The bundled families that `font_css` (from supplement_css) supplements."""
    import re

    return set(re.findall(r'font-family: "([^"]+)' + re.escape(SUPPLEMENT_SUFFIX) + '"',
                          font_css))


def extend_stacks(css: str, families: set[str]) -> str:
    """`css` with every quoted family of `families` followed by its supplement, e.g.
    '"Press Serif SC"' -> '"Press Serif SC", "Press Serif SC Supplement"'. For the
    stylesheets' font stacks, never for @font-face rules (one family each)."""
    import re

    if not families:
        return css
    pattern = re.compile("|".join(f'"{re.escape(family)}"' for family in sorted(families)))
    return pattern.sub(lambda m: f'{m.group(0)}, "{m.group(0)[1:-1]}{SUPPLEMENT_SUFFIX}"', css)
