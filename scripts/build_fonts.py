#!/usr/bin/env python3
"""Build fonts/: renamed subsets of Debian's Noto fonts for the newsletter.

For every face in renderer.prepare.fonts.FACES this script takes the pinned Debian font
(the SC face of the Noto CJK .ttc collections, or a Noto Serif/Sans .ttf), keeps
the characters a newsletter needs, keeps the OpenType layout features the
typesetting uses, renames the family ("Noto Serif CJK SC" -> "Press Serif SC")
and writes an .otf (CFF) or .ttf file. The character sets:

  Chinese faces   all of GB 2312 (enumerated with Python's gb2312 codec), ASCII,
                  Latin-1, the CJK punctuation and symbols of W3C clreq section 3
                  (full-width forms, book-title marks, dashes, ellipses ...) and
                  every character used under issues/;
  Latin faces     ASCII, Latin-1, Latin Extended-A, the pinyin tone letters of
                  Latin Extended-B, Latin Extended Additional, general
                  punctuation (curly quotes, dashes, hyphens, spaces), currency
                  and letterlike symbols, and every character of issues/ they have.

Re-run it whenever new text appears under issues/ (the coverage gate tells you
to); the output is byte-for-byte reproducible: no timestamps, fixed head dates.

    python scripts/build_fonts.py [--issues DIR] [--out DIR] [--no-install]

The inputs are pinned (Debian package version and sha256); the script installs
the packages with apt-get when they are missing and stops when they differ.
See fonts/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from renderer.prepare.fonts import FACES, Face, font_face_css  # noqa: E402

PINNED_PACKAGES = {
    "fonts-noto-cjk": "1:20220127+repack1-1",
    "fonts-noto-core": "20201225-1",
    "unicode-data": "15.0.0-1",  # the Unihan database: the character lists below
}

# Unicode's Unihan database as Debian ships it (unicode-data, Unicode Terms of Use:
# a permissive, MIT-style licence; only the derived list of characters is used).
UNIHAN_OTHER_MAPPINGS = "/usr/share/unicode/Unihan_OtherMappings.txt.bz2"
UNIHAN_VARIANTS = "/usr/share/unicode/Unihan_Variants.txt.bz2"

SOURCE_SHA256 = {
    UNIHAN_OTHER_MAPPINGS:
        "bdeef44d75d914e793b7f27ddc3bee01b2d11dd34f4e52de1a9fba74a1612dc2",
    UNIHAN_VARIANTS:
        "42f42d18fe0368ca8dfb76d91bb2612b4bb34fe7960a4aa770687c0bf48a0cce",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc":
        "a04178ec485dffdff7cc0c0c20e1fce9202d7e2160d805e8e44a4c8841c58481",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc":
        "a5d4b046c127da3d7c72f98b46c41489cd29bf52abfdf18aba920903e920d4ac",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc":
        "b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc":
        "faa5f3656a78b2e2d450d27fe8382c778bc2b6bb5ea29c986664a6a435056ceb",
    "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf":
        "9d7583b7dc9e812afd32a14280c5cac3160012efe50c8d08938f4fea266ff67f",
    "/usr/share/fonts/truetype/noto/NotoSerif-Italic.ttf":
        "bc25600aa27cd409e1e5b3d86340df3a329bb860fcfbe57a03a95070b229e1b0",
    "/usr/share/fonts/truetype/noto/NotoSerif-Bold.ttf":
        "0af0ff2be8f84910fb21ec5fe1b6b7395e3073250502a334baf6ca2f860c88fe",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf":
        "89c3c497f618fdaa0b2d1e98fef93582f28c71debd2c4a8cdf41f190ced2909d",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf":
        "e83493c945848ecd4a9ad0f6d19164541a0d3e23a9c952304a00a46e00272ac5",
}

# OpenType features kept (OpenType spec, "Registered features"). Chinese: glyph
# composition, zh-Hans local forms, kerning, and the half-width / proportional
# punctuation alternates used for punctuation compression (clreq 3.1.6);
# vertical features are dropped, the newsletter is set horizontally.
CJK_FEATURES = ["ccmp", "locl", "kern", "halt", "palt", "mark", "liga", "calt"]
LATIN_FEATURES = ["ccmp", "locl", "kern", "liga", "clig", "calt", "mark", "mkmk",
                  "lnum", "onum", "pnum", "tnum"]

# Language systems kept in the CJK GSUB/GPOS. The other ones (JAN, KOR, ZHT, ZHH)
# only lead, through 'locl', to Japanese, Korean and traditional glyph variants
# we never set; keeping them nearly doubles the subset (Press Sans SC Regular:
# 7,736 glyphs and 1.9 MB with ZHS alone, 13,524 glyphs and 3.4 MB with all).
CJK_LANGSYS = {"ZHS "}

DROPPED_TABLES = ["vhea", "vmtx", "VORG", "DSIG"]

CJK_PUNCTUATION = (
    "，。、；：？！…‥—–―～·・"  # clreq 3.1 punctuation
    "“”‘’「」『』《》〈〉（）【】〔〕〖〗［］｛｝"  # quotation and book-title marks, brackets
    "⸺⸻〃々〆〇〜〝〞〟※￥￠￡℃℉°‰№§¶†‡•‧"  # two-em dashes, iteration marks, symbols
    "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽⒈⒉⒊⒋⒌⒍⒎⒏⒐⒑"
    "㈠㈡㈢㈣㈤㈥㈦㈧㈨㈩ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹ"
    "\u00a0\u2009\u200a\u200b\u202f\u2060\u3000"  # the spaces typography inserts
)

PINYIN_EXTRA = "ǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜêÊ"


def code_range(first: int, last: int) -> set[int]:
    return set(range(first, last + 1))


def gb2312_codepoints() -> set[int]:
    """Every character of GB 2312: rows 0xA1-0xF7, cells 0xA1-0xFE of EUC-CN."""
    found: set[int] = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((row, cell)).decode("gb2312")))
            except UnicodeDecodeError:  # unassigned cell
                continue
    return found


def unihan_field(path: str, field: str) -> dict[int, str]:
    """One field of a Unihan file: code point -> value (UAX #38 section 3)."""
    import bz2

    found: dict[int, str] = {}
    with bz2.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3 and parts[1] == field:
                found[int(parts[0][2:], 16)] = parts[2]
    return found


def general_standard_codepoints() -> set[int]:
    """The 8,105 characters of the Table of General Standard Chinese Characters
    (通用规范汉字表, State Council 2013): Unihan's kTGH field."""
    return set(unihan_field(UNIHAN_OTHER_MAPPINGS, "kTGH"))


def traditional_codepoints(simplified: set[int]) -> set[int]:
    """Common traditional forms: the traditional variants (Unihan kTraditionalVariant) of
    the general standard characters, and Big5's frequently used characters (level 1,
    lead bytes 0xA4-0xC6, about the 4,808 of Taiwan's standard list of common characters)."""
    found: set[int] = set()
    for code, value in unihan_field(UNIHAN_VARIANTS, "kTraditionalVariant").items():
        if code in simplified:
            found.update(int(item[2:].split("<")[0], 16) for item in value.split())
    for lead in range(0xA4, 0xC7):
        for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            try:
                found.add(ord(bytes((lead, trail)).decode("big5")))
            except UnicodeDecodeError:  # unassigned cell
                continue
    return found


def hanzi_codepoints() -> set[int]:
    """GB 2312, the general standard list and common traditional forms."""
    standard = general_standard_codepoints()
    return gb2312_codepoints() | standard | traditional_codepoints(standard)


def issue_codepoints(issues_dir: Path) -> set[int]:
    """Every character of every *.md and *.yaml under `issues_dir`."""
    found: set[int] = set()
    for path in sorted(issues_dir.rglob("*")):
        if path.suffix in (".md", ".yaml", ".yml") and path.is_file():
            found.update(map(ord, path.read_text(encoding="utf-8", errors="replace")))
    return {cp for cp in found if unicodedata.category(chr(cp)) != "Cc"}


def cjk_wanted(issue_chars: set[int]) -> set[int]:
    return (
        hanzi_codepoints()
        | code_range(0x20, 0x7E)  # ASCII: digits and Latin in Chinese runs
        | code_range(0xA0, 0xFF)  # Latin-1
        | code_range(0x2000, 0x206F)  # general punctuation
        | code_range(0x3000, 0x303F)  # CJK symbols and punctuation
        | code_range(0xFF01, 0xFF65)  # full-width forms, half-width CJK punctuation
        | code_range(0xFFE0, 0xFFE6)  # full-width currency signs
        | set(map(ord, CJK_PUNCTUATION))
        | issue_chars
    )


def latin_wanted(issue_chars: set[int]) -> set[int]:
    return (
        code_range(0x20, 0x7E)
        | code_range(0xA0, 0xFF)  # Latin-1 supplement
        | code_range(0x100, 0x17F)  # Latin Extended-A
        | code_range(0x218, 0x21B)  # Romanian comma-below letters
        | set(map(ord, PINYIN_EXTRA))  # pinyin with tone marks in English text
        | code_range(0x2B9, 0x2DD)  # modifier letters: ʼ ˆ ˇ ˘ ˙ ˚ ˛ ˜ ˝
        | code_range(0x300, 0x36F)  # combining diacritics, for 'ccmp'/'mark'
        | code_range(0x1E00, 0x1EFF)  # Latin Extended Additional (Vietnamese names)
        | code_range(0x2000, 0x206F)  # general punctuation: ’ “ ” – — … ‐ ‑ spaces
        | code_range(0x20A0, 0x20C0)  # currency signs
        | {0x2116, 0x2122, 0x2103, 0x2212, 0x2215, 0x2248, 0x2260, 0x2264, 0x2265}
        | code_range(0xFB00, 0xFB06)  # Latin ligatures
        | issue_chars
    )


# --- inputs -------------------------------------------------------------------


def installed_version(package: str) -> str | None:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status} ${Version}", package],
        capture_output=True, text=True, check=False,
    )
    status = result.stdout.split()
    if result.returncode != 0 or status[:3] != ["install", "ok", "installed"]:
        return None
    return status[3]


