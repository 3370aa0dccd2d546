"""Typeset stage: composed HTML -> PDF bytes, with WeasyPrint 70.

The print edition is PDF/X-4 with the press's CMYK output intent; the email
edition is tagged PDF/UA-1. Every URL the document asks for goes through
`SandboxFetcher`: only data: URLs and files inside the project's styles/ and
fonts/ folders (after symlinks) are served; anything else, file:, http(s):,
a path that climbs out, stops the build with the URL named. Content never
reaches the network or the machine's other files.

WeasyPrint is imported here, lazily, so that commands which do not typeset
(lint, check, a no-op build) do not pay for it.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from renderer.compose import FONTS, STYLES, Composed
from renderer.errors import PressError
from renderer.model import Issue

ALLOWED_ROOTS = (STYLES, FONTS)
PDF_VARIANT = {"print": "pdf/x-4", "email": "pdf/ua-1"}


@dataclass(frozen=True)
class Typeset:
    edition: str
    pdf: bytes
    pages: int


def typeset(composed: Composed, issue: Issue) -> Typeset:
    weasyprint = _weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    fetcher = _sandbox_fetcher_class()()
    fonts = FontConfiguration()
    profiles: dict = {}
    with _collect_weasyprint_errors() as errors:
        try:
            document = weasyprint.HTML(
                string=composed.html, base_url=composed.base_url, url_fetcher=fetcher,
            ).render(font_config=fonts, color_profiles=profiles,
                     **_options(composed.edition, issue))
            pdf = document.write_pdf(**_options(composed.edition, issue))
        except weasyprint.urls.FatalURLFetchingError:
            raise _refusal(fetcher.refused[0], issue) from None
    if fetcher.refused:
        raise _refusal(fetcher.refused[0], issue)
    if errors:
        raise PressError("WeasyPrint reported errors while typesetting the "
                         f"{composed.edition} edition: " + "; ".join(errors[:5]),
                         file=issue.manifest,
                         fix="This is a problem in the templates or styles/ (or a bug).")
    if composed.edition == "print":
        pdf = finish_print(pdf, issue.print.bleed_mm, _document_id(composed.edition, issue))
    return Typeset(edition=composed.edition, pdf=pdf, pages=len(document.pages))


def finish_print(pdf: bytes, bleed_mm: float, document_id: str) -> bytes:
    """What WeasyPrint 70 leaves undone for the press, done on the written file.

    Its crop marks are stroked in DeviceRGB black; they become 100 % K. Its
    BleedBox is "at most 10 pt" outside the trim; it becomes exactly the bleed the
    manifest asks for (the CSS bleed is wider, see MARKS_OFFSET_MM, so the marks
    sit outside the bleed, where the guillotine throws them away). Its XMP
    DocumentID is random; it becomes one derived from the issue, so that two
    builds of the same issue are byte-identical.
    """
    import pikepdf

    bleed = bleed_mm * 72 / 25.4
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            left, bottom, right, top = (float(v) for v in page.TrimBox)
            page.BleedBox = pikepdf.Array([left - bleed, bottom - bleed,
                                           right + bleed, top + bleed])
            for xobject in page.Resources.get("/XObject", {}).values():
                if xobject.get("/Subtype") == "/Form":
                    _rgb_black_to_k(xobject)
        xmp = document.Root.Metadata.read_bytes()
        document.Root.Metadata.write(re.sub(
            rb"xmp\.did:[0-9a-fA-F-]{36}", f"xmp.did:{uuid.UUID(document_id)}".encode(), xmp))
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
    return out.getvalue()


def _rgb_black_to_k(form) -> None:
    import pikepdf

    operations = pikepdf.parse_content_stream(form)
    changed = False
    for index, (operands, operator) in enumerate(operations):
        if str(operator) in {"rg", "RG"} and [float(v) for v in operands] == [0, 0, 0]:
            cmyk = "k" if str(operator) == "rg" else "K"
            operations[index] = pikepdf.ContentStreamInstruction(
                [0, 0, 0, 1], pikepdf.Operator(cmyk))
            changed = True
    if changed:
        form.write(pikepdf.unparse_content_stream(operations))


def _document_id(edition: str, issue: Issue) -> str:
    """32 hex digits, fixed per issue and edition: with the manifest's fixed dates this
    makes builds reproducible."""
    return hashlib.sha256(f"{issue.slug}/{issue.key}/{edition}".encode()).hexdigest()[:32]


def _options(edition: str, issue: Issue) -> dict:
    return {"pdf_variant": PDF_VARIANT[edition],
            "pdf_identifier": _document_id(edition, issue).encode(), "uncompressed_pdf": False}


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class _collect_weasyprint_errors:
    """WeasyPrint logs (rather than raises) problems such as an unloadable font."""

    def __enter__(self) -> list[str]:
        self.handler = _ErrorCollector()
        self.logger = logging.getLogger("weasyprint")
        self.logger.addHandler(self.handler)
        return self.handler.messages

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self.handler)


def warm_up() -> None:
    """Import WeasyPrint and install the Chinese typography extension ahead of time."""
    _exit_with_parent()
    _weasyprint()


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
    command that fixes it, when HarfBuzz's subsetter is missing. Without it WeasyPrint
    subsets the Chinese fonts with fontTools, which takes about 12 s a build.
    (The other libraries are required: WeasyPrint fails without them, and the message
    names them.) Checked with dlopen, which spawns nothing."""
    import ctypes

    try:
        ctypes.CDLL("libharfbuzz-subset.so.0")
    except OSError:
        return ["libharfbuzz-subset0 is not installed, so fonts are subset the slow way "
                "(about 12 s more a build). Install it: sudo apt-get install "
                "libharfbuzz-subset0 (or run scripts/setup.sh)."]
    return []


