"""The press end to end: the sample issue built by the real command, read back from the PDFs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import opencc
import pikepdf
import pypdfium2 as pdfium
import pytest

from renderer.load import load_issue
from tests.conftest import SAMPLE

MM = 72 / 25.4
A4 = (210 * MM, 297 * MM)
BUNDLED_FAMILIES = {"Press-Serif", "Press-Sans", "Press-Serif-SC", "Press-Sans-SC"}


@pytest.fixture(scope="module")
def issue():
    return load_issue(SAMPLE)


def page_texts(pdf: Path) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    return [page.get_textpage().get_text_range() for page in document]


def squeeze(text: str) -> str:
    """Text without whitespace or end-of-line hyphenation, to compare with the source."""
    text = re.sub(r"[\u00ad\u2010\x02-]\s*[\r\n]+", "", text)  # word broken at a line end
    return re.sub(r"\s+", "", text)


def test_print_edition_has_trim_and_bleed_boxes(sample_build):
    with pikepdf.open(sample_build["print"]) as pdf:
        for page in pdf.pages:
            trim = [float(v) for v in page.TrimBox]
            media = [float(v) for v in page.MediaBox]
            assert trim[2] - trim[0] == pytest.approx(A4[0], abs=0.5)
            assert trim[3] - trim[1] == pytest.approx(A4[1], abs=0.5)
            assert media[0] < trim[0] - 8 and media[2] > trim[2] + 8  # bleed and marks
            assert media[1] < trim[1] - 8 and media[3] > trim[3] + 8


def test_email_edition_has_one_bookmark_per_article(sample_build, issue):
    with pikepdf.open(sample_build["email"]) as pdf:
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
    assert len(titles) == len(issue.articles) == 7
    for title, article in zip(titles, issue.articles):
        assert article.title.en in title and article.title.zh in title


@pytest.mark.parametrize("edition", ["print", "email"])
def test_titles_side_by_side_on_the_page_the_contents_promise(sample_build, issue, edition):
    pdf = sample_build[edition]
    for article in issue.articles:
        # the first occurrences are in the contents on page 1: look past the cover
        en_page, en_x = _first_after_cover(pdf, article.title.en[:25])
        zh_page, zh_x = _first_after_cover(pdf, article.title.zh[:10])
        assert en_page == zh_page, article.slug
        assert en_x < zh_x, article.slug
        assert contents_page_number(pdf, article.title.zh[:10]) == en_page + 1, article.slug


def contents_page_number(pdf: Path, title_start: str) -> int:
    """The number printed at the right end of the contents entry whose Chinese title
    starts with `title_start` (the entry's row, from the title's line to the page edge)."""
    textpage = pdfium.PdfDocument(pdf)[0].get_textpage()
    hit = textpage.search(title_start, match_case=True).get_next()
    assert hit, f"{title_start!r} is not in the contents"
    left, bottom, right, top = textpage.get_charbox(hit[0])
    # The entry's number column sits right of the titles, its first line level with
    # the English title just above the Chinese one.
    row = textpage.get_text_bounded(left=right + 300, bottom=bottom - 2,
                                    right=right + 1000, top=top + 40)
    numbers = re.findall(r"\d+", row)
    assert numbers, f"no page number in the contents row of {title_start!r}"
    return int(numbers[0])


def _first_after_cover(pdf: Path, needle: str) -> tuple[int, float]:
    document = pdfium.PdfDocument(pdf)
    for number in range(1, len(document)):
        textpage = document[number].get_textpage()
        hit = textpage.search(needle, match_case=True).get_next()
        if hit:
            return number, textpage.get_charbox(hit[0])[0]
    raise AssertionError(f"{needle!r} not found after the cover of {pdf.name}")


@pytest.mark.parametrize("edition", ["print", "email"])
def test_every_paragraph_is_in_the_text(sample_build, issue, edition):
    text = squeeze("".join(page_texts(sample_build[edition])))
    for article in issue.articles:
        for paragraph in article.en + article.zh:
            start = squeeze(re.sub(r"[*_`\[\]]", "", paragraph.text))[:20]
            assert start in text, f"{article.path.name}:{paragraph.line}: {start!r}"


@pytest.mark.parametrize("edition", ["print", "email"])
def test_only_bundled_fonts_all_embedded(sample_build, edition):
    listing = subprocess.run(["pdffonts", str(sample_build[edition])], capture_output=True,
                             text=True, check=True).stdout.splitlines()[2:]
    assert listing
    for row in listing:
        name, *_ = row.split()
        family = name.split("+", 1)[1] if "+" in name else name
        assert re.sub(r"-(Bold|Italic|BoldItalic|Regular)$", "", family) in BUNDLED_FAMILIES
        assert "Type 3" not in row
        assert row.split()[-5] == "yes", f"not embedded: {row}"


@pytest.mark.parametrize("edition", ["print", "email"])
def test_chinese_text_is_clean_simplified(sample_build, edition):
    text = "".join(page_texts(sample_build[edition]))
    assert "\ufffd" not in text
    assert not re.search(r"\((?:[a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*)\)", text)
    han = "".join(re.findall(r"[\u4e00-\u9fff]+", text))
    assert opencc.OpenCC("t2s").convert(han) == han


def test_both_editions_carry_document_metadata(sample_build, issue):
    for path in sample_build.values():
        with pikepdf.open(path) as pdf:
            info = pdf.docinfo
            assert issue.name.en in str(info["/Title"])
            assert str(info["/Author"]) == issue.publisher
            assert str(pdf.Root.Lang).startswith("en")


@pytest.mark.parametrize("edition", ["print", "email"])
def test_chinese_typography_audit_is_clean_on_the_sample(sample_build, edition):
    from renderer.verify.audit import audit

    report = audit(sample_build[edition])
    assert report.ok, report.to_text()
    assert sum(report.counts.values()) == 0


@pytest.mark.parametrize("edition", ["print", "email"])
def test_no_space_is_extracted_between_two_han_characters(sample_build, issue, edition):
    """PDFium's extraction of every line: a space between two Han characters only where
    the source has one, however loosely a line is justified (renderer.typeset.weasyprint70.tc)."""
    from renderer.prepare import prepare_issue

    han = r"[\u3400-\u9fff]"
    source = "".join([path.read_text(encoding="utf-8") for path in
                      [issue.manifest, *(article.path for article in issue.articles)]]
                     + [str(prepare_issue(issue).issue_line)])
    for page in pdfium.PdfDocument(sample_build[edition]):
        for line in page.get_textpage().get_text_range().splitlines():
            for pair in re.findall(rf"{han}[ \t\u3000]+{han}", line):
                assert pair in source, f"{pair!r} in {line!r}"
