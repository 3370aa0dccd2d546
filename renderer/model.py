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
    # "paragraph", or the block it is (docs/formats.md): "heading", "bullet_list",
    # "ordered_list", "blockquote", "table", "rule", "box", "note", "pullquote", "wide",
    # "footnote" (a note's definition). A paragraph's text has its lines joined; a
    # block's text is its Markdown source as written, lines kept.
    kind: str = "paragraph"


@dataclass(frozen=True)
class Figure:
    image: Path  # resolved, inside the issue folder
    caption: Bilingual
    credit: str | None  # English, or a plain string for both languages
    alt: Bilingual  # defaults to the caption
    after: int  # placed after this many paragraph pairs (0 = before the first)
    line: int
    width: str = "full"  # "full" (both columns), "column" or "half"
    credit_zh: str | None = None  # given with credit: {en, zh}


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
    byline_zh: str | None = None  # given with byline: {en, zh}
    figures: tuple[Figure, ...] = ()
    reviewed: dict[str, str] = field(default_factory=dict)  # finding id -> note
    language: str | None = None  # "en" or "zh": a single-language piece; None: both
    # footnote definitions ([^1]: ...) of each language, kind "footnote", in file order
    en_notes: tuple[Paragraph, ...] = ()
    zh_notes: tuple[Paragraph, ...] = ()
    title_lines: dict[str, int] = field(default_factory=dict)  # language -> line in the file


@dataclass(frozen=True)
class EmailSettings:
    size_budget: int = 5_000_000  # bytes
    sender: str | None = None
    reply_to: str | None = None
    unsubscribe_mailto: str | None = None  # template, {email} and {token} filled in
    unsubscribe_url: str | None = None
    # The campaign (renderer/deliver/mail): per-language subject and inbox preview
    # ({newsletter}, {month}, {volume}, {number} filled in), the postal address of the
    # footer (required for --send), the hosted PDF, the bounce mailbox. (The web edition's
    # address, for the "view in browser" link, is the issue's web_url.)
    subject: Bilingual | None = None
    preheader: Bilingual | None = None
    postal_address: str | Bilingual | None = None  # one text, or en/zh
    pdf_url: str | None = None
    attach: bool = True  # false: a link to pdf_url instead of the attachment
    bounce_address: str | None = None  # VERP base (envelope sender); default: email.from


@dataclass(frozen=True)
class PrintSettings:
    bleed_mm: float = 3.0
    binding: str = "loose"  # or "saddle-stitch", "perfect" (policy.BINDINGS)
    ink_limit: int = 300  # total area coverage, percent
    # The job ticket's fields (renderer.deliver.prepress), as the editor wrote them.
    quantity: int | None = None
    stock: str | None = None
    finishing: str | None = None
    delivery: str | None = None
    contact: str | None = None


@dataclass(frozen=True)
class Cover:
    """The lead story on the cover: an article of the issue, a picture, a standfirst."""

    article: str  # slug of one of the issue's articles
    standfirst: Bilingual
    image: Path | None = None  # inside the issue folder


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
    page_size: str  # "A5", "A4", "Letter" or a custom "<width>x<height>mm" (renderer.policy)
    articles: tuple[Article, ...]
    colophon: tuple[str, ...] = ()
    published: dt.datetime | None = None  # fixed PDF dates for reproducible builds
    email: EmailSettings = field(default_factory=EmailSettings)
    print: PrintSettings = field(default_factory=PrintSettings)
    publisher_zh: str | None = None  # `publisher: {en, zh}`; `publisher` is then the English
    web_url: str | None = None  # the web edition: a QR code on the back cover
    logo: Path | None = None  # SVG or PNG inside the issue folder, in the masthead
    cover: Cover | None = None  # the lead story on page 1
    hant_names: tuple[str, ...] = ()  # `names:` kept in Traditional characters (lint, import)

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# --- prepared form, produced by `prepare`, read by `compose` -----------------


@dataclass(frozen=True)
class Row:
    """One row of the parallel text: HTML of whole blocks (``<p>``, ``<ul>``...), escaped."""

    en: tuple[str, ...]
    zh: tuple[str, ...]
    kind: str = "text"  # "text"; "wide": set across both columns; "notes": the footnotes


@dataclass(frozen=True)
class PreparedFigure:
    src: dict[str, str]  # edition -> data: URL of the image prepared for it
    caption: Bilingual  # HTML
    alt: Bilingual  # plain text
    credit: str | None  # HTML-safe text; under the English caption (or both, see credit_zh)
    width_px: int
    height_px: int
    width: str = "full"  # "full", "column" or "half" (model.Figure.width)
    credit_zh: str | None = None  # under the Chinese caption


@dataclass(frozen=True)
class Block:
    """A row of text or of figures (one, or several side by side), in reading order."""

    row: Row | None = None
    figure: PreparedFigure | None = None  # the first (or only) figure of the row
    figures: tuple[PreparedFigure, ...] = ()  # every figure of the row


@dataclass(frozen=True)
class PreparedArticle:
    slug: str
    title: Bilingual  # HTML
    title_text: Bilingual  # plain text, for bookmarks and mail
    blocks: tuple[Block, ...]
    dateline: Bilingual | None  # HTML, e.g. "22 February 2022" / "2022年2月22日"
    section: Bilingual | None
    byline: str | None
    byline_zh: str | None = None
    language: str | None = None  # a single-language piece: "en" or "zh"


@dataclass(frozen=True)
class PreparedIssue:
    issue: Issue
    articles: tuple[PreparedArticle, ...]
    month: Bilingual  # plain text: "February 2022" / "2022年2月"
    issue_line: Bilingual  # HTML: "Vol. 1 · No. 2 · February 2022" / "第1卷 第2期 · 2022年2月"
    warnings: tuple[str, ...] = ()
    font_css: str = ""  # @font-face rules of build-time font supplements (prepare.fonts)
    cover_image: PreparedFigure | None = None  # the lead story's picture, per edition
    logo: PreparedFigure | None = None  # the masthead's logo, per edition
