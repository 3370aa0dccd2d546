"""Writing a long PDF in time and memory linear in its pages: page references formatted
once, each page's content stream joined and compressed as soon as the page is drawn.

- ``pydyf.PDF.page_references`` is a property that formats a reference for every page of
  the document each time it is read, and WeasyPrint 70 reads it once per structure
  element and per link when it writes a tagged PDF (``pdf/tags.py``, ``pdf/anchors.py``):
  pages x elements, quadratic in the issue. The 90-page email edition of the 105-article
  issue read it 11,250 times (a million references formatted); at 1,700 pages it would be
  hundreds of millions. The patch keeps the tuple until a page is added (``add_page`` is
  what changes ``Kids``).
- A page's content stream is a list of one bytes object per PDF operator until
  ``PDF.write`` joins it (``pydyf.Stream.data``), so every drawn page of the document was
  held as tens of thousands of small objects at once: 0.37 MB a page, a quarter of an
  edition's peak memory. ``document.Page.paint`` is the last thing that draws into it
  (``pdf.generate_pdf``), so the patch joins the list there and compresses it, exactly as
  ``data`` would later (zlib level 9, then ``/Filter /FlateDecode`` before ``/Length``):
  the same bytes, a small part of the memory.

Upstream-ready description: cache ``PDF.page_references`` in pydyf (reset by
``add_page``), and join or compress a page's stream once it is drawn.
"""

from __future__ import annotations

import zlib

from renderer.typeset.weasyprint70 import memory

_originals = None  # (pydyf.PDF.page_references, document.Page.paint) while installed


def install() -> None:
    global _originals
    import pydyf
    from weasyprint.document import Page

    if _originals is None:
        _originals = (pydyf.PDF.__dict__["page_references"], Page.paint)
        pydyf.PDF.page_references = property(_page_references)
        Page.paint = _paint


def uninstall() -> None:
    global _originals
    import pydyf
    from weasyprint.document import Page

    if _originals is not None:
        pydyf.PDF.page_references, Page.paint = _originals
        _originals = None


def _page_references(pdf) -> tuple[bytes, ...]:
    kids = pdf.pages["Kids"]
    cached = pdf.__dict__.get("_press_page_references")
    if cached is None or cached[0] != len(kids):
        cached = pdf._press_page_references = (len(kids), _originals[0].fget(pdf))
    return cached[1]


def _paint(page, stream, scale=1):
    from pydyf import _to_bytes

    _originals[1](page, stream, scale)
    data = b"\n".join(_to_bytes(item) for item in stream.stream)
    if stream.compress:  # as pydyf.Stream.data would, when the file is written
        compressor = zlib.compressobj(level=9)
        data = compressor.compress(data) + compressor.flush()
        stream.extra["Filter"] = "/FlateDecode"
        stream.compress = False
    stream.stream = [data]
    memory.release_if_drawn(page, stream)
