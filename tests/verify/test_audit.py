"""The clreq audit on real WeasyPrint PDFs: zero findings with the extension, findings
without it, and clean, searchable Chinese text in the PDF."""

from __future__ import annotations

import json
import re

import pypdfium2 as pdfium
import pytest

from renderer.errors import PressError
from renderer.typeset import weasyprint70
from renderer.verify.audit import (
    RULES,
    Glyph,
    Line,
    _edges,
    audit,
    check_paragraphs,
    check_spacing,
    final_flags,
)
from tests.cjk_sample import page_html, paragraphs, render
from tests.conftest import patches_off

# One worker renders the before and after PDFs, for every test that reads them.
pytestmark = pytest.mark.xdist_group("audit")

HAN = r"[\u3400-\u9fff]"


@pytest.fixture(scope="module")
def before_pdf(tmp_path_factory):
    """WeasyPrint as shipped: no extension, no text preparation."""
    weasyprint70.uninstall()
    return render(page_html(prepare=False), tmp_path_factory.mktemp("a") / "before.pdf")


@pytest.fixture(scope="module")
def after_pdf(tmp_path_factory, before_pdf):
    weasyprint70.install()
    return render(page_html(prepare=True), tmp_path_factory.mktemp("b") / "after.pdf")


def test_typeset_sample_passes_every_rule(after_pdf):
    report = audit(after_pdf)
    assert report.body_lines > 100
    assert report.counts == {rule: 0 for rule in RULES}, report.to_text()
    assert report.ok


def test_stock_weasyprint_fails_justification_and_spacing(before_pdf):
    counts = audit(before_pdf).counts
    assert counts["justified-line-short"] > 20
    assert counts["han-latin-no-gap"] > 10


def _chinese_column_text(pdf) -> list[str]:
    """PDFium's own text extraction of the Chinese column (from 0.59 of the A4 width:
    English ends at 17 mm + 60% x 176 mm - 4 mm = 0.56, Chinese starts at 0.60), per page."""
    texts = []
    for page in pdfium.PdfDocument(str(pdf)):
        width, height = page.get_size()
        texts.append(page.get_textpage().get_text_bounded(left=width * 0.59, bottom=0,
                                                          right=width, top=height))
    return texts


def test_extracted_chinese_is_the_source_text(after_pdf):
    source = "".join(paragraphs()[1])
    texts = _chinese_column_text(after_pdf)
    extracted = "".join(texts)
    assert re.sub(r"\s", "", extracted) == re.sub(r"\s", "", source)
    assert "\u2060" not in extracted and "\u200b" not in extracted
    # Within a line no space stands between two Han characters unless the source has
    # one there (植下友谊树 共建友谊林), however loosely the line is justified.
    lines = [line for text in texts for line in text.splitlines()]
    spaced = [m.group() for line in lines for m in re.finditer(rf"{HAN}\s+{HAN}", line)]
    assert all(pair in source for pair in spaced), spaced


LOOSE = ('<p lang="zh-Hans" style="font: 10.5pt \'Noto Serif CJK SC\'; width: 17em; '
         'text-align: justify">重庆外办与渝中区共同主办Pneumonoultramicroscopic活动。</p>')


def test_a_loose_line_extracts_without_spaces_and_is_reported(tmp_path):
    """A word that cannot break leaves its slack to the Han line before it (0.45 em between
    characters): PDFium still extracts no space there (renderer.typeset.weasyprint70.tc),
    and the audit reports the line, with its page and gap, above its threshold only."""
    weasyprint70.install()
    pdf = render(LOOSE, tmp_path / "loose.pdf")
    assert _loosely_justified(pdf) == {"重庆外办与渝中区共同主办"}
    text = pdfium.PdfDocument(str(pdf))[0].get_textpage().get_text_range()
    assert text.splitlines()[0] == "重庆外办与渝中区共同主办"
    report = audit(pdf)
    assert [(f.rule, f.page, f.line) for f in report.findings] == [
        ("loose-line", 1, "重庆外办与渝中区共同主办")]
    assert report.findings[0].detail.startswith("0.4")
    assert audit(pdf, loose_em=0.5).ok


def _loosely_justified(pdf) -> set[str]:
    """Texts of lines whose Han characters stand more than 0.11 em apart: without the
    character spacing of renderer.typeset.weasyprint70.tc, PDFium would put a space there."""
    from renderer.verify.audit import _han_gap, group_lines, read_glyphs

    loose = set()
    for page, glyphs in enumerate(read_glyphs(pdf), start=1):
        for line in group_lines(glyphs, page):
            if line.is_chinese and _han_gap(line.visible, line.em) > 0.11 * line.em:
                loose.add(re.sub(r"\s", "", line.text))
    return loose


