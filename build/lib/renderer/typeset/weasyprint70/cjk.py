"""Chinese justification, Han/Latin spacing and punctuation compression for WeasyPrint 70.

W3C clreq (Requirements for Chinese Text Layout, https://www.w3.org/TR/clreq/) asks for
three things WeasyPrint 70 cannot do by itself:

* 3.8 justification: the slack of a justified line is spread between the characters
  (inter-character justification). WeasyPrint 70 stretches only U+0020 and U+00A0
  (``layout/inline.py`` ``count_expandable_spaces``, ``text/line_break.py``
  ``Layout.set_text``), so a pure Chinese line stays ragged and a lone space in a Chinese
  line takes all the slack.
* 3.2.2 Han/Latin spacing: about 1/4 em between Han characters and Latin letters or digits.
  ``renderer.prepare.typography`` marks each such boundary with U+2060 WORD JOINER
  (invisible, never written as PDF text); here the mark gets a Pango letter-spacing
  attribute of 1/4 em. The joiner forbids a break, so the space never stands at a line
  start or end. (U+200B, which would keep the break, was tried: a line broken at it came
  out 1-2 pt short of the column, because Pango's end-of-line handling of the zero-width
  glyph does not match the spacing WeasyPrint budgets.)
* 3.1.6.2 punctuation compression: of two adjacent full-width marks the first is set with
  the font's ``halt`` feature (half width).

Everything is done with Pango attributes on the existing text, so the PDF text (and
therefore pdftotext/pdfium extraction and search) is exactly the source text.

How Pango 1.50 applies letter spacing (pango-layout.c, shape_run/adjust_line_letter_spacing;
measured here): a character with spacing ``s`` gets ``s/2`` before and ``s/2`` after it, and
the outer halves at both ends of a layout are dropped. Every text box is its own layout, so
the spacing a character contributes to its box is ``s`` inside the box, ``s/2`` at its first
or last position and 0 if it is alone. ``expandable_units`` counts exactly that, so the width
WeasyPrint adds to a box (units x spacing) is the width Pango draws and justified lines end
flush with the column.

Only two functions are patched here: ``layout.inline.count_expandable_spaces`` (what a line
can stretch) and ``text.line_break.Layout.set_text`` (where the stretch goes); a third,
``pdf.stream.Stream.show_text``, is patched by renderer.typeset.weasyprint70.tc so that the stretch is
written as PDF character spacing, which text extraction does not mistake for spaces. All
are internal and change between releases: renderer.typeset.weasyprint70 checks the version.

Upstream-ready description: CSS Text 3 ``text-justify: inter-character`` (and ``auto`` for
CJK text) is unimplemented; ``count_expandable_spaces`` could count justification
opportunities per UAX #14 class (ID, CL, OP) and ``Layout.set_text`` could apply the
spacing to those characters as it already does to spaces.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from renderer.text import (
    CLOSING_MARKS,
    COMPRESSIBLE_MARKS,
    HAN_LATIN_MARK,
    HAN_LATIN_SPACE_EM,
    NEVER_SPACED_INSIDE,
    is_chinese_lang,
    is_han,
    is_han_latin_boundary,
    is_latin_alnum,
    is_wide,
)


def justification_multipliers(text: str, chinese: bool) -> list[float]:
    """Letter-spacing multiplier per character for inter-character justification.

    Full-width characters open up; the halves of —— and …… stay together. Each spaced
    character puts half its spacing on either side, so every gap between two of them
    gets exactly one spacing, and the halves Pango drops at the box's ends are not
    counted by ``expandable_units``. A character alone in its box cannot open anything.
    """
    if len(text) < 2:
        return [0.0] * len(text)
    multipliers = [0.0 if not is_wide(char, chinese) or char in NEVER_SPACED_INSIDE else 1.0
                   for char in text]
    # A Han/Latin mark takes half a spacing (its Han neighbour gives the other half), so
    # the boundary opens by the same amount as a Han gap, on top of its 1/4 em.
    for index, marker in han_latin_markers(text):
        multipliers[index] = 0.5 * marker
    return multipliers


@lru_cache(maxsize=16384)
def expandable_units(text: str, chinese: bool) -> float:
    """How many times the justification spacing Pango will add to this text box."""
    # In Chinese a space is one more gap, opened by its neighbours' halves; WeasyPrint
    # would stretch it twice as much again (set_text gives it word spacing).
    spaces = 0 if chinese else text.count(" ") + text.count("\u00a0")
    last = len(text) - 1
    units = 0.0
    for index, multiplier in enumerate(justification_multipliers(text, chinese)):
        units += 0.5 * multiplier if index in (0, last) else multiplier
    return spaces + units


def han_latin_markers(text: str) -> list[tuple[int, float]]:
    """(index, multiplier) of each Han/Latin mark (U+2060) between Han and Latin/digits.

    A marker inside the text sits between its two neighbours (multiplier 1: half its
    spacing on each side). One at the start of the text marks a boundary with the
    element before it (prepare puts cross-element markers there); Pango drops its left
    half, so it gets 2. One at the end of the text gets nothing (no space at a line end,
    clreq 3.2.2); UAX #14 (LB11) forbids breaks on both sides of U+2060 anyway. Joiners
    between two Han characters (paragraph-end glue) or before ``·`` get nothing either.
    """
    found = []
    last = len(text) - 1
    for index, char in enumerate(text):
        if char != HAN_LATIN_MARK or index == last:
            continue
        after = text[index + 1]
        if index == 0:
            if is_han(after) or is_latin_alnum(after):
                found.append((index, 2.0))
        elif is_han_latin_boundary(text[index - 1], after):
            found.append((index, 1.0))
    return found


def halt_positions(text: str) -> list[int]:
    """Indexes of the full-width marks to set half-width (OpenType ``halt``).

    clreq 3.1.6.2: the first of two adjacent marks. GB/T 15834 allows a closing or pause
    mark at a line end to be half-width too, and it has to be: Pango measured the line
    while the mark was followed by another one (compressed), so a full-width mark at the
    end of the cut line would overflow the column. A text ends with such a mark at a line
    end, or (rarely) just before an inline element.
    """
    positions = [index for index in range(len(text) - 1)
                 if text[index] in COMPRESSIBLE_MARKS and text[index + 1] in COMPRESSIBLE_MARKS]
    if len(text) > 1 and text[-1] in CLOSING_MARKS:
        positions.append(len(text) - 1)
    return positions


@dataclass(frozen=True)
class _Spacing:
    """Extra letter spacing (CSS px) and the halt flag decided for one character;
    ``unstretched`` takes back the word spacing WeasyPrint gave a space."""
    extra: float = 0.0
    halt: bool = False
    unstretched: bool = False


@lru_cache(maxsize=16384)
def plan_text(text: str, lang: str | None, font_size: float, justification_spacing: float
              ) -> tuple[tuple[int, int, _Spacing], ...]:
    """What ``set_text`` adds to the text of a layout: (start byte, end byte, spacing)
    per character that gets something. Cached: WeasyPrint sets the same text again and
    again while it looks for line breaks."""
    chinese = is_chinese_lang(lang)
    plan: dict[int, _Spacing] = {}
    if justification_spacing:
        for index, multiplier in enumerate(justification_multipliers(text, chinese)):
            if multiplier:
                plan[index] = _Spacing(extra=multiplier * justification_spacing)
        for index, char in enumerate(text):
            if chinese and char in " \u00a0":
                plan[index] = _Spacing(unstretched=True)
    for index, multiplier in han_latin_markers(text):
        previous = plan.get(index, _Spacing())
        plan[index] = _Spacing(previous.extra + multiplier * HAN_LATIN_SPACE_EM * font_size)
    if chinese:
        for index in halt_positions(text):
            plan[index] = _Spacing(plan.get(index, _Spacing()).extra, halt=True)
    if not plan:
        return ()
    offsets = _byte_offsets(text)
    return tuple((offsets[index], offsets[index + 1], spacing)
                 for index, spacing in sorted(plan.items()))


def _byte_offsets(text: str) -> list[int]:
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + len(char.encode()))
    return offsets


def _apply_plan(layout: object, plan: tuple[tuple[int, int, _Spacing], ...]) -> None:
    from weasyprint.text.ffi import TO_UNITS, ffi, pango

    base = layout.style["letter_spacing"]
    base = 0 if base == "normal" else base
    attr_list = pango.pango_layout_get_attributes(layout.layout)
    if attr_list == ffi.NULL:
        attr_list = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
    for start, end, spacing in plan:
        if spacing.extra or spacing.unstretched:
            attr = pango.pango_attr_letter_spacing_new(int((base + spacing.extra) * TO_UNITS))
            attr.start_index, attr.end_index = start, end
            pango.pango_attr_list_change(attr_list, attr)
        if spacing.halt:
            # insert, not change: change would cut the element's own font features here
            attr = pango.pango_attr_font_features_new(b"halt 1")
            attr.start_index, attr.end_index = start, end
            pango.pango_attr_list_insert(attr_list, attr)
    pango.pango_layout_set_attributes(layout.layout, attr_list)


def _patched_set_text(original: Callable) -> Callable:
    def set_text(self, text, justify=False):
        original(self, text, justify)
        spacing = self.justification_spacing if justify else 0
        plan = plan_text(self.text, self.style["lang"], self.style["font_size"], spacing)
        if plan:
            _apply_plan(self, plan)
    set_text.__wrapped__ = original
    return set_text


def _patched_count(boxes_module) -> Callable:
    def count_expandable_spaces(box):
        """Spaces and inter-character positions of full-width text (clreq 3.8)."""
        if isinstance(box, boxes_module.TextBox):
            return expandable_units(box.text, is_chinese_lang(box.style["lang"]))
        if isinstance(box, (boxes_module.LineBox, boxes_module.InlineBox)):
            return sum(count_expandable_spaces(child) for child in box.children)
        return 0
    return count_expandable_spaces


_originals: list = []


def install() -> None:
    if _originals:
        return  # installed already
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import inline
    from weasyprint.text import line_break

    _originals.append((inline.count_expandable_spaces, line_break.Layout.set_text))
    inline.count_expandable_spaces = _patched_count(boxes)
    line_break.Layout.set_text = _patched_set_text(line_break.Layout.set_text)


def uninstall() -> None:
    if not _originals:
        return
    from weasyprint.layout import inline
    from weasyprint.text import line_break

    inline.count_expandable_spaces, line_break.Layout.set_text = _originals.pop()