def ensure_inputs(install: bool = True) -> None:
    """Install the pinned Debian packages if missing; check versions and sha256."""
    missing = [pkg for pkg in PINNED_PACKAGES if installed_version(pkg) is None]
    if missing and install:
        print(f"installing {' '.join(missing)}", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", *missing], check=True)
    for package, version in PINNED_PACKAGES.items():
        found = installed_version(package)
        if found != version:
            sys.exit(f"error: {package} is {found or 'not installed'}, expected {version}; "
                     "check the new fonts and update PINNED_PACKAGES and SOURCE_SHA256")
    for path, expected in SOURCE_SHA256.items():
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        if digest != expected:
            sys.exit(f"error: {path} has sha256 {digest}, expected {expected}")


# --- subsetting ----------------------------------------------------------------


def subset_options(face: Face) -> subset.Options:
    options = subset.Options()
    options.layout_features = CJK_FEATURES if face.language == "zh" else LATIN_FEATURES
    options.drop_tables = options.drop_tables + DROPPED_TABLES
    options.name_IDs = ["*"]  # rewritten by rename_face()
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    options.prune_unicode_ranges = True
    options.glyph_names = False
    return options


def keep_langsys(font: TTFont, tags: set[str]) -> None:
    """Remove the GSUB/GPOS language systems not in `tags` (default ones stay)."""
    for table_tag in ("GSUB", "GPOS"):
        if table_tag not in font:
            continue
        for record in font[table_tag].table.ScriptList.ScriptRecord:
            script = record.Script
            script.LangSysRecord = [r for r in script.LangSysRecord if r.LangSysTag in tags]
            script.LangSysCount = len(script.LangSysRecord)


def set_name(font: TTFont, name_id: int, text: str) -> None:
    table = font["name"]
    table.removeNames(nameID=name_id)
    table.setName(text, name_id, 3, 1, 0x409)  # Windows, Unicode BMP, en-US


def rename_face(font: TTFont, face: Face, source_version: str) -> None:
    """Give the subset its own names (OpenType 'name' table, and the CFF
    top DICT for .otf) so it is never mistaken for an installed Noto font.
    The Noto copyright (ID 0) and licence (IDs 13, 14) are kept, as the OFL asks."""
    table = font["name"]
    for name_id in (1, 2, 3, 4, 6, 7, 10, 16, 17, 18, 21, 22, 25):
        table.removeNames(nameID=name_id)
    full_name = f"{face.family} {face.subfamily}"
    set_name(font, 1, face.family)
    set_name(font, 2, face.subfamily)
    set_name(font, 3, f"{face.postscript_name};subset of {face.source_name} {source_version}")
    set_name(font, 4, full_name)
    set_name(font, 6, face.postscript_name)
    set_name(font, 10, (
        f"Subset of {face.source_name} (version {source_version}, Debian "
        f"{'fonts-noto-cjk' if face.language == 'zh' else 'fonts-noto-core'}), renamed, "
        "made by bilingual-press scripts/build_fonts.py. SIL Open Font License 1.1."
    ))
    if "CFF " in font:
        cff = font["CFF "].cff
        old_name = cff.fontNames[0]
        cff.fontNames = [face.postscript_name]
        top = cff.topDictIndex[0]
        top.FullName = full_name
        top.FamilyName = face.family
        for fd in getattr(top, "FDArray", None) or ():
            fd.FontName = fd.FontName.replace(old_name, face.postscript_name)


def subset_face(face: Face, codepoints: Iterable[int], out_dir: Path) -> Path:
    """Write the subset of `face` for `codepoints` into `out_dir`; return its path."""
    font = TTFont(face.source, fontNumber=face.source_index if face.source.endswith(".ttc") else -1,
                  recalcTimestamp=False, lazy=False)
    source_version = font["name"].getDebugName(5).split(";")[0].removeprefix("Version ")
    available = set(font.getBestCmap())
    if face.language == "zh":
        keep_langsys(font, CJK_LANGSYS)
    subsetter = subset.Subsetter(subset_options(face))
    subsetter.populate(unicodes=sorted(set(codepoints) & available))
    subsetter.subset(font)
    rename_face(font, face, source_version)
    # head.created/modified stay the upstream values: nothing depends on the day
    # this script ran, so two runs give the same bytes.
    out = out_dir / face.file
    out_dir.mkdir(parents=True, exist_ok=True)
    font.save(out, reorderTables=True)
    font.close()
    return out


def source_codepoints(face: Face) -> set[int]:
    number = face.source_index if face.source.endswith(".ttc") else -1
    with TTFont(face.source, fontNumber=number, lazy=True) as font:
        return set(font.getBestCmap())


def report_unavailable(issue_chars: set[int]) -> None:
    """Name the issue characters no Noto source has: the coverage gate will
    refuse them, the editors have to replace them."""
    by_language = {face.language: face for face in FACES}
    available = set().union(*(source_codepoints(face) for face in by_language.values()))
    ignorable = {cp for cp in issue_chars if unicodedata.category(chr(cp)) in ("Cf", "Zl", "Zp")}
    for cp in sorted(issue_chars - available - ignorable):
        name = unicodedata.name(chr(cp), "unnamed")
        print(f"warning: U+{cp:04X} {chr(cp)!r} ({name}) is used under issues/ but no "
              "Noto source font has it; replace it in the text", file=sys.stderr)


def build(issues_dir: Path, out_dir: Path) -> list[Path]:
    issue_chars = issue_codepoints(issues_dir) if issues_dir.is_dir() else set()
    report_unavailable(issue_chars)
    wanted = {"zh": cjk_wanted(issue_chars), "en": latin_wanted(issue_chars)}
    written = []
    for face in FACES:
        path = subset_face(face, wanted[face.language], out_dir)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        print(f"{path.relative_to(out_dir)}  {path.stat().st_size:>9} bytes  sha256 {digest}")
        written.append(path)
    return written


CSS_HEADER = """\
/* The bundled fonts (fonts/README.md). Generated by scripts/build_fonts.py from
   renderer/fonts.py; do not edit. Font stacks: renderer.prepare.fonts.FONT_STACKS. */

"""


def write_css(path: Path) -> None:
    """styles/fonts.css: the @font-face rules, with URLs relative to styles/."""
    path.write_text(CSS_HEADER + font_face_css("../fonts/"), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=Path, default=REPO / "issues",
                        help="folder scanned for characters (default: issues/)")
    parser.add_argument("--out", type=Path, default=REPO / "fonts",
                        help="where the fonts are written (default: fonts/)")
    parser.add_argument("--no-install", action="store_true",
                        help="do not apt-get install missing Debian packages")
    args = parser.parse_args(argv)
    ensure_inputs(install=not args.no_install)
    build(args.issues, args.out)
    write_css(REPO / "styles" / "fonts.css")


if __name__ == "__main__":
    main()
