"""Block elements through load, prepare and compose, in process (no PDF: the PDFs are
read back in tests/test_range_issue.py and the bad_inputs cases)."""

from __future__ import annotations

from pathlib import Path

import pytest

from renderer.compose import compose
from renderer.errors import PressError
from renderer.load import load_issue
from renderer.prepare import prepare_issue
from tests.tiny_issue import article_text, write_tiny_issue

EN = """Opening paragraph.[^n]

- first point
- second point

> A quotation.

### A subhead

| Name | Count |
|---|---|
| Trees | 40 |

::: box
Boxed text.
:::

::: wide
| A | B |
|---|---|
| 1 | 2 |
:::

See [the site](https://example.org/page) for more.

[^n]: The English note."""

ZH = """开头一段。[^x]

- 第一点
- 第二点

> 一段引文。

### 小标题

| 名称 | 数量 |
|---|---|
| 树 | 40 |

::: box
方框里的文字。
:::

::: wide
| 甲 | 乙 |
|---|---|
| 1 | 2 |
:::

详见[网站](https://example.org/page)。

[^x]: 中文注释，
第二行。"""


def _issue(tmp_path: Path, en: str = EN, zh: str = ZH, front: str = "") -> Path:
    folder = write_tiny_issue(tmp_path / "issue")
    text = article_text("A Short Article", "一篇短文", en, zh)
    (folder / "articles" / "01-one.md").write_text(text.replace("---\n\n", front + "---\n\n", 1)
                                                   if front else text, encoding="utf-8")
    return folder


def test_each_block_is_one_paragraph_for_pairing(tmp_path):
    article = load_issue(_issue(tmp_path)).articles[0]
    assert [p.kind for p in article.en] == [
        "paragraph", "bullet_list", "blockquote", "heading", "table", "box", "wide",
        "paragraph"]
    assert [p.kind for p in article.zh] == [p.kind for p in article.en]
    assert [n.text for n in article.en_notes] == ["[^n]: The English note."]
    assert article.zh_notes[0].line == article.zh[-1].line + 2


def test_blocks_render_as_html_with_footnotes_in_each_column(tmp_path):
    prepared = prepare_issue(load_issue(_issue(tmp_path))).articles[0]
    rows = [b.row for b in prepared.blocks if b.row]
    assert rows[0].en[0].startswith("<p>Opening paragraph.<sup class=\"fn-ref\">1</sup>")
    assert rows[1].en[0].startswith("<ul>") and "<li>第一点</li>" in rows[1].zh[0].replace("\u2060", "")
    assert rows[2].en[0].startswith("<blockquote>")
    assert rows[3].zh[0].replace("\u2060", "") == '<h3 class="subhead">小标题</h3>'
    assert "<th>名称</th>" in rows[4].zh[0].replace("\u2060", "") and rows[4].kind == "text"
    assert rows[5].en[0].startswith('<div class="box">')
    assert rows[6].kind == "wide"
    notes = rows[-1]
    assert notes.kind == "notes"
    assert notes.en == ('<p class="footnote"><span class="fn-num">1</span> The English note.</p>',)
    assert "中文注释，第二行。" in notes.zh[0].replace("\u2060", "")  # a Chinese line end joins with nothing


def test_footnotes_are_numbered_per_article(tmp_path):
    folder = _issue(tmp_path)
    second = folder / "articles" / "02-two.md"
    second.write_text(article_text("Another", "另一篇", "Text.[^a]\n\n[^a]: Note.",
                                   "文字。[^a]\n\n[^a]: 注。"), encoding="utf-8")
    articles = prepare_issue(load_issue(folder)).articles
    assert '<sup class="fn-ref">1</sup>' in articles[1].blocks[0].row.en[0]


