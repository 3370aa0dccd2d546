"""The second sample issue, issues/2022-03, uses every block element, a single-language
notice, side-by-side figures, a lead story with its picture, a logo and the name 张喆;
built once per session by the real command (tests/conftest.py) and read back."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from renderer.prepare import page
from renderer.verify.audit import audit
from tests.conftest import ROOT

pytestmark = pytest.mark.xdist_group("corpus")

ISSUE = ROOT / "issues" / "2022-03"
STRICT_AUDIT_RULES = {"line-start-prohibited", "line-end-opening", "split-dash-ellipsis",
                      "han-latin-no-gap", "gap-inside-latin-word", "single-char-last-line"}


@pytest.fixture
def range_build(second_sample_build) -> dict[str, Path]:
    return second_sample_build


def _pdftotext(pdf: Path) -> str:
    import subprocess
    return subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("edition", ["print", "email"])
def test_no_markdown_syntax_reaches_the_pdf(range_build, edition):
    text = _pdftotext(range_build[edition])
    for line in text.splitlines():
        for column in re.split(r"\s{3,}", line.strip()):  # -layout puts columns side by side
            assert not column.startswith(("- ", "> ", "|", "#")), line
        assert "[^" not in line and ":::" not in line, line
    assert "Questions from the floor" in text and "Bring the right photograph" in text


def _boxes(pdf: Path, needle: str) -> list[tuple[int, float, float]]:
    """(page, left, right) of each occurrence of `needle` (pypdfium2 text search)."""
    document = pdfium.PdfDocument(pdf)
    found = []
    try:
        for number, pdf_page in enumerate(document):
            textpage = pdf_page.get_textpage()
            searcher = textpage.search(needle)
            while (hit := searcher.get_next()) is not None:
                start, count = hit
                boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
                found.append((number, min(b[0] for b in boxes), max(b[2] for b in boxes)))
            searcher.close()
    finally:
        document.close()
    return found


def _page_middle(pdf: Path) -> float:
    document = pdfium.PdfDocument(pdf)
    try:
        return document[0].get_width() / 2
    finally:
        document.close()


@pytest.mark.parametrize("edition", ["print", "email"])
def test_footnotes_are_numbered_in_each_column_with_their_notes(range_build, edition):
    pdf = range_build[edition]
    middle = _page_middle(pdf)
    text = re.sub(r"\s+", "", _pdftotext(pdf))
    assert "communities.1" in text and "Corridor.2" in text       # the references
    assert "影响。1" in text and "建设。2" in text
    english = _boxes(pdf, "A trade route linking western China")
    chinese = _boxes(pdf, "连接中国西部与东南亚")
    assert english and all(right < middle for _, _, right in english), english
    assert chinese and all(left > middle for _, left, _ in chinese), chinese
    for note in ("1Theconsulates-general", "2Atraderoute", "1匈牙利", "2连接中国西部"):
        assert note in text, note


def test_the_single_language_notice_spans_the_measure(range_build):
    pdf = range_build["print"]
    measure_pt = page.text_width_mm("A4") / 25.4 * 72
    lines = _boxes(pdf, "service counter will be closed")
    assert lines, "the notice is not in the PDF"
    document = pdfium.PdfDocument(pdf)
    try:
        number = lines[0][0]
        textpage = document[number].get_textpage()
        text = textpage.get_text_range()
        start = text.find("The Foreign Affairs Office")
        end = start + text[start:].find("6th.")
        boxes = [textpage.get_charbox(i) for i in range(start, end) if not text[i].isspace()]
    finally:
        document.close()
    left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
    assert right - left > 0.95 * measure_pt, (left, right, measure_pt)
    assert right > _page_middle(pdf) + 0.4 * measure_pt


@pytest.mark.parametrize("edition", ["print", "email"])
def test_both_editions_pass_the_chinese_audit(range_build, edition):
    report = audit(range_build[edition])
    strict = [f for f in report.findings if f.rule in STRICT_AUDIT_RULES]
    assert not strict, strict
    assert report.chinese_lines > 40


def test_print_links_show_their_target_and_email_keeps_them_clickable(range_build):
    printed = re.sub(r"\s+", "", _pdftotext(range_build["print"]))
    assert "ourwebsite(example.org/newsletter/briefings)" in printed
    assert "外办官网（example.org/newsletter/briefings）" in printed
    document = pdfium.PdfDocument(range_build["email"])
    import pikepdf
    with pikepdf.open(range_build["email"]) as pdf:
        uris = [str(a.A.URI) for p in pdf.pages for a in p.get("/Annots", [])
                if "/A" in a and "/URI" in a.A]
    document.close()
    assert "https://example.org/newsletter/briefings" in uris


@pytest.mark.parametrize("edition", ["print", "email"])
def test_bylines_stand_under_each_title_in_its_language(range_build, edition):
    """byline: {en, zh}: the English under the English title, the Chinese in the Chinese
    column (the right half of the page)."""
    document = pdfium.PdfDocument(str(range_build[edition]))
    for sheet in document:
        text = sheet.get_textpage()
        found = {}
        for needle in ("By Chen Jing, staff reporter", "文/本刊记者"):
            searcher = text.search(needle)
            hit = searcher.get_next()
            if hit:
                found[needle] = text.get_charbox(hit[0])[0] / sheet.get_width()
        if found:
            assert found["By Chen Jing, staff reporter"] < 0.5 < found["文/本刊记者"], found
            return
    raise AssertionError("the bylines are not in the PDF")
