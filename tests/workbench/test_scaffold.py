"""`make-issue new` -> `add-article` -> `build` on a fresh folder gives a valid
two-edition issue, and the manifest keeps its comments and order."""

from __future__ import annotations

import shutil

import pikepdf
import yaml

from tests.conftest import SAMPLE, run_in_process


def test_new_then_add_article_then_build(tmp_path):
    issues = tmp_path / "issues"
    shutil.copytree(SAMPLE, issues / "2022-02")
    manifest = issues / "2022-02" / "issue.yaml"
    manifest.write_text("# The newsletter's manifest: kept by every edit\n"
                        + manifest.read_text(encoding="utf-8").replace(
                            "page_size: A4", "page_size: A4  # the print shop's size"),
                        encoding="utf-8")

    result = run_in_process("new", issues / "2022-03")
    assert result.returncode == 0, result.stderr
    new = (issues / "2022-03" / "issue.yaml").read_text(encoding="utf-8")
    assert "# The newsletter's manifest: kept by every edit" in new
    assert "page_size: A4  # the print shop's size" in new
    data = yaml.safe_load(new)
    old = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    assert (data["number"], data["month"], data["volume"]) == (3, "2022-03", old["volume"])
    for key in ("newsletter", "slug", "publisher", "colophon", "email"):
        assert data[key] == old[key]
    assert "published" not in data and len(data["articles"]) == 1

    added = run_in_process("add-article", issues / "2022-03", "Spring Trade Fair Opens in Chongqing",
                    "--zh", "春季交易会在重庆开幕")
    assert added.returncode == 0, added.stderr
    data = yaml.safe_load((issues / "2022-03" / "issue.yaml").read_text(encoding="utf-8"))
    assert data["articles"][-1] == "articles/02-spring-trade-fair-opens-chongqing.md"
    assert "# The newsletter's manifest" in (issues / "2022-03" / "issue.yaml").read_text()
    article = issues / "2022-03" / data["articles"][-1]
    assert "zh: 春季交易会在重庆开幕" in article.read_text(encoding="utf-8")

    built = run_in_process("build", issues / "2022-03", "--out", tmp_path / "dist")
    assert built.returncode == 0, built.stderr
    for edition in ("print", "email"):
        pdf = tmp_path / "dist" / "2022-03" / f"{old['slug']}-2022-03-{edition}.pdf"
        with pikepdf.open(pdf) as document:
            assert len(document.pages) >= 2
    # The skeletons' placeholder text is an error for the editor until it is written.
    lint = run_in_process("lint", issues / "2022-03")
    assert lint.returncode == 1
    assert {line.split("] ")[1].split(":")[0] for line in lint.stdout.splitlines()
            if "[error]" in line} == {"skeleton-en", "skeleton-zh"}


def test_new_refuses_a_folder_without_an_issue_beside_it(tmp_path):
    result = run_in_process("new", tmp_path / "lonely" / "2022-03")
    assert result.returncode == 2
    assert "no earlier issue" in result.stderr and "Traceback" not in result.stderr
