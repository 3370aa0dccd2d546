"""Writing in time and memory linear in pages (renderer.typeset.weasyprint70.writing): pydyf's
page references built once per page count, the same as pydyf's own property, also after pages
are added; and a page's stream joined and compressed when it is drawn, to the same bytes."""

from __future__ import annotations

from renderer.typeset.weasyprint70 import load, writing
from tests.conftest import patches_off


def _page():
    import pydyf

    return pydyf.Dictionary({"Type": "/Page"})


def test_the_references_are_pydyfs_and_follow_added_pages():
    load()
    import pydyf

    pdf = pydyf.PDF()
    for _ in range(3):
        pdf.add_page(_page())
    first = pdf.page_references
    assert first == writing._originals[0].fget(pdf)
    assert pdf.page_references is first  # not formatted again
    pdf.add_page(_page())
    assert len(pdf.page_references) == 4
    assert pdf.page_references == writing._originals[0].fget(pdf)
    assert pdf.page_references[-1] == f"{pdf.pages['Kids'][-3]} 0 R".encode("ascii")


def test_pages_compressed_when_drawn_are_the_bytes_pydyf_writes():
    weasyprint = load()
    paragraphs = "".join(f"<p>Paragraph <b>{n}</b>, <i>drawn</i> and compressed.</p>"
                         for n in range(40))
    html = f'<html lang="en"><body style="font: 9pt Press Serif">{paragraphs}</body></html>'
    compressed_when_drawn = weasyprint.HTML(string=html).write_pdf(pdf_identifier=False)
    with patches_off(writing):
        compressed_when_written = weasyprint.HTML(string=html).write_pdf(pdf_identifier=False)
    assert compressed_when_drawn.count(b"/FlateDecode") > 3  # the pages' streams, and more
    assert compressed_when_drawn == compressed_when_written
