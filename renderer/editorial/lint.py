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

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from renderer.diagnostics import Diagnostic, Report
from renderer.editorial import align, english, words
from renderer.editorial.clean import clean_chinese, corrupted_spans
from renderer.model import Alignment
from renderer.text import HAN, is_han

TRUNCATION_DELTA = 1.5  # Gale-Church delta beyond which a pair is suspicious ...
# ... but only flagged when an anchor (number, pinyin name) is missing as well, or:
SHORT_FRACTION = 0.5    # one side is under half the length the other predicts ...
SHORT_DELTA = 2.5       # ... and that is this many standard deviations off.
CHINESE_IN_ENGLISH = 4  # Han characters in an English paragraph that make it wrong-language
ENGLISH_RUN = re.compile(r"(?:[A-Za-z]+[ ,'’-]+){5,}[A-Za-z]+")


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
    aligned: align.Aligned | None = None  # import: the aligner's answer and its confidence
    byline: str | None = None             # import: byline lines found in the text
    language: str | None = None           # a single-language piece (`language:`)


@dataclass(frozen=True)
class Context:
    """What the checks know about the whole issue."""

    model: align.AlignModel
    known: frozenset[str] = frozenset()  # the issue's proper nouns
    script: str = "hans"
    keep: tuple[str, ...] = ()  # names kept in Traditional characters (manifest `names:`)


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


def issue_context(articles: list[ArticleText], script: str = "hans",
                  keep: tuple[str, ...] = ()) -> Context:
    known = english.proper_nouns([p.text for a in articles for p in a.en]
                                 + [a.title_en.text for a in articles if a.title_en],
                                 [p.text for a in articles for p in a.zh])
    return Context(model=issue_model(articles), known=known, script=script, keep=tuple(keep))


def check_issue(articles: list[ArticleText], *, script: str = "hans",
                keep: tuple[str, ...] = ()) -> list[Diagnostic]:
    context = issue_context(articles, script, keep)
    findings: list[Diagnostic] = []
    for article in articles:
        findings.extend(check_article(article, context))
    return findings


def check_article(article: ArticleText, context: Context) -> list[Diagnostic]:
    findings = _check_article_text(article, context)
    found = {finding.code for finding in findings}
    for id_ in sorted(set(article.reviewed) - found):
        findings.append(Diagnostic(
            code=f"reviewed-{id_}-stale", file=article.file, line=1, severity="warning",
            message=f"the front matter marks {id_!r} as reviewed, but no check reports it "
                    "any more (the text was mended); remove it from `reviewed:`.",
            evidence={"note": article.reviewed[id_]}))
    return findings


def _check_article_text(article: ArticleText, context: Context) -> list[Diagnostic]:
    findings: list[Diagnostic] = []

    def add(id_: str, line: int | None, severity: str, message: str, hint: str | None = None,
            **evidence) -> None:
        note = article.reviewed.get(id_)
        findings.append(Diagnostic(code=id_, file=article.file, line=line, severity=severity,
                                   message=message, evidence=evidence, hint=hint,
                                   reviewed=note is not None, note=note))

    for language, title in (("en", article.title_en), ("zh", article.title_zh)):
        if article.language and language != article.language:
            continue  # a single-language piece needs only its own title
        if title is None or not title.text.strip():
            add(f"title-{language}-missing", 1, "error",
                f"the article has no {_name(language)} title.")
        else:
            _check_text(add, f"title-{language}", title, language, context)
    for language, paragraphs in (("en", article.en), ("zh", article.zh)):
        for number, paragraph in enumerate(paragraphs, start=1):
            _check_text(add, f"para-{language}-{number}", paragraph, language, context)

    if not article.en and not article.zh:
        add("empty", 1, "error", "the article has no paragraphs in either language.")
        return findings
    if article.language:
        return findings  # a single-language piece: nothing to pair
    for language, other in (("en", "zh"), ("zh", "en")):
        if not getattr(article, language) and getattr(article, other):
            add(f"{language}-missing", 1, "error",
                f"the article has {_name(other)} paragraphs but no {_name(language)} ones.",
                hint=f"Add the {_name(language)} translation, or make it a single-language "
                     f"piece with `language: {other}` (docs/formats.md).")
    if not article.en or not article.zh:
        return findings
    _check_pairs(add, article, context.model)
    return findings


def _code_points(sequence: str) -> str:
    return " ".join(f"U+{ord(ch):04X} {ch}" for ch in sequence
                    if is_han(ch) or ch in "?\uFFFD" or ord(ch) > 0x2000)


