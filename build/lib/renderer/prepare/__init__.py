"""Prepare stage: model.Issue -> model.PreparedIssue.

Turns each paragraph's inline Markdown into safe HTML (raw HTML is shown as
text, links only to http(s) and mailto), applies the typography of each
language (renderer.prepare.typography, W3C clreq for Chinese), pairs the
paragraphs into rows as the article's alignment says, and prepares every
figure once per edition (renderer.prepare.images).
"""

from __future__ import annotations

import calendar
from functools import lru_cache

from renderer.model import Article, Bilingual, Block, Issue, PreparedArticle, PreparedIssue, Row
from renderer.prepare import images, typography


def prepare_issue(issue: Issue) -> PreparedIssue:
    warnings: list[str] = []
    articles = tuple(_prepare_article(article, issue, warnings) for article in issue.articles)
    month = month_names(issue.year, issue.month)
    issue_line = Bilingual(
        en=f"Vol. {issue.volume} · No. {issue.number} · {month.en}",
        zh=typography.prepare_zh_html(
            f"第{issue.volume}卷 第{issue.number}期 · {month.zh}"))
    return PreparedIssue(issue=issue, articles=articles, month=month, issue_line=issue_line,
                         warnings=tuple(warnings))


def month_names(year: int, month: int) -> Bilingual:
    return Bilingual(en=f"{calendar.month_name[month]} {year}", zh=f"{year}年{month}月")


def _prepare_article(article: Article, issue: Issue, warnings: list[str]) -> PreparedArticle:
    rows = [Row(en=tuple(typography.prepare_en_html(inline_html(article.en[n - 1].text))
                         for n in group_en),
                zh=tuple(typography.prepare_zh_html(inline_html(article.zh[n - 1].text))
                         for n in group_zh))
            for group_en, group_zh in paired_numbers(article)]
    figures = {}
    for figure in article.figures:
        figures.setdefault(min(figure.after, len(rows)), []).append(
            images.prepare_figure(figure, article.path, issue, warnings, caption=Bilingual(
                en=typography.prepare_en_html(inline_html(figure.caption.en)),
                zh=typography.prepare_zh_html(inline_html(figure.caption.zh)))))
    blocks: list[Block] = [Block(figure=f) for f in figures.get(0, [])]
    for index, row in enumerate(rows, start=1):
        blocks.append(Block(row=row))
        blocks.extend(Block(figure=f) for f in figures.get(index, []))
    return PreparedArticle(
        slug=article.slug,
        title=Bilingual(en=typography.prepare_en_html(inline_html(article.title.en)),
                        zh=typography.prepare_zh_html(inline_html(article.title.zh))),
        title_text=Bilingual(en=plain_text(article.title.en), zh=plain_text(article.title.zh)),
        blocks=tuple(blocks), dateline=_dateline(article.date), section=article.section,
        byline=article.byline)


def _dateline(date) -> Bilingual | None:
    if date is None:
        return None
    return Bilingual(en=f"{date.day} {date:%B} {date.year}",
                     zh=typography.prepare_zh_html(f"{date.year}年{date.month}月{date.day}日"))


def paired_numbers(article: Article) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Rows as 1-based paragraph numbers per language: the alignment, or one to one."""
    if article.alignment is not None:
        return [(row.en, row.zh) for row in article.alignment]
    return [((n,), (n,)) for n in range(1, len(article.en) + 1)]


def inline_html(text: str) -> str:
    return _markdown().renderInline(text).strip()


def plain_text(text: str) -> str:
    """Inline Markdown without its markup, as the press parses it: for bookmarks, mail
    and metadata (emphasis marks and link targets dropped, line breaks as spaces)."""
    pieces = []
    for token in _markdown().parseInline(text):
        for child in token.children or ():
            if child.type in {"text", "code_inline", "image"}:
                pieces.append(child.content)
            elif child.type in {"softbreak", "hardbreak"}:
                pieces.append(" ")
    return "".join(pieces).strip()


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    md = MarkdownIt("zero", {"html": False, "typographer": False})
    md.enable(["emphasis", "link", "escape", "backticks", "entity"])
    md.validateLink = lambda url: url.lower().startswith(("http://", "https://", "mailto:"))
    return md
