"""Typeset stage: composed HTML -> PDF bytes, with WeasyPrint 70.

The print edition is PDF/X-4 with the press's CMYK output intent; the email edition is
tagged PDF/UA-1. Every URL goes through the sandbox fetcher (``fetcher``); WeasyPrint is
reached only through its one seam (``weasyprint70``), imported lazily so that commands
which do not typeset (lint, check, a no-op build) do not pay for it.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from renderer.errors import PressError

# A no-op build imports this package (the build cache reads the seam's pinned versions):
# what only typesetting needs (Jinja2 and Markdown through compose, the model, the
# fetcher, the finishing pass, the library check) is imported where it is used.
if TYPE_CHECKING:
    from renderer.compose import Composed
    from renderer.model import Issue

PDF_VARIANT = {"print": "pdf/x-4", "email": "pdf/ua-1"}
# The languages the press hyphenates (styles/cjk.css: `hyphens: auto` on td.en p): their
# patterns take pyphen 50 ms to read, once per process, so the warm-up reads them for
# every fork instead of each edition reading them again.
HYPHENATED_LANGUAGES = ("en",)


@dataclass(frozen=True)
class Typeset:
    edition: str
    pdf: bytes
    pages: int
    warnings: tuple[str, ...] = ()  # what WeasyPrint warned about (a misspelt CSS property)


def typeset(composed: Composed, issue: Issue, *,
            progress: Callable[[str, int], None] | None = None) -> Typeset:
    """The edition's PDF. ``progress(stage, pages)`` hears ("layout", pages laid out so
    far) page by page, then ("writing", the edition's pages) when the PDF is drawn."""
    from renderer.typeset import fetcher, finish
    from renderer.typeset.weasyprint70 import fonts, load, memory
    from renderer.typeset.weasyprint70.progress import reporting

    weasyprint = load()
    sandbox = fetcher.sandbox_fetcher_class()(composed.images)
    options = {"pdf_variant": PDF_VARIANT[composed.edition], "pdf_identifier": False,
               "uncompressed_pdf": False}
    with _collect_weasyprint_messages() as (errors, warnings), _fewer_collections(), \
            _font_configuration(composed) as font_config, reporting(progress):
        try:
            document = weasyprint.HTML(
                string=composed.html, base_url=composed.base_url, url_fetcher=sandbox,
            ).render(font_config=font_config, color_profiles={}, **options)
            if composed.page_multiple:
                document = without_surplus_padding(document, composed.page_multiple)
            if progress:
                progress("writing", len(document.pages))
            with memory.releasing_pages():  # writing reuses the layout's memory
                pdf = document.write_pdf(finisher=fonts.finisher, **options)
            pages = len(document.pages)
            del document  # its fonts and pages: the finishing pass reads only the file
            memory.give_heap_back()
        except weasyprint.urls.FatalURLFetchingError:
            raise fetcher.refusal(sandbox.refused[0], issue) from None
    if sandbox.refused:
        raise fetcher.refusal(sandbox.refused[0], issue)
    if errors:
        raise PressError("WeasyPrint reported errors while typesetting the "
                         f"{composed.edition} edition: " + "; ".join(errors[:5]),
                         file=issue.manifest,
                         fix="This is a problem in the templates or styles/ (or a bug).")
    pdf = finish.finish(pdf, composed.edition, bleed_mm=issue.print.bleed_mm,
                        document_id=document_id(composed.edition, issue))
    return Typeset(edition=composed.edition, pdf=pdf, pages=pages,
                   warnings=tuple(f"WeasyPrint ({composed.edition} edition): {message}"
                                  for message in dict.fromkeys(warnings)))


# Young-generation thresholds while an edition is laid out and written (Python's are
# (700, 10, 10)): see _fewer_collections.
LAYOUT_GC_THRESHOLDS = (20_000, 50, 1_000)


@contextlib.contextmanager
def _fewer_collections():
    """Collect cyclic garbage rarely while WeasyPrint works. A layout allocates millions of
    boxes and styles that all live until the PDF is written, and makes few cycles, so
    Python's default thresholds had its collector traverse the growing tree again and again
    for nothing: a fifth of a render (105 articles: 4.37 -> 3.42 s, 6 MB more resident).
    Reference counting still frees everything acyclic at once; the thresholds come back
    afterwards, and a full collection runs when the process is next due one."""
    thresholds = gc.get_threshold()
    gc.set_threshold(*LAYOUT_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _font_configuration(composed: Composed):
    """The process's shared font configuration (with the linked sheets parsed for it)
    when the document's fonts are the bundled ones; else one of its own, removed after."""
    from renderer.typeset.weasyprint70 import fonts, stylesheets

    if composed.bundled_fonts_only:
        return contextlib.nullcontext(stylesheets.shared_font_configuration())
    return fonts.font_configuration()


def without_surplus_padding(document, multiple: int):
    """The pages of a bound edition, as many padding pages kept as make the count a
    multiple of ``multiple``: the first ones, so that the others' folios still follow
    (compose put multiple - 1 before the back cover). Dropping pages laid out once
    costs nothing; laying the issue out again with the right number cost a second layout."""
    from renderer.compose import PADDING_ID

    padding = [index for index, page in enumerate(document.pages)
               if any(name.startswith(PADDING_ID) and name[len(PADDING_ID):].isdigit()
                      for name in page.anchors)]
    keep = -(len(document.pages) - len(padding)) % multiple
    surplus = set(padding[keep:])
    if not surplus:
        return document
    return document.copy([page for index, page in enumerate(document.pages)
                          if index not in surplus])


def document_id(edition: str, issue: Issue) -> str:
    """32 hex digits, fixed per issue and edition: with the manifest's fixed dates this
    makes builds reproducible."""
    return hashlib.sha256(f"{issue.slug}/{issue.key}/{edition}".encode()).hexdigest()[:32]


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        kept = self.errors if record.levelno >= logging.ERROR else self.warnings
        kept.append(record.getMessage())


class _collect_weasyprint_messages:
    """WeasyPrint logs (rather than raises) problems such as an unloadable font (an
    error: the build stops) or an unknown CSS property (a warning: the build shows it,
    and fails with --strict). Its logger has only a NullHandler, so without this they
    would vanish."""

    def __enter__(self) -> tuple[list[str], list[str]]:
        self.handler = _Collector()
        self.logger = logging.getLogger("weasyprint")
        self.logger.addHandler(self.handler)
        return self.handler.errors, self.handler.warnings

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self.handler)


def warm_up() -> None:
    """Import WeasyPrint, install the press's extensions, parse the static stylesheets
    and read the hyphenation patterns ahead of time. Safe to call again."""
    import pyphen

    from renderer.assets import STYLES
    from renderer.typeset import fetcher, finish  # noqa: F401 - finish: for the jobs
    from renderer.typeset.weasyprint70 import load, stylesheets

    _exit_with_parent()
    load()
    if stylesheets.shared_font_configuration(create=False) is None:  # the editions' sheets
        stylesheets.preload(sorted(path.name for path in STYLES.glob("*.css")),
                            fetcher.sandbox_fetcher_class()())
    for lang in HYPHENATED_LANGUAGES:  # pyphen keeps the patterns it reads (its hdcache)
        pyphen.Pyphen(lang=lang)
    # What is imported and parsed by now lives as long as the process: the collector need
    # not traverse it again in every full collection (nor a fork touch its pages to).
    gc.freeze()


def release() -> None:
    """Remove what ``warm_up`` and the typesettings of this process kept (the shared font
    files in the temporary folder). A process's exit does it (Python's, or multiprocessing's
    for a worker); one that leaves with ``os._exit`` on its own calls it first."""
    from renderer.typeset.weasyprint70 import stylesheets

    stylesheets.release()


def _exit_with_parent() -> None:
    """A typesetting worker dies with the build that forked it (Linux PR_SET_PDEATHSIG),
    so that a build killed with SIGKILL leaves no workers behind."""
    import ctypes
    import multiprocessing
    import signal

    if multiprocessing.parent_process() is None:
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the worker ends when its pipe to the parent closes


def library_warnings() -> list[str]:
    """What the build should say about the machine's libraries: one warning, with the
    command that fixes it, when HarfBuzz's subsetter is missing. (The other libraries
    are required: WeasyPrint fails without them, and the message names them.)"""
    from renderer.typeset.weasyprint70 import libraries

    if libraries.harfbuzz_subset_missing():
        return ["libharfbuzz-subset0 is not installed, so fonts are subset the slow way "
                "(about 12 s more a build). Install it: sudo apt-get install "
                "libharfbuzz-subset0 (or run scripts/setup.sh)."]
    return []
