"""Importing the raw seed dump into an issue folder, read back with the real loader."""

from __future__ import annotations

import re

import opencc
import pytest

from renderer.editorial.clean import TONE_MARKED
from renderer.editorial.importer import import_raw
from renderer.editorial.lint import lint_folder
from renderer.errors import PressError
from renderer.load import load_issue
from tests.conftest import ROOT

SEED = ROOT / "tests" / "fixtures" / "import" / "seed-2022-02.txt"
SEED_LINES = SEED.read_text(encoding="utf-8").split("\n")

EN_TITLES = [
    "Consular Officers in Chongqing Planting Trees at Hongyan Park",
    "The Foreign Affairs Office of the Chongqing Municipal Government Discussing Cooperation "
    "with Chongqing Broadcasting Group and Hualong Newsnet Group",
    "Exploring Cooperation Opportunities at a Virtual Meeting Between Chongqing and Bahia of "
    "Brazil",
    "Seminar on International Communication Capabilities for Foreign Affairs Service Personnel "
    "Held in Yuzhong District",
    "Celebration Events to be Held in Chongqing for the 30th Anniversary of China-Belarus "
    "Diplomatic Relations",
    "Working Conference Held by the Office of the Leading Group for Developing Chongqing into "
    "the Center for International Exchanges in Central and Western China",
    "Chongqing Donating 400,000 Masks to Nepal",
]
ZH_TITLES = [
    "外国驻渝领事官员在红岩公园共建友谊林",
    "市政府外办与重庆广电集团、重庆华龙网集团共商合作",
    "重庆市视频连线巴西巴伊亚州探讨合作机遇",
    "“外事干部国际交往能力研讨班”在渝中区开班",
    None,  # corrupted in the source: flagged, not guessed
    "市中西部国际交往中心建设工作领导小组办公室召开成员单位联络员工作会议",
    "重庆向尼泊尔捐赠40万只口罩",
]
PARAGRAPHS = [(4, 4), (4, 4), (3, 3), (3, 3), (3, 3), (2, 2), (2, 2)]
PINYIN_LEFT = re.compile(rf"\([a-zü{TONE_MARKED}]*[{TONE_MARKED}][a-zü{TONE_MARKED}]*\)")


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    into = tmp_path_factory.mktemp("issues") / "2022-02"
    report = import_raw(SEED, into, month="2022-02", name_en="Chongqing Foreign Affairs",
                        name_zh="重庆外事", publisher="Foreign Affairs Office")
    return into, report, load_issue(into)


def test_seven_articles_with_their_titles(imported):
    _, _, issue = imported
    assert [a.title.en for a in issue.articles] == EN_TITLES
    for article, title in zip(issue.articles, ZH_TITLES):
        if title is not None:
            assert article.title.zh == title
    assert issue.articles[4].title.zh.startswith("重庆将举办中白建交30周年配套庆")


def test_paragraph_counts(imported):
    _, _, issue = imported
    assert [(len(a.en), len(a.zh)) for a in issue.articles] == PARAGRAPHS


def test_chinese_is_clean_simplified(imported):
    _, _, issue = imported
    t2s, s2t = opencc.OpenCC("t2s"), opencc.OpenCC("s2t")
    texts = [a.title.zh for a in issue.articles] + [p.text for a in issue.articles for p in a.zh]
    for text in texts:
        assert not PINYIN_LEFT.search(text), text
        assert t2s.convert(s2t.convert(text)) == text
        assert t2s.convert(text) == text
    assert "（总台）" in issue.articles[1].zh[0].text
    assert "（重庆市总商会）" in issue.articles[6].zh[0].text


def test_english_byte_identical_to_the_seed(imported):
    _, _, issue = imported
    english = [p.text for a in issue.articles for p in a.en]
    for paragraph in english:
        assert paragraph in SEED_LINES
    masks = issue.articles[6].en[0].text
    assert "400,000" in masks and "COVID-19" in masks
    assert "(Chongqing Chamber of Industry and Commerce)" in masks


def test_report_flags_the_two_known_defects(imported):
    _, report, _ = imported
    by_id = {(f.file[:11], f.code): f for f in report.diagnostics}
    title = by_id[("articles/05", "title-zh-corrupted")]
    assert title.evidence["source_line"] == 41
    truncated = by_id[("articles/01", "pair-3-truncated")]
    assert truncated.evidence["missing_anchors"] == ["Wang Wen"]
    assert truncated.evidence["ratio"] > truncated.evidence["expected_ratio"]
    others = [f for key, f in by_id.items() if f not in (title, truncated)]
    assert len(others) <= 3
    assert all(f.evidence for f in others)
    assert report.needs_human
    assert report.figures["repairs"]["pinyin-annotation"] > 200


