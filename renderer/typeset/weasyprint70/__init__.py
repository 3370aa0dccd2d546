"""The one seam to WeasyPrint 70 and pydyf 0.13 internals: version check, then patches.

Everything the press needs from WeasyPrint that its public API gives is used through
that API (``url_fetcher``, ``finisher``, ``pdf_identifier``, ``pdf_variant``); what it
does not give is patched here, and only here, by ``install()``, after ``check_versions()``
has refused any other WeasyPrint or pydyf. Each patch wraps the original and keeps it
(``uninstall()`` restores them all; tests compare both behaviours).

| patch | module | what it changes | why |
|---|---|---|---|
| ``layout.inline.count_expandable_spaces`` | ``cjk`` | counts the gaps between full-width characters as stretchable | clreq 3.8 inter-character justification (70 stretches only spaces) |
| ``text.line_break.Layout.set_text`` | ``cjk`` | Pango letter spacing for justification and the 1/4 em Han/Latin space, ``halt`` on adjacent marks, on a line-end mark and on the marks a planned line compresses | clreq 3.8, 3.2.2, 3.1.6 |
| ``layout.inline.split_first_line`` | ``cjk`` (``breaks``) | a justified Chinese text box broken as a whole: the slack of each line in line-end and line-start marks, adjacent pairs and hanging stops and commas before letter-spacing | clreq 3.1.6, 3.1.7, 3.8; JIS X 4051 4.8 |
| ``layout.inline.add_word_spacing`` | ``cjk`` | the justified layout of a planned line compresses the same marks | as above |
| ``layout.inline.get_next_linebox`` | ``cjk`` | remembers the width of the lines being laid out (the plan needs the width after an indented or shared first line) | as above |
| ``pdf.stream.Stream.show_text`` | ``tc`` | writes justification as character spacing (``Tc``), drops zero shifts | clean text extraction (PDFium reads big TJ shifts as spaces) |
| ``pdf.tags._build_box_tree`` | ``tags`` | ``/Lang`` on every structure element from its HTML ``lang``; ARIA ``role`` (``presentation``, ``doc-toc``, ``listitem``), ``/Scope`` on ``/TH``, one ``/Figure`` per ``alt`` language, ``/PressNode`` for ``typeset.structure`` | PDF/UA-1 7.2, 7.18.5: a screen reader switches voice per language; no layout tables |
| ``css.CSS`` (the name ``find_stylesheets`` builds sheets with) | ``stylesheets`` | a ``<link>``ed sheet of styles/ parsed with the process's shared font configuration is parsed once and reused by every later document | half of an edition's 50-70 ms of stylesheets, and the @font-face files written once per process, not per edition. Upstream: a parsed-stylesheet cache, as ``cache=`` is for images |
| ``css.StyleFor.set_computed_styles``, ``css.StyleFor.__call__`` | ``pseudo`` | the user-agent sheet's universal ``::marker``, ``::footnote-*`` and ``::note-*`` styles are computed when a box asks for one, not for every element up front | six styles per element, nearly all unused: 27,000 of 31,000 on the 105-article issue, about 0.5 s of a 4.4 s render and 23 MB. Upstream: pseudo-element styles on demand in ``StyleFor.__call__`` |
| ``css.targets.TargetCollector.collect_missing_counters`` | ``counters`` | a lookup's missing target counters filed under the anchor its ``attr()`` names, not ``None``; its own missing counters kept apart from the target's | the contents (``target-counter(attr(data-target url), page)``) was laid out three times where two suffice: its numbers reached it only because each lookup seemed to print its own page's ``page``, whose values change again when ``pages`` is known (9 -> 8 page layouts for the sample, 108 -> 99 at 105 articles). Upstream: name the anchor from the resolved token in ``compute_content_list`` and keep the local missing-counter list apart |
| ``pydyf.PDF.page_references``, ``document.Page.paint`` | ``writing`` | page references formatted once per page count; a page's content stream joined into one bytes object and compressed once it is drawn | WeasyPrint reads the references once per structure element and link (pages x elements: a million formatted for a 90-page email edition), and every drawn page was held as one object per operator until the file was written (0.37 MB a page). Upstream: cache the references in pydyf; join or compress a drawn page's stream |
| ``layout.block.table_layout``, ``formatting_structure.boxes.FootnoteAreaBox.page``, ``document.layout_document``, ``pdf.add_tags`` | ``memory`` | a column's cells found through the table's row groups, not a closure over the table; a weak reference from a footnote area to its page; the layout context emptied after the last page; inside ``memory.releasing_pages()``, each page's boxes dropped once drawn and tagged, and the C heap's free memory returned every hundred pages (glibc ``malloc_trim``) | the three cycles kept every laid-out page, and the box tree built before layout, as garbage the raised collector thresholds never reach; writing then added to the layout's memory instead of reusing it (357-page email edition: peak 634 -> 468 MiB; 1,694 pages: 2.59 -> 1.83 GB). Upstream: no cycles through columns, footnote areas and the context; free each page once written |
| ``pdf.fonts.ffi`` (the module's name for WeasyPrint's cffi instance) | ``cdata`` | ``new("T[n]", items)`` allocated as ``new("T[]", items)``; the fixed types of a layout and its writing parsed at install, before a typesetter forks | cffi parses every new type string with pycparser (3 ms): 70 names each font's glyph arrays by their length, two new types per font and document, and the forks parsed the fixed ones again (36 parses, 86 ms of CPU a sample build). Upstream: ``ffi.new("hb_codepoint_t[]", items)`` |
| ``text.fonts.FontConfiguration._folder`` (not a patch: read) | ``fonts.font_configuration`` | removes the @font-face folder when a typesetting ends | 70 removes it in ``__del__``, which a forked typesetter leaving with ``os._exit`` never runs: every build left 10-17 MB in /tmp. Upstream: a ``close()``/context manager on ``FontConfiguration`` |
| the ``weasyprint.progress`` logger's wording (not a patch: read) | ``progress`` | pages laid out, for the build's progress bar | the logger is public, its record texts ("Step 5 - Creating layout - Page %d") are not |
| ``ctypes.util.find_library`` (during ``import weasyprint`` only) | ``libraries`` | no ``ldconfig``/``gcc`` lookups of other platforms' library names | 0.14 s and 200 processes per start |

Public hooks, not patches: ``fonts.compact_embedded_fonts`` runs as the ``finisher`` of
``write_pdf``; the file identifier is left to the finishing pass with pikepdf
(``pdf_identifier=False``), which also spares pydyf's second compression of every stream.
"""

