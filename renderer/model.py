"""The typed model every stage passes along: plain, frozen data, no behaviour.

`load` builds an `Issue` from the files; `prepare` turns it into a
`PreparedIssue` (cleaned text, Chinese typography applied, paragraphs paired
into rows); `compose` only reads the prepared form.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Bilingual:
    en: str
    zh: str


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of one language, as written (Markdown inline syntax)."""

    text: str
    line: int  # 1-based line in the article file where the paragraph starts


@dataclass(frozen=True)
class Figure:
    image: Path  # resolved, inside the issue folder
    caption: Bilingual
    credit: str | None
    alt: Bilingual  # defaults to the caption
    after: int  # placed after this many paragraph pairs (0 = before the first)
    line: int


@dataclass(frozen=True)
class Alignment:
    """Which paragraphs of each language share a row (1-based numbers).

    `("3",)`/`("3", "4")` style groups: 1:1, 1:2, 2:1, 1:0 and 0:1 pairings.
    """

    en: tuple[int, ...]
    zh: tuple[int, ...]


@dataclass(frozen=True)
class Article:
    path: Path
    slug: str
    title: Bilingual
    en: tuple[Paragraph, ...]
    zh: tuple[Paragraph, ...]
    alignment: tuple[Alignment, ...] | None = None  # None: pair in order, 1:1
    date: dt.date | None = None
    section: Bilingual | None = None
    byline: str | None = None
    figures: tuple[Figure, ...] = ()
    reviewed: dict[str, str] = field(default_factory=dict)  # finding id -> note


@dataclass(frozen=True)
class EmailSettings:
    size_budget: int = 5_000_000  # bytes
    sender: str | None = None
    reply_to: str | None = None
    unsubscribe_mailto: str | None = None  # template, {email} and {token} filled in
    unsubscribe_url: str | None = None
    # The campaign (renderer/deliver/mail): per-language subject and inbox preview
    # ({newsletter}, {month}, {volume}, {number} filled in), the postal address of the
    # footer (required for --send), the web edition and hosted PDF, the bounce mailbox.
    subject: Bilingual | None = None
    preheader: Bilingual | None = None
    postal_address: str | Bilingual | None = None  # one text, or en/zh
    web_url: str | None = None
    pdf_url: str | None = None
    attach: bool = True  # false: a link to pdf_url instead of the attachment
    bounce_address: str | None = None  # VERP base (envelope sender); default: email.from


@dataclass(frozen=True)
class PrintSettings:
    bleed_mm: float = 3.0
    binding: str = "none"  # or "saddle-stitch"
    ink_limit: int = 300  # total area coverage, percent


@dataclass(frozen=True)
class Issue:
    folder: Path
    manifest: Path
    name: Bilingual
    slug: str  # file-name base of the outputs: <slug>-<yyyy-mm>-print.pdf
    publisher: str
    volume: int
    number: int
    year: int
    month: int
    page_size: str  # "A4" or "Letter"
    articles: tuple[Article, ...]
    colophon: tuple[str, ...] = ()
    published: dt.datetime | None = None  # fixed PDF dates for reproducible builds
    email: EmailSettings = field(default_factory=EmailSettings)
    print: PrintSettings = field(default_factory=PrintSettings)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# --- prepared form, produced by `prepare`, read by `compose` -----------------


@dataclass(frozen=True)
class Row:
    """One row of the parallel text: HTML fragments, already escaped."""

    en: tuple[str, ...]
    zh: tuple[str, ...]


@dataclass(frozen=True)
class PreparedFigure:
    src: dict[str, str]  # edition -> data: URL of the image prepared for it
    caption: Bilingual  # HTML
    alt: Bilingual  # plain text
    credit: str | None
    width_px: int
    height_px: int


@dataclass(frozen=True)
class Block:
    """A row of text or a figure, in reading order."""

    row: Row | None = None
    figure: PreparedFigure | None = None


@dataclass(frozen=True)
class PreparedArticle:
    slug: str
    title: Bilingual  # HTML
    title_text: Bilingual  # plain text, for bookmarks and mail
    blocks: tuple[Block, ...]
    dateline: Bilingual | None  # HTML, e.g. "22 February 2022" / "2022年2月22日"
    section: Bilingual | None
    byline: str | None


@dataclass(frozen=True)
class PreparedIssue:
    issue: Issue
    articles: tuple[PreparedArticle, ...]
    month: Bilingual  # plain text: "February 2022" / "2022年2月"
    issue_line: Bilingual  # HTML: "Vol. 1 · No. 2 · February 2022" / "第1卷 第2期 · 2022年2月"
    warnings: tuple[str, ...] = ()
