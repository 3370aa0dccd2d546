"""Chinese paragraphs broken as a whole, the slack of each line in punctuation first.

WeasyPrint 70 breaks a paragraph one line at a time, each as long as Pango (UAX #14) can
make it with every mark one em wide. Three things go wrong in Chinese:

* a closing mark that ends a line is set half-width there (GB/T 15834, ``cjk.halt_positions``),
  so a character and its mark that would fit were pushed to the next line;
* where a character may not start a line (``，`` ``。`` ``”``), the character before it
  goes with it, and the whole em or two of slack goes into letter-spacing: the line
  looks spaced out (issue 20: 0.28 em between characters);
* a greedy choice cannot look ahead: the last two characters of a paragraph are glued
  (no one-character last line, clreq 3.6), and the line before them takes the slack;
  and where they are not (``3300万。``: prepare glues two Han only) the last line may
  hold one character.

So the breaks of a text box are chosen together (dynamic programming over the break
opportunities, as TeX does for paragraphs): a line may end wherever Pango may break and
clreq 3.1.4 agrees (``clreq_allows_break``); each line costs the cube of the space it
adds between characters (in em, so 0.15 em costs 1000 and anything wider far more), and
the paragraph's breaks are those of the least total. A line may be made to fit with, in
this order (clreq 3.1.6 and 3.8; JIS X 4051 4.8 pulls a character back before it pushes
one forward, and so does this: compression costs less than the space it saves):

1. the mark that ends it set half-width (always, see above);
2. a stop or comma (``，`` ``。`` ``、``) hung into the margin, where the element allows it
   (CSS Text 3 ``hanging-punctuation: allow-end``, from ``--press-hanging-punctuation``);
3. an opening mark that starts it, and a closing mark that follows another mark, set
   half-width (``cjk.compression_order``);
4. only where the line would otherwise be visibly spaced out (it costs about as much as a
   line at 0.14 em), a single closing mark inside it set half-width
   (``cjk.inner_compression_order``): the mainland style keeps those one em wide.

Widths come from one Pango layout of the whole text (``measure``): the advance of each
character as drawn, less what changes at a line's ends (the Han/Latin space, which is
never at a line end; the mark set half-width there). The line chosen is then laid out
by Pango again and only taken when it really fits (``cjk``), so an error here can cost a
better break, never a line over the column.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from itertools import accumulate

from renderer.policy import LOOSE_EM
from renderer.text import (
    CLOSING_MARKS,
    COMPRESSIBLE_MARKS,
    HAN_LATIN_ELEMENT_MARK,
    HANGING_MARKS,
    NEVER_SPACED_INSIDE,
    WORD_JOINER,
    is_han,
    is_latin_alnum,
)

INVISIBLE = HAN_LATIN_ELEMENT_MARK + WORD_JOINER   # break and glue marks (prepare)

LOOSE_COST = 1000.0      # a line at LOOSE_EM; the cost grows with the cube below it
VISIBLE_COST = 1e5       # and by this much more per 0.05 em above it
HANG_COST = 20.0         # a hung stop or comma
COMPRESS_COST = 40.0     # each mark set half-width at a line's start or in a pair
INNER_COMPRESS_COST = 800.0   # each single mark inside a line (about a line at 0.14 em)
LONE_LAST_COST = 3000.0  # a last line of one character (clreq 3.6): below any visible spacing
OVERFULL_COST = 1e12     # a line that cannot be made to fit (a word wider than the column)
WINDOW_EM = 6.0          # lines this much shorter than the column are not tried (but one)


def clreq_allows_break(text: str, index: int) -> bool:
    """Whether clreq 3.1.4 allows a line break before ``text[index]``, where UAX #14 does:
    no closing mark at the next line's start, no opening mark at this line's end, and no
    lone — or … on either side (UAX #14 breaks around a single dash; the audit and clreq
    count —— and …… as one mark that is never split)."""
    before, after = text[index - 1], text[index]
    if after in CLOSING_MARKS or (before in COMPRESSIBLE_MARKS and before not in CLOSING_MARKS):
        return False
    for side, step in ((index, 1), (index - 1, -1)):
        run = 0
        while 0 <= side < len(text) and text[side] in NEVER_SPACED_INSIDE:
            run, side = run + 1, side + step
        if run % 2:
            return False
    return True


@dataclass(frozen=True)
class Measured:
    """A text as Pango sets it on one line, what the breaks need to know of it."""
    text: str
    advances: tuple[float, ...]     # px per character, as drawn in the whole text
    breaks: tuple[int, ...]         # where a line may start (ascending), and len(text)
    halted: frozenset[int]          # marks half-width in the whole text
    boundaries: frozenset[int]      # characters a Han/Latin space goes before
    space: float                    # that space, px
    em: float                       # the font size, px
    multipliers: tuple[float, ...]  # justification per character (cjk.justification_multipliers)


@dataclass(frozen=True)
class LineChoice:
    """One line of a plan: it ends before ``end``; ``compressed`` (indexes in the line)
    are set half-width; ``hang`` px of its last mark stand outside the column."""
    end: int
    compressed: frozenset[int]
    hang: float
    cost: float


class Plan:
    """The least-cost breaks of ``measured.text`` in lines of ``width`` px, the first of
    ``first_width`` (it may start after other text, or be indented; ``first_at_start``:
    it starts the line): ``choice(i)`` is the line that starts at character ``i`` on the
    best breaking of the rest."""

    def __init__(self, measured: Measured, first_width: float, width: float, hanging: bool,
                 compression_orders, first_at_start: bool = True) -> None:
        self.measured, self.hanging = measured, hanging
        self.first_width, self.width = first_width, width
        self.first_at_start = first_at_start
        self._compression_orders = compression_orders
        # running sums over the characters: advances, justification multipliers, and
        # Han/Latin boundaries (``_bounds[k]``: how many at or before character k)
        self._prefix = list(accumulate(measured.advances, initial=0.0))
        self._mult = list(accumulate(measured.multipliers, initial=0.0))
        self._bounds = list(accumulate(
            1 if k in measured.boundaries else 0 for k in range(len(measured.text) + 1)))
        self._choices: dict[int, LineChoice] = {}
        self._total: dict[int, float] = {len(measured.text): 0.0}
        self._solve()

    def choice(self, start: int) -> LineChoice | None:
        return self._choices.get(start)

    def path(self, start: int = 0) -> list[LineChoice]:
        lines = []
        while (choice := self._choices.get(start)) is not None:
            lines.append(choice)
            start = choice.end
        return lines

    # -- widths ----------------------------------------------------------------------

    def natural(self, start: int, end: int) -> tuple[float, str]:
        """Width (px) of the line ``text[start:end]`` as the layout of its own text sets
        it (trailing spaces dropped), and that text. It differs from the whole text's
        advances at the line's ends only: no Han/Latin space before the break (the one
        at ``stop`` sits on the last glyph), one after a break mark that starts it (as
        ``cjk.han_latin_boundaries`` has it), and the mark that ends it is half-width
        (``cjk.halt_positions``)."""
        m = self.measured
        text = m.text
        stop = end
        while stop > start and text[stop - 1] == " ":
            stop -= 1
        width = self._prefix[stop] - self._prefix[start]
        if stop in m.boundaries:
            width -= m.space
        if self._opens_with_mark(start, stop):
            width += m.space
        last = stop - 1
        while last >= start and text[last] in INVISIBLE:
            last -= 1
        if last >= start and text[last] in CLOSING_MARKS and last not in m.halted:
            width -= m.advances[last] / 2
        return width, text[start:stop]

    def units(self, start: int, stop: int) -> float:
        """``cjk.expandable_units`` of the line ``text[start:stop]``, from the sums."""
        spaces = self._bounds[stop - 1] - self._bounds[start] if stop > start else 0
        spaces += self._opens_with_mark(start, stop)
        if stop - start < 2:
            return 0.5 * spaces
        multipliers = self.measured.multipliers
        inside = self._mult[stop] - self._mult[start]
        return 0.5 * spaces + inside - 0.5 * (multipliers[start] + multipliers[stop - 1])

    def _opens_with_mark(self, start: int, stop: int) -> bool:
        """A line (not the text's first) that starts with a break mark before Han or
        Latin: its layout puts a Han/Latin space after the mark."""
        text = self.measured.text
        return start > 0 and stop - start > 1 and text[start] in INVISIBLE and (
            is_han(text[start + 1]) or is_latin_alnum(text[start + 1]))

    def room(self, start: int) -> float:
        """The width of the line that starts at ``start``."""
        return self.first_width if start == 0 else self.width

    def fit(self, start: int, end: int
            ) -> tuple[float, frozenset[int], float, float, float] | None:
        """(width the line takes, marks compressed, hang, added space per gap in em, cost
        of the compression and hanging) of the line ``[start, end)`` set within its
        width, or None when it cannot be."""
        m = self.measured
        room = self.room(start)
        width, line = self.natural(start, end)
        if not line:
            return None
        hang, compressed = 0.0, []
        visible = line.rstrip(INVISIBLE)
        if width > room and self.hanging and end < len(m.text) and visible and (
                visible[-1] in HANGING_MARKS):
            last = start + len(visible) - 1
            hang = m.advances[last] / (1 if last in m.halted else 2)
        taken = width - hang
        cost = HANG_COST if hang else 0.0
        if taken > room:
            clreq, inner = self._compression_orders
            marks = clreq(line)
            if start == 0 and not self.first_at_start:
                marks = [i for i in marks if i]   # the text starts after others on its line
            for index, mark_cost in [*((i, COMPRESS_COST) for i in marks),
                                     *((i, INNER_COMPRESS_COST) for i in inner(line))]:
                compressed.append(index)
                taken -= m.advances[start + index] / 2
                cost += mark_cost
                if taken <= room:
                    break
            else:
                return None
        units = self.units(start, start + len(line))
        slack = room - taken
        gap = slack / units / m.em if units else (0.0 if slack < 0.5 else 10.0)
        return taken, frozenset(compressed), hang, gap, cost

    # -- the dynamic programme ---------------------------------------------------------

    def _solve(self) -> None:
        m = self.measured
        end_of_text = len(m.text)
        breaks = list(m.breaks)
        reach = [self._prefix[b] for b in breaks]
        starts = [0] + [b for b in breaks if b < end_of_text]
        for start in reversed(starts):
            width = self.room(start)
            longest = width + 3 * m.em        # the most compression and hanging can save
            first = bisect_left(breaks, start + 1)
            # lines looser than WINDOW_EM are not tried, but the longest of them is (it
            # is the best when the next break is a word wider than the column)
            near = bisect_left(reach, self._prefix[start] + width - WINDOW_EM * m.em)
            first = max(first, near - 1)
            best: LineChoice | None = None
            best_total = float("inf")
            for index in range(first, len(breaks)):
                end = breaks[index]
                if reach[index] - self._prefix[start] > longest and best is not None:
                    break
                fitted = self.fit(start, end)
                if fitted is None:
                    if best is None:          # nothing fits: the first break, overfull
                        best = LineChoice(end, frozenset(), 0.0, OVERFULL_COST)
                        best_total = OVERFULL_COST + self._total.get(end, OVERFULL_COST)
                    break
                _, compressed, hang, gap, cost = fitted
                if end != end_of_text:        # the last line is not justified
                    cost += LOOSE_COST * (gap / LOOSE_EM) ** 3
                    if gap > LOOSE_EM:
                        cost += VISIBLE_COST * (gap - LOOSE_EM) / 0.05
                elif start and sum(char.isalnum() for char in m.text[start:end]) <= 1:
                    cost += LONE_LAST_COST        # 3300 / 万。: prepare glues two Han only
                total = cost + self._total.get(end, OVERFULL_COST)
                if total < best_total:
                    best, best_total = LineChoice(end, compressed, hang, cost), total
            if best is not None:
                self._choices[start] = best
                self._total[start] = best_total

