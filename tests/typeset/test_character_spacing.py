"""renderer.typeset.weasyprint70.tc: justification written as character spacing draws every glyph
where WeasyPrint put it, and only Han-to-Han justification is rewritten."""

from __future__ import annotations

import io

import pikepdf
import pypdfium2 as pdfium
from hypothesis import given
from hypothesis import strategies as st
from PIL import ImageChops

from renderer.typeset.weasyprint70.tc import parse_tj, rewrite

HAN = {"4e2d": "中", "6587": "文", "91cd": "重", "5e86": "庆"}
OTHER = {"0031": "1", "0041": "A", "0020": " ", "3001": "、"}
CHARS = {**HAN, **OTHER}


def _pen(shows: list[tuple[float, str]], font_size: float) -> list[tuple[str, float]]:
    """(glyph, offset before it) in thousandths of the font size, with glyph widths left
    out (they are the same glyphs either way), and the pen after the last one."""
    placed, pen = [], 0.0
    for spacing, array in shows:
        lead, glyphs = parse_tj(array)
        pen += -lead
        for hexcode, shift in glyphs:
            placed.append((hexcode, round(pen, 3)))
            pen += spacing * 1000 / font_size - shift
    placed.append(("end", round(pen, 3)))
    return placed


def _tj(glyphs: list[tuple[str, float]]) -> str:
    return "<" + "".join(f"{code}>{shift}<" if shift else code for code, shift in glyphs) + ">"


def _chars(hexcode: str) -> str:
    return CHARS.get(hexcode, "")


def test_a_justified_han_line_becomes_one_tc_run():
    text = _tj([("4e2d", -120), ("6587", -120), ("91cd", -120), ("5e86", 0)])
    shows = rewrite(text, 14.0, _chars)
    assert shows == [(1.68, "<4e2d><6587><91cd><5e86>"), (0.0, "120")]


def test_nothing_to_do_without_han_justification():
    english = _tj([("0041", -200), ("0020", -200), ("0041", -200), ("0031", 0)])
    han_latin_only = _tj([("4e2d", -250), ("0031", -250), ("6587", 0)])
    assert rewrite(english, 10.0, _chars) is None
    assert rewrite(han_latin_only, 10.0, _chars) is None
    assert rewrite("<00ab>", 10.0, _chars) is None       # one-byte codes: bitmap font
    assert rewrite("<4e2d>x<6587>", 10.0, _chars) is None  # not a TJ array it knows


@given(st.lists(st.tuples(st.sampled_from(sorted(CHARS)),
                          st.sampled_from([0, -120, -120, -120, -370, 250, 480])),
                min_size=1, max_size=40),
       st.sampled_from([0, -3.5]), st.sampled_from([9.5, 10.5, 14.0]))
def test_every_glyph_stays_where_it_was(glyphs, lead, font_size):
    text = (f"{lead}" if lead else "") + _tj(glyphs)
    shows = rewrite(text, font_size, _chars) or [(0.0, text)]
    assert [g for g, _ in _pen(shows, font_size)] == [g for g, _ in _pen([(0, text)], 1)]
    for (_, before), (_, after) in zip(_pen([(0.0, text)], font_size), _pen(shows, font_size)):
        assert abs(before - after) < 0.01


def test_the_sample_is_drawn_the_same_with_and_without_character_spacing():
    """Every glyph of the sample's email edition lands where WeasyPrint put it: the pages
    rendered from the rewritten content streams match the ones from WeasyPrint's own."""
    from weasyprint.pdf.stream import Stream

    from renderer.compose import compose
    from renderer.load import load_issue
    from renderer.prepare import prepare_issue
    from renderer.typeset import typeset
    from renderer.typeset.weasyprint70 import load
    from renderer.typeset.weasyprint70 import tc as typeset_tc
    from tests.conftest import SAMPLE

    load()
    issue = load_issue(SAMPLE)
    composed = compose(prepare_issue(issue), "email")
    rewritten = typeset(composed, issue).pdf
    patched = Stream.show_text
    Stream.show_text = patched.__wrapped__
    try:
        as_weasyprint_draws = typeset(composed, issue).pdf
    finally:
        Stream.show_text = patched
    assert typeset_tc._original, "the Tc rewrite is installed"
    assert b" Tc" in _content(rewritten) and b" Tc" not in _content(as_weasyprint_draws)
    for number, (a, b) in enumerate(zip(pdfium.PdfDocument(rewritten),
                                        pdfium.PdfDocument(as_weasyprint_draws)), start=1):
        difference = ImageChops.difference(a.render(scale=2).to_pil().convert("L"),
                                           b.render(scale=2).to_pil().convert("L"))
        assert difference.point(lambda level: 255 if level > 48 else 0).getbbox() is None, \
            f"page {number}: glyphs moved"


def _content(pdf: bytes) -> bytes:
    """All pages' content streams, decompressed."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return b"".join(pikepdf.unparse_content_stream(pikepdf.parse_content_stream(page))
                        for page in document.pages)