def test_search_finds_every_chongqing(after_pdf):
    expected = sum(p.count("重庆") for p in paragraphs()[1])
    found = 0
    for page in pdfium.PdfDocument(str(after_pdf)):
        search = page.get_textpage().search("重庆")
        while search.get_next():
            found += 1
    assert expected > 20 and found == expected


def test_each_rule_can_fire(tmp_path):
    """Breaks forced with <br>, no preparation, stock justification: every rule fires."""
    body = ("在我国第44个植树节来临之际市政府外办与渝中区政府共同主办活动<br>，邀请各国驻重庆"
            "总领馆领事官员代表在红岩公园植树并为国际友谊林揭牌来自匈牙利等国的官员（<br>"
            "代表参加了活动植树节来临之际市政府外办与渝中区政府共同主办活动邀请各国驻渝总领馆"
            "领事官员代表 在红岩公园植树并为国际友谊林揭牌来自匈牙利菲律宾等国的官员代表参加"
            "了活动来自匈牙利等国的代表参加了活动。")
    lone = "市政府外办与渝中区政府共同主办活动邀"        # 18 characters in a 17.9 em column
    markup = ('<style>p{font:10.5pt/1.7 "Noto Serif CJK SC";width:17.9em;text-align:justify;'
              'text-indent:2em;margin:0}</style>'
              f'<p lang="zh-Hans">{body}</p><p lang="zh-Hans" style="text-indent:0">{lone}</p>')
    with patches_off(weasyprint70):
        report = audit(render(markup, tmp_path / "bad.pdf"))
    counts = report.counts
    # The same findings as diagnostics: one warning per finding, code audit.<rule>, its page.
    assert len(report.diagnostics) == len(report.findings)
    assert {d.code for d in report.diagnostics} == {f"audit.{r}" for r, n in counts.items() if n}
    assert all(d.severity == "warning" and d.page == 1 and d.hint for d in report.diagnostics)
    assert not report.ok and json.loads(report.to_json())["diagnostics"]
    assert counts["line-start-prohibited"] == 1
    assert counts["line-end-opening"] == 1
    assert counts["han-latin-no-gap"] == 2          # 第44个 without prepare_zh_html
    assert counts["wide-gap"] == 1                  # the lone space took its line's slack
    assert counts["single-char-last-line"] == 1     # 邀
    assert counts["justified-line-short"] > 0


def test_report_formats(after_pdf):
    report = audit(after_pdf)
    data = json.loads(report.to_json())
    assert data["ok"] is True and set(data["counts"]) == set(RULES)
    assert "OK" in report.to_text() and "justified-line-short" in report.to_text()


def test_not_a_pdf_is_a_press_error(tmp_path):
    bogus = tmp_path / "x.pdf"
    bogus.write_text("not a pdf")
    with pytest.raises(PressError):
        audit(bogus)


def _line(chars: str, lefts: list[float], em: float = 10.0) -> Line:
    widths = {" ": em / 4, **{digit: 0.55 * em for digit in "0123456789"}}
    return Line(1, [Glyph(char, left, left + widths.get(char, em), 100.0)
                    for char, left in zip(chars, lefts)])


def test_a_hung_stop_and_a_half_width_opening_mark_keep_the_line_flush():
    """A comma hung into the margin (clreq 3.1.7) starts where the column ends; an
    opening mark set half-width at the line start (clreq 3.1.6) is drawn from half an
    em before the column's edge. A 4 em column:"""
    hung = _line("甲乙丙丁，", [0, 10, 20, 30, 40])
    assert hung.possible_rights()[0] == 40
    half = _line("“甲乙丙”", [-5, 5, 15, 25, 35])
    assert half.flush_left == 0 and _line("甲乙", [0, 10]).flush_left == 0
    column = [_line("甲乙丙丁", [0, 10, 20, 30]), hung, half, _line("甲乙。", [0, 10, 20])]
    assert _edges(column) == (0, 40)
    assert final_flags(column) == [False, False, False, True]
    assert check_paragraphs(column) == []


def test_a_space_typed_between_digits_is_not_inside_a_word():
    """话0451 8000: the typed space is drawn; without it the same gap opens a number."""
    lefts = [0, 12.5, 18, 23.5, 29, 34.5, 37, 42.5, 48, 53.5]
    assert not check_spacing(_line("话0451 8000", lefts))
    opened = _line("话04518000", lefts[:5] + lefts[6:])
    assert [f.rule for f in check_spacing(opened)] == ["gap-inside-latin-word"]
