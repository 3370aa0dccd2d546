"""The project's linked stylesheets parsed once per process, not once per document.

A composed document links the static sheets of styles/ (``<link rel="stylesheet">``);
WeasyPrint 70 parses each ``<link>`` into a ``CSS`` again for every document, about
half of the 50-70 ms its stylesheets cost an edition, with the ``@font-face`` files
written out and registered each time. Here ``css.CSS``, the name ``find_stylesheets``
builds them with, is wrapped: a linked file of styles/ parsed with the process's shared
font configuration (``shared_font_configuration``) is kept and handed to every
later document, in the cascade at the same place (author origin, document order).

Kept only for sheets that hold nothing bound to one document: no ``@import``,
``@layer``, ``@counter-style`` or ``@color-profile`` (a cached sheet keeps its own page
rules and layers, and would not fill a later document's counter styles or colour
profiles). Upstream: a parsed-stylesheet cache keyed by URL and font configuration, as
WeasyPrint already has for images (``cache=``).
"""

from __future__ import annotations

import atexit
import os
from pathlib import Path

from renderer.assets import STYLES

DOCUMENT_BOUND = ("@import", "@layer", "@counter-style", "@color-profile")

_parsed: dict[tuple, object] = {}  # (url, media type, mtime, size) -> weasyprint.CSS
_original = None
_shared: tuple[int, object] | None = None  # (the process that made it, FontConfiguration)


def shared_font_configuration(*, create: bool = True):
    """The FontConfiguration of every document of this process (and of its forks) whose
    fonts are the bundled ones: their @font-face files are written and registered once.
    ``release`` removes it in the process that made it, as does that process's exit."""
    global _shared
    if _shared is None and create:
        from multiprocessing import util

        from weasyprint.text.fonts import FontConfiguration

        _shared = (os.getpid(), FontConfiguration())
        atexit.register(release)
        # A multiprocessing process (the warm typesetter, build_many's pool workers)
        # leaves with os._exit, which runs no atexit handler but does run these.
        util.Finalize(None, release, exitpriority=0)
    return _shared[1] if _shared else None


def release() -> None:
    """Forget the parsed sheets and remove the shared configuration's font files, if this
    process made them (a fork that inherited them leaves them to their maker). A process's
    exit calls it, through Python's or multiprocessing's; one that leaves with ``os._exit``
    on its own must call it first."""
    global _shared
    if _shared is None or _shared[0] != os.getpid():
        return
    from renderer.typeset.weasyprint70.fonts import remove_folder

    config, _shared = _shared[1], None
    _parsed.clear()
    remove_folder(config)


def install() -> None:
    global _original
    import weasyprint.css

    if _original is None:
        _original = weasyprint.css.CSS
        weasyprint.css.CSS = _css


def uninstall() -> None:
    global _original
    import weasyprint.css

    if _original is not None:
        weasyprint.css.CSS = _original
        _original = None
    release()


def preload(names: list[str], url_fetcher) -> None:
    """Parse these sheets of styles/ now (a typesetting process does it while the build
    composes, and its forks inherit them). Nothing while the wrapper is not installed."""
    if _original is None:
        return
    config = shared_font_configuration()
    for name in names:
        _css(url=(STYLES / name).as_uri(), font_config=config, url_fetcher=url_fetcher,
             media_type="print", _check_mime_type=True)


def _css(*args, url=None, font_config=None, media_type="print", **options):
    def parsed_for_this_document_only():
        return _original(*args, url=url, font_config=font_config, media_type=media_type,
                         **options)

    if (url is None or args or font_config is None
            or font_config is not shared_font_configuration(create=False)):
        return parsed_for_this_document_only()
    path = _project_sheet(url)
    try:
        stat = path.stat() if path else None
    except OSError:
        stat = None
    if stat is None:
        return parsed_for_this_document_only()
    key = (url, media_type, stat.st_mtime_ns, stat.st_size)  # an edited sheet is parsed anew
    if key not in _parsed:
        if any(rule in path.read_text(encoding="utf-8") for rule in DOCUMENT_BOUND):
            return parsed_for_this_document_only()
        own = {name: options[name] for name in ("url_fetcher", "_check_mime_type")
               if name in options}  # not the document's page rules, layers and the like
        for old in [old for old in _parsed if old[0] == url]:
            del _parsed[old]
        _parsed[key] = _original(url=url, font_config=font_config, media_type=media_type,
                                 **own)
    return _parsed[key]


def _project_sheet(url: str) -> Path | None:
    from renderer.typeset.fetcher import project_file

    path = project_file(url)
    return path if path and path.suffix == ".css" and path.is_relative_to(STYLES.resolve()) else None
