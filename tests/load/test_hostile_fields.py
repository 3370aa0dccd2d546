"""Loader answers to hostile field values, through the real command.

YAML 1.1 reads yes/No/off as booleans: a text field keeps what the editor wrote.
PyYAML counts U+0085, U+2028 and U+2029 as line breaks: messages count only LF.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import pdf_text, run_in_process
from tests.tiny_issue import OUTPUTS, write_tiny_issue


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_yaml_boolean_words_in_text_fields_print_as_written(tmp_path: Path):
    issue = write_tiny_issue(tmp_path / "issue")
    article = issue / "articles" / "01-one.md"
    edit(article, "en: A Short Article", "en: yes")
    edit(article, "  zh: 一篇短文\n---\n", "  zh: 一篇短文\nbyline: No\n---\n")
    edit(issue / "issue.yaml", "publisher: Test Office", "publisher: on")
    out = tmp_path / "out"
    result = run_in_process("build", issue, "--out", out, "--edition", "email")
    assert result.returncode == 0, result.stderr
    text = pdf_text(out / OUTPUTS["email"])
    assert "True" not in text and "False" not in text, text
    assert "yes" in text and "No" in text


def test_line_numbers_count_only_line_feeds(tmp_path: Path):
    """A U+2028 (and U+2029, U+0085) before the mistake does not shift its line."""
    issue = write_tiny_issue(tmp_path / "issue")
    manifest = issue / "issue.yaml"
    edit(manifest, "publisher: Test Office", 'publisher: "Test\u2028Office\u2029\x85"')
    edit(manifest, "month: 2022-03", "month: 2022-13")
    line = manifest.read_text(encoding="utf-8").split("\n").index("month: 2022-13") + 1
    result = run_in_process("build", issue, "--out", tmp_path / "out", "--edition", "email")
    assert result.returncode == 2, result.stderr
    assert f"{manifest}:{line}: 'month'" in result.stderr, result.stderr

    edit(manifest, "month: 2022-13", "month: 2022-03")
    article = issue / "articles" / "02-two.md"
    edit(article, "  zh: 另一篇文章\n---\n", '  zh: "另一\u2028篇文章"\ndate: 2022-02-30\n---\n')
    line = article.read_text(encoding="utf-8").split("\n").index("date: 2022-02-30") + 1
    result = run_in_process("build", issue, "--out", tmp_path / "out", "--edition", "email")
    assert result.returncode == 2, result.stderr
    assert f"{article}:{line}: 'date'" in result.stderr, result.stderr


def test_year_zero_and_other_impossible_months_are_field_errors(tmp_path: Path):
    issue = write_tiny_issue(tmp_path / "issue")
    manifest = issue / "issue.yaml"
    before = "month: 2022-03"
    for month in ("0000-01", "10000-01", "2022-00", "0000-00", "-001-01"):
        edit(manifest, before, f"month: {month}")
        before = f"month: {month}"
        result = run_in_process("build", issue, "--out", tmp_path / "out", "--edition", "email")
        assert result.returncode == 2, (month, result.stderr)
        assert "'month' must be a month written YYYY-MM" in result.stderr, result.stderr
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    edit(manifest, before, "month: 0001-01")
    result = run_in_process("build", issue, "--out", tmp_path / "out", "--edition", "email")
    assert result.returncode == 0, result.stderr
