"""Issue 13: pasted issues come out right or flagged, through the CLI (in this process:
click's runner gives the command's exit code and output; tests/test_readme.py runs the
README's lines as real processes)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from renderer.editorial import align
from renderer.editorial.english import find_damage, repair_ligatures
from tests.conftest import ROOT, SAMPLE
from tests.test_bad_inputs import run_in_process

SEED = ROOT / "tests" / "fixtures" / "import" / "seed-2022-02.txt"
SEED_LINES = SEED.read_text(encoding="utf-8").split("\n")
NAMES = ["--name-en", "N", "--name-zh", "简讯", "--publisher", "P"]


def run_cli(*args, cwd: Path | None = None):
    """`make-issue ARGS` in this process, from `cwd`."""
    here = Path.cwd()
    os.chdir(cwd or ROOT)
    try:
        return run_in_process(*map(str, args))
    finally:
        os.chdir(here)


def codes(result) -> list[tuple[str, str]]:
    return sorted((d["file"][:11], d["code"]) for d in json.loads(result.stdout)["diagnostics"])


def test_readme_import_line_takes_month_and_names_from_beside(tmp_path):
    issues = tmp_path / "issues"
    shutil.copytree(SAMPLE, issues / "2022-02")
    result = run_cli("import", SEED, "--into", "issues/2022-03", "--json", cwd=tmp_path)
    report = json.loads(result.stdout)
    manifest = (issues / "2022-03" / "issue.yaml").read_text(encoding="utf-8")
    assert "month: 2022-03" in manifest
    assert "number: 3" in manifest and "placeholder" not in result.stdout
    assert "Chongqing" in manifest.split("newsletter:\n", 1)[1].split("\n")[0]
    assert manifest.startswith("# yaml-language-server: $schema=")
    codes = sorted(d["code"] for d in report["diagnostics"])
    assert codes == ["pair-3-truncated", "title-zh-corrupted"]  # the sample: nothing else


def test_placeholders_flagged_when_nothing_to_copy(tmp_path):
    result = run_cli("import", SEED, "--into", tmp_path / "x" / "2022-02", "--json")
    codes = {d["code"] for d in json.loads(result.stdout)["diagnostics"]}
    assert {"manifest-newsletter-en-placeholder", "manifest-publisher-placeholder"} <= codes
    assert result.returncode == 1


def test_truncation_wording_says_what_was_measured():
    model = align.AlignModel()
    from renderer.editorial.lint import ArticleText, Context, TextLine, check_article

    en = ["On December 15th the city raised 3.2 million yuan for under-15 players.",
          "The delegation then visited the port and the new logistics park near the river"
          " where officials explained the plans for the next visi"]
    zh = ["12月15日，本市为15岁以下球员筹集320万元。", "代表团随后参观了港口和河边新建的物流园区，官员介绍了下一步规划。"]
    article = ArticleText("a.md", TextLine("T", 1), TextLine("标题", 2),
                          [TextLine(t, 5 + i) for i, t in enumerate(en)],
                          [TextLine(t, 9 + i) for i, t in enumerate(zh)])
    findings = check_article(article, Context(model=model))
    assert [f.code for f in findings] == ["pair-2-truncated"]  # no month/decimal false alarm
    message = findings[0].message
    assert "English of row 2" in message and "sentence-final punctuation" in message
    assert "'visi' is not a word" in message and "% of the length the Chinese predicts" in message


def test_english_damage_named_and_ligatures_repaired():
    text = ("The e ffi cient fi nal talks in Gda?sk, lnternational Goverment Ofifce "
            "Smith,Director the 5thSession on“Building.")
    kinds = sorted(d.kind for d in find_damage(text))
    assert kinds == ["glued", "glued", "glued", "l-for-I", "misspelt", "misspelt",
                     "question-mark", "split-ligature", "split-ligature"]
    assert repair_ligatures("signif cant and inf uential")[0] == "significant and influential"
    assert find_damage("The staff members organised a programme, of course.") == []


def test_unequal_counts_aligned_with_confidence_or_flagged(tmp_path):
    lines = SEED.read_text(encoding="utf-8").split("\n")
    # The second article's second Chinese paragraph dropped: 4 English, 3 Chinese.
    del lines[12]
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(lines), encoding="utf-8")
    result = run_cli("import", raw, "--into", tmp_path / "out", "--month", "2022-02",
                     "--name-en", "N", "--name-zh", "简", "--publisher", "P", "--json")
    report = json.loads(result.stdout)
    article = (tmp_path / "out" / "articles" / "02-foreign-affairs-office-chongqing.md")
    text = article.read_text(encoding="utf-8")
    flagged = [d for d in report["diagnostics"] if d["code"].startswith("align-")]
    assert '"2:"' in text or flagged  # right, or flagged with both texts side by side
    if flagged:
        assert "|" in flagged[0]["evidence"]["rows"][0]


def test_traditional_character_in_simplified_paragraph_converted(tmp_path):
    lines = SEED.read_text(encoding="utf-8").split("\n")
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(lines), encoding="utf-8")
    run_cli("import", raw, "--into", tmp_path / "out", "--month", "2022-02")
    body = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").rglob("*.md"))
    assert "會" not in body and "國" not in body


def test_byline_and_photo_caption_stay_in_their_article():
    from renderer.editorial.importer.split import split_articles

    text = ("Title One\nBy Staff Reporter Li Na\nBody one is here.\n标题一\n文/本刊记者 王晓明\n"
            "① 代表团参观展馆\n正文一。\nTitle Two\nBody two.\n标题二\n正文二。")
    articles = split_articles(text)
    assert [a.en.title.text for a in articles] == ["Title One", "Title Two"]
    assert [b.text for b in articles[0].zh.bylines] == ["文/本刊记者 王晓明"]
    assert articles[0].zh.body[0].text.startswith("①")


def _seed_with(tmp_path: Path, edits: dict[int, str]) -> Path:
    """The seed dump with some lines (1-based) replaced."""
    lines = list(SEED_LINES)
    for number, text in edits.items():
        lines[number - 1] = text
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(lines), encoding="utf-8")
    return raw


def test_a_chinese_tail_cut_mid_sentence_is_reported_on_its_own_row(tmp_path):
    # Article 2's second Chinese paragraph (seed line 18) loses its last 60 %: the counts
    # stay equal, so the rows stay 1:1 and the finding names row 2, not two untranslated
    # rows that shift every row after them.
    line = SEED_LINES[17]
    raw = _seed_with(tmp_path, {18: line[:int(len(line) * 0.4)].rstrip("，,。")})
    into = tmp_path / "out"
    result = run_cli("import", raw, "--into", into, "--month", "2022-02", *NAMES, "--json")
    assert result.returncode == 1, result.stderr
    assert len(list((into / "articles").glob("*.md"))) == 7  # the cut line is no title
    assert codes(result) == [("articles/01", "pair-3-truncated"),
                             ("articles/02", "pair-2-truncated"),
                             ("articles/05", "title-zh-corrupted")]
    finding = next(d for d in json.loads(result.stdout)["diagnostics"]
                   if d["file"].startswith("articles/02"))
    assert finding["evidence"]["side"] == "zh" and finding["evidence"]["open_end"]
    assert "the Chinese of row 2 looks truncated" in finding["message"]
    article = next((into / "articles").glob("02-*.md")).read_text(encoding="utf-8")
    assert "align:" not in article
    linted = run_cli("lint", into, "--json")
    assert codes(linted) == codes(result)  # lint on the folder says the same


def test_an_english_tail_cut_mid_word_is_one_finding_of_its_row(tmp_path):
    line = SEED_LINES[12]  # article 2, English paragraph 2
    cut = line[:line.index("exhibition") + 5]  # "... corporate culture exhib"
    raw = _seed_with(tmp_path, {13: cut})
    into = tmp_path / "out"
    result = run_cli("import", raw, "--into", into, "--month", "2022-02", *NAMES, "--json")
    # The cut line is shaped like a title (no full stop): it stays a paragraph of its article.
    assert len(list((into / "articles").glob("*.md"))) == 7
    article = next((into / "articles").glob("02-*.md")).read_text(encoding="utf-8")
    assert "align:" not in article and cut in article
    found = [d for d in json.loads(result.stdout)["diagnostics"]
             if d["file"].startswith("articles/02")]
    assert [d["code"] for d in found] == ["pair-2-truncated"]  # not "exhib" misspelt too
    assert "'exhib' is not a word" in found[0]["message"]
    assert found[0]["evidence"]["side"] == "en"


def test_names_kept_in_traditional_characters_through_import_lint_and_build(tmp_path):
    # A Hong Kong guest's name, written in Traditional characters in a Simplified issue.
    raw = _seed_with(tmp_path, {17: SEED_LINES[16].replace(
        "副主任張婭茜率隊(duì)", "副主任張婭茜與香港嘉賓黃錦輝率隊(duì)")})
    issues = tmp_path / "issues"
    result = run_cli("import", raw, "--into", issues / "2022-02", *NAMES,
                     "--hant-name", "黃錦輝", "--json")
    assert codes(result) == [("articles/01", "pair-3-truncated"),
                             ("articles/05", "title-zh-corrupted")]
    manifest = (issues / "2022-02" / "issue.yaml").read_text(encoding="utf-8")
    assert "names:\n- zh: 黃錦輝\n  script: hant\n" in manifest
    article = next((issues / "2022-02" / "articles").glob("02-*.md"))
    text = article.read_text(encoding="utf-8")
    assert "张娅茜与香港嘉宾黃錦輝率队" in text  # the name kept, every other character converted

    # A stray Traditional character elsewhere is still found, and only it.
    article.write_text(text.replace("张娅茜一行参观", "张娅茜一行參观", 1), encoding="utf-8")
    linted = run_cli("lint", issues / "2022-02", "--json")
    unclean = [d for d in json.loads(linted.stdout)["diagnostics"]
               if d["code"].endswith("-unclean")]
    assert [(d["code"], d["evidence"]["changes"]) for d in unclean] == [
        ("para-zh-2-unclean", ["參→参"])]
    strict = run_cli("build", issues / "2022-02", "--out", tmp_path / "dist", "--strict")
    assert strict.returncode == 1
    assert "para-zh-2-unclean" in strict.stderr and "para-zh-1-unclean" not in strict.stderr
    assert not (tmp_path / "dist").exists() or not list((tmp_path / "dist").rglob("*.pdf"))

    # The next issue imported beside it keeps the name without being told again.
    again = run_cli("import", raw, "--into", issues / "2022-03", "--json")
    assert "names:\n- zh: 黃錦輝\n  script: hant\n" in (
        issues / "2022-03" / "issue.yaml").read_text(encoding="utf-8")
    assert "黃錦輝" in next((issues / "2022-03" / "articles").glob("02-*.md")).read_text(
        encoding="utf-8")
    assert ("articles/02", "para-zh-1-unclean") not in codes(again)


def test_names_entries_are_checked_by_the_loader(tmp_path):
    issue = tmp_path / "2022-02"
    shutil.copytree(SAMPLE, issue)
    manifest = issue / "issue.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "articles:", "names:\n  - zh: Wong\n    script: hans\narticles:", 1), encoding="utf-8")
    result = run_cli("lint", issue)
    assert result.returncode == 2
    assert "'names[1].zh' must be a name in Chinese characters" in result.stderr
    assert "'names[1].script'" in result.stderr and "hant" in result.stderr
    bad = run_cli("import", SEED, "--into", tmp_path / "x", "--month", "2022-02",
                  "--hant-name", "Wong")
    assert bad.returncode == 2 and "--hant-name" in bad.stderr


def test_an_article_in_one_language_becomes_a_single_language_piece(tmp_path):
    # The Chinese of article 3 (seed lines 25-28) is missing from the paste.
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(SEED_LINES[:24] + SEED_LINES[28:]), encoding="utf-8")
    into = tmp_path / "out"
    result = run_cli("import", raw, "--into", into, "--month", "2022-02", *NAMES, "--json")
    assert result.returncode == 1
    assert [code for file, code in codes(result) if file == "articles/03"] == [
        "single-language"]
    article = next((into / "articles").glob("03-*.md")).read_text(encoding="utf-8")
    assert "language: en\n" in article and "## 中文" not in article
    linted = run_cli("lint", into, "--json")  # the loader reads it; nothing to pair
    assert linted.returncode == 1
    assert [code for file, code in codes(linted) if file == "articles/03"] == []
