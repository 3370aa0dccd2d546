"""lint_folder: the content checks on an existing issue folder (the sample and variants)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from renderer.editorial.lint import lint_folder
from renderer.errors import PressError
from tests.conftest import ROOT

SAMPLE = ROOT / "issues" / "2022-02"
FIRST = "articles/01-consular-officers-chongqing-planting.md"
SECOND = "articles/02-foreign-affairs-office-chongqing.md"
FIFTH = "articles/05-celebration-events-held-chongqing-30th.md"


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    folder = tmp_path / "2022-02"
    shutil.copytree(SAMPLE, folder)
    return folder


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_sample_needs_no_human_but_lists_the_reviewed_finding():
    report = lint_folder(SAMPLE)
    assert not report.needs_human
    assert [(f.file, f.code, f.reviewed) for f in report.diagnostics] == [
        (FIRST, "pair-3-truncated", True)]
    finding = report.diagnostics[0]
    assert "kept as published" in finding.note
    assert finding.evidence["missing_anchors"] == ["Wang Wen"]
    text = report.to_text()
    assert "[reviewed] pair-3-truncated" in text and "0 need a human" in text
    data = json.loads(report.to_json())
    assert data["needs_human"] is False
    assert data["diagnostics"][0]["evidence"]["length_score"] > 1.5


def test_removing_the_review_brings_the_finding_back(sample_copy):
    article = sample_copy / FIRST
    lines = article.read_text(encoding="utf-8").split("\n")
    kept = [line for line in lines if "reviewed:" not in line and "pair-3-truncated" not in line]
    article.write_text("\n".join(kept), encoding="utf-8")
    report = lint_folder(sample_copy)
    assert report.needs_human
    finding = report.diagnostics[0]
    assert (finding.code, finding.reviewed) == ("pair-3-truncated", False)
    paragraph_line = kept.index(next(line for line in kept if line.startswith("与世界"))) + 1
    assert finding.line == paragraph_line


def test_a_review_of_a_finding_that_is_gone_is_reported_stale(sample_copy):
    """Mend the truncated paragraph (give it back the name it lost): the review in the
    front matter no longer covers anything, and lint says to remove it."""
    article = sample_copy / FIRST
    edit(article, "\n与世界", "\n市政府外办主任王文表示，这些树是重庆与世界友谊的象征。与世界")
    report = lint_folder(sample_copy)
    [finding] = report.diagnostics
    assert (finding.code, finding.severity) == ("reviewed-pair-3-truncated-stale", "warning")
    assert "remove it from `reviewed:`" in finding.message
    assert report.needs_human


def test_corrupted_title_is_found_on_its_line(sample_copy):
    edit(sample_copy / FIFTH, "配套庆祝活动", "配套庆?;颙?dòng)")
    report = lint_folder(sample_copy)
    corrupted = [f for f in report.diagnostics if f.code == "title-zh-corrupted"]
    assert len(corrupted) == 1
    assert corrupted[0].file == FIFTH and corrupted[0].line == 4
    assert corrupted[0].evidence["sequences"] == ["?;颙?dòng)"]
    assert report.needs_human


def test_replacement_character_in_a_paragraph(sample_copy):
    edit(sample_copy / SECOND, "张娅茜率队", "张娅\ufffd率队")
    ids = [f.code for f in lint_folder(sample_copy).diagnostics if f.file == SECOND]
    assert "para-zh-1-corrupted" in ids


def test_unrepaired_converter_damage_is_reported(sample_copy):
    edit(sample_copy / SECOND, "张娅茜率队", "張婭茜率隊(duì)")
    finding = next(f for f in lint_folder(sample_copy).diagnostics
                   if f.code == "para-zh-1-unclean")
    assert finding.evidence["repairs"]["pinyin-annotation"] == 1
    assert finding.evidence["repairs"]["traditional-to-simplified"] >= 2


def test_missing_translation_row(sample_copy):
    article = sample_copy / SECOND
    text = article.read_text(encoding="utf-8")
    third_zh = next(p for p in text.split("\n\n") if p.startswith("在重庆华龙网集团"))
    article.write_text(text.replace(third_zh + "\n\n", ""), encoding="utf-8")
    with pytest.raises(PressError, match="align"):
        lint_folder(sample_copy)  # the loader refuses 4 English against 3 Chinese
    edit(article, "date: 2022-02-17\n",
         'date: 2022-02-17\nalign: ["1:1", "2:2", "3:", "4:3"]\n')
    report = lint_folder(sample_copy)
    findings = {f.code: f for f in report.diagnostics if f.file == SECOND}
    assert findings["pair-3-untranslated"].evidence == {"row": "3:"}
    # The aligner agrees with the list; a row it is less than 95 % sure of is confirmed
    # by a human, with the rows side by side.
    assert set(findings) <= {"pair-3-untranslated", "align-uncertain"}
    if "align-uncertain" in findings:
        uncertain = findings["align-uncertain"].evidence
        assert uncertain["proposed"] == uncertain["written"] == ["1:1", "2:2", "3:", "4:3"]
        assert "|" in uncertain["rows"][2]


def test_lint_reports_every_load_mistake_of_every_file_at_once(sample_copy):
    from tests.conftest import run_in_process

    first, second = sorted((sample_copy / "articles").glob("0[12]-*.md"))
    for path, bad in ((first, "titel: x\n"), (second, "sectoin: y\n")):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("\n---\n", "\n" + bad + "---\n", 1), encoding="utf-8")
    result = run_in_process("lint", sample_copy, "--json")
    assert result.returncode == 2
    import json

    diagnostics = json.loads(result.stdout)["diagnostics"]
    assert {Path(d["file"]).name for d in diagnostics} == {first.name, second.name}
    assert {d["message"].split("'")[1] for d in diagnostics} == {"titel", "sectoin"}


def test_an_article_file_missing_from_the_manifest_is_flagged(sample_copy):
    from tests.conftest import run_in_process

    extra = sample_copy / "articles" / "08-forgotten.md"
    shutil.copy(next((sample_copy / "articles").glob("02-*.md")), extra)
    result = run_in_process("lint", sample_copy)
    assert result.returncode == 1
    assert "articles/08-forgotten.md:1: [warning] unlisted-08-forgotten" in result.stdout