from __future__ import annotations

from functools import lru_cache

PINNED = {"weasyprint": "70.0", "pydyf": "0.13.0"}


class UnsupportedWeasyPrint(RuntimeError):
    """Another WeasyPrint or pydyf than the one these patches were written for."""


def check_versions() -> None:
    """Refuse any WeasyPrint or pydyf but the pinned ones, naming what to do."""
    from importlib import metadata  # here: not on the path of a no-op build

    for package, pinned in PINNED.items():
        try:
            installed = metadata.version(package)
        except metadata.PackageNotFoundError:
            installed = "none"
        if installed != pinned:
            raise UnsupportedWeasyPrint(
                f"the press extends {package} {pinned} internals (renderer/typeset/"
                f"weasyprint70/) but {package} {installed} is installed. Install "
                f"{package}=={pinned} (scripts/setup.sh does), or port each patch listed "
                "in renderer/typeset/weasyprint70/__init__.py to that version.")


@lru_cache(maxsize=1)
def load():
    """``import weasyprint``, checked and extended; the module. Safe to call again."""
    from renderer.typeset.weasyprint70 import libraries

    check_versions()
    with libraries.by_soname():
        import weasyprint
    install()
    return weasyprint


def _patch_modules():
    from renderer.typeset.weasyprint70 import (
        cdata,
        cjk,
        counters,
        memory,
        pseudo,
        stylesheets,
        tags,
        tc,
        writing,
    )

    return (cjk, tc, tags, stylesheets, pseudo, counters, writing, memory, cdata)


def install() -> None:
    """Install every patch of the table above; each module installs itself once."""
    for module in _patch_modules():
        module.install()


def uninstall() -> None:
    """Put WeasyPrint's own functions back (tests compare both behaviours)."""
    for module in _patch_modules():
        module.uninstall()
