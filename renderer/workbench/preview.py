"""The preview's state: a warm build of the issue, its pages as images, its findings.

One ``Preview`` owns a warm builder (WeasyPrint loaded once) and rebuilds on demand,
the edition being looked at first; after each edition it renders that edition's pages
to PNG (pypdfium2) and publishes a new state: a version number, for each edition the
PDF, its pages' image hashes (a changed page has a new hash), and the findings of lint,
preflight and the Chinese audit, each with the page it belongs to where it has one.
A mistake in the input is published as the state's error; the last good pages stay.
Only the rebuild thread touches PDFium (it is not thread-safe); requests read bytes.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from renderer.build import BuildResult
from renderer.diagnostics import Diagnostic
from renderer.errors import PressError
from renderer.policy import EDITIONS

PAGE_SCALE = 1.5  # 108 dpi: a page readable on screen, about 100 KB of PNG


@dataclass
class EditionView:
    pdf: Path | None = None
    size: int = 0
    pages: list[str] = field(default_factory=list)  # PNG hash of each page
    changed: list[int] = field(default_factory=list)  # pages whose image changed, from 1
    diagnostics: list[Diagnostic] = field(default_factory=list)


class Preview:
    def __init__(self, folder: Path, out_root: Path, *, first: str = "email") -> None:
        from renderer.watch import WarmBuilder

        self.folder, self.out_root = Path(folder), Path(out_root)
        self.order = (first, *(e for e in EDITIONS if e != first))
        self.builder = WarmBuilder(self.folder, self.out_root)
        self.views = {edition: EditionView() for edition in EDITIONS}
        self.result = BuildResult(folder=self.folder)  # of the last rebuild
        self.images: dict[str, bytes] = {}
        self.lint: list[Diagnostic] = []
        self.lint_pages: dict[str, int] = {}  # article file -> the email page it starts on
        self.error: list[Diagnostic] = []
        self.version = 0
        self.closing = False
        self.last: dict = {"changed": [], "rebuilt": [], "seconds": 0.0}
        self.changed = threading.Condition()
        self._build_lock = threading.Lock()

    # -- building -------------------------------------------------------------
    def rebuild(self, changed: list[str] | None = None) -> None:
        """Rebuild every edition (the one looked at first), publishing after each."""
        with self._build_lock:
            started = time.perf_counter()
            rebuilt: list[str] = []
            self.result = BuildResult(folder=self.folder)
            try:
                for edition in self.order:
                    result = self.builder.rebuild((edition,))
                    [done] = result.editions
                    self.result.editions.append(done)
                    self.result.warnings += result.warnings
                    self.result.findings = result.findings
                    if not done.up_to_date or not self.views[edition].pages:
                        self._show(edition, done)
                        rebuilt.append(edition)
                    self.error = []
                    self._publish(changed, rebuilt, started)
                self.lint, self.lint_pages = self.result.findings, self._article_pages()
            except PressError as error:
                self.error = error.diagnostics()
            self._publish(changed, rebuilt, started)

    def _show(self, edition: str, done) -> None:
        import pypdfium2 as pdfium

        view = self.views[edition]
        old = view.pages
        pages = []
        document = pdfium.PdfDocument(str(done.path))
        try:
            for page in document:
                png = _png(page.render(scale=PAGE_SCALE).to_pil())
                digest = hashlib.sha256(png).hexdigest()[:16]
                self.images[digest] = png
                pages.append(digest)
        finally:
            document.close()
        view.pdf, view.size, view.pages = done.path, done.size, pages
        view.changed = [n for n, digest in enumerate(pages, start=1)
                        if n > len(old) or old[n - 1] != digest] if old else []
        view.diagnostics = _preflight_diagnostics(done.report) + _audit(done.path, edition)
        live = {d for v in self.views.values() for d in v.pages}
        for digest in [d for d in self.images if d not in live]:
            del self.images[digest]

    def _publish(self, changed, rebuilt, started) -> None:
        with self.changed:
            self.version += 1
            self.last = {"changed": changed or [], "rebuilt": list(rebuilt),
                         "seconds": round(time.perf_counter() - started, 2)}
            self.changed.notify_all()

    # -- reading ----------------------------------------------------------------
    def state(self) -> dict:
        return {
            "version": self.version,
            "folder": str(self.folder),
            "error": [d.to_dict() for d in self.error],
            "last": self.last,
            "editions": {edition: {
                "pdf": view.pdf.name if view.pdf else None, "size": view.size,
                "pages": view.pages, "changed": view.changed,
                "findings": [d.to_dict() for d in view.diagnostics],
            } for edition, view in self.views.items()},
            "lint": [dict(d.to_dict(), page=self.lint_pages.get(d.file)) for d in self.lint],
        }

    def wait(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen or self.closing, timeout=timeout)
            return self.version

    def close(self) -> None:
        with self.changed:
            self.closing = True
            self.changed.notify_all()

    def _article_pages(self) -> dict[str, int]:
        """Article file (relative to the issue) -> the email page it starts on, read from
        the PDF's own bookmarks, which the press writes in the articles' order."""
        view = self.views["email"]
        if not view.pdf or not view.pages:
            return {}
        import pikepdf

        from renderer.load import load_issue

        try:
            issue = load_issue(self.folder)
            with pikepdf.open(view.pdf) as pdf:
                with pdf.open_outline() as outline:
                    pages = [pdf.pages.index(item.destination[0]) + 1
                             if isinstance(item.destination, pikepdf.Array) else None
                             for item in outline.root]
        except (PressError, OSError, ValueError, pikepdf.PdfError):
            return {}  # the page links are a convenience: no bookmarks, no links
        folder = issue.folder.resolve()
        files = [article.path.resolve().relative_to(folder).as_posix()
                 for article in issue.articles]
        return {file: page for file, page in zip(files, pages[-len(files):]) if page}


def describe(preview: Preview, changed: list[str] | None) -> str:
    """One line for the terminal, as `watch` says it."""
    from renderer.console import describe_rebuild

    if preview.error:
        return describe_rebuild(changed or [], None, 0.0,
                                error="; ".join(d.to_text() for d in preview.error))
    return describe_rebuild(changed or [], preview.result, preview.last["seconds"])


def _png(image) -> bytes:
    import io

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=1)
    return out.getvalue()


def _preflight_diagnostics(report) -> list[Diagnostic]:
    if report is None:
        return []
    if hasattr(report, "diagnostics"):
        return list(report.diagnostics)
    return [Diagnostic(severity="error" if check.status == "fail" else "warning",
                       code=f"preflight.{check.name}", message=check.evidence)
            for check in report.checks if check.status != "pass"]


def _audit(pdf: Path, edition: str) -> list[Diagnostic]:
    if edition != "email":  # the same text and lines in both editions: audit one
        return []
    from renderer.verify.audit import audit

    report = audit(pdf)
    if hasattr(report, "diagnostics"):
        return list(report.diagnostics)
    return [Diagnostic(severity="warning", code=f"audit.{f.rule}", page=f.page,
                       message=f"{f.line}" + (f" ({f.detail})" if f.detail else ""))
            for f in report.findings]
