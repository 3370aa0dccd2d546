"""Every character prints (issue 14): the bundled fonts hold the Table of General
Standard Chinese Characters and common traditional forms; anything else Noto has is
subset at build time from the installed fonts; only what no font has is an error.

Read back from the PDF: the text extracts as itself, and every code shown for it
in its embedded font is a glyph with an outline (never .notdef, CID 0)."""

from __future__ import annotations

import re
import subprocess

import pikepdf
from fontTools.cffLib import CFFFontSet
from fontTools.pens.boundsPen import BoundsPen

from renderer.build import build_issue
from renderer.editorial.lint import lint_folder
from renderer.prepare import fonts
from tests.conftest import ROOT
from tests.prepare.test_fonts import load_build_script
from tests.tiny_issue import write_tiny_issue

NAMES = "张喆 王堃"
BEYOND = "丂𠀋"  # in Noto CJK SC, in neither GB 2312 nor the general standard list


def test_the_bundled_faces_cover_the_general_standard_list_and_traditional_forms():
    script = load_build_script()
    standard = script.general_standard_codepoints()
    assert len(standard) == 8105
    chinese = fonts.cmap_for("zh")
    assert standard <= chinese
    assert set(map(ord, "體臺灣龍學國們這說會")) <= chinese
    assert {ord("喆"), ord("堃")} <= chinese
    assert not set(map(ord, BEYOND)) & chinese, "pick other test characters"


def test_the_font_files_stay_under_40_mb():
    total = sum(path.stat().st_size for path in (ROOT / "fonts").rglob("*") if path.is_file())
    assert total < 40_000_000, total


def test_extend_stacks_adds_the_supplement_after_each_family():
    css = 'p { font: 9pt "Press Serif", "Press Serif SC"; } h1 { font-family: "Press Sans SC"; }'
    extended = fonts.extend_stacks(css, {"Press Serif SC"})
    assert extended == ('p { font: 9pt "Press Serif", "Press Serif SC", '
                        '"Press Serif SC Supplement"; } h1 { font-family: "Press Sans SC"; }')


def code_outlines(pdf_path, wanted: str) -> dict[str, list[tuple[str, int, bool]]]:
    """For each character of `wanted`: (font, code, has an outline) of every time it is shown."""
    found: dict[str, list[tuple[str, int, bool]]] = {char: [] for char in wanted}
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            resources = page.Resources.get("/Font", {})
            to_char, programs = {}, {}
            for name, font in resources.items():
                to_char[name] = _to_unicode(font)
                program = font.DescendantFonts[0].FontDescriptor.get("/FontFile3")
                programs[name] = program.read_bytes() if program is not None else None
            current = None
            for operands, operator in pikepdf.parse_content_stream(page):
                if operator == pikepdf.Operator("Tf"):
                    current = str(operands[0])
                    continue
                if operator not in (pikepdf.Operator("Tj"), pikepdf.Operator("TJ")):
                    continue
                strings = ([bytes(operands[0])] if operator == pikepdf.Operator("Tj") else
                           [bytes(item) for item in operands[0]
                            if isinstance(item, pikepdf.String)])
                for data in strings:
                    for i in range(0, len(data) - 1, 2):
                        code = int.from_bytes(data[i:i + 2], "big")
                        char = to_char[current].get(code)
                        if char in found:
                            found[char].append((str(resources[current].BaseFont), code,
                                                _has_outline(programs[current], code)))
    return found


def _to_unicode(font) -> dict[int, str]:
    text = font.ToUnicode.read_bytes().decode("latin-1")
    mapping = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for code, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(uni).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for low, high, uni in re.findall(
                r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = bytes.fromhex(uni).decode("utf-16-be")
            for offset in range(int(high, 16) - int(low, 16) + 1):
                mapping[int(low, 16) + offset] = start[:-1] + chr(ord(start[-1]) + offset)
    return mapping


def _has_outline(program: bytes | None, cid: int) -> bool:
    if program is None or cid == 0:
        return False
    cff = CFFFontSet()
    import io
    cff.decompile(io.BytesIO(program), None)
    top = cff[cff.fontNames[0]]
    names = [name for name in top.charset if name == f"cid{cid:05d}"]
    if not names:
        return False
    pen = BoundsPen(top.CharStrings)
    top.CharStrings[names[0]].draw(pen)
    return pen.bounds is not None


def test_rare_names_and_characters_beyond_the_subsets_print(tmp_path):
    folder = write_tiny_issue(tmp_path / "issue")
    article = folder / "articles/01-one.md"
    article.write_text(article.read_text(encoding="utf-8")
                       .replace("文章的第一段。", f"作者：{NAMES}。罕见字{BEYOND}。")
                       .replace("The first paragraph", f"By Zhang Zhe ({NAMES}), with {BEYOND}"),
                       encoding="utf-8")
    out = tmp_path / "out"
    result = build_issue(folder, out, editions=("email",), parallel=False)
    pdf = result.editions[0].path
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert f"作者：{NAMES}。罕见字{BEYOND}。" in text
    assert f"({NAMES}), with {BEYOND}" in text
    shown = code_outlines(pdf, "喆堃" + BEYOND)
    for char, uses in shown.items():
        assert len(uses) >= 2, (char, uses)  # the English and the Chinese paragraph
        assert all(outline for _, _, outline in uses), (char, uses)
        assert all("Press" in font for font, _, _ in uses), (char, uses)
    assert any("Supplement" in font for font, _, _ in shown["丂"])
    cached = sorted((out / ".press-cache" / "fonts").iterdir())
    assert len(cached) == 4  # one supplement per Chinese face, reused by the next build
    stamps = [path.stat().st_mtime_ns for path in cached]
    build_issue(folder, out, editions=("email",), parallel=False, force=True)
    assert [path.stat().st_mtime_ns for path in cached] == stamps


def test_lint_reports_only_characters_no_font_has(tmp_path):
    folder = write_tiny_issue(tmp_path / "issue")
    article = folder / "articles/01-one.md"
    article.write_text(article.read_text(encoding="utf-8")
                       .replace("文章的第一段。", f"{NAMES}{BEYOND}和😀。"), encoding="utf-8")
    report = lint_folder(folder)
    found = [d for d in report.diagnostics if d.code == "character-not-in-fonts"]
    assert [(d.file, d.line, d.evidence["code_point"]) for d in found] == [
        ("articles/01-one.md", article.read_text(encoding="utf-8").split("\n").index(
            f"{NAMES}{BEYOND}和😀。") + 1, "U+1F600")]
    assert found[0].severity == "error"