def _check_text(add, prefix: str, text: TextLine, language: str, context: Context) -> None:
    spans = corrupted_spans(text.text)
    if spans:
        sequences = [text.text[a:b] for a, b in spans]
        evidence = {"sequences": sequences,
                    "code_points": [_code_points(seq) for seq in sequences]}
        if text.source_line:
            evidence["source_line"] = text.source_line
        add(f"{prefix}-corrupted", text.line, "error",
            f"corrupted characters in the {_name(language)} text "
            f"({'; '.join(f'{q} = {c}' for q, c in zip(sequences, evidence['code_points']))}); "
            "restore them from the original.", **evidence)
    if language == "zh":
        result = clean_chinese(text.text, script=context.script,
                               simplify=context.script == "hans", keep=context.keep)
        if result.repairs:
            changed = sorted({f"{a}→{b}" for a, b in zip(text.text, result.text) if a != b}
                             ) if len(result.text) == len(text.text) else []
            add(f"{prefix}-unclean", text.line, "warning",
                "the Chinese still shows converter damage ("
                + ", ".join(f"{kind} {n}" for kind, n in sorted(result.repairs.items()))
                + (f": {' '.join(changed[:12])}" if changed else "")
                + "); `make-issue import` repairs it, or correct it by hand.",
                repairs=dict(result.repairs), changes=changed)
        runs = [m.group() for m in ENGLISH_RUN.finditer(align.strip_shared(text.text))
                if sum(words.is_word(w, 1000) for w in re.findall("[A-Za-z]+", m.group())) >= 4]
        if runs and not prefix.startswith("title"):
            add(f"{prefix}-english", text.line, "warning",
                f"the Chinese text holds English sentences ('{runs[0][:60]}'): is it "
                "in the wrong part of the article?", text=runs[0])
        return
    han = HAN.findall(text.text)
    if len(han) >= CHINESE_IN_ENGLISH:
        first = HAN.search(text.text).start()
        add(f"{prefix}-chinese", text.line, "warning",
            f"the English text holds {len(han)} Chinese characters "
            f"('{text.text[first:first + 20]}'): is it in the wrong part of the article?",
            characters=len(han))
    damage = english.find_damage(text.text, context.known)
    if prefix.startswith("para") and align.ends_open(text.text, "en"):
        # A word cut off at the end ("visi") is the truncation's evidence, reported with
        # the pair: not a misspelling of its own.
        tail = text.text.rstrip()
        damage = [d for d in damage if not (d.kind == "misspelt" and tail.endswith(d.text))]
    if damage:
        add(f"{prefix}-damaged", text.line, "warning",
            f"the English shows converter damage: {', '.join(d.shown() for d in damage)}.",
            hint="Correct it from the original (split ligatures are joined by import).",
            damage=[{"kind": d.kind, "text": d.text, "fix": d.fix} for d in damage])


def _check_pairs(add, article: ArticleText, model: align.AlignModel) -> None:
    en = [p.text for p in article.en]
    zh = [p.text for p in article.zh]
    rows = article.alignment
    aligned = article.aligned
    if rows is None and len(en) != len(zh):
        aligned = align.align_with_confidence(en, zh, model)
        add("align-needed", 1, "error",
            f"{len(en)} English and {len(zh)} Chinese paragraphs cannot pair one to one; "
            f"the aligner proposes align: {aligned.rows and align.format_alignment(aligned.rows)} "
            f"(confidence per row {', '.join(f'{c:.2f}' for c in aligned.confidence)}).",
            hint="Check the rows side by side, then add the list to the front matter.",
            suggested=align.format_alignment(aligned.rows),
            confidence=list(aligned.confidence), rows=_side_by_side(aligned, en, zh))
        rows = aligned.rows
    elif rows is not None and not align.is_one_to_one(rows):
        if aligned is None:
            aligned = align.align_with_confidence(en, zh, model)
        if aligned.rows != rows or not aligned.confident:
            weakest = aligned.weakest
            add("align-uncertain", 1, "error",
                "the pairing is not certain: "
                + (f"the aligner proposes {align.format_alignment(aligned.rows)} instead of "
                   f"{align.format_alignment(rows)}" if aligned.rows != rows else
                   f"row {weakest + 1} ({align.format_alignment(aligned.rows)[weakest]}) "
                   f"is only {aligned.confidence[weakest]:.0%} likely")
                + "; compare the rows' first words and confirm or correct `align:`.",
                hint="When the rows are right, list 'align-uncertain' under `reviewed:`.",
                written=align.format_alignment(rows), proposed=align.format_alignment(
                    aligned.rows), confidence=list(aligned.confidence),
                rows=_side_by_side(aligned if aligned.rows == rows else
                                   align.Aligned(rows, aligned.confidence), en, zh))
    if rows is None:
        rows = tuple(Alignment(en=(n,), zh=(n,)) for n in range(1, len(en) + 1))
    for number, row in enumerate(rows, start=1):
        english_ = " ".join(en[n - 1] for n in row.en if n <= len(en))
        chinese = "".join(zh[n - 1] for n in row.zh if n <= len(zh))
        line = (article.en[row.en[0] - 1].line if row.en and row.en[0] <= len(en)
                else article.zh[row.zh[0] - 1].line if row.zh and row.zh[0] <= len(zh) else 1)
        if not english_ or not chinese:
            missing = "Chinese" if not chinese else "English"
            add(f"pair-{number}-untranslated", line, "warning",
                f"row {number} has no {missing} paragraph: the translation is missing.",
                row=align.format_alignment((row,))[0])
            continue
        score = align.score_pair(english_, chinese, model)
        lines = {"en": article.en[row.en[-1] - 1].line, "zh": article.zh[row.zh[-1] - 1].line}
        _check_truncation(add, number, lines, score, model, en[row.en[-1] - 1],
                          zh[row.zh[-1] - 1])


