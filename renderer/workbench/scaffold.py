"""`make-issue new` and `add-article`: a new issue folder, a new article, by round-trip edits.

A new issue starts from the latest issue beside it: its manifest is read with ruamel.yaml
in round-trip mode, so the comments, the key order and every setting the editor chose
(names, publisher, slug, colophon, page size, print and mail settings) carry over as
written; only what belongs to one issue changes (number + 1, the month, the publication
date, the articles, the cover story). `add-article` writes an article skeleton and lists
it in the manifest the same way, so nothing else in the file moves.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from renderer.editorial.lint import SKELETON_TEXT
from renderer.errors import PressError
from renderer.load import MANIFEST
from renderer.load.describe import modeline
from renderer.text import slugify

FOLDER_MONTH = re.compile(r"(\d{4})-(\d{2})")
PER_ISSUE_KEYS = ("published", "cover")  # settings of one issue, not carried to the next

ARTICLE = """---
title:
  en: {title_en}
  zh: {title_zh}
date: {date}
---

## English

{en}

## 中文

{zh}
"""


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: comments, order and quoting are kept
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _read_manifest(folder: Path):
    path = folder / MANIFEST
    try:
        return _yaml().load(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise PressError(f"cannot read {MANIFEST} ({exc.strerror}).", file=path) from None
    except Exception as exc:  # ruamel's parser errors have no common base worth naming
        raise PressError(f"is not valid YAML: {exc}", file=path,
                         fix="Run `make-issue lint` on that issue for the exact line.") from None


def _write(path: Path, text: str) -> None:
    from renderer.deliver.files import write_atomically

    write_atomically(path, text.encode("utf-8"))


def _dump(data) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def latest_issue(parent: Path, *, besides: Path | None = None) -> Path | None:
    """The issue folder in `parent` with the latest month (by its manifest)."""
    found = []
    for folder in sorted(parent.iterdir()) if parent.is_dir() else []:
        if besides is not None and folder.resolve() == besides.resolve():
            continue
        if (folder / MANIFEST).is_file():
            try:
                month = str(_read_manifest(folder).get("month", ""))
            except (PressError, AttributeError):
                continue
            if FOLDER_MONTH.fullmatch(month):
                found.append((month, folder.name, folder))
    return max(found)[2] if found else None


def new_issue(folder: Path, *, month: str | None = None) -> tuple[Path, Path, Path]:
    """Create `folder` from the latest issue beside it: (manifest, first article, source)."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise PressError("exists and is not empty.", file=folder,
                         fix="Give a new folder, e.g. issues/2022-03.")
    previous = latest_issue(folder.parent, besides=folder)
    if previous is None:
        raise PressError(f"has no earlier issue beside it to start from (a folder with an "
                         f"{MANIFEST}).", file=folder.parent,
                         fix="Copy an issue folder by hand, or import one with "
                             "`make-issue import`.")
    data = _read_manifest(previous)
    year, number = _next_month(data, folder, month)
    data["month"] = f"{year:04d}-{number:02d}"
    if isinstance(data.get("number"), int):
        data["number"] = data["number"] + 1
    for key in PER_ISSUE_KEYS:
        data.pop(key, None)
    title_en, title_zh = "First article of the issue", "本期第一篇文章"
    article = Path("articles") / f"01-{slugify(title_en)}.md"
    data["articles"] = [article.as_posix()]
    manifest = folder / MANIFEST
    _write(manifest, modeline("issue") + _dump(data))
    _write(folder / article, _article(title_en, title_zh, dt.date(year, number, 1).isoformat()))
    return manifest, folder / article, previous


def _next_month(data, folder: Path, month: str | None) -> tuple[int, int]:
    for given in (month, folder.name):
        match = FOLDER_MONTH.fullmatch(given or "")
        if match and 1 <= int(match[2]) <= 12:
            return int(match[1]), int(match[2])
        if given is month and month is not None:
            raise PressError(f"--month must look like 2022-03, not {month!r}.", field="month")
    match = FOLDER_MONTH.fullmatch(str(data.get("month", "")))
    year, number = int(match[1]), int(match[2])
    return (year + 1, 1) if number == 12 else (year, number + 1)


def add_article(folder: Path, title_en: str, *, title_zh: str | None = None) -> Path:
    """Write an article skeleton and list it at the end of the manifest's articles."""
    folder = Path(folder)
    from renderer.load import check_issue_folder

    check_issue_folder(folder)
    data = _read_manifest(folder)
    articles = data.get("articles")
    if not isinstance(articles, list):
        raise PressError("has no 'articles:' list to add to.", file=folder / MANIFEST,
                         field="articles", fix="See docs/formats.md for the manifest.")
    slug = slugify(title_en)
    if not slug:
        raise PressError(f"the title {title_en!r} gives no file name (no Latin letters or "
                         "digits).", fix="Give the English title first; --zh gives the Chinese.")
    numbers = [int(m[1]) for item in articles
               if (m := re.match(r"(\d+)-", Path(str(item)).name))]
    relative = Path("articles") / f"{max(numbers, default=0) + 1:02d}-{slug}.md"
    path = folder / relative
    if path.exists():
        raise PressError("exists already.", file=path, fix="Give another title.")
    month = FOLDER_MONTH.fullmatch(str(data.get("month", "")))
    date = dt.date(int(month[1]), int(month[2]), 1).isoformat() if month else ""
    _write(path, _article(title_en, title_zh or "中文标题", date))
    articles.append(relative.as_posix())
    _write(folder / MANIFEST, _dump(data))
    return path


def _article(title_en: str, title_zh: str, date: str) -> str:
    # The schema line goes inside the front matter: an article starts with '---'.
    return ARTICLE.format(title_en=_scalar(title_en), title_zh=_scalar(title_zh), date=date,
                          en=SKELETON_TEXT["en"], zh=SKELETON_TEXT["zh"]).replace("---\n", "---\n" + modeline("article"), 1)


def _scalar(text: str) -> str:
    """A title as one YAML scalar, quoted when YAML would read it as something else."""
    import json

    return json.dumps(text, ensure_ascii=False) if re.search(r"[:#\[\]{},&*!|>'\"%@`]|^\s|\s$",
                                                              text) else text
