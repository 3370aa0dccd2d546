"""Content checks on a bilingual issue: what an editor must look at, never guessed away.

The same checks run when raw text is imported (renderer.editorial.importer) and on an
existing issue folder (`lint_folder`):

* corrupted sequences: ``?`` or U+FFFD inside a Han run (`clean.corrupted_spans`);
* Chinese text still showing converter damage (pinyin annotations, Traditional
  characters, ASCII punctuation) that `clean.clean_chinese` would repair;
* missing titles, empty and one-language articles;
* untranslated (1:0, 0:1) and truncated pairs: the Gale-Church length score
  together with missing anchors (renderer.editorial.align), each with its evidence.

Every finding has an id that is stable for its place in the article
(``title-zh-corrupted``, ``pair-3-truncated``); an editor who has looked at one
lists it under ``reviewed:`` in the article's front matter, after which it is
still reported, marked reviewed, but no longer needs a human.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from renderer.diagnostics import Diagnostic, Report
from renderer.editorial import align
from renderer.editorial.clean import clean_chinese, corrupted_spans
from renderer.model import Alignment

TRUNCATION_DELTA = 1.5  # Gale-Church delta beyond which a pair is suspicious ...
# ... but only flagged when an anchor (number, pinyin name) is missing as well.


@dataclass(frozen=True)
class TextLine:
    text: str
    line: int | None = None          # line in the article file
    source_line: int | None = None   # line in the raw dump, when imported


@dataclass
class ArticleText:
    """One article as the checks see it (from an import or an article file)."""

    file: str  # relative to the issue folder: articles/01-slug.md
    title_en: TextLine | None
    title_zh: TextLine | None
    en: list[TextLine] = field(default_factory=list)
    zh: list[TextLine] = field(default_factory=list)
    alignment: tuple[Alignment, ...] | None = None
    reviewed: dict[str, str] = field(default_factory=dict)


def lint_report(diagnostics: list[Diagnostic], *, folder: Path | None = None,
                repairs: Counter | None = None, written: list[str] | None = None) -> Report:
    """The report of lint or import: the findings, and what import wrote and repaired."""
    figures: dict = {}
    if folder is not None:
        figures["issue folder"] = folder
    if written:
        figures["wrote"] = written
    if repairs:
        figures["repairs"] = dict(sorted(repairs.items()))
    return Report(title=f"Content checks of {folder}" if folder else "Content checks",
                  diagnostics=diagnostics, figures=figures)


# --- the checks -------------------------------------------------------------------


def issue_model(articles: list[ArticleText]) -> align.AlignModel:
    pairs = [(en.text, zh.text) for a in articles for en, zh in zip(a.en, a.zh)]
    return align.estimate_model(pairs, [p.text for a in articles for p in a.en])


def check_issue(articles: list[ArticleText], *, script: str = "hans") -> list[Diagnostic]:
    model = issue_model(articles)
    findings: list[Diagnostic] = []
    for article in articles:
        findings.extend(check_article(article, model, script=script))
    return findings


def check_article(article: ArticleText, model: align.AlignModel, *, script: str = "hans"
                  ) -> list[Diagnostic]:
    findings = _check_article_text(article, model, script)
    found = {finding.code for finding in findings}
    for id_ in sorted(set(article.reviewed) - found):
        findings.append(Diagnostic(
            code=f"reviewed-{id_}-stale", file=article.file, line=1, severity="warning",
            message=f"the front matter marks {id_!r} as reviewed, but no check reports it "
                    "any more (the text was mended); remove it from `reviewed:`.",
            evidence={"note": article.reviewed[id_]}))
    return findings


def _check_article_text(article: ArticleText, model: align.AlignModel, script: str
                        ) -> list[Diagnostic]:
    findings: list[Diagnostic] = []

    def add(id_: str, line: int | None, severity: str, message: str, **evidence) -> None:
        note = article.reviewed.get(id_)
        findings.append(Diagnostic(code=id_, file=article.file, line=line, severity=severity,
                                   message=message, evidence=evidence,
                                   reviewed=note is not None, note=note))

    for language, title in (("en", article.title_en), ("zh", article.title_zh)):
        if title is None or not title.text.strip():
            add(f"title-{language}-missing", 1, "error",
                f"the article has no {_name(language)} title.")
        else:
            _check_text(add, f"title-{language}", title, language, script)
    for language, paragraphs in (("en", article.en), ("zh", article.zh)):
        for number, paragraph in enumerate(paragraphs, start=1):
            _check_text(add, f"para-{language}-{number}", paragraph, language, script)

    if not article.en and not article.zh:
        add("empty", 1, "error", "the article has no paragraphs in either language.")
        return findings
    for language, other in (("en", "zh"), ("zh", "en")):
        if not getattr(article, language) and getattr(article, other):
            add(f"{language}-missing", 1, "error",
                f"the article has {_name(other)} paragraphs but no {_name(language)} ones; "
                "every article is printed in both languages.")
    if not article.en or not article.zh:
        return findings
    _check_pairs(add, article, model)
    return findings


def _check_text(add, prefix: str, text: TextLine, language: str, script: str) -> None:
    spans = corrupted_spans(text.text)
    if spans:
        evidence = {"sequences": [text.text[a:b] for a, b in spans]}
        if text.source_line:
            evidence["source_line"] = text.source_line
        add(f"{prefix}-corrupted", text.line, "error",
            f"corrupted characters in the {_name(language)} text "
            f"({', '.join(evidence['sequences'])}); restore them from the original.",
            **evidence)
    if language == "zh":
        repairs = clean_chinese(text.text, script=script,
                                simplify=script == "hans").repairs
        if repairs:
            add(f"{prefix}-unclean", text.line, "warning",
                "the Chinese still shows converter damage; `make-issue import` would repair it.",
                repairs=dict(repairs))


def _check_pairs(add, article: ArticleText, model: align.AlignModel) -> None:
    en = [p.text for p in article.en]
    zh = [p.text for p in article.zh]
    rows = article.alignment
    if rows is None:
        if len(en) != len(zh):
            suggested = align.align_paragraphs(en, zh, model)
            add("align-needed", 1, "error",
                f"{len(en)} English and {len(zh)} Chinese paragraphs cannot pair one to one; "
                "add the suggested 'align:' list after checking it.",
                suggested=align.format_alignment(suggested))
            rows = suggested
        else:
            rows = tuple(Alignment(en=(n,), zh=(n,)) for n in range(1, len(en) + 1))
    for number, row in enumerate(rows, start=1):
        english = " ".join(en[n - 1] for n in row.en if n <= len(en))
        chinese = "".join(zh[n - 1] for n in row.zh if n <= len(zh))
        line = (article.en[row.en[0] - 1].line if row.en and row.en[0] <= len(en)
                else article.zh[row.zh[0] - 1].line if row.zh and row.zh[0] <= len(zh) else 1)
        if not english or not chinese:
            missing = "Chinese" if not chinese else "English"
            add(f"pair-{number}-untranslated", line, "warning",
                f"row {number} has no {missing} paragraph: the translation is missing.",
                row=align.format_alignment((row,))[0])
            continue
        score = align.score_pair(english, chinese, model)
        lines = {"en": article.en[row.en[0] - 1].line, "zh": article.zh[row.zh[0] - 1].line}
        _check_truncation(add, number, lines, score, english, chinese)


def _check_truncation(add, number: int, lines: dict[str, int | None], score: align.PairScore,
                      english: str, chinese: str) -> None:
    if score.delta >= TRUNCATION_DELTA and score.anchors.missing:
        side, missing = "zh", list(score.anchors.missing)
    elif score.delta <= -TRUNCATION_DELTA:
        en_numbers = align.english_anchors(english).numbers
        missing = [str(n) for n in sorted(align.chinese_numbers(chinese) - en_numbers)
                   if n >= 10]  # small Chinese numerals (一道, 两国) are idiom, not counts
        side = "en"
        if not missing:
            return
    else:
        return
    shorter = "Chinese" if side == "zh" else "English"
    add(f"pair-{number}-truncated", lines[side], "warning",  # the line of the short side
        f"the {shorter} of pair {number} looks truncated: it is "
        f"{'shorter' if side == 'zh' else 'longer'} than the issue's ratio predicts "
        f"and lacks {', '.join(missing)}.",
        side=side, ratio=score.ratio, expected_ratio=score.expected_ratio,
        length_score=score.delta, length_en=score.length_en, length_zh=score.length_zh,
        missing_anchors=missing, found_anchors=list(score.anchors.found))


def _name(language: str) -> str:
    return "English" if language == "en" else "Chinese"


# --- lint: an existing folder ---------------------------------------------------------


def lint_folder(folder: Path, *, script: str = "hans") -> Report:
    """The content checks on an issue folder that `renderer.load.load_issue` accepts."""
    from renderer.load import load_issue

    folder = Path(folder)
    issue = load_issue(folder)
    articles = []
    for article in issue.articles:
        titles = _title_lines(article.path)
        articles.append(ArticleText(
            file=_relative(article.path, folder),
            title_en=TextLine(article.title.en, titles.get("en")),
            title_zh=TextLine(article.title.zh, titles.get("zh")),
            en=[TextLine(p.text, p.line) for p in article.en],
            zh=[TextLine(p.text, p.line) for p in article.zh],
            alignment=article.alignment, reviewed=dict(article.reviewed)))
    return lint_report(check_issue(articles, script=script), folder=folder)


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return str(path)


def _title_lines(path: Path) -> dict[str, int]:
    """Lines of `title: {en, zh}` in the front matter (the model does not keep them)."""
    from renderer.load.source import parse_yaml, read_text

    lines = read_text(path).split("\n")
    end = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), 0)
    doc = parse_yaml("\n".join(lines[1:end]), path, first_line=2)
    return {language: doc.line(("title", language)) for language in ("en", "zh")}