def _first_words(text: str, language: str) -> str:
    if language == "zh":
        bare = "".join(text.split())
        return bare[:16] + ("…" if len(bare) > 16 else "")
    tokens = text.split()
    return " ".join(tokens[:7]) + (" …" if len(tokens) > 7 else "")


def _side_by_side(aligned: align.Aligned, en: list[str], zh: list[str]) -> list[str]:
    shown = []
    for row, confidence in zip(aligned.rows, aligned.confidence):
        english_ = " / ".join(_first_words(en[n - 1], "en") for n in row.en) or "—"
        chinese = " / ".join(_first_words(zh[n - 1], "zh") for n in row.zh) or "—"
        label = align.format_alignment((row,))[0]
        shown.append(f"{label} ({confidence:.0%}): {english_}  |  {chinese}")
    return shown


def _last_word_note(text: str) -> str | None:
    tokens = re.findall(r"[A-Za-z]+$", text.rstrip())
    if not tokens or words.is_word(tokens[0]):
        return None
    word = tokens[0].lower()
    longer = [w for w in ("ing", "ed", "s", "t", "e", "al", "ion", "tion") if words.is_common(
        word + w)]
    if not longer:
        return f"'{tokens[0]}' is not a word"
    return f"'{tokens[0]}' is not a word while '{tokens[0]}{longer[0]}' is"


def _check_truncation(add, number: int, lines: dict[str, int | None], score: align.PairScore,
                      model: align.AlignModel, last_en: str, last_zh: str) -> None:
    predicted_zh = score.length_en / model.ratio       # Chinese characters the English predicts
    predicted_en = score.length_zh * model.ratio       # English characters the Chinese predicts
    fraction = {"zh": score.length_zh / max(predicted_zh, 1),
                "en": score.length_en / max(predicted_en, 1)}
    missing = {"zh": list(score.anchors.missing), "en": list(score.anchors.missing_en)}
    open_end = {"en": align.ends_open(last_en, "en"), "zh": align.ends_open(last_zh, "zh")}
    off = {"zh": score.delta, "en": -score.delta}
    for side in ("zh", "en"):
        reasons = []
        if open_end[side]:
            tail = (last_en if side == "en" else last_zh).rstrip()
            reason = f"it ends without sentence-final punctuation ('…{tail[-24:]}')"
            note = _last_word_note(tail) if side == "en" else None
            reasons.append(reason + (f"; {note}" if note else ""))
        if fraction[side] < SHORT_FRACTION and off[side] >= SHORT_DELTA:
            reasons.append("it is far shorter than its translation")
        if off[side] >= TRUNCATION_DELTA and missing[side]:
            reasons.append(f"it lacks {', '.join(missing[side])}")
        if not reasons:
            continue
        name, other = ("Chinese", "English") if side == "zh" else ("English", "Chinese")
        add(f"pair-{number}-truncated", lines[side], "warning",
            f"the {name} of row {number} looks truncated: {'; '.join(reasons)}. The {name} is "
            f"{fraction[side]:.0%} of the length the {other} predicts "
            f"({score.length_zh if side == 'zh' else score.length_en} characters for about "
            f"{round(predicted_zh if side == 'zh' else predicted_en)}, at this issue's "
            f"{model.ratio:.2f} English characters per Chinese one).",
            hint="Restore the missing text from the original.",
            side=side, ratio=score.ratio, expected_ratio=score.expected_ratio,
            length_fraction=round(fraction[side], 2), length_score=score.delta,
            length_en=score.length_en, length_zh=score.length_zh,
            missing_anchors=missing[side], found_anchors=list(score.anchors.found),
            open_end=open_end[side])
        return


def _name(language: str) -> str:
    return "English" if language == "en" else "Chinese"


# --- lint: an existing folder ---------------------------------------------------------


def lint_folder(folder: Path, *, script: str = "hans") -> Report:
    """The content checks on an issue folder that `renderer.load.load_issue` accepts."""
    from renderer.load import load_issue

    return lint_issue(load_issue(Path(folder)), script=script)  # every mistake at once