@lru_cache(maxsize=1)
def _weasyprint():
    with _libraries_by_soname():
        import weasyprint

    from renderer import typeset_cjk, typeset_fonts

    typeset_cjk.install()
    typeset_fonts.install()
    _tag_languages()
    _compress_streams_once()
    return weasyprint


class _libraries_by_soname:
    """While WeasyPrint is imported, a library name cffi cannot open as it stands is not
    looked for with ``ctypes.util.find_library``.

    WeasyPrint tries each library under six names for the platforms it supports, and for
    every name that is not this platform's, cffi asks find_library, which on Linux runs
    ``ldconfig -p`` and then ``gcc``/``ld``: some 200 processes and 0.15 s before the
    first page, per process. The names that work on Linux are sonames
    (``libpango-1.0.so.0``), which the dynamic linker opens without any search, so on
    Linux the lookup is skipped; elsewhere nothing changes.
    """

    def __enter__(self) -> None:
        import ctypes.util
        import sys

        self.saved = ctypes.util.find_library
        if sys.platform.startswith("linux"):
            ctypes.util.find_library = lambda name: None

    def __exit__(self, *exc) -> None:
        import ctypes.util

        ctypes.util.find_library = self.saved


def _compress_streams_once() -> None:
    """While pydyf writes a PDF, each stream is compressed once, not twice.

    pydyf 0.13 (``PDF.write``) builds every object's bytes for the file, then builds
    them all again to hash them for the file identifier, and a stream's bytes are
    computed afresh each time: every stream deflated twice at level 9, the CMYK
    profile alone 0.04 s each time. During a write nothing changes, so the second
    time gets the first result.
    """
    import pydyf

    if getattr(pydyf.PDF.write, "_press_once", False):
        return
    write, data = pydyf.PDF.write, pydyf.Stream.data

    def write_once(self, *args, **kwargs):
        made: dict[int, bytes] = {}

        def data_once(stream):
            key = id(stream)
            if key not in made:
                made[key] = data.fget(stream)
            return made[key]

        pydyf.Stream.data = property(data_once)
        try:
            return write(self, *args, **kwargs)
        finally:
            pydyf.Stream.data = data

    write_once._press_once = True
    pydyf.PDF.write = write_once


def _tag_languages() -> None:
    """Give each structure element of a tagged PDF the language of its HTML element.

    WeasyPrint 70 writes only the document's /Lang; PDF/UA-1 (ISO 14289-1, 7.2) wants
    the natural language of every passage that differs from it, so that a screen
    reader switches voice between the English and the Chinese column. Wraps the
    (module-global, recursive) tag builder; pinned to 70.0 like typeset_cjk.
    """
    import pydyf
    from weasyprint.pdf import tags

    if getattr(tags._build_box_tree, "_press_languages", False):
        return
    build = tags._build_box_tree

    def build_with_languages(box, *args):
        for element in build(box, *args):
            lang = box.style["lang"]
            if lang and "Lang" not in element:
                element["Lang"] = pydyf.String(lang)
            yield element

    build_with_languages._press_languages = True
    tags._build_box_tree = build_with_languages


@lru_cache(maxsize=1)
def _sandbox_fetcher_class():
    """The fetcher class, built on first use so that importing this module stays cheap."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class SandboxFetcher(URLFetcher):
        """WeasyPrint URL fetcher serving only data: URLs and project assets."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False,
                             fail_on_errors=True)
            self.refused: list[str] = []

        def fetch(self, url: str, headers=None):
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme == "file" and parts.netloc in {"", "localhost"}:
                try:
                    path = Path(unquote(parts.path)).resolve()
                    if path.is_file() and any(path.is_relative_to(r) for r in ALLOWED_ROOTS):
                        return URLFetcherResponse(url, body=path.read_bytes())
                except (OSError, ValueError, RuntimeError):
                    pass  # a NUL byte, an over-long name, a link loop: refused below
            self.refused.append(url)
            raise FatalURLFetchingError(f"refused to load {url}")

    return SandboxFetcher


def _refusal(url: str, issue: Issue) -> PressError:
    source = next((a.path for a in issue.articles
                   if url in a.path.read_text(encoding="utf-8", errors="replace")),
                  issue.manifest)
    return PressError(
        f"the document asked for {url}, which is outside the issue's folder and the "
        "project's assets; content may not load other files or anything from the network.",
        file=source, fix="Remove the reference, or copy the file into the issue folder.")
