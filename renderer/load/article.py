"""Article file (YAML front matter + a Markdown body in two languages) -> model.Article.

The body holds an `## English` part and a `## 中文` part (or one of them, with
`language:`); each part is a sequence of blocks, each one "paragraph" for pairing:
a paragraph, a `###` subhead, a list, a block quote, a table, a `:::` container (box,
note, pullquote, wide). Footnote definitions are kept apart (`Article.en_notes`). The
blocks are found by the Markdown parser `block_parser()`, which the prepare stage uses
again to render them. The format is described in docs/formats.md.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from renderer.errors import PressError
from renderer.load import schema
from renderer.load.schema import Fields
from renderer.load.source import Path_, parse_yaml, read_text
from renderer.model import Alignment, Article, Bilingual, Figure, Paragraph

LANGUAGE_HEADINGS = {
    "english": "en", "en": "en",
    "中文": "zh", "chinese": "zh", "zh": "zh", "简体中文": "zh",
}
HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")
LANGUAGE_NAMES = {"en": "English", "zh": "Chinese"}
LANGUAGE_HEADING = {"en": "## English", "zh": "## 中文"}
# `::: name` containers; a `wide` one is set across both columns
CONTAINERS = ("box", "note", "pullquote", "wide")
BLOCK_KINDS = {
    "paragraph_open": "paragraph", "heading_open": "heading", "bullet_list_open": "bullet_list",
    "ordered_list_open": "ordered_list", "blockquote_open": "blockquote",
    "table_open": "table", "hr": "rule", "fence": "fence",
}
CLOSING_FENCE = re.compile(r"^\s*:{3,}\s*$")
FOOTNOTE_LEFT = re.compile(r"\[\^[^\]\s]*\]")
IMAGE_SYNTAX = re.compile(r"!$")


@lru_cache(maxsize=1)
def block_parser():
    """The Markdown the press accepts in an article body: CommonMark blocks (paragraphs,
    headings, lists, block quotes, tables, rules), footnotes and `:::` containers, the
    inline syntax of titles and captions, no raw HTML (shown as text), links only to
    http(s) and mailto. Indented code and setext headings are off: an indented line is
    text, and a line of dashes is a rule."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.container import container_plugin
    from mdit_py_plugins.footnote import footnote_plugin

    md = MarkdownIt("zero", {"html": False, "typographer": False})
    md.enable(["emphasis", "link", "escape", "backticks", "entity", "paragraph", "heading",
               "list", "blockquote", "table", "hr", "fence"])
    md.use(footnote_plugin)
    # one container rule for every name: an unknown name is reported, never shown as text
    md.use(container_plugin, "block", validate=lambda params, *args: True)
    md.validateLink = lambda url: url.lower().startswith(("http://", "https://", "mailto:"))
    md.core.ruler.before("inline", "press_join_lines", _join_lines)
    return md


def _join_lines(state) -> None:
    """A block's lines join as the loader joins a paragraph's: with a space in English,
    with nothing in Chinese (a line end between two Han characters is no space);
    the language is the parse's env["language"]."""
    joiner = "" if state.env.get("language") == "zh" else " "
    for token in state.tokens:
        if token.type == "inline" and "\n" in token.content:
            token.content = joiner.join(part.strip() for part in token.content.split("\n"))


def container_name(token) -> str:
    return (token.info.strip().split() or [""])[0].lower()


def block_groups(tokens) -> tuple[list[list], list]:
    """Top-level token groups, one per block, and the footnotes' group (or [])."""
    groups, notes, i = [], [], 0
    while i < len(tokens):
        depth, j = 0, i
        while True:
            depth += tokens[j].nesting
            if depth <= 0:
                break
            j += 1
        group = tokens[i:j + 1]
        if group[0].type == "footnote_block_open":
            notes = group
        else:
            groups.append(group)
        i = j + 1
    return groups, notes


def block_kind(group) -> str:
    first = group[0]
    if first.type == "container_block_open":
        return container_name(first)
    return BLOCK_KINDS.get(first.type, first.type)


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
    language = f.take("language", schema.one_of("en", "zh"))
    title = f.take("title", _bilingual_for(language), required=True)
    date = f.take("date", schema.date)
    section = f.take("section", schema.bilingual)
    byline, byline_zh = f.take("byline", _credit, default=(None, None))
    figures = f.take("figures", _figures(issue_folder, language), default=())
    alignment = f.take("align", _alignment)
    reviewed = f.take("reviewed", _reviewed, default={})
    f.finish()
    doc.raise_collected()

    if language and alignment is not None:
        raise PressError("'align' pairs the paragraphs of two languages, and this piece has "
                         f"one (language: {language}).", file=path, line=doc.line(("align",)),
                         field="align", fix="Remove the 'align:' list.")
    body_lines = text.split("\n")[body_start:]
    parts = _split_languages(body_lines, body_start + 1, path, language)
    blocks = {lang: _blocks(lines, lang, path) for lang, lines in parts.items()}
    empty = ((), ())
    article = Article(
        path=path, slug=path.stem, title=title, en=blocks.get("en", empty)[0],
        zh=blocks.get("zh", empty)[0], alignment=alignment, date=date, section=section,
        byline=byline, byline_zh=byline_zh, figures=figures, reviewed=reviewed, language=language,
        en_notes=blocks.get("en", empty)[1], zh_notes=blocks.get("zh", empty)[1],
        title_lines={language: doc.line(("title", language)) for language in ("en", "zh")})
    _check_pairing(article, doc)
    _check_figure_places(article, doc)
    return article