def lint_issue(issue, *, script: str = "hans", coverage_passed: bool = False) -> Report:
    """The content checks on a loaded issue (a build lints the issue it has loaded).
    ``coverage_passed``: the build's coverage gate found every character in a font, so
    lint need not look again."""
    folder = issue.folder
    articles = []
    unsupported: list[Diagnostic] = []
    for article in issue.articles:
        file = _relative(article.path, folder)
        articles.append(ArticleText(
            file=file,
            title_en=TextLine(article.title.en, article.title_lines.get("en")),
            title_zh=TextLine(article.title.zh, article.title_lines.get("zh")),
            en=[TextLine(_block_text(p, "en"), p.line) for p in article.en],
            zh=[TextLine(_block_text(p, "zh"), p.line) for p in article.zh],
            alignment=article.alignment, reviewed=dict(article.reviewed),
            language=article.language))
        unsupported += _unsupported_syntax(article, file)
    from renderer.prepare.coverage import lint_diagnostics

    findings = (check_issue(articles, script=script, keep=issue.hant_names) + unsupported
                + _unlisted_articles(issue) + _skeleton_text(issue))
    if not coverage_passed:
        findings += lint_diagnostics(issue, lambda path: _relative(path, folder))
    return lint_report(findings, folder=folder)


# The text of an article skeleton (make-issue new, add-article): printed, it would be a
# placeholder on paper.
SKELETON_TEXT = {"en": "Write the English text here, one paragraph per block of lines.",
                 "zh": "在这里写中文，每段之间空一行。"}


def _skeleton_text(issue) -> list[Diagnostic]:
    return [Diagnostic(
        severity="error", code=f"skeleton-{language}", file=_relative(article.path, issue.folder),
        line=paragraph.line, message="the article still holds the skeleton's placeholder text.",
        hint="Write the article, or remove it from issue.yaml.")
        for article in issue.articles for language in ("en", "zh")
        for paragraph in getattr(article, language) if paragraph.text == SKELETON_TEXT[language]]


def _unlisted_articles(issue) -> list[Diagnostic]:
    """Article files in the issue's articles/ folder that the manifest does not list: an
    article forgotten in issue.yaml is silently missing from the PDF."""
    listed = {article.path.resolve() for article in issue.articles}
    folder = issue.folder / "articles"
    if not folder.is_dir():
        return []
    return [Diagnostic(
        severity="warning", code=f"unlisted-{path.stem}", file=_relative(path, issue.folder),
        line=1, message="this article file is not listed under 'articles:' in issue.yaml, "
        "so it is not printed.", hint="List it in issue.yaml, or move it out of articles/.")
        for path in sorted(folder.glob("*.md")) if path.resolve() not in listed]


RAW_HTML = re.compile(r"<!--|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
CODE_SPAN = re.compile(r"`[^`]*`")
FOOTNOTE_REFERENCE = re.compile(r"\[\^[^\]\s]*\]")


def _block_text(paragraph, language: str) -> str:
    """A block's words as the pairing checks read them: a list, table or box without
    its Markdown marks (a paragraph is its text)."""
    if paragraph.kind == "paragraph":
        return FOOTNOTE_REFERENCE.sub("", paragraph.text)
    from renderer.load.article import block_parser

    tokens = block_parser().parse(paragraph.text, {"language": language})
    joiner = " " if language == "en" else ""
    text = FOOTNOTE_REFERENCE.sub("", joiner.join(t.content for t in tokens
                                                  if t.type == "inline"))
    if paragraph.kind in {"table", "wide", "heading", "rule"}:
        text += "." if language == "en" else "。"  # not a sentence: never "truncated"
    return text


def _unsupported_syntax(article, file: str) -> list[Diagnostic]:
    """What the press does not interpret: raw HTML prints as text (never as markup)."""
    findings = []
    for language in ("en", "zh"):
        for number, paragraph in enumerate(
                [*getattr(article, language), *getattr(article, f"{language}_notes")], 1):
            for offset, line in enumerate(paragraph.text.split("\n")):
                tag = RAW_HTML.search(CODE_SPAN.sub("", line))
                if not tag:
                    continue
                id_ = f"para-{language}-{number}-html"
                note = article.reviewed.get(id_)
                findings.append(Diagnostic(
                    code=id_, file=file, line=paragraph.line + offset, severity="error",
                    message=f"raw HTML {tag[0][:40]!r} is not interpreted: it prints as "
                            "text.", hint="Remove it and use Markdown: lists, quotes, tables "
                                          "and ::: boxes are described in docs/formats.md.",
                    evidence={"html": tag[0]}, reviewed=note is not None, note=note))
                break
    return findings


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return str(path)
