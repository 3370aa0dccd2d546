"""`make-issue watch` says which file changed, which editions were rebuilt and where,
the preflight, and what needs a human; never "rebuilt ... up to date"."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import time

from tests.conftest import MAKE_ISSUE, ROOT
from tests.tiny_issue import write_tiny_issue


def _read_until(process, needle: str, seconds: float = 60) -> str:
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    seen, deadline = "", time.monotonic() + seconds
    while needle not in seen and time.monotonic() < deadline:
        if selector.select(timeout=0.5):
            chunk = os.read(process.stdout.fileno(), 65536).decode()
            assert chunk, f"watch ended: {seen}"
            seen += chunk
    assert needle in seen, seen
    return seen


def test_watch_says_what_changed_and_what_was_rebuilt(tmp_path):
    issue = write_tiny_issue(tmp_path / "issue")
    process = subprocess.Popen([*MAKE_ISSUE, "watch", issue, "--out", tmp_path / "dist"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "300"})
    try:
        first = _read_until(process, "watching")
        assert re.search(r"rebuilt email \(\d+ pages?\) and print \(\d+ pages?\)", first), first
        article = next((issue / "articles").glob("02-*.md"))
        article.write_text(article.read_text(encoding="utf-8").replace(
            "## English\n\n", "## English\n\nA sentence added while watching. ", 1),
            encoding="utf-8")
        line = _read_until(process, "preflight passed")
        assert f"changed articles/{article.name}: rebuilt email" in line
        assert "test-news-2022-03-email.pdf" in line and "up to date" not in line
        (issue / "issue.yaml").touch()
        assert "changed issue.yaml: nothing to rebuild" in _read_until(process, "nothing")
    finally:
        process.send_signal(signal.SIGINT)
        out = process.communicate(timeout=30)[0].decode()
    assert "Traceback" not in out


def test_watch_ended_by_sigterm_exits_through_python_and_leaves_no_temporary_files(tmp_path):
    """A service manager stops with SIGTERM: the watch ends through Python's exit (0 when
    watchfiles, waiting, turns it into a Ctrl-C; 143 otherwise), and the typesetter's
    shared font files, kept while it watches, leave with it."""
    issue = write_tiny_issue(tmp_path / "issue")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    process = subprocess.Popen([*MAKE_ISSUE, "watch", issue, "--out", tmp_path / "dist"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "300",
                                    "TMPDIR": str(temporary)})
    try:
        _read_until(process, "watching")
        assert list(temporary.iterdir()), "the watch keeps its font files while it runs"
    finally:
        process.send_signal(signal.SIGTERM)
        out = process.communicate(timeout=30)[0].decode()
    assert process.returncode in (0, 128 + signal.SIGTERM), out
    assert "Traceback" not in out
    assert list(temporary.iterdir()) == []
