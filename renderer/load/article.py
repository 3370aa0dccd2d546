"""Article file (YAML front matter + a Markdown body in two languages) -> model.Article.

The body holds an `## English` part and a `## 中文` part; paragraphs are
separated by blank lines. The format is described in docs/formats.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from renderer.errors import PressError
from renderer.load import schema
from renderer.load.schema import Fields
from renderer.load.source import Path_, parse_yaml, read_text
from renderer.model import Alignment, Article, Figure, Paragraph

LANGUAGE_HEADINGS = {
    "english": "en", "en": "en",
    "中文": "zh", "chinese": "zh", "zh": "zh", "简体中文": "zh",
}
HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")


def load_article(path: Path, issue_folder: Path) -> Article:
    text = read_text(path, what="article file")
    if not text.strip():
        raise PressError("the article file is empty.", file=path,
                         fix="Write its front matter and both languages (see docs/formats.md), "
                             "or remove it from the manifest's 'articles'.")
    front, body_start = _split_front_matter(text, path)
    doc = parse_yaml(front, path, first_line=2)
    if doc.data is None:
        raise PressError("the front matter is empty.", file=path, line=1,
                         fix="Give at least 'title:' with 'en:' and 'zh:' lines.")
    f = Fields(doc)
    title = f.take("title", schema.bilingual, required=True)
    date = f.take("date", schema.date)
    section = f.take("section", schema.bilingual)
    byline = f.take("byline", schema.text)
    figures = f.take("figures", _figures(issue_folder), default=())
    alignment = f.take("align", _alignment)
    reviewed = f.take("reviewed", _reviewed, default={})
    f.finish()
    doc.raise_collected()

    body_lines = text.split("\n")[body_start:]
    parts = _split_languages(body_lines, body_start + 1, path)
    article = Article(
        path=path, slug=path.stem, title=title, en=parts["en"], zh=parts["zh"],
        alignment=alignment, date=date, section=section, byline=byline,
        figures=figures, reviewed=reviewed)
    _check_pairing(article, doc)
    return article


def _split_front_matter(text: str, path: Path) -> tuple[str, int]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise PressError("an article must start with a '---' line opening its front matter.",
                         file=path, line=1,
                         fix="Put the title (en/zh) between two '---' lines at the top; "
                             "see docs/formats.md.")
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "\n".join(lines[1:number]), number + 1
    raise PressError("the front matter opened by '---' on line 1 is never closed.",
                     file=path, line=1, fix="Add a line '---' after the front matter.")


def _split_languages(lines: list[str], first_line: int, path: Path) -> dict[str, tuple]:
    parts: dict[str, list[Paragraph]] = {}
    current: list[Paragraph] | None = None
    language = ""
    pending: list[str] = []
    pending_line = 0

    def flush() -> None:
        nonlocal pending
        if pending and current is not None:
            joiner = " " if language == "en" else ""
            current.append(Paragraph(text=joiner.join(s.strip() for s in pending),
                                     line=pending_line))
        pending = []

    for number, line in enumerate(lines, start=first_line):
        heading = HEADING.match(line)
        if heading:
            flush()
            language = LANGUAGE_HEADINGS.get(heading[1].strip().lower(), "")
            if not language:
                raise PressError(f"unknown section heading '{line.strip()}'.", file=path,
                                 line=number, fix="Use '## English' and '## 中文'.")
            if language in parts:
                raise PressError(f"the {'English' if language == 'en' else 'Chinese'} part "
                                 "appears twice.", file=path, line=number,
                                 fix="Keep one '## English' and one '## 中文' heading.")
            current = parts.setdefault(language, [])
        elif not line.strip():
            flush()
        elif current is None:
            raise PressError("text before the '## English' heading.", file=path, line=number,
                             fix="Put paragraphs under '## English' or '## 中文'.")
        else:
            if not pending:
                pending_line = number
            pending.append(line)
    flush()
    for language, name, heading in (("en", "English", "## English"), ("zh", "Chinese", "## 中文")):
        if not parts.get(language):
            raise PressError(f"the article has no {name} paragraphs.", file=path,
                             fix=f"Add a '{heading}' heading followed by its paragraphs; "
                                 "every article is printed in both languages.")
    return {language: tuple(paragraphs) for language, paragraphs in parts.items()}


def _figures(issue_folder: Path):
    image_file = schema.relative_file(issue_folder)

    def kind(f: Fields, value: Any, path: Path_) -> tuple[Figure, ...]:
        if not isinstance(value, list):
            raise f.error("must be a list of figures (lines starting with '- image:')", path)
        figures = []
        for i, item in enumerate(value):
            sub = f.sub(item, path + (i,))
            image = sub.take("image", image_file, required=True)
            caption = sub.take("caption", schema.bilingual, required=True)
            figures.append(Figure(
                image=image, caption=caption,
                credit=sub.take("credit", schema.text),
                alt=sub.take("alt", schema.bilingual, default=caption),
                after=sub.take("after", schema.non_negative_int, default=0),
                line=f.doc.line(path + (i,))))
            sub.finish()
        return tuple(figures)
    return kind


ALIGN_ITEM = re.compile(r"^\s*([\d,\s]*):([\d,\s]*)$")
MAX_ALIGN_DIGITS = 5  # paragraph numbers; also keeps int() away from huge digit strings


@schema.with_json({"type": "array", "items": {"type": "string",
                                             "pattern": "^[0-9, ]*:[0-9, ]*$"}})
def _alignment(f: Fields, value: Any, path: Path_) -> tuple[Alignment, ...]:
    if not isinstance(value, list):
        raise f.error("must be a list of rows such as \"1:1\" or \"3:3,4\"", path)
    rows = []
    for i, item in enumerate(value):
        match = ALIGN_ITEM.match(str(item)) if isinstance(item, (str, int)) else None
        sides = match and [[n for n in re.split(r"[,\s]+", side.strip()) if n]
                           for side in (match[1], match[2])]
        if (not sides or not (sides[0] or sides[1])
                or any(len(n) > MAX_ALIGN_DIGITS for side in sides for n in side)):
            raise f.error(f"must be 'english numbers:chinese numbers', e.g. \"3:3,4\", "
                          f"not {schema.shown(item)}", path + (i,))
        numbers = [[int(n) for n in side] for side in sides]
        rows.append(Alignment(en=tuple(numbers[0]), zh=tuple(numbers[1])))
    return tuple(rows)


@schema.with_json({"type": "object", "additionalProperties": {"type": "string"}})
def _reviewed(f: Fields, value: Any, path: Path_) -> dict[str, str]:
    if not isinstance(value, dict):
        raise f.error("must map finding ids to a note, e.g. 'pair-3-truncated: kept as published'",
                      path)
    return {str(key): schema.text(f, note, path + (key,)) for key, note in value.items()}


def _check_pairing(article: Article, doc) -> None:
    """With `align`, each paragraph of each language is used once, in order."""
    if article.alignment is None:
        if len(article.en) != len(article.zh):
            raise PressError(
                f"the article has {len(article.en)} English and {len(article.zh)} Chinese "
                "paragraphs, so they cannot be paired one to one.",
                file=article.path, line=1, field="align",
                fix="Add an 'align:' list saying which paragraphs share a row, "
                    "e.g. - \"3:3,4\" (run `make-issue lint` for a suggestion).")
        return
    for language, paragraphs in (("en", article.en), ("zh", article.zh)):
        used = [n for row in article.alignment for n in getattr(row, language)]
        expected = list(range(1, len(paragraphs) + 1))
        if used != expected:
            raise PressError(
                f"'align' must use the {'English' if language == 'en' else 'Chinese'} "
                f"paragraphs 1 to {len(paragraphs)} once each, in order; it uses {used}.",
                file=article.path, line=doc.line(("align",)), field="align",
                fix="Renumber the rows, or remove 'align' to pair paragraphs in order.")
