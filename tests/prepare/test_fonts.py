"""The bundled fonts (fonts/, renderer/fonts.py, scripts/build_fonts.py).

Every face is read back with fontTools and checked for its own family name, its
character coverage (GB 2312 for Chinese; ASCII and English punctuation for
Latin) and the layout features typesetting relies on; the build script is run
twice on a small character set and must give identical bytes; WeasyPrint must
set English text entirely in the Latin face.
"""

from __future__ import annotations

import importlib.util
import io

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from renderer.prepare import fonts
from renderer.prepare.fonts import FACES
from tests.conftest import ROOT

CJK_FACES = [face for face in FACES if face.language == "zh"]
LATIN_FACES = [face for face in FACES if face.language == "en"]
ENGLISH_PUNCTUATION = "’‘“”–—…‐\u00a0"


def load_build_script():
    spec = importlib.util.spec_from_file_location("build_fonts", ROOT / "scripts/build_fonts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def gb2312_characters() -> set[int]:
    found = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                found.add(ord(bytes((row, cell)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return found


def names(font: TTFont) -> dict[int, str]:
    return {record.nameID: record.toUnicode() for record in font["name"].names}


def layout_features(font: TTFont, table: str) -> set[str]:
    if table not in font:
        return set()
    return {record.FeatureTag for record in font[table].table.FeatureList.FeatureRecord}


@pytest.mark.parametrize("face", FACES, ids=lambda face: face.file)
def test_face_is_a_renamed_sfnt_font(face):
    data = face.path.read_bytes()
    assert data[:4] in (b"OTTO", b"\x00\x01\x00\x00"), "must be .otf/.ttf, not WOFF"
    with TTFont(face.path) as font:
        table = names(font)
        assert table[1] == face.family
        assert table[2] == face.subfamily
        assert table[6] == face.postscript_name
        assert "Noto" not in table[1] + table[4] + table[6]
        assert "Open Font License" in table[13]  # OFL: the licence travels with the font
        assert font["OS/2"].usWeightClass == face.weight
        if "CFF " in font:
            assert font["CFF "].cff.fontNames == [face.postscript_name]


@pytest.mark.parametrize("face", CJK_FACES, ids=lambda face: face.file)
def test_chinese_face_covers_gb2312_ascii_and_newsletter_punctuation(face):
    with TTFont(face.path, lazy=True) as font:
        cmap = set(font.getBestCmap())
        gsub, gpos = layout_features(font, "GSUB"), layout_features(font, "GPOS")
    assert not gb2312_characters() - cmap
    assert not set(range(0x21, 0x7F)) - cmap
    assert not set(map(ord, "《》「」『』〈〉【】——……·、，。：；？！（）“”‘’　")) - cmap
    assert {"ccmp", "locl"} <= gsub
    assert {"kern", "halt", "palt"} <= gpos
    assert "vert" not in gsub


@pytest.mark.parametrize("face", LATIN_FACES, ids=lambda face: face.file)
def test_latin_face_covers_ascii_latin1_extended_a_and_punctuation(face):
    with TTFont(face.path, lazy=True) as font:
        cmap = set(font.getBestCmap())
        gsub, gpos = layout_features(font, "GSUB"), layout_features(font, "GPOS")
    wanted = (set(range(0x20, 0x7F)) | set(range(0xA0, 0x100)) | set(range(0x100, 0x180))
              | set(map(ord, ENGLISH_PUNCTUATION)))
    assert not wanted - cmap
    assert "kern" in gpos and "liga" in gsub
    assert not any(0x4E00 <= cp <= 0x9FFF for cp in cmap)


def test_cmap_for_language_is_what_every_face_of_it_has():
    english = fonts.cmap_for("en")
    assert ord("’") in english and ord("中") not in english
    assert fonts.cmap_for("zh") <= fonts.cmap_for("Press Sans SC")
    assert fonts.cmap_for("zh-body") == fonts.cmap_for("Press Serif SC")
    with pytest.raises(KeyError):
        fonts.cmap_for("Noto Serif")


@pytest.mark.parametrize("face", FACES, ids=lambda face: face.file)
def test_direct_cmap_reading_agrees_with_fonttools(face):
    with TTFont(face.path, lazy=True) as font:
        assert fonts._face_cmap(face) == frozenset(font.getBestCmap())


def test_stylesheet_holds_the_generated_font_faces():
    css = (ROOT / "styles/fonts.css").read_text(encoding="utf-8")
    assert fonts.font_face_css("../fonts/") in css
    for face in FACES:
        assert f'url("../fonts/{face.file}")' in css
        assert (ROOT / "styles" / "../fonts" / face.file).is_file()


def test_build_is_reproducible(tmp_path):
    build = load_build_script()
    characters = set(map(ord, "Press 外事简讯，《》—’"))
    for face in (FACES[0], LATIN_FACES[0]):
        first = build.subset_face(face, characters, tmp_path / "a")
        second = build.subset_face(face, characters, tmp_path / "b")
        assert first.read_bytes() == second.read_bytes()
        with TTFont(first) as font:
            assert set(font.getBestCmap()) == characters & set(build.source_codepoints(face))
            assert names(font)[1] == face.family


def test_gb2312_enumeration_of_the_build_script():
    build = load_build_script()
    codepoints = build.gb2312_codepoints()
    assert codepoints == gb2312_characters()
    assert len([cp for cp in codepoints if 0x4E00 <= cp <= 0x9FFF]) == 6763


def embedded_fonts(paragraph: str) -> list[str]:
    """Render one paragraph with WeasyPrint; the families embedded in the PDF. (Its
    @font-face files go with the render: WeasyPrint's own clean-up waits for a collection
    that a test worker may end before, and a CI run found the nine faces in /tmp.)"""
    from weasyprint import HTML

    from renderer.typeset.weasyprint70.fonts import font_configuration

    html = f'<link rel="stylesheet" href="styles/fonts.css">{paragraph}'
    with font_configuration() as font_config:
        written = HTML(string=html, base_url=f"{ROOT}/").write_pdf(font_config=font_config)
    pdf = pikepdf.open(io.BytesIO(written))
    return sorted(str(font.BaseFont).split("+", 1)[1]
                  for page in pdf.pages for font in page.Resources.Font.values())


def test_english_punctuation_is_set_in_the_latin_font():
    stack = fonts.FONT_STACKS["en", "body"]
    paragraph = f"<p style='font-family: {stack}' lang='en'>The People’s “Park” — 1–2 …</p>"
    assert embedded_fonts(paragraph) == ["Press-Serif"]


def test_chinese_with_digits_and_latin_is_set_in_the_cjk_font_alone():
    stack = fonts.FONT_STACKS["zh", "heading"]
    paragraph = (f"<p style='font-family: {stack}; font-weight: bold' lang='zh-Hans'>"
                 "人民公园，“友谊林”——2022年APEC会议……</p>")
    assert embedded_fonts(paragraph) == ["Press-Sans-SC-Bold"]


def test_characters_used_under_issues_reach_the_subset(tmp_path, capsys):
    build = load_build_script()
    issues = tmp_path / "issues" / "2031-01" / "articles"
    issues.mkdir(parents=True)
    (issues / "01-a.md").write_text("## 中文\n\n昱旸参加了活动😀。\n", encoding="utf-8")
    (tmp_path / "issues" / "2031-01" / "issue.yaml").write_text("zh: 喆\n", encoding="utf-8")
    found = build.issue_codepoints(tmp_path / "issues")
    rare = {ord("旸"), ord("喆")}  # not in GB 2312
    assert rare <= found and not rare & build.gb2312_codepoints()
    build.report_unavailable(found)
    assert "U+1F600" in capsys.readouterr().err
    out = build.subset_face(FACES[2], build.cjk_wanted(set()) & set(range(0x3000, 0x3040))
                            | found, tmp_path / "fonts")
    with TTFont(out, lazy=True) as font:
        cmap = set(font.getBestCmap())
    assert rare <= cmap and ord("😀") not in cmap