def test_print_shows_a_link_target_email_keeps_the_link(tmp_path):
    prepared = prepare_issue(load_issue(_issue(tmp_path)))
    printed = compose(prepared, "print").html
    printed = printed.replace("\u200b", "")  # break opportunities in the URL
    assert 'the site</span><span class="link-url"> (example.org/page)</span>' in printed
    assert '网站</span><span class="link-url">（example.org/page）</span>' in printed
    assert 'href="https://example.org/page"' not in printed
    assert '<a href="https://example.org/page">the site</a>' in compose(prepared, "email").html


def test_align_counts_a_list_as_one_paragraph(tmp_path):
    en = "Intro.\n\n- a\n- b\n\nEnd."
    zh = "引言。\n\n- 甲\n- 乙\n\n结尾第一句。\n\n结尾第二句。"
    front = 'align:\n  - "1:1"\n  - "2:2"\n  - "3:3,4"\n'
    article = load_issue(_issue(tmp_path, en, zh, front)).articles[0]
    assert len(article.en) == 3 and len(article.zh) == 4
    rows = [b.row for b in prepare_issue(load_issue(_issue(tmp_path, en, zh, front)))
            .articles[0].blocks]
    assert len(rows[2].zh) == 2


def test_single_language_piece_has_one_block_a_row(tmp_path):
    folder = write_tiny_issue(tmp_path / "issue")
    (folder / "articles" / "01-one.md").write_text(
        "---\nlanguage: en\ntitle: A Notice\n---\n\nFirst.\n\n- a\n- b\n", encoding="utf-8")
    issue = load_issue(folder)
    assert issue.articles[0].language == "en" and issue.articles[0].zh == ()
    prepared = prepare_issue(issue)
    rows = [b.row for b in prepared.articles[0].blocks]
    assert [r.zh for r in rows] == [(), ()]
    html = compose(prepared, "print").html
    assert 'class="article single single-en"' in html and "<td class=\"en\" lang=\"en\"><p>First." in html


def test_side_by_side_figures_share_a_row(tmp_path):
    from tests.tiny_issue import png_bytes
    folder = write_tiny_issue(tmp_path / "issue")
    (folder / "images" / "a.png").write_bytes(png_bytes(1200, 800))
    figures = "".join(
        f"  - image: images/a.png\n    width: half\n    after: 1\n"
        f"    caption: {{en: Picture {n}, zh: 图{n}}}\n"
        f"    credit: {{en: 'Photo: A', zh: 摄影：甲}}\n" for n in (1, 2))
    path = folder / "articles" / "01-one.md"
    path.write_text(path.read_text().replace("---\n\n", "figures:\n" + figures + "---\n\n", 1))
    article = prepare_issue(load_issue(folder)).articles[0]
    row = article.blocks[1]
    assert len(row.figures) == 2 and row.figure.width == "half"
    assert row.figure.credit == "Photo: A" and row.figure.credit_zh == "摄影：甲"
    html = compose(prepare_issue(load_issue(folder)), "email").html
    assert html.count('class="figure-cell') == 2 and "摄影：甲" in html


@pytest.mark.parametrize("body, message", [
    ("::: aside\nText.\n:::", "unknown block '::: aside'"),
    ("Text.[^9]", "the footnote [^9] has no note"),
    ("```\ncode\n```", "a code block"),
])
def test_literal_syntax_is_refused_with_its_line(tmp_path, body, message):
    folder = _issue(tmp_path, "First.\n\n" + body, "第一段。\n\n第二段。")
    with pytest.raises(PressError) as caught:
        load_issue(folder)
    assert message in str(caught.value)
    assert caught.value.line == 11  # the second English block


def test_lint_reports_raw_html_with_its_line(tmp_path):
    from renderer.editorial.lint import lint_folder
    folder = _issue(tmp_path, "First.\n\nA <b>bold</b> claim.", "第一段。\n\n第二段。")
    findings = [d for d in lint_folder(folder).diagnostics if d.code.endswith("-html")]
    assert [(d.code, d.line, d.severity) for d in findings] == [("para-en-2-html", 11, "error")]
