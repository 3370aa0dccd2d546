"""Page-based target counters (renderer.typeset.weasyprint70.counters): the same PDF as
WeasyPrint's own, the right numbers, and a contents page laid out twice, not three times."""

from __future__ import annotations

import logging

import pypdfium2 as pdfium
import pytest

from renderer.typeset.weasyprint70 import counters, load
from renderer.typeset.weasyprint70.progress import LAYOUT_PAGE
from tests.conftest import patches_off

HEAD = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="dcterms.created" content="2024-01-01"><meta name="dcterms.modified" content="2024-01-01">
<style>
@page { size: A6; margin: 12mm; @bottom-center { content: counter(page) " / " counter(pages); } }
body { font: 9pt "Press Serif"; }
section { break-before: page; }
a.to::after { content: " .... " target-counter(attr(href url), page); }
.see::after { content: "see " target-counter(attr(data-target url), page); }
.mixed::after { content: "p. " counter(page) " of " counter(pages) ", see "
                         target-counter(attr(href url), page); }
.by-string::after { content: "third on " target-counter("#s3", page); }
</style></head><body>"""

SECTIONS = "".join(f'<section id="s{n}"><h1>Section {n}</h1>' + "<p>Text of the section.</p>" * 8
                   + "</section>" for n in range(1, 4))

DOCUMENTS = {
    # a contents before its targets, each a link, as the press's contents page
    "contents": '<nav><a class="to" href="#s1">One</a><br><a class="to" href="#s2">Two</a><br>'
                '<a class="to" href="#s3">Three</a></nav>' + SECTIONS,
    # a reference back to an anchor laid out before it, named by another attribute
    "backward": SECTIONS + '<p class="see" data-target="#s1"></p>',
    # the box's own page counters and a target's in one content
    "mixed": '<p><a class="mixed" href="#s3"></a></p>' + SECTIONS,
    # a target named by a string, which WeasyPrint 70 already files under its anchor
    "string": '<p class="by-string"></p>' + SECTIONS,
}


def render(body: str) -> tuple[bytes, int]:
    """The PDF, and how many pages were laid out (a page laid out again counts again)."""
    weasyprint = load()
    laid_out = []
    handler = logging.Handler()
    handler.emit = lambda record: laid_out.append(record.msg)  # "(up-to-date)" is another
    logger = logging.getLogger("weasyprint.progress")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        pdf = weasyprint.HTML(string=HEAD + body + "</body></html>").write_pdf(
            pdf_identifier=False)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return pdf, laid_out.count(LAYOUT_PAGE)


def page_texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_same_pdf_as_weasyprint_and_never_more_layouts(name):
    patched, patched_layouts = render(DOCUMENTS[name])
    with patches_off(counters):
        own, own_layouts = render(DOCUMENTS[name])
    assert patched == own
    assert patched_layouts <= own_layouts


def test_the_numbers_printed():
    texts = page_texts(render(DOCUMENTS["contents"])[0])
    assert "One .... 2" in texts[0] and "Two .... 3" in texts[0] and "Three .... 4" in texts[0]
    assert texts[0].endswith("1 / 4")
    assert "see 1" in page_texts(render(DOCUMENTS["backward"])[0])[-1]
    assert "p. 1 of 4, see 4" in page_texts(render(DOCUMENTS["mixed"])[0])[0]
    assert "third on 4" in page_texts(render(DOCUMENTS["string"])[0])[0]


def test_a_contents_page_is_laid_out_twice_not_three_times():
    pdf, layouts = render(DOCUMENTS["contents"])
    pages = len(page_texts(pdf))
    assert pages == 4 and layouts == pages + 1  # the contents again, with its numbers
    with patches_off(counters):
        assert render(DOCUMENTS["contents"])[1] == pages + 2
