"""The font coverage gate (renderer.prepare.coverage).

Issues are built as model objects over real article files written to a temporary
folder, so the line numbers in the errors can be checked against the file.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from renderer.errors import PressError
from renderer.model import Article, Bilingual, Figure, Issue, Paragraph
from renderer.prepare import fonts
from renderer.prepare.coverage import check_coverage, find_missing, is_covered, is_ignorable
from tests.conftest import ROOT

ARTICLE = """\
---
title:
  en: Consular Officers Plant Trees
  zh: 外国驻渝领事官员共建友谊林
byline: "By Li Wei"
figures:
  - image: images/trees.png
    caption: {{en: "{caption_en}", zh: 在红岩公园植树}}
---

## English

{en1}

The People’s Park — “friendship” … 1–2.

## 中文

{zh1}

来自匈牙利、菲律宾等国的领事官员参加了活动。
"""


def make_issue(folder: Path, *, en1: str = "On February 22nd, the 44th Arbor Day arrived.",
               zh1: str = "2月22日，在我国第44个植树节来临之际，……",
               caption_en: str = "Planting trees", publisher: str = "Foreign Affairs Office",
               colophon: tuple[str, ...] = ()) -> Issue:
    text = ARTICLE.format(en1=en1, zh1=zh1, caption_en=caption_en)
    path = folder / "articles" / "01-trees.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()

    def line_of(paragraph: str) -> int:
        return lines.index(paragraph) + 1

    article = Article(
        path=path, slug="trees",
        title=Bilingual("Consular Officers Plant Trees", "外国驻渝领事官员共建友谊林"),
        en=(Paragraph(en1, line_of(en1)),
            Paragraph("The People’s Park — “friendship” … 1–2.",
                      line_of("The People’s Park — “friendship” … 1–2."))),
        zh=(Paragraph(zh1, line_of(zh1)),
            Paragraph("来自匈牙利、菲律宾等国的领事官员参加了活动。",
                      line_of("来自匈牙利、菲律宾等国的领事官员参加了活动。"))),
        byline="By Li Wei",
        figures=(Figure(image=folder / "images/trees.png",
                        caption=Bilingual(caption_en, "在红岩公园植树"), credit=None,
                        alt=Bilingual(caption_en, "在红岩公园植树"), after=1, line=7),),
    )
    manifest = folder / "issue.yaml"
    manifest.write_text("newsletter:\n  en: Chongqing Newsletter\n  zh: 重庆外事简讯\n"
                        f"publisher: {publisher}\n", encoding="utf-8")
    return Issue(folder=folder, manifest=manifest,
                 name=Bilingual("Chongqing Newsletter", "重庆外事简讯"), slug="cq",
                 publisher=publisher, volume=5, number=2, year=2022, month=2, page_size="A4",
                 articles=(article,), colophon=colophon)


def line_containing(path: Path, text: str) -> int:
    return next(number for number, line in
                enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def raised(issue: Issue) -> PressError:
    with pytest.raises(PressError) as caught:
        check_coverage(issue)
    return caught.value


def test_a_normal_bilingual_article_passes(tmp_path):
    check_coverage(make_issue(tmp_path))


def test_rare_ideograph_is_reported_with_code_point_file_and_line(tmp_path):
    issue = make_issue(tmp_path, zh1="他的名字里有一个𠀀字。")
    error = raised(issue)
    path = issue.articles[0].path
    assert "U+20000" in error.what and "𠀀" in error.what
    assert error.file == path
    assert error.line == line_containing(path, "𠀀")
    assert error.field == "Chinese paragraph 1"
    assert "U+20000 cannot be printed: no Noto font has it" in error.fix
    assert f"{path}:{error.line}" in str(error)


def test_emoji_in_english_is_reported(tmp_path):
    issue = make_issue(tmp_path, en1="We planted trees 😀 together.")
    error = raised(issue)
    assert "U+1F600" in error.what and "English text" in error.what
    assert error.line == line_containing(issue.articles[0].path, "😀")


def test_english_may_not_borrow_a_non_chinese_symbol_from_the_cjk_font(tmp_path):
    # The arrow is in the Chinese subset (GB 2312) but not in the Latin one: in
    # English it would be set, full width, by the Chinese font.
    assert ord("→") in fonts.cmap_for("zh") and ord("→") not in fonts.cmap_for("en")
    error = raised(make_issue(tmp_path, caption_en="Before → after"))
    assert "U+2192" in error.what
    assert error.field == "figures[1].caption.en"
    assert error.line == line_containing(error.file, "→")
    check_coverage(make_issue(tmp_path, zh1="植树前→植树后"))


def test_english_may_quote_chinese_characters(tmp_path):
    check_coverage(make_issue(tmp_path, en1="The “Hongyan Spirit” (红岩精神) lives on."))


def test_publisher_in_the_manifest_is_checked(tmp_path):
    error = raised(make_issue(tmp_path, publisher="Office ★ of Foreign Affairs"))
    assert error.file == tmp_path / "issue.yaml"
    assert error.line == 4
    assert error.field == "publisher"


def test_up_to_ten_characters_are_listed(tmp_path):
    emoji = "".join(chr(0x1F600 + n) for n in range(12))
    error = raised(make_issue(tmp_path, en1=f"Faces: {emoji}"))
    assert error.what.startswith("12 characters are not in the bundled fonts")
    listed = [f"U+{0x1F600 + n:04X}" for n in range(12)]
    assert all(code in error.what for code in listed[:10])
    assert not any(code in error.what for code in listed[10:])
    assert "and 2 more" in error.what


def test_invisible_characters_are_skipped_and_controls_refused(tmp_path):
    invisible = "\u00ad\u200b\u2060\u2009\u202f\ufeff\ufe0f"
    assert all(is_ignorable(char) for char in invisible)
    assert ord("\u2009") not in fonts.cmap_for("zh")  # skipped, not covered: Pango draws it
    check_coverage(make_issue(tmp_path, en1=f"Good co{invisible}operation.",
                              zh1=f"合作{invisible}共赢。"))
    error = raised(make_issue(tmp_path, en1="Bell \u0007 here."))
    assert "U+0007" in error.what and "control character" in error.what


def test_every_character_used_under_issues_is_covered():
    """Whatever the language, each character of issues/ can be set by its fonts."""
    uncovered = set()
    for path in sorted((ROOT / "issues").rglob("*")):
        if path.suffix not in (".md", ".yaml") or not path.is_file():
            continue
        for char in set(path.read_text(encoding="utf-8")):
            if is_ignorable(char) or unicodedata.category(char) == "Cc":
                continue
            if not (is_covered(char, "en") or is_covered(char, "zh")):
                uncovered.add(f"U+{ord(char):04X} in {path.relative_to(ROOT)}")
    assert not uncovered, "run scripts/build_fonts.py: " + ", ".join(sorted(uncovered))


def test_the_sample_issues_pass_the_gate():
    from renderer.load import load_issue

    folders = sorted(path.parent for path in (ROOT / "issues").glob("*/issue.yaml"))
    for folder in folders:
        assert find_missing(load_issue(folder)) == [], folder
