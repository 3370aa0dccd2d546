"""Loose Chinese lines: how far apart two adjacent Han characters stand, as the eye sees it.

Inter-character justification (clreq 3.8) opens every gap of a line by the same amount,
so the widest added gap between two directly adjacent Han characters of a line is what a
reader sees as a letter-spaced line. It is measured from the glyph origins the audit
already reads (``renderer.verify.audit.read_glyphs``, PDFium), in ems of the line's size:

    added gap = (origin of the second Han - origin of the first) - em

The em of a line is the advance of its Han characters; each one's loose box carries its
one-em advance, so the median box width is the size. (PDFium's box of a few glyphs is
wider than the advance, hence the median, not the maximum.) A Han pair with anything
between them (a mark, a Latin word, a drawn space) is not a Han-to-Han gap and says
nothing. A space typed in the Chinese text (``植下友谊树 共建友谊林``) is often not drawn
at all, only skipped over (PDFium then generates one, which the audit leaves out): a gap
more than ``SPACE_EM`` wider than the line's usual Han gap is such a space, since the
justification opens every Han gap of a line by the same amount.

The rule ``loose-line`` reports each line whose widest added gap exceeds ``policy.LOOSE_EM``
(0.15 em: a fine ruler's width at body size; JIS X 4051 and clreq put compression of
punctuation before any such expansion), with the page, the line's text and the gap.
This module only measures lines: ``renderer.verify.audit`` turns the loose ones into findings.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from renderer.text import is_han

SPACE_EM = 0.2      # a gap this much wider than the line's median Han gap is a word space


@dataclass(frozen=True)
class LineGap:
    page: int
    text: str
    em: float           # pt
    gap_em: float       # widest added Han-to-Han gap, in em (0 when no Han pair)
    pairs: int          # adjacent Han pairs measured


def widest_han_gap(line) -> LineGap:
    """The widest added gap between two directly adjacent Han characters of ``line``
    (an ``audit.Line``: ``page``, ``visible`` glyphs with ``char`` and ``left`` origins,
    ``em`` and ``text``)."""
    em = line.em
    gaps = []
    if em:
        glyphs = line.glyphs
        gaps = [(b.left - a.left - em) / em for a, b in zip(glyphs, glyphs[1:])
                if is_han(a.char) and is_han(b.char) and b.left - a.left > 0.01]
    if not gaps:
        return LineGap(line.page, line.text, em, 0.0, 0)
    usual = statistics.median(gaps)
    widest = max(gap for gap in gaps if gap <= usual + SPACE_EM)
    return LineGap(line.page, line.text, em, widest, len(gaps))


def han_gaps(lines: Iterable) -> list[LineGap]:
    """``widest_han_gap`` of every line that has at least one adjacent Han pair."""
    return [gap for gap in map(widest_han_gap, lines) if gap.pairs]
