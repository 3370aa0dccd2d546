"""A laid-out document freed by reference counting (renderer.typeset.weasyprint70.memory):
no page, and no box built before layout, waits for the cyclic collector; and the PDF is the
one WeasyPrint writes with its cycles."""

from __future__ import annotations

import contextlib
import gc
import re
import uuid

import pytest

from renderer.typeset.weasyprint70 import load, memory
from tests.conftest import patches_off

# What the three cycles came from: tables split over pages (with a column background, which
# reads the column's cells), footnotes on several pages, and page numbers of later pages on
# the first one, which make WeasyPrint lay that page out again.
DOCUMENT = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Memory</title>
<meta name="dcterms.created" content="2024-01-01"><meta name="dcterms.modified" content="2024-01-01">
<style>
@page { size: A6; margin: 12mm; @footnote { border-top: 0.5pt solid black; } }
body { font: 9pt "Press Serif"; }
table { width: 100%; table-layout: fixed; border-collapse: collapse; }
col.shaded { background: rgb(230, 240, 250); }
td { vertical-align: top; padding: 1mm; }
.note { float: footnote; }
.contents a::after { content: " " target-counter(attr(href), page); }
</style></head><body>
<p class="contents">CONTENTS</p>
ARTICLES
</body></html>"""
ARTICLE = """<h2 id="a{n}">Article {n}</h2><table><colgroup><col class="shaded"><col></colgroup>
{rows}</table>"""
ROW = ("<tr><td>Paragraph {n}.{m}, the English column, long enough to take several lines "
       "of this narrow page, with a note<span class='note'>Note {n}.{m}.</span>.</td>"
       "<td>Paragraph {n}.{m}, the other column, as long as the first one is.</td></tr>")


def document_html(articles: int = 4, rows: int = 6) -> str:
    contents = " ".join(f'<a href="#a{n}">Article {n}</a>' for n in range(articles))
    body = "".join(ARTICLE.format(n=n, rows="".join(ROW.format(n=n, m=m) for m in range(rows)))
                   for n in range(articles))
    return DOCUMENT.replace("CONTENTS", contents).replace("ARTICLES", body)


@contextlib.contextmanager
def no_collection():
    """The collector off, as the press's raised thresholds make it during a typesetting."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.mark.parametrize("variant", ["pdf/ua-1", "pdf/x-4"])
def test_the_same_pdf_as_weasyprint_with_its_cycles(variant, monkeypatch):
    weasyprint = load()
    # the variants' XMP carries a random document ID (the press's finishing pass fixes it)
    monkeypatch.setattr(weasyprint.pdf.metadata, "uuid4", lambda: uuid.UUID(int=1))
    html = document_html()

    def written() -> bytes:
        pdf = weasyprint.HTML(string=html).write_pdf(pdf_variant=variant, pdf_identifier=False,
                                                     uncompressed_pdf=True)
        # the tags' /PressNode keys are object ids, for the finishing pass (which drops them)
        return re.sub(rb"/PressNode \d+", b"/PressNode", pdf)

    with memory.releasing_pages():
        released = written()
    with patches_off(memory):
        kept = written()
    assert released == kept


def live_boxes(weasyprint) -> set[int]:
    return {id(box) for box in gc.get_objects()
            if isinstance(box, weasyprint.formatting_structure.boxes.Box)}


def boxes_kept_by(document, weasyprint) -> set[int]:
    """The boxes the document reaches, through its pages, their boxes, links and
    attributes (not through styles, which reach no box)."""
    box_class = weasyprint.formatting_structure.boxes.Box
    walked = (box_class, weasyprint.document.Page, dict, list, tuple, set)
    seen, found, todo = set(), set(), [document.pages]
    while todo:
        item = todo.pop()
        if id(item) in seen or not (type(item) in walked or isinstance(item, walked[:2])):
            continue
        seen.add(id(item))
        if isinstance(item, box_class):
            found.add(id(item))
        todo.extend(gc.get_referents(item))
    return found


@pytest.mark.parametrize("variant", ["pdf/ua-1", "pdf/x-4"])
def test_each_page_is_freed_once_written_without_a_collection(variant):
    weasyprint = load()
    with no_collection():
        before = live_boxes(weasyprint)
        document = weasyprint.HTML(string=document_html()).render(pdf_variant=variant)
        # laid out: every box left is one the document reaches, so nothing is left of the
        # box tree the layout started from (but the generated content that the contents'
        # links keep as ``missing_link``), nor of the first page's first layout, made
        # before the page numbers it shows were known
        laid_out = live_boxes(weasyprint) - before
        assert laid_out == boxes_kept_by(document, weasyprint)
        assert len(document.pages) > 4
        with memory.releasing_pages():
            document.write_pdf(pdf_variant=variant, pdf_identifier=False)
        # written: only the boxes of the links are left, which the document's pages keep
        written = live_boxes(weasyprint) - before
        assert written == boxes_kept_by(document, weasyprint)
        assert 0 < len(written) < len(laid_out) / 20


def test_outside_releasing_pages_a_document_can_be_written_twice():
    weasyprint = load()
    document = weasyprint.HTML(string=document_html(articles=2)).render()
    assert document.write_pdf(pdf_identifier=False) == document.write_pdf(pdf_identifier=False)