def test_lint_on_the_imported_folder_finds_the_same(imported):
    into, report, _ = imported
    linted = lint_folder(into)
    assert ([(f.file, f.code, f.line) for f in linted.diagnostics]
            == [(f.file, f.code, f.line) for f in report.diagnostics])


def test_crlf_bom_blank_lines_and_trailing_spaces_tolerated(tmp_path, imported):
    _, report, issue = imported
    messy = "\ufeff" + "\r\n\r\n".join(line + "  " for line in SEED_LINES) + "\r\n\r\n"
    raw = tmp_path / "messy.txt"
    raw.write_bytes(messy.encode("utf-8"))
    again = load_issue(import_raw(raw, tmp_path / "out", month="2022-02").figures["issue folder"])
    assert [a.title for a in again.articles] == [a.title for a in issue.articles]
    assert [a.en for a in again.articles] == [a.en for a in issue.articles]
    assert [a.zh for a in again.articles] == [a.zh for a in issue.articles]


def malformed() -> dict[str, bytes]:
    english_only = "\n".join(SEED_LINES[:5]).encode("utf-8")
    return {
        "empty": b"",
        "blank": b"  \n\n \r\n",
        "english-only": english_only,
        "binary": bytes(range(256)) * 4,
        "binary-utf8": b"\x7fELF\x02\x01\x01\x00" + b"\x01" * 64,
        "gbk": "\n".join(SEED_LINES[:10]).encode("gbk", errors="replace"),
    }


@pytest.mark.parametrize("kind", ["empty", "blank", "english-only", "binary", "binary-utf8",
                                  "gbk"])
def test_malformed_input_is_refused_and_nothing_written(tmp_path, kind):
    raw = tmp_path / f"{kind}.txt"
    raw.write_bytes(malformed()[kind])
    into = tmp_path / "issues" / "2022-02"
    with pytest.raises(PressError) as error:
        import_raw(raw, into, month="2022-02")
    message = str(error.value)
    assert str(raw) in message
    if kind == "gbk":
        assert "byte offset" in message and "UTF-8" in message
    if kind.startswith("binary"):
        assert "byte offset" in message
    assert not into.exists()
    assert not (tmp_path / "issues").exists() or not any((tmp_path / "issues").iterdir())


def test_existing_folder_needs_force(tmp_path):
    into = tmp_path / "2022-02"
    into.mkdir()
    (into / "keep.txt").write_text("editor's work")
    with pytest.raises(PressError, match="--force"):
        import_raw(SEED, into, month="2022-02")
    assert (into / "keep.txt").read_text() == "editor's work"
    import_raw(SEED, into, month="2022-02", force=True)
    assert not (into / "keep.txt").exists()
    assert (into / "issue.yaml").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["2022-02"]  # no staging left behind


def test_month_from_datelines_needs_a_year(tmp_path):
    with pytest.raises(PressError, match="--month"):
        import_raw(SEED, tmp_path / "a")
    report = import_raw(SEED, tmp_path / "b", year=2022)
    issue = load_issue(report.figures["issue folder"])
    assert (issue.year, issue.month) == (2022, 2)
    assert str(issue.articles[0].date) == "2022-02-22"


def test_one_language_article_is_a_flagged_single_language_piece(tmp_path):
    # Drop the Chinese of article 3 (seed lines 25-28): its English stands alone.
    lines = SEED_LINES[:24] + SEED_LINES[28:]
    raw = tmp_path / "gap.txt"
    raw.write_text("\n".join(lines), encoding="utf-8")
    report = import_raw(raw, tmp_path / "out", month="2022-02")
    assert len([name for name in report.figures["wrote"] if name.startswith("articles/")]) == 7
    flagged = {(f.file[:11], f.code, f.severity) for f in report.diagnostics}
    assert ("articles/03", "single-language", "warning") in flagged
    assert not [f for f in report.diagnostics if f.file.startswith("articles/03")
                and f.code != "single-language"]
    assert report.needs_human
    # Written as a single-language piece the loader reads (and lint has nothing to pair).
    article = load_issue(tmp_path / "out").articles[2]
    assert article.language == "en" and not article.zh and len(article.en) == 3
