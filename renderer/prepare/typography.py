"""Text-level typography of one paragraph's HTML, per language.

Input is the already-escaped inline HTML markdown-it renders for one paragraph
(text, ``<em>``, ``<strong>``, ``<a>``, ``<code>``, ``<br>``). Only text between tags is
changed; tags and attributes pass through byte for byte.

Chinese (W3C clreq, https://www.w3.org/TR/clreq/):

* 3.2.2 Han/Latin spacing: inside a text run nothing is inserted;
  ``renderer.typeset.weasyprint70.cjk`` finds each boundary between a Han character and a
  Latin letter or digit and gives it 1/4 em, except where the line breaks there (clreq
  allows the break, with no space at the line start or end). Across an element boundary
  (``中<em>COVID</em>``), which the typesetter cannot see, a U+200B ZERO WIDTH SPACE opens
  the second run: invisible, never written as PDF text, it carries the space and allows
  the break. (Earlier versions put a U+2060 WORD JOINER at every boundary, which forbade
  the break and loosened the line before each number or Latin word.)
* 3.1.4 line-start prohibition for interpuncts: Pango's UAX #14 breaks before ``·``
  (class AI), so a joiner glues it to the character before it.
* 3.1.6.2 adjacent full-width marks: marks that meet inside one text run are compressed
  by ``renderer.typeset.weasyprint70.cjk`` (``halt``); when an element boundary separates them
  (``。</em>”``) the first is wrapped in ``<span class="halt">`` for ``styles/cjk.css``.
* 3.6 (paragraph end): no last line with a single character; the last two Han
  characters are glued with a joiner.

English: the last two words are joined with a no-break space when the last one is short,
so no paragraph ends with a lone short word; hyphenation itself is CSS
(``hyphens: auto`` with ``lang="en"``, Pyphen).

Both functions are idempotent: running them on their own output changes nothing.
"""

from __future__ import annotations

import html
import re

from renderer.text import (
    COMPRESSIBLE_MARKS,
    HAN_LATIN_ELEMENT_MARK,
    HAN_LATIN_MARK,
    INTERPUNCTS,
    WORD_JOINER,
    ZERO_WIDTH_SPACE,
    is_han,
    is_han_latin_boundary,
)

TAG = re.compile(r"(<[^>]*>)")
BREAKING_TAG = re.compile(r"<\s*(br|img|hr)\b", re.IGNORECASE)
HALT_OPEN = '<span class="halt">'
SHORT_LAST_WORD = 3        # letters; a longer last word makes an acceptable last line
MAX_GLUED_PAIR = 10        # characters; a longer glued pair loosens the line before it


class _Fragment:
    """An HTML fragment as tags and unescaped text runs, re-escaped on output."""

    def __init__(self, fragment_html: str) -> None:
        self.parts: list[tuple[bool, str]] = []   # (is_tag, raw tag | unescaped text)
        for index, piece in enumerate(TAG.split(fragment_html)):
            if piece:
                is_tag = index % 2 == 1
                self.parts.append((is_tag, piece if is_tag else html.unescape(piece)))

    def text_indexes(self) -> list[int]:
        return [i for i, (is_tag, _) in enumerate(self.parts) if not is_tag]

    def neighbouring_runs(self) -> list[tuple[int, int]]:
        """Pairs of text runs separated only by inline tags (not <br>, <img>)."""
        pairs = []
        previous = None
        for i, (is_tag, piece) in enumerate(self.parts):
            if is_tag:
                if BREAKING_TAG.match(piece):
                    previous = None
                continue
            if previous is not None:
                pairs.append((previous, i))
            previous = i
        return pairs

    def text(self, index: int) -> str:
        return self.parts[index][1]

    def set_text(self, index: int, text: str) -> None:
        self.parts[index] = (False, text)

    def to_html(self) -> str:
        return "".join(piece if is_tag else html.escape(piece, quote=False)
                       for is_tag, piece in self.parts)


def mark_han_latin(text: str) -> str:
    """Han/Latin boundaries inside a run need no mark: drop the joiners earlier versions
    put there (the typesetter spaces the boundary itself; a joiner would forbid the break)."""
    if HAN_LATIN_MARK not in text:
        return text
    return "".join(char for index, char in enumerate(text)
                   if not (char == HAN_LATIN_MARK and 0 < index < len(text) - 1
                           and is_han_latin_boundary(text[index - 1], text[index + 1])))


_QUOTE_BREAKS = re.compile(
    r"(?<=[\w])(?=[“‘])|(?<=[”’])(?=[\w])")
_EMAIL = re.compile(r"([\w.+-]+@)([\w-]+\.)(\w[\w.-]*)")


