"""Split a raw bilingual dump into articles.

The dump is a run of articles, each an English title line, English paragraph
lines, a Chinese title line and Chinese paragraph lines (one paragraph per
line). Nothing marks the boundaries, so they are read from the text itself:

* the language of a line is its script: the share of Han characters among Han
  characters and Latin words (a Han character carries about as much as an
  English word), measured with pinyin annotations like ``國(guó)`` removed;
* a title is a short line without a final full stop that is followed by body
  lines of the same language, or the first line after a change of language;
* a title-shaped line inside a run of one language that makes the paragraph counts of the
  two languages agree is a paragraph cut short, not a title (`rejoin_cut_paragraphs`);
* a byline (``文/本刊记者 …``, ``By …``) becomes the article's byline, and a photo
  caption (``① …``), a dateline alone on its line, a pull quote and a caption right
  under a title stay in their article as paragraphs (renderer.editorial.structure):
  none of them starts an article.

Blank lines, CRLF, a BOM and trailing spaces are tolerated (the text has
already been decoded by `renderer.load.source.read_text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from renderer.editorial.clean import PINYIN_ANNOTATIONS
from renderer.editorial.structure import line_kind
from renderer.text import HAN

LATIN_WORD = re.compile(r"[A-Za-z]+")
FINAL_STOP = (".", "。", "．", "!", "！", "…")
MAX_TITLE = {"en": 200, "zh": 60}  # characters
MIN_CHINESE_SHARE = 0.5


@dataclass
class Line:
    text: str
    number: int  # 1-based line in the raw file
    language: str  # "en" or "zh"


@dataclass
class Block:
    """A title and its body lines, in one language."""

    language: str
    title: Line | None
    body: list[Line] = field(default_factory=list)
    bylines: list[Line] = field(default_factory=list)
    inside: bool = False  # its title was found inside a run of one language


@dataclass
class RawArticle:
    en: Block | None
    zh: Block | None

    @property
    def first_line(self) -> int:
        block = self.en or self.zh
        assert block is not None
        return (block.title or block.body[0]).number


def language_of(text: str) -> str:
    bare = PINYIN_ANNOTATIONS.sub("", text)
    han = len(HAN.findall(bare))
    latin = len(LATIN_WORD.findall(bare))
    if han + latin == 0:
        return "none"
    return "zh" if han / (han + latin) >= MIN_CHINESE_SHARE else "en"


def is_title_shaped(line: Line) -> bool:
    text = PINYIN_ANNOTATIONS.sub("", line.text).rstrip()
    sentence = text.rstrip("”’\"')）」』")  # 。” ends a sentence too
    return len(text) <= MAX_TITLE[line.language] and not sentence.endswith(FINAL_STOP + ("?", "？"))


def read_lines(text: str) -> list[Line]:
    """Non-blank lines with their language; lines with no letters stay with the text around."""
    lines: list[Line] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        language = language_of(stripped)
        if language == "none":
            language = lines[-1].language if lines else "en"
        lines.append(Line(text=stripped, number=number, language=language))
    return lines


def split_blocks(lines: list[Line]) -> list[Block]:
    """Runs of one language, cut again wherever a title-shaped line starts a body."""
    blocks: list[Block] = []
    for index, line in enumerate(lines):
        previous = lines[index - 1] if index else None
        following = lines[index + 1] if index + 1 < len(lines) else None
        kind = line_kind(PINYIN_ANNOTATIONS.sub("", line.text))
        new_language = previous is None or previous.language != line.language
        if kind == "byline" and not new_language:
            blocks[-1].bylines.append(line)
            continue
        right_under_title = (not new_language and blocks[-1].title is not None
                             and not blocks[-1].body)
        starts_article = (
            kind is None and is_title_shaped(line) and not right_under_title
            and following is not None and following.language == line.language
            and (new_language or not is_title_shaped(following)))
        if new_language:
            title = line if kind is None and is_title_shaped(line) else None
            blocks.append(Block(language=line.language, title=title,
                                body=[] if title else [line]))
        elif starts_article:
            blocks.append(Block(language=line.language, title=line, inside=True))
        else:
            blocks[-1].body.append(line)
    # A language run of one short line and nothing else is a title without a body.
    for block in blocks:
        if block.title is None and len(block.body) == 1 and is_title_shaped(block.body[0]):
            block.title, block.body = block.body[0], []
    return blocks


def rejoin_cut_paragraphs(blocks: list[Block]) -> list[Block]:
    """A title-shaped line inside a run of one language is a paragraph cut short (a paste
    that lost its tail ends without a full stop, like a title) when keeping it in the
    block before brings that article's paragraph count closer to its translation's.

    Chinese: English E, Chinese Z1, then Z2 from inside the run: Z1 + Z2 is E's
    translation when its count is nearer E's than Z1's alone. English: E1, then E2 from
    inside the run, then Chinese Z: E1 + E2 is Z's original when nearer Z's count than
    E2's alone. A real second article (a single-language piece) leaves the counts
    further apart when joined, and stays.
    """
    blocks = list(blocks)
    index = 1
    while index < len(blocks):
        block, before = blocks[index], blocks[index - 1]
        if not block.inside or before.language != block.language:
            index += 1
            continue
        joined = len(before.body) + 1 + len(block.body)
        if block.language == "zh":
            partner = blocks[index - 2] if index >= 2 else None
            apart, together = len(before.body), joined
        else:
            partner = blocks[index + 1] if index + 1 < len(blocks) else None
            apart, together = len(block.body), joined
        if (partner is None or partner.language == block.language
                or abs(together - len(partner.body)) >= abs(apart - len(partner.body))):
            index += 1
            continue
        before.body += [block.title, *block.body]
        before.bylines += block.bylines
        del blocks[index]
    return blocks


def pair_blocks(blocks: list[Block]) -> list[RawArticle]:
    """English block + the Chinese block right after it = one article."""
    blocks = rejoin_cut_paragraphs(blocks)
    articles: list[RawArticle] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if block.language == "en" and following is not None and following.language == "zh":
            articles.append(RawArticle(en=block, zh=following))
            index += 2
        else:
            articles.append(RawArticle(en=block if block.language == "en" else None,
                                       zh=block if block.language == "zh" else None))
            index += 1
    return articles


def split_articles(text: str) -> list[RawArticle]:
    return pair_blocks(split_blocks(read_lines(text)))
