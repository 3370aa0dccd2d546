"""A build reports its pages as it lays them out (renderer.build.build_issue ``pages``),
and `make-issue build` on a terminal shows them as a bar per edition."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pikepdf

from renderer.build import build_issue
from tests.conftest import MAKE_ISSUE, ROOT, SAMPLE
from tests.tiny_issue import write_tiny_issue


def pages_of(path: Path) -> int:
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def test_each_edition_reports_every_page_laid_out_then_writing_and_checking(tmp_path):
    issue = write_tiny_issue(tmp_path / "issue")
    heard = []

    def reports(edition: str) -> list[tuple]:
        return [report[1:] for report in heard if report[0] == edition]

    # From the typesetting workers, through their pipes:
    result = build_issue(issue, tmp_path / "dist", editions=("print", "email"),
                         pages=lambda *report: heard.append(report))
    counts = {edition.edition: pages_of(edition.path) for edition in result.editions}
    for edition, count in counts.items():
        assert reports(edition) == [("layout", page, None) for page in range(1, count + 1)] + [
            ("writing", count, None), ("checking", count, None)], edition

    # In this process (watch mode, one core); a rebuild expects the last build's count:
    heard.clear()
    build_issue(issue, tmp_path / "dist", editions=("print",), force=True, parallel=False,
                pages=lambda *report: heard.append(report))
    count = counts["print"]
    assert reports("print") == [("layout", page, count) for page in range(1, count + 1)] + [
        ("writing", count, count), ("checking", count, count)]


def test_on_a_terminal_the_build_shows_pages_per_edition(tmp_path):
    """A real terminal (a pty): rich draws its live display only there, ten times a
    second. The sample's seven pages take several of those to lay out; the tiny issue's
    two could be laid out between two frames, and no frame said "laying out"."""
    # A folder name long enough to fill the line: it is cut short, not the page count.
    issue = tmp_path / ("a-long-folder-name-for-the-issue-" * 3)
    shutil.copytree(SAMPLE, issue)
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [*MAKE_ISSUE, "build", str(issue), "--out", str(tmp_path / "dist")], cwd=ROOT,
        stdin=terminal, stdout=terminal, stderr=terminal, close_fds=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120", "TERM": "xterm"})
    os.close(terminal)
    shown = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 1)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the build ended
                break
            if not chunk:
                break
            shown += chunk
    os.close(controller)
    assert process.wait(timeout=60) == 0, shown.decode(errors="replace")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.decode(errors="replace"))
    for edition in ("print", "email"):
        assert re.search(rf"{edition}: laying out .*page \d", text), text
    assert "built in" in text


def test_a_bound_edition_draws_as_many_pages_as_it_keeps(tmp_path):
    """Saddle-stitched: the padding pages beyond the multiple of four are laid out and
    dropped before drawing, so "writing" counts the pages the PDF has."""
    issue = write_tiny_issue(tmp_path / "issue")
    manifest = issue / "issue.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "print:\n  binding: saddle-stitch\n",
                        encoding="utf-8")
    heard = []
    result = build_issue(issue, tmp_path / "dist", editions=("print",), parallel=False,
                         pages=lambda *report: heard.append(report))
    count = pages_of(result.editions[0].path)
    assert count % 4 == 0
    laid_out = max(report[2] for report in heard if report[1] == "layout")
    assert laid_out > count  # the surplus padding pages were laid out too
    assert [report[1:3] for report in heard if report[1] != "layout"] == [
        ("writing", count), ("checking", count)]
