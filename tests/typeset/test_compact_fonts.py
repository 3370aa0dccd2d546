"""renderer.typeset.weasyprint70.fonts: the Chinese fonts of both editions are compact CID-keyed CFF,
and the glyphs drawn are the ones WeasyPrint chose."""

from __future__ import annotations

import io

import pikepdf
import pypdfium2 as pdfium
import pytest
from fontTools.cffLib import CFFFontSet
from PIL import ImageChops

from renderer.typeset.weasyprint70 import fonts as typeset_fonts
from renderer.typeset.weasyprint70.fonts import cids_of_widths
from tests.conftest import SAMPLE


def _cid_fonts(path) -> list[tuple[str, bool, set[int], str, bytes]]:
    """(name, has a CIDToGIDMap, CIDs given widths, font file subtype, font program)."""
    fonts = {}
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                cid_font = font.DescendantFonts[0]
                if cid_font.objgen in fonts or cid_font.Subtype != "/CIDFontType0":
                    continue
                program = cid_font.FontDescriptor.FontFile3
                fonts[cid_font.objgen] = (
                    str(cid_font.BaseFont), "/CIDToGIDMap" in cid_font,
                    cids_of_widths(cid_font.W), str(program.Subtype), program.read_bytes())
    return list(fonts.values())


@pytest.mark.parametrize("edition", ["email", "print"])
def test_cjk_fonts_hold_only_the_glyphs_drawn(sample_build, edition):
    fonts = _cid_fonts(sample_build[edition])
    assert {name.split("+")[1] for name, *_ in fonts} >= {"Press-Serif-SC", "Press-Sans-SC"}
    for name, has_cid_to_gid_map, cids, subtype, program in fonts:
        assert subtype == "/CIDFontType0C", name
        assert not has_cid_to_gid_map, name
        cff = CFFFontSet()
        cff.decompile(io.BytesIO(program), None)
        top = cff.topDictIndex[0]
        assert top.ROS[:2] == ("Adobe", "Identity"), name
        drawn = sorted(cids - {0})
        assert top.charset == [".notdef"] + [f"cid{cid:05d}" for cid in drawn], name


def test_compact_fonts_draw_the_same_glyphs():
    from renderer.compose import compose
    from renderer.load import load_issue
    from renderer.prepare import prepare_issue
    from renderer.typeset import typeset
    from renderer.typeset.weasyprint70 import load

    load()
    issue = load_issue(SAMPLE)
    composed = compose(prepare_issue(issue), "email")
    compact = typeset(composed, issue).pdf
    finisher = typeset_fonts.finisher
    typeset_fonts.finisher = lambda document, pdf: None  # WeasyPrint's own fonts
    try:
        as_weasyprint_writes = typeset(composed, issue).pdf
    finally:
        typeset_fonts.finisher = finisher
    assert len(compact) < 0.8 * len(as_weasyprint_writes)
    pages = zip(pdfium.PdfDocument(compact), pdfium.PdfDocument(as_weasyprint_writes))
    for number, (a, b) in enumerate(pages, start=1):
        difference = ImageChops.difference(a.render(scale=1.5).to_pil().convert("L"),
                                           b.render(scale=1.5).to_pil().convert("L"))
        # Rasterizing a bare CFF and an OpenType wrapper of it differ in anti-aliasing
        # (a few levels of grey); another glyph would differ by far more.
        assert difference.point(lambda level: 255 if level > 64 else 0).getbbox() is None, \
            f"page {number} draws other glyphs"