def allow_quote_breaks(text: str) -> str:
    """Allow the breaks clreq allows before an opening and after a closing quote.

    Pango's UAX #14 (before Unicode 15.1 LB19a) never breaks on either side of a curly
    quote (class QU), so ``度“丝路奖学金”申`` was one unbreakable chunk and the line before
    it took the slack. A U+200B (invisible, never extracted) between a letter or Han and
    the quote gives the break back; next to another mark nothing is inserted (the pair is
    compressed, and a closing mark may not start a line anyway). An e-mail address may
    break after its ``@`` and after the first dot of its domain (never before a dot)."""
    if ZERO_WIDTH_SPACE in text:
        return text                  # prepared already (idempotence)
    text = _QUOTE_BREAKS.sub(ZERO_WIDTH_SPACE, text)
    return _EMAIL.sub(lambda m: ZERO_WIDTH_SPACE.join(m.groups()), text)


def glue_interpuncts(text: str) -> str:
    """Forbid a line start with an interpunct (叶·德米特里) by joining it to its left."""
    return re.sub(rf"(?<=[^\s{WORD_JOINER}])([{INTERPUNCTS}])", WORD_JOINER + r"\1", text)


def glue_last_two_han(text: str) -> str:
    """Join the last two Han characters when only punctuation/space follows them."""
    match = re.search(r"([^\W\d_])([^\W\d_])(\W*)$", text)
    if match and is_han(match.group(1)) and is_han(match.group(2)):
        return text[:match.start()] + match.group(1) + WORD_JOINER + text[match.start(2):]
    return text


def _mark_across_tags(fragment: _Fragment) -> None:
    for left, right in fragment.neighbouring_runs():
        before, after = fragment.text(left), fragment.text(right)
        if after[:1] in (HAN_LATIN_MARK, HAN_LATIN_ELEMENT_MARK):
            after = after[1:]        # already marked (idempotence), or an earlier version's joiner
            fragment.set_text(right, after)
        if before and after and is_han_latin_boundary(before[-1], after[0]):
            fragment.set_text(right, HAN_LATIN_ELEMENT_MARK + after)


def _compress_across_tags(fragment: _Fragment) -> list[int]:
    """Runs whose last mark meets another full-width mark across a tag."""
    runs = []
    for left, right in fragment.neighbouring_runs():
        before, after = fragment.text(left), fragment.text(right)
        if before and after and before[-1] in COMPRESSIBLE_MARKS and (
                after[0] in COMPRESSIBLE_MARKS):
            runs.append(left)
    return runs


def _already_wrapped(fragment: _Fragment, index: int) -> bool:
    return index > 0 and fragment.parts[index - 1] == (True, HALT_OPEN)


def _wrap_last_mark(fragment: _Fragment, index: int) -> None:
    text = fragment.text(index)
    fragment.set_text(index, text[:-1])
    fragment.parts[index + 1:index + 1] = [(True, HALT_OPEN), (False, text[-1]),
                                           (True, "</span>")]


def prepare_zh_html(fragment_html: str) -> str:
    """Chinese paragraph HTML with clreq spacing marks, joiners and half-width spans."""
    fragment = _Fragment(fragment_html)
    for index in fragment.text_indexes():
        text = fragment.text(index)
        fragment.set_text(index, glue_interpuncts(allow_quote_breaks(mark_han_latin(text))))
    _mark_across_tags(fragment)
    texts = fragment.text_indexes()
    if texts:
        fragment.set_text(texts[-1], glue_last_two_han(fragment.text(texts[-1])))
    for index in reversed(_compress_across_tags(fragment)):
        if not (len(fragment.text(index)) == 1 and _already_wrapped(fragment, index)):
            _wrap_last_mark(fragment, index)
    return fragment.to_html()


def glue_last_words(text: str) -> str:
    """Join a short last word to the one before with U+00A0 (no lone-word last line)."""
    match = re.search(r"(\S+) (\S+)\s*$", text)
    if not match:
        return text
    last_letters = len(re.sub(r"\W", "", match.group(2)))
    if last_letters <= SHORT_LAST_WORD and len(match.group(1)) + len(match.group(2)) <= (
            MAX_GLUED_PAIR):
        return text[:match.end(1)] + "\u00a0" + text[match.start(2):]
    return text


def prepare_en_html(fragment_html: str) -> str:
    """English paragraph HTML: no lone short word on the last line."""
    fragment = _Fragment(fragment_html)
    texts = fragment.text_indexes()
    if texts:
        fragment.set_text(texts[-1], glue_last_words(fragment.text(texts[-1])))
    return fragment.to_html()
