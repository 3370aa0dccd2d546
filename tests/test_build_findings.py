"""`build` says what still needs a human (lint's open findings, WeasyPrint's warnings),
even when nothing was rebuilt; `build --strict` refuses them and writes nothing."""

from __future__ import annotations

import shutil

import pytest

from renderer.build import build_issue
from renderer.errors import PressError
from tests.conftest import SAMPLE, run_in_process


@pytest.fixture
def unreviewed(tmp_path):
    issue = tmp_path / "issue"
    shutil.copytree(SAMPLE, issue)
    article = next((issue / "articles").glob("01-*.md"))
    text = article.read_text(encoding="utf-8")
    start = text.index("reviewed:")
    end = text.index("---", start)
    article.write_text(text[:start] + text[end:], encoding="utf-8")  # the note is gone
    return issue


def test_build_shows_open_findings_and_strict_refuses_them(unreviewed, tmp_path):
    out = tmp_path / "dist"
    result = run_in_process("build", unreviewed, "--out", out, "--edition", "email")
    assert result.returncode == 0, result.stderr
    assert "1 finding(s) need a human" in result.stderr
    assert "pair-3-truncated" in result.stderr
    again = run_in_process("build", unreviewed, "--out", out, "--edition", "email")
    assert "up to date" in again.stderr and "1 finding(s) need a human" in again.stderr

    strict_out = tmp_path / "strict"
    strict = run_in_process("build", unreviewed, "--out", strict_out, "--strict")
    assert strict.returncode == 1
    assert "--strict" in strict.stderr and "pair-3-truncated" in strict.stderr
    assert not list(strict_out.rglob("*.pdf"))
    assert "Traceback" not in strict.stderr


def test_the_sample_has_nothing_open_and_passes_strict(tmp_path):
    result = run_in_process("build", SAMPLE, "--out", tmp_path, "--strict", "--edition", "email")
    assert result.returncode == 0, result.stderr
    assert "need a human" not in result.stderr


def test_weasyprint_warnings_are_shown_and_fail_strict(tmp_path, monkeypatch):
    """A misspelt CSS property: WeasyPrint only logs it; the build reports it."""
    import renderer.compose as compose

    real = compose.stylesheets
    monkeypatch.setattr(compose, "stylesheets", lambda *args, **kwargs: [
        *real(*args, **kwargs), compose.Sheet(text="p { colr: red }")])
    result = build_issue(SAMPLE, tmp_path / "a", editions=("email",), parallel=False)
    assert any("colr" in warning for warning in result.warnings), result.warnings
    with pytest.raises(PressError, match="colr") as refused:
        build_issue(SAMPLE, tmp_path / "b", editions=("email",), parallel=False, strict=True)
    assert refused.value.exit_code == 1
    assert not list((tmp_path / "b").rglob("*.pdf"))
