"""Font coverage gate: every character shown in the PDF must be in our fonts.

Two kinds of font are available: the bundled subsets (fonts/: GB 2312, the 8,105
characters of the Table of General Standard Chinese Characters and common traditional
forms) and, for anything beyond them, the full Noto fonts installed on the machine
(Debian's fonts-noto-cjk and fonts-noto-core, installed by scripts/setup.sh), from which
the build subsets the few characters it needs (renderer.prepare.fonts.supplement_css).
Only a character that neither has is an error.

Before typesetting, each string of the issue that ends up on a page (newsletter
name, publisher, colophon, titles, sections, bylines, paragraphs, captions,
credits) is checked, character by character, against the cmap of the bundled
fonts that will set it (renderer.prepare.fonts). Otherwise WeasyPrint would silently
fall back to some installed font, or draw a .notdef box ("tofu"), and the PDF
would differ from machine to machine; PDF/X-4 (ISO 15930-7, 6.3.5) also wants
every glyph embedded from a known font.

Which fonts a string may use follows the CSS stacks of renderer.prepare.fonts.FONT_STACKS:

  English (and language-neutral strings: publisher, byline, credit, colophon):
      the Latin faces; a CJK character (Han, kana, CJK punctuation, full-width
      form) quoted in English may fall back to the Chinese faces, nothing else
      may, so an apostrophe never comes out as a full-width CJK glyph;
  Chinese:
      the Chinese faces only (Latin words and digits in a Chinese paragraph are
      set by the Chinese font, which has ASCII, Latin-1 and GB 2312's pinyin).

A character must be in every face of its language (regular, bold, italic,
heading), so that it can appear in any of them. Default-ignorable characters
(format characters such as U+200B, U+00AD, U+FEFF, variation selectors) are not
drawn and are skipped, as are tab and newline; any other control character is an
error. Space separators (Unicode category Zs: U+2009 thin space, U+202F ...) are
skipped too: Pango draws a space the font lacks as an empty advance of the right
width, without switching fonts (Noto CJK has no U+2009, checked with WeasyPrint 70). Markdown syntax is checked as written: its characters are all ASCII.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from renderer.diagnostics import Diagnostic
from renderer.errors import PressError
from renderer.model import Article, Issue
from renderer.prepare import fonts
from renderer.text import is_cjk

MAX_LISTED = 10


_SKIPPED_CONTROLS = frozenset("\t\n\r")

LANGUAGE_NAMES = {"en": "English text", "zh": "Chinese text", "any": "text"}


@dataclass(frozen=True)
class Text:
    """One string as it will appear in the PDF, and where it was written."""

    text: str
    language: str  # "en", "zh", or "any" (set with the English stack)
    file: Path
    line: int  # where to start looking for a character in `file`
    field: str


@dataclass(frozen=True)
class Missing:
    char: str
    language: str
    file: Path
    line: int | None
    field: str


def is_ignorable(char: str) -> bool:
    """Characters no font needs a glyph for: Unicode default-ignorables (UAX #44)
    and spaces, which Pango synthesizes."""
    if char in _SKIPPED_CONTROLS:
        return True
    cp = ord(char)
    return (
        unicodedata.category(char) in ("Cf", "Zs")
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors
        or 0xE0100 <= cp <= 0xE01EF
        or 0x180B <= cp <= 0x180F  # Mongolian free variation selectors
    )


def is_covered(char: str, language: str) -> bool:
    cp = ord(char)
    latin = fonts.cmap_for("en")
    chinese = fonts.cmap_for("zh")
    if language == "zh":
        return cp in chinese
    return cp in latin or (is_cjk(char) and cp in chinese)


# --- what is shown --------------------------------------------------------------


def issue_texts(issue: Issue) -> Iterator[Text]:
    manifest = issue.manifest
    yield Text(issue.name.en, "en", manifest, 1, "newsletter.en")
    yield Text(issue.name.zh, "zh", manifest, 1, "newsletter.zh")
    yield Text(issue.publisher, "any", manifest, 1, "publisher")
    for number, line in enumerate(issue.colophon, 1):
        yield Text(line, "any", manifest, 1, f"colophon line {number}")
    for article in issue.articles:
        yield from article_texts(article)


def article_texts(article: Article) -> Iterator[Text]:
    path = article.path
    yield Text(article.title.en, "en", path, 1, "title.en")
    yield Text(article.title.zh, "zh", path, 1, "title.zh")
    if article.section is not None:
        yield Text(article.section.en, "en", path, 1, "section.en")
        yield Text(article.section.zh, "zh", path, 1, "section.zh")
    if article.byline:
        yield Text(article.byline, "any", path, 1, "byline")
    if article.byline_zh:
        yield Text(article.byline_zh, "zh", path, 1, "byline.zh")
    for number, figure in enumerate(article.figures, 1):
        yield Text(figure.caption.en, "en", path, figure.line, f"figures[{number}].caption.en")
        yield Text(figure.caption.zh, "zh", path, figure.line, f"figures[{number}].caption.zh")
        if figure.credit:
            yield Text(figure.credit, "any", path, figure.line, f"figures[{number}].credit")
        if figure.credit_zh:
            yield Text(figure.credit_zh, "zh", path, figure.line, f"figures[{number}].credit.zh")
    for number, paragraph in enumerate(article.en, 1):
        yield Text(paragraph.text, "en", path, paragraph.line, f"English paragraph {number}")
    for number, paragraph in enumerate(article.zh, 1):
        yield Text(paragraph.text, "zh", path, paragraph.line, f"Chinese paragraph {number}")
    for language, name in (("en", "English"), ("zh", "Chinese")):  # the footnotes
        for number, note in enumerate(getattr(article, f"{language}_notes"), 1):
            yield Text(note.text, language, path, note.line, f"{name} footnote {number}")


# --- the check ------------------------------------------------------------------


class _LineFinder:
    """Finds the line of a file where a character occurs, from a starting line."""

    def __init__(self) -> None:
        self._lines: dict[Path, list[str] | None] = {}

    def find(self, file: Path, char: str, start: int) -> int | None:
        if file not in self._lines:
            try:
                self._lines[file] = file.read_text(encoding="utf-8").split("\n")  # not splitlines: U+2028 is no line
            except OSError:
                self._lines[file] = None
        lines = self._lines[file]
        if lines is None:
            return start or None
        for number in range(max(start, 1), len(lines) + 1):
            if char in lines[number - 1]:
                return number
        return start or None


@dataclass(frozen=True)
class Coverage:
    missing: list[Missing]  # no available font draws these: an error
    supplement: dict[str, frozenset[int]]  # language of the fonts -> code points to
    # subset from the installed upstream fonts at build time


def supplement_language(char: str, language: str) -> str:
    """Which faces draw `char` in text of `language`: Chinese text, and a CJK character
    quoted in English, use the Chinese faces; the rest the Latin ones."""
    return "zh" if language == "zh" or is_cjk(char) else "en"


def plan_coverage(issue: Issue) -> Coverage:
    """Every character shown: in the bundled fonts, from a build-time supplement, or
    missing (first occurrence of each, with file and line)."""
    lines = _LineFinder()
    seen: set[tuple[str, str]] = set()
    missing: list[Missing] = []
    supplement: dict[str, set[int]] = {"en": set(), "zh": set()}
    for text in issue_texts(issue):
        for char in dict.fromkeys(text.text):  # each character once, in order of first use
            if (char, text.language) in seen:
                continue
            seen.add((char, text.language))
            if is_ignorable(char) or is_covered(char, text.language):
                continue
            faces = supplement_language(char, text.language)
            if (unicodedata.category(char) != "Cc"
                    and fonts.available_from_sources(ord(char), faces)):
                supplement[faces].add(ord(char))
                continue
            line = lines.find(text.file, char, text.line)
            missing.append(Missing(char, text.language, text.file, line, text.field))
    return Coverage(missing, {k: frozenset(v) for k, v in supplement.items() if v})


def find_missing(issue: Issue) -> list[Missing]:
    """Every character (first occurrence of each) that no available font can draw."""
    return plan_coverage(issue).missing


def check_coverage(issue: Issue) -> dict[str, frozenset[int]]:
    """Raise PressError if a character shown in the PDF is in no available font (lists up
    to ten, each with code point, file and line); else return the code points, per
    language of the faces, that the build must subset from the installed fonts."""
    plan = plan_coverage(issue)
    if plan.missing:
        raise coverage_error(plan.missing)
    return plan.supplement


def lint_diagnostics(issue: Issue, relative) -> list[Diagnostic]:
    """The coverage gate as lint findings: one error per character no font has.
    `relative(path)` gives the file name as lint shows it."""
    return [Diagnostic(
        severity="error", code="character-not-in-fonts", file=relative(m.file), line=m.line,
        field=m.field,
        message=f"{describe(m.char)} in {LANGUAGE_NAMES[m.language]} is in no font the "
                "press has (the bundled fonts or the installed Noto fonts), so it cannot "
                "be printed.", hint=_fix([m]), evidence={"code_point": f"U+{ord(m.char):04X}"})
        for m in find_missing(issue)]


def describe(char: str) -> str:
    name = unicodedata.name(char, None)
    if name is None:
        name = "control character" if unicodedata.category(char) == "Cc" else "unnamed"
    shown = repr(char) if unicodedata.category(char) in ("Cc", "Zs") else f"'{char}'"
    return f"{shown} U+{ord(char):04X} {name}"


def _faces_of(language: str) -> str:
    families = dict.fromkeys(face.family for face in fonts.faces_for(
        "zh" if language == "zh" else "en"))
    return "/".join(families)


def coverage_error(missing: list[Missing]) -> PressError:
    first = missing[0]
    listed = missing[:MAX_LISTED]
    if len(missing) == 1:
        what = (f"{describe(first.char)} in {LANGUAGE_NAMES[first.language]} "
                f"({first.field}) is in no font the press has (the bundled "
                f"{_faces_of(first.language)}, or the installed Noto fonts).")
    else:
        items = "; ".join(
            f"{describe(m.char)} in {m.field}, {m.file}:{m.line}" for m in listed
        )
        more = f" and {len(missing) - len(listed)} more" if len(missing) > len(listed) else ""
        what = (f"{len(missing)} characters are not in the bundled fonts nor in the "
                f"installed Noto fonts: {items}{more}.")
    return PressError(what=what, file=first.file, line=first.line, field=first.field,
                      fix=_fix(listed))


def _fix(missing: list[Missing]) -> str:
    unavailable = [m for m in missing if _unavailable_upstream(m)]
    not_installed = [m for m in missing if m not in unavailable]
    parts = []
    if unavailable:
        codes = ", ".join(f"U+{ord(m.char):04X}" for m in unavailable)
        one = len(unavailable) == 1
        parts.append(f"{codes} cannot be printed: no Noto font has {'it' if one else 'them'}; "
                     f"replace {'it' if one else 'them'} in the text (an emoji or symbol "
                     "with words, a rare character with an image of it).")
    if not_installed:
        parts.append("The full Noto fonts the build draws rare characters from are not "
                     "installed: run scripts/setup.sh (Debian's fonts-noto-cjk and "
                     "fonts-noto-core).")
    return " ".join(parts)


def _unavailable_upstream(missing: Missing) -> bool:
    if not unicodedata.category(missing.char).startswith(("L", "M", "N", "P", "S", "Z")):
        return True  # control characters are never drawn
    if missing.language == "zh" or is_cjk(missing.char):
        language = "zh"
    else:
        language = "en"
    return fonts.source_has(ord(missing.char), language) is False
