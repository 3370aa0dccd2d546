"""Prepare stage: model.Issue -> model.PreparedIssue.

Turns each block of an article (paragraph, list, quote, table, box...; see
renderer.prepare.blocks) into safe HTML (raw HTML is shown as text, links only to
http(s) and mailto), applies the typography of each language
(renderer.prepare.typography, W3C clreq for Chinese), pairs the blocks into rows as
the article's alignment says (a single-language piece has one block a row), adds the
footnotes as the article's last row, and prepares every figure once per edition
(renderer.prepare.images).
"""

from __future__ import annotations

import calendar
from functools import lru_cache

from renderer.errors import PressError
from renderer.model import (
    Article,
    Bilingual,
    Block,
    Figure,
    Issue,
    PreparedArticle,
    PreparedIssue,
    Row,
)
from renderer.prepare import blocks, images, typography


def prepare_issue(issue: Issue) -> PreparedIssue:
    warnings: list[str] = []
    articles = tuple(_prepare_article(article, issue, warnings) for article in issue.articles)
    month = month_names(issue.year, issue.month)
    issue_line = Bilingual(
        en=f"Vol. {issue.volume} · No. {issue.number} · {month.en}",
        zh=typography.prepare_zh_html(
            f"第{issue.volume}卷 第{issue.number}期 · {month.zh}"))
    return PreparedIssue(issue=issue, articles=articles, month=month, issue_line=issue_line,
                         warnings=tuple(warnings), **_cover_pictures(issue, warnings))


def _cover_pictures(issue: Issue, warnings: list[str]) -> dict:
    """The lead story's picture and the logo, converted per edition like any figure (CMYK
    for the print edition, sRGB for the screen), so they pass the same checks."""
    pictures = {}
    cover = issue.cover
    if cover is not None and cover.image is not None:
        story = next((a for a in issue.articles if a.slug == cover.article), None)
        caption = story.title if story else Bilingual("", "")
        pictures["cover_image"] = _picture(
            Figure(image=cover.image, caption=caption, credit=None, alt=caption, after=0,
                   line=1, width="full"), issue, warnings, "cover.image")
    if issue.logo is not None:
        name = issue.name
        pictures["logo"] = _picture(
            Figure(image=issue.logo, caption=name, credit=None, alt=name, after=0, line=1,
                   width="logo"), issue, warnings, "logo")
    return pictures


def _picture(figure: Figure, issue: Issue, warnings: list[str], field: str):
    try:
        return images.prepare_figure(figure, issue.manifest, issue, warnings,
                                     caption=Bilingual("", ""))
    except PressError as error:  # named by the manifest's field, not an article's figures
        raise PressError(error.what, file=issue.manifest, field=field, fix=error.fix) from None


def month_names(year: int, month: int) -> Bilingual:
    return Bilingual(en=f"{calendar.month_name[month]} {year}", zh=f"{year}年{month}月")


def _prepare_article(article: Article, issue: Issue, warnings: list[str]) -> PreparedArticle:
    rendered = {language: blocks.render(getattr(article, language),
                                        getattr(article, f"{language}_notes"), language)
                for language in ("en", "zh") if getattr(article, language)}
    rows = []
    for group_en, group_zh in paired_numbers(article):
        kinds = ({rendered["en"].kinds[n - 1] for n in group_en}
                 | {rendered["zh"].kinds[n - 1] for n in group_zh})
        rows.append(Row(en=tuple(rendered["en"].blocks[n - 1] for n in group_en),
                        zh=tuple(rendered["zh"].blocks[n - 1] for n in group_zh),
                        kind="wide" if "wide" in kinds else "text"))
    notes = {language: r.notes for language, r in rendered.items() if r.notes}
    if notes:
        rows.append(Row(en=(notes["en"],) if "en" in notes else (),
                        zh=(notes["zh"],) if "zh" in notes else (), kind="notes"))
    figures: dict[int, list] = {}
    for figure in article.figures:
        figures.setdefault(min(figure.after, len(rows)), []).append(
            images.prepare_figure(figure, article.path, issue, warnings, caption=Bilingual(
                en=typography.prepare_en_html(inline_html(figure.caption.en)),
                zh=typography.prepare_zh_html(inline_html(figure.caption.zh)))))
    placed: list[Block] = [*_figure_rows(figures.get(0, []))]
    for index, row in enumerate(rows, start=1):
        placed.append(Block(row=row))
        if row.kind != "notes":
            placed.extend(_figure_rows(figures.get(index, [])))
    return PreparedArticle(
        slug=article.slug,
        title=Bilingual(en=typography.prepare_en_html(inline_html(article.title.en)),
                        zh=typography.prepare_zh_html(inline_html(article.title.zh))),
        title_text=Bilingual(en=plain_text(article.title.en), zh=plain_text(article.title.zh)),
        blocks=tuple(placed), dateline=_dateline(article.date), section=article.section,
        byline=article.byline, byline_zh=article.byline_zh, language=article.language)


def _figure_rows(figures: list) -> list[Block]:
    """Figures placed after one row: a full-width one alone; column- and half-width ones
    side by side, two to a row."""
    rows: list[Block] = []
    pending: list = []
    for figure in figures:
        if figure.width == "full":
            if pending:
                rows.append(Block(figure=pending[0], figures=tuple(pending)))
                pending = []
            rows.append(Block(figure=figure, figures=(figure,)))
            continue
        pending.append(figure)
        if len(pending) == 2:
            rows.append(Block(figure=pending[0], figures=tuple(pending)))
            pending = []
    if pending:
        rows.append(Block(figure=pending[0], figures=tuple(pending)))
    return rows


def _dateline(date) -> Bilingual | None:
    if date is None:
        return None
    return Bilingual(en=f"{date.day} {date:%B} {date.year}",
                     zh=typography.prepare_zh_html(f"{date.year}年{date.month}月{date.day}日"))


def paired_numbers(article: Article) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Rows as 1-based paragraph numbers per language: the alignment, or one to one."""
    if article.alignment is not None:
        return [(row.en, row.zh) for row in article.alignment]
    if article.language:  # a single-language piece: one block a row
        numbers = range(1, len(getattr(article, article.language)) + 1)
        return [((n,), ()) if article.language == "en" else ((), (n,)) for n in numbers]
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
