"""A laid-out document given back to memory by reference counting: three reference cycles
of WeasyPrint 70 cut, and each page's boxes dropped once the page is drawn and tagged.

The press raises the collector's thresholds while it typesets (``typeset._fewer_collections``:
a full collection walks every box, about 3 ms a page at 357 pages), so whatever sits in a
reference cycle stays until a full collection, which a typesetting rarely or never reaches
before its process ends. Three cycles held most of a layout:

- a laid-out table's columns keep ``get_cells``, a closure over the table
  (``layout/table.py``): every table, and with it every page of the press's articles, was
  a cycle. The patch gives the closure the table's list of row groups instead, which is the
  same list that the table's ``children`` holds (it is not replaced after the layout), so a
  column's cells are the same ones;
- a footnote area keeps its page (``FootnoteAreaBox.page``) while the page keeps the area,
  so a page laid out again (the contents, once the page numbers are known) stayed as
  garbage beside its replacement. The area now keeps a weak reference: it is read only
  while its page is laid out, when the page is alive;
- the layout context keeps a partial of itself (``get_image_from_uri``), and its target
  collector keeps closures over the boxes built before layout: the whole box tree of the
  issue (a quarter of a layout's memory) lived on as garbage after the render. The context
  and the collector are emptied once the last page is laid out.

With the cycles cut, inside ``releasing_pages()`` a page's boxes are dropped as soon as
WeasyPrint no longer reads them: after drawing, or for a tagged PDF after its structure
elements are built (``pdf/tags.py`` walks the pages once, in order), so that writing the PDF
reuses the layout's memory instead of adding to it. A box's attribute dict is larger than
Python's small-object allocator serves, so it comes from C's ``malloc``, and what writing
allocates next is mostly small objects (structure elements) from Python's own arenas, which
cannot reuse that freed heap: every hundred pages released, when the tags are built and
before the finishing pass, the heap's free memory goes back to the system (glibc's
``malloc_trim``; elsewhere nothing is done). Measured on the 357-page editions of a
420-article issue: email peak 634 -> 468 MiB, print 518 -> 452, no time added, the same
bytes; on the 1,694-page editions of 2,002 articles, 2.59 -> 1.83 GB.

Upstream-ready description: no closure over the table on its columns, a weak reference from
the footnote area to its page, the layout context released when the layout ends, and an
option to free each page once it is written.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import weakref
from functools import lru_cache

RELEASED_PAGES_PER_TRIM = 100

# inside releasing_pages(): [pages released so far]
_released = contextvars.ContextVar("press_released_pages", default=None)
_originals = None  # (block.table_layout, document.layout_document, pdf.add_tags) while installed


def install() -> None:
    global _originals
    from weasyprint import document, pdf
    from weasyprint.formatting_structure.boxes import FootnoteAreaBox
    from weasyprint.layout import block

    if _originals is None:
        _originals = (block.table_layout, document.layout_document, pdf.add_tags)
        block.table_layout = _table_layout
        document.layout_document = _layout_document
        pdf.add_tags = _add_tags
        FootnoteAreaBox.page = property(_footnote_page, _set_footnote_page)


def uninstall() -> None:
    global _originals
    from weasyprint import document, pdf
    from weasyprint.formatting_structure.boxes import FootnoteAreaBox
    from weasyprint.layout import block

    if _originals is not None:
        block.table_layout, document.layout_document, pdf.add_tags = _originals
        del FootnoteAreaBox.page
        _originals = None


@contextlib.contextmanager
def releasing_pages():
    """Inside: ``write_pdf`` drops each page's boxes once it has written them (the document
    cannot be written again)."""
    token = _released.set([0])
    try:
        yield
    finally:
        _released.reset(token)


def release_if_drawn(page, stream) -> None:
    """Called by ``writing`` once a page is drawn: an untagged page is done with its boxes."""
    if _released.get() is not None and stream._tags is None:
        _release(page)


def _release(page) -> None:
    page._page_box = None
    released = _released.get()
    released[0] += 1
    if released[0] % RELEASED_PAGES_PER_TRIM == 0:
        give_heap_back()


@lru_cache(maxsize=1)
def _malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def give_heap_back() -> None:
    """Return the C heap's free memory to the system (glibc), so that what is allocated
    next, by Python's own allocator or by a C library, need not add to the process."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _table_layout(*args, **kwargs):
    result = _originals[0](*args, **kwargs)
    table = result[0]
    if table is not None:
        for group in table.column_groups:
            for column in group.children:
                column.get_cells = _column_cells(table.children, column.grid_x)
    return result


def _column_cells(row_groups, grid_x):
    return lambda: [cell for row_group in row_groups for row in row_group.children
                    for cell in row.children if cell.grid_x == grid_x]


def _footnote_page(area):
    return area.__dict__["_press_page"]()


def _set_footnote_page(area, page) -> None:
    area.__dict__["_press_page"] = weakref.ref(page)


def _layout_document(html, root_box, context, *args, **kwargs):
    yield from _originals[1](html, root_box, context, *args, **kwargs)
    context.target_collector.__dict__.clear()
    context.__dict__.clear()


def _add_tags(pdf, document, *args, **kwargs):
    if _released.get() is not None:
        document = _ReleasingDocument(document)
    return _originals[2](pdf, document, *args, **kwargs)


class _ReleasingDocument:
    """The document as ``add_tags`` reads it, each page's boxes dropped once it has moved on
    to the next page."""

    def __init__(self, document):
        self._document = document
        self.pages = _ReleasingPages(document.pages)

    def __getattr__(self, name):
        return getattr(self._document, name)


class _ReleasingPages:
    def __init__(self, pages):
        self._pages = pages

    def __len__(self) -> int:
        return len(self._pages)

    def __iter__(self):
        for page in self._pages:
            yield page
            _release(page)
        give_heap_back()  # before the file is written
