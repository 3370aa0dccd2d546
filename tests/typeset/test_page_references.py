"""pydyf's page references are built once per page count (renderer.typeset.weasyprint70.writing):
the same references as pydyf's own property, also after pages are added."""

from __future__ import annotations

from renderer.typeset.weasyprint70 import load, writing


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
