"""A tiny valid issue, written into a temporary folder, for tests to build or to break.

Two short articles in both languages, only common characters (the bundled fonts
are subsets). Tests copy it and change one thing, so each failure has one cause.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

MANIFEST = """\
newsletter:
  en: Test Newsletter
  zh: 测试简讯
slug: test-news
publisher: Test Office
volume: 1
number: 2
month: 2022-03
articles:
  - articles/01-one.md
  - articles/02-two.md
"""

ARTICLE = """\
---
title:
  en: {title_en}
  zh: {title_zh}
---

## English

{en}

## 中文

{zh}
"""

ARTICLES = {
    "articles/01-one.md": dict(
        title_en="A Short Article", title_zh="一篇短文",
        en="The first paragraph of the article.\n\nThe second paragraph of the article.",
        zh="文章的第一段。\n\n文章的第二段。"),
    "articles/02-two.md": dict(
        title_en="Another Article", title_zh="另一篇文章",
        en="Only one paragraph here.", zh="这里只有一段。"),
}

# Name of the outputs of the tiny issue, relative to the --out folder.
OUTPUTS = {edition: Path("2022-03") / f"test-news-2022-03-{edition}.pdf"
           for edition in ("print", "email")}


def article_text(title_en: str, title_zh: str, en: str, zh: str) -> str:
    return ARTICLE.format(title_en=title_en, title_zh=title_zh, en=en, zh=zh)


def write_tiny_issue(folder: Path) -> Path:
    """The tiny issue in `folder` (created); returns `folder`."""
    (folder / "articles").mkdir(parents=True, exist_ok=True)
    (folder / "images").mkdir(exist_ok=True)
    (folder / "issue.yaml").write_text(MANIFEST, encoding="utf-8")
    for name, parts in ARTICLES.items():
        (folder / name).write_text(article_text(**parts), encoding="utf-8")
    return folder


def write_tiny_issues(root: Path, months: tuple[str, ...]) -> list[Path]:
    """One tiny issue per month (``root/yyyy-mm``), for builds of several issues at once."""
    folders = []
    for month in months:
        folder = write_tiny_issue(root / month)
        manifest = folder / "issue.yaml"
        manifest.write_text(manifest.read_text(encoding="utf-8").replace(
            "month: 2022-03", f"month: {month}"), encoding="utf-8")
        folders.append(folder)
    return folders


def png_bytes(width: int, height: int, *, body: bool = True) -> bytes:
    """A PNG (RFC 2083) of one grey, built by hand: with `body=False` only the
    signature, IHDR and IEND, so a huge size can be declared without allocating it."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
    if body:
        rows = (b"\x00" + b"\x80" * width) * height  # filter byte + pixels per row
        png += chunk(b"IDAT", zlib.compress(rows, 9))
    return png + chunk(b"IEND", b"")
