"""Font coverage gate: every character shown in the PDF must be in our fonts.

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
    for number, figure in enumerate(article.figures, 1):
        yield Text(figure.caption.en, "en", path, figure.line, f"figures[{number}].caption.en")
        yield Text(figure.caption.zh, "zh", path, figure.line, f"figures[{number}].caption.zh")
        if figure.credit:
            yield Text(figure.credit, "any", path, figure.line, f"figures[{number}].credit")
    for number, paragraph in enumerate(article.en, 1):
        yield Text(paragraph.text, "en", path, paragraph.line, f"English paragraph {number}")
    for number, paragraph in enumerate(article.zh, 1):
        yield Text(paragraph.text, "zh", path, paragraph.line, f"Chinese paragraph {number}")


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


def find_missing(issue: Issue) -> list[Missing]:
    """Every character (first occurrence of each) the fonts cannot draw."""
    lines = _LineFinder()
    seen: set[tuple[str, str]] = set()
    missing: list[Missing] = []
    for text in issue_texts(issue):
        for char in text.text:
            if is_ignorable(char) or (char, text.language) in seen:
                continue
            seen.add((char, text.language))
            if not is_covered(char, text.language):
                line = lines.find(text.file, char, text.line)
                missing.append(Missing(char, text.language, text.file, line, text.field))
    return missing


def check_coverage(issue: Issue) -> None:
    """Raise PressError if a character shown in the PDF is not in the bundled fonts.

    Lists up to ten missing characters, each with code point, file and line.
    """
    missing = find_missing(issue)
    if missing:
        raise coverage_error(missing)


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
                f"({first.field}) is not in the bundled fonts ({_faces_of(first.language)}).")
    else:
        items = "; ".join(
            f"{describe(m.char)} in {m.field}, {m.file}:{m.line}" for m in listed
        )
        more = f" and {len(missing) - len(listed)} more" if len(missing) > len(listed) else ""
        what = f"{len(missing)} characters are not in the bundled fonts: {items}{more}."
    return PressError(what=what, file=first.file, line=first.line, field=first.field,
                      fix=_fix(listed))


def _fix(missing: list[Missing]) -> str:
    unavailable = [m for m in missing if _unavailable_upstream(m)]
    text = (
        "Replace the character with a common equivalent, or add it to the font "
        "subset: keep it in the text under issues/, run `python scripts/build_fonts.py` "
        "(it adds every character used under issues/ that the Noto fonts have) and "
        "commit fonts/."
    )
    if unavailable:
        codes = ", ".join(f"U+{ord(m.char):04X}" for m in unavailable)
        text += (f" {codes} cannot be added: the Noto font of that language lacks "
                 f"{'it' if len(unavailable) == 1 else 'them'}, so replace "
                 f"{'it' if len(unavailable) == 1 else 'them'}.")
    return text


def _unavailable_upstream(missing: Missing) -> bool:
    if not unicodedata.category(missing.char).startswith(("L", "M", "N", "P", "S", "Z")):
        return True  # control characters are never drawn
    if missing.language == "zh" or is_cjk(missing.char):
        language = "zh"
    else:
        language = "en"
    return fonts.source_has(ord(missing.char), language) is False
