"""The loader reports every mistake of a file at once, each with its line (MkDocs-style
collect-then-abort), through the real `make-issue` command."""

from __future__ import annotations

import json
import shutil

from tests.conftest import SAMPLE, run_in_process


def _broken_copy(tmp_path, manifest_edits: dict[str, str], article_edits: dict[str, str] | None = None):
    issue = tmp_path / "issue"
    shutil.copytree(SAMPLE, issue)
    manifest = issue / "issue.yaml"
    text = manifest.read_text(encoding="utf-8")
    for old, new in manifest_edits.items():
        assert old in text
        text = text.replace(old, new)
    manifest.write_text(text, encoding="utf-8")
    article = next((issue / "articles").glob("02-*.md"))
    text = article.read_text(encoding="utf-8")
    for old, new in (article_edits or {}).items():
        assert old in text
        text = text.replace(old, new, 1)
    article.write_text(text, encoding="utf-8")
    return issue


def test_a_manifest_with_three_mistakes_reports_all_three(tmp_path):
    issue = _broken_copy(tmp_path, {"volume: 1": "volume: one", "page_size: A4": "page_size: A3",
                                    "slug: cqfao": "slgu: cqfao"})
    result = run_in_process("build", issue, "--out", tmp_path / "dist")
    assert result.returncode == 2
    assert "3 mistakes" in result.stderr
    lines = {line.split(": ", 1)[0].strip() for line in result.stderr.splitlines()[1:]}
    assert lines == {f"{issue / 'issue.yaml'}:{n}" for n in (4, 6, 9)}, result.stderr
    assert "Did you mean 'slug'?" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "dist" / "2022-02").exists()


def test_every_mistake_of_an_article_and_json_errors(tmp_path):
    issue = _broken_copy(tmp_path, {}, {"title:": "titel: {en: x, zh: y}\ntitle:",
                                        "\n---\n": "\nbyline: [a, b]\nsectoin: x\n---\n"})
    result = run_in_process("lint", issue, "--json")
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["ok"] is False
    codes = [(d["line"], d["message"]) for d in data["diagnostics"]]
    assert len(codes) == 3, codes
    assert all(d["severity"] == "error" and d["file"].endswith(".md")
               for d in data["diagnostics"])
