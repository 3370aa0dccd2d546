"""The sandbox every URL of a composed document goes through (WeasyPrint's ``url_fetcher``).

Only data: URLs, the composition's own pictures (``press-image:N``, compose.Composed.images)
and files inside the project's styles/ and fonts/ folders (after symlinks) are served;
anything else, file:, http(s):, a path that climbs out, stops
the build with the URL named. Content never reaches the network or the machine's other
files. Built on WeasyPrint's public ``URLFetcher`` (68+), created on first use so that
importing this module stays cheap.
"""

from __future__ import annotations

import mimetypes
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from renderer.assets import FONTS, STYLES
from renderer.errors import PressError
from renderer.model import Issue

ALLOWED_ROOTS = (STYLES.resolve(), FONTS.resolve())


@lru_cache(maxsize=1)
def sandbox_fetcher_class():
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class SandboxFetcher(URLFetcher):
        """WeasyPrint URL fetcher serving only data: URLs, the composition's pictures
        (``images``: URL -> data: URL) and project assets."""

        def __init__(self, images: dict[str, str] | None = None) -> None:
            super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False,
                             fail_on_errors=True)
            self.refused: list[str] = []
            self.images = images or {}

        def fetch(self, url: str, headers=None):
            if urlsplit(url).scheme == "data":
                return super().fetch(url, headers)
            if url in self.images:
                return super().fetch(self.images[url], headers)
            path = project_file(url)
            try:
                if path is not None:
                    return URLFetcherResponse(url, body=path.read_bytes(), headers={
                        "Content-Type": mimetypes.guess_type(path.name)[0]
                        or "application/octet-stream"})
            except OSError:
                pass  # gone or unreadable since: refused below
            self.refused.append(url)
            raise FatalURLFetchingError(f"refused to load {url}")

    return SandboxFetcher


def project_file(url: str) -> Path | None:
    """The file a file: URL names, after symlinks, when it is a file inside the project's
    styles/ or fonts/; None for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in {"", "localhost"}:
        return None
    try:
        path = Path(unquote(parts.path)).resolve()
        if path.is_file() and any(path.is_relative_to(root) for root in ALLOWED_ROOTS):
            return path
    except (OSError, ValueError, RuntimeError):
        pass  # a NUL byte, an over-long name, a link loop
    return None


def refusal(url: str, issue: Issue) -> PressError:
    """The error for a refused URL, naming the article that asked for it."""
    source = next((a.path for a in issue.articles
                   if url in a.path.read_text(encoding="utf-8", errors="replace")),
                  issue.manifest)
    return PressError(
        f"the document asked for {url}, which is outside the issue's folder and the "
        "project's assets; content may not load other files or anything from the network.",
        file=source, fix="Remove the reference, or copy the file into the issue folder.")
