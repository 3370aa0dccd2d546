"""Write an imported issue: article files, issue.yaml, and the atomic folder swap.

Files follow docs/formats.md. Imported text is escaped so that Markdown reads it
back as the same text (CommonMark 0.31, sections 2.4 backslash escapes and 4.x
block starts): a paragraph starting with "1) " or "# " must not become a list
or heading. The folder is built in a temporary directory beside the target and
renamed into place (rename(2) is atomic within one file system).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import yaml

from renderer.editorial import align
from renderer.editorial.lint import ArticleText, TextLine
from renderer.errors import PressError
from renderer.load.describe import modeline

INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<])")
BLOCK_START = re.compile(r"^(\s*)([#>+\-=]|\d+[.)])(\s|$)")


def escape_markdown(text: str) -> str:
    text = INLINE_SPECIAL.sub(r"\\\1", text)
    return BLOCK_START.sub(lambda m: f"{m[1]}{_escape_block(m[2])}{m[3]}", text)


def _escape_block(marker: str) -> str:
    return f"{marker[:-1]}\\{marker[-1]}" if marker[-1] in ".)" else f"\\{marker}"


def yaml_scalar(value: str) -> str:
    """One-line YAML for a string: plain when YAML reads it back unchanged, else quoted."""
    dumped = yaml.safe_dump(value, allow_unicode=True, width=1_000_000)
    dumped = dumped.removesuffix("\n").removesuffix("\n...")
    if "\n" in dumped or yaml.safe_load(dumped) != value:
        return json.dumps(value, ensure_ascii=False)  # JSON strings are YAML
    return dumped


def render_article(article: ArticleText, date: dt.date | None) -> tuple[str, ArticleText]:
    """The article file's text, and the article with the file's line numbers."""
    lines = ["---", *modeline("article").splitlines()]
    if article.language:  # a single-language piece (docs/formats.md)
        lines.append(f"language: {article.language}")
    lines.append("title:")
    titles = {}
    for language, title in (("en", article.title_en), ("zh", article.title_zh)):
        if article.language and language != article.language:
            titles[language] = None
            continue
        lines.append(f"  {language}: {yaml_scalar(title.text if title else '')}")
        titles[language] = dataclasses.replace(title, line=len(lines)) if title else None
    if date:
        lines.append(f"date: {date.isoformat()}")
    if article.byline:
        lines.append(f"byline: {yaml_scalar(article.byline)}")
    if article.alignment is not None:
        lines.append("align:")
        lines.extend(f'  - "{row}"' for row in align.format_alignment(article.alignment))
    lines.append("---")
    paragraphs: dict[str, list[TextLine]] = {"en": [], "zh": []}
    for language, heading in (("en", "## English"), ("zh", "## 中文")):
        if article.language and language != article.language:
            continue
        lines += ["", heading]
        for paragraph in getattr(article, language):
            escaped = escape_markdown(paragraph.text)
            lines += ["", escaped]
            paragraphs[language].append(TextLine(escaped, len(lines), paragraph.source_line))
    checked = dataclasses.replace(article, title_en=titles["en"], title_zh=titles["zh"],
                                  en=paragraphs["en"], zh=paragraphs["zh"])
    return "\n".join(lines) + "\n", checked


def render_manifest(*, name_en: str, name_zh: str, slug: str, publisher: str, volume: int,
                    number: int, month: tuple[int, int], published: dt.date | None,
                    page_size: str, articles: list[str], colophon: list | None = None,
                    print_settings: dict | None = None, email: dict | None = None,
                    names: list | None = None) -> str:
    lines = [*modeline("issue").splitlines(), "newsletter:", f"  en: {yaml_scalar(name_en)}", f"  zh: {yaml_scalar(name_zh)}",
             f"slug: {slug}", f"publisher: {yaml_scalar(publisher)}",
             f"volume: {volume}", f"number: {number}", f"month: {month[0]:04d}-{month[1]:02d}",
             f"page_size: {page_size}"]
    if published:
        lines.append(f"published: {published.isoformat()}")
    for key, value in (("colophon", colophon), ("print", print_settings), ("email", email),
                       ("names", names)):
        if value:
            dumped = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False,
                                    width=1_000_000)
            lines.extend(dumped.rstrip("\n").split("\n"))
    lines.append("articles:")
    lines.extend(f"  - {path}" for path in articles)
    return "\n".join(lines) + "\n"


def write_folder(into: Path, files: dict[str, str], *, force: bool) -> None:
    """Build the folder beside `into`, then rename it into place; nothing half-written."""
    parent = into.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{into.name}.importing-", dir=parent))
    except OSError as exc:
        raise PressError(f"cannot create the issue folder ({exc.strerror}).", file=into) from None
    old: Path | None = None
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
        if into.exists():
            if not force and into.is_dir() and any(into.iterdir()):
                raise PressError("the target folder already exists and is not empty.",
                                 file=into, fix="Pass --force to replace it.")
            old = Path(tempfile.mkdtemp(prefix=f".{into.name}.replaced-", dir=parent))
            os.replace(into, old / "issue")
        os.replace(staging, into)
    except OSError as exc:
        if old is not None and not into.exists():
            os.replace(old / "issue", into)  # put the previous issue back
        raise PressError(f"cannot write the issue folder ({exc.strerror}).", file=into) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