@schema.also_accepts(schema.text.json)  # a single-language piece's title may be a string
def _both_languages(f: Fields, value: Any, path: Path_) -> Bilingual:
    return schema.bilingual(f, value, path)


def _bilingual_for(language: str | None):
    """Both languages; for a single-language piece, its language (a plain string, or
    `{en: ...}`), the other one optional."""
    if language is None:
        return _both_languages

    def kind(f: Fields, value: Any, path: Path_) -> Bilingual:
        if not isinstance(value, dict):
            value = {language: schema.text(f, value, path)}
            return Bilingual(en=value.get("en", ""), zh=value.get("zh", ""))
        sub = f.sub(value, path)
        other = "zh" if language == "en" else "en"
        texts = {language: sub.take(language, schema.text, required=True),
                 other: sub.take(other, schema.text, default="")}
        sub.finish()
        return Bilingual(en=texts["en"] or "", zh=texts["zh"] or "")
    return kind


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


def _split_languages(lines: list[str], first_line: int, path: Path,
                     language: str | None) -> dict[str, list[tuple[int, str]]]:
    """The body's lines under each language heading, with their line numbers."""
    parts: dict[str, list[tuple[int, str]]] = {}
    current: list[tuple[int, str]] | None = [] if language else None
    if language:
        parts[language] = current  # a single-language piece may omit its heading
    headed: set[str] = set()
    for number, line in enumerate(lines, start=first_line):
        heading = HEADING.match(line)
        if heading:
            name = LANGUAGE_HEADINGS.get(heading[1].strip().lower(), "")
            if not name:
                raise PressError(f"unknown section heading '{line.strip()}'.", file=path,
                                 line=number, fix="Use '## English' and '## 中文'; a subhead "
                                                  "inside an article is '### ...'.")
            if name in headed:
                raise PressError(f"the {LANGUAGE_NAMES[name]} part appears twice.", file=path,
                                 line=number,
                                 fix="Keep one '## English' and one '## 中文' heading.")
            if language and name != language:
                raise PressError(
                    f"a single-language piece (language: {language}) has a "
                    f"'{line.strip()}' part.", file=path, line=number,
                    fix=f"Remove the {LANGUAGE_NAMES[name]} part, or remove 'language:' to "
                        "print the article in both languages.")
            headed.add(name)
            if language and any(text.strip() for _, text in current):
                raise PressError(f"text before the '{line.strip()}' heading.", file=path,
                                 line=next(n for n, t in current if t.strip()),
                                 fix="Put the text under the heading, or remove the heading.")
            current = parts[name] = []
        elif current is None:
            if line.strip():
                raise PressError("text before the '## English' heading.", file=path,
                                 line=number, fix="Put paragraphs under '## English' or '## 中文'.")
        else:
            current.append((number, line))
    wanted = (language,) if language else ("en", "zh")
    for name in wanted:
        if not any(text.strip() for _, text in parts.get(name, ())):
            other = "zh" if name == "en" else "en"
            fix = (f"Add a '{LANGUAGE_HEADING[name]}' heading followed by its paragraphs; "
                   "every article is printed in both languages")
            if not language and any(t.strip() for _, t in parts.get(other, ())):
                fix += (f", unless it is a single-language piece: then add 'language: {other}' "
                        "to the front matter")
            raise PressError(f"the article has no {LANGUAGE_NAMES[name]} paragraphs.",
                             file=path, fix=fix + ".")
    return parts


def _blocks(lines: list[tuple[int, str]], language: str, path: Path
            ) -> tuple[tuple[Paragraph, ...], tuple[Paragraph, ...]]:
    """One language's part -> its blocks (each one "paragraph" for pairing) and its
    footnote definitions. Whatever the parser would leave as literal syntax in the
    PDF (an unknown or unclosed container, a footnote without its note, an image,
    a code block) is an error naming the line."""
    first = lines[0][0] if lines else 1
    source = [text for _, text in lines]
    tokens = block_parser().parse("\n".join(source), {})
    _check_syntax(tokens, source, first, path)
    groups, notes = block_groups(tokens)
    joiner = " " if language == "en" else ""
    blocks = []
    for group in groups:
        start, end = group[0].map
        kind = block_kind(group)
        if kind in CONTAINERS:
            end += 1  # the closing ':::' line
        raw = source[start:end]
        while raw and not raw[-1].strip():
            raw.pop()
        text = (joiner.join(s.strip() for s in raw) if kind == "paragraph"
                else "\n".join(raw))
        blocks.append(Paragraph(text=text, line=first + start, kind=kind))
    definitions = []
    for token in notes:
        if token.type == "footnote_open":
            definitions.append([])
        elif token.map and definitions:
            definitions[-1].append(token.map)
    note_paragraphs = []
    for maps in definitions:
        if not maps:
            continue  # an inline footnote ^[...]: its text is in the block
        start, end = maps[0][0], max(m[1] for m in maps)
        raw = source[start:end]
        while raw and not raw[-1].strip():
            raw.pop()
        note_paragraphs.append(Paragraph(text="\n".join(raw), line=first + start,
                                         kind="footnote"))
    result = tuple(blocks)
    if len(block_groups(block_parser().parse(block_source(result, ()), {}))[0]) != len(result):
        raise PressError("the blocks of the article could not be told apart.", file=path,
                         line=first, fix="Separate paragraphs, lists, quotes and tables by "
                                         "a blank line.")
    return result, tuple(note_paragraphs)


def block_source(blocks, notes) -> str:
    """One language's blocks and notes as one Markdown document (blank-line separated):
    what the prepare stage renders, so that footnotes are numbered per article."""
    return "\n\n".join([*(b.text for b in blocks), *(n.text for n in notes)]) + "\n"


def _check_syntax(tokens, source: list[str], first: int, path: Path) -> None:
    line = first
    for token in tokens:
        if token.map:
            line = first + token.map[0]
        if token.type == "container_block_open":
            name = container_name(token)
            end = token.map[1]
            if name not in CONTAINERS:
                raise PressError(
                    f"unknown block '::: {name}'." if name else "a ':::' line opens no block "
                    "(or closes one that was never opened).", file=path, line=line,
                    fix="Use ::: box, ::: note, ::: pullquote or ::: wide, closed by a ':::' "
                        "line (docs/formats.md).")
            if end >= len(source) or not CLOSING_FENCE.match(source[end]):
                raise PressError(f"the '::: {name}' block is never closed.", file=path,
                                 line=line, fix="Add a line ':::' where the block ends.")
        elif token.type == "fence":
            raise PressError("a code block (```) is not printed by the press.", file=path,
                             line=line, fix="Write it as a paragraph or a list.")
        elif token.type == "inline":
            children = token.children or []
            for index, child in enumerate(children):
                if child.type != "text":
                    continue
                left = FOOTNOTE_LEFT.search(child.content)
                if left:
                    raise PressError(
                        f"the footnote {left[0]} has no note.", file=path, line=line,
                        fix=f"Add a line '{left[0]}: the note' below the paragraphs of this "
                            "language, or remove the reference.")
                if (IMAGE_SYNTAX.search(child.content) and index + 1 < len(children)
                        and children[index + 1].type == "link_open"):
                    raise PressError(
                        "an image in the text (![...](...)) is not printed.", file=path,
                        line=line, fix="Give it as a figure in the front matter "
                                       "('figures:', docs/formats.md).")


def _figures(issue_folder: Path, language: str | None = None):
    image_file = schema.relative_file(issue_folder)
    bilingual = _bilingual_for(language)

    def kind(f: Fields, value: Any, path: Path_) -> tuple[Figure, ...]:
        if not isinstance(value, list):
            raise f.error("must be a list of figures (lines starting with '- image:')", path)
        figures = []
        for i, item in enumerate(value):
            sub = f.sub(item, path + (i,))
            image = sub.take("image", image_file, required=True)
            caption = sub.take("caption", bilingual, required=True)
            credit = sub.take("credit", _credit)
            figures.append(Figure(
                image=image, caption=caption,
                credit=credit[0] if credit else None,
                alt=sub.take("alt", bilingual, default=caption),
                after=sub.take("after", schema.non_negative_int, default=0),
                line=f.doc.line(path + (i,)),
                width=sub.take("width", schema.one_of(*FIGURE_WIDTHS), default="full"),
                credit_zh=credit[1] if credit else None))
            sub.finish()
        return tuple(figures)
    return kind


FIGURE_WIDTHS = ("full", "column", "half")


@schema.also_accepts(schema.text.json)
def _credit(f: Fields, value: Any, path: Path_) -> tuple[str, str | None]:
    """`credit: "Photo: ..."` (printed once, under the English caption) or `{en, zh}`; a
    byline the same way (under the English title, or under each title)."""
    if isinstance(value, dict):
        both = schema.bilingual(f, value, path)
        return both.en, both.zh
    return schema.text(f, value, path), None


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


def _check_figure_places(article: Article, doc) -> None:
    """A figure's `after:` names a row of the article (0 to the number of rows)."""
    rows = (len(article.alignment) if article.alignment is not None
            else len(article.en or article.zh))
    for index, figure in enumerate(article.figures):
        if figure.after > rows:
            raise PressError(
                f"'after: {figure.after}' places the figure after row {figure.after}, but the "
                f"article has {rows} row{'s' if rows != 1 else ''} of paragraphs.",
                file=article.path, line=doc.line(("figures", index, "after")),
                field=f"figures[{index + 1}].after",
                fix=f"Use a number from 0 (before the first row) to {rows} (after the last).")


def _check_pairing(article: Article, doc) -> None:
    """With `align`, each paragraph of each language is used once, in order."""
    if article.language:
        return
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
