"""Chinese justification, Han/Latin spacing and punctuation compression for WeasyPrint 70.

W3C clreq (Requirements for Chinese Text Layout, https://www.w3.org/TR/clreq/) asks for
three things WeasyPrint 70 cannot do by itself:

* 3.8 justification: the slack of a justified line is spread between the characters
  (inter-character justification). WeasyPrint 70 stretches only U+0020 and U+00A0
  (``layout/inline.py`` ``count_expandable_spaces``, ``text/line_break.py``
  ``Layout.set_text``), so a pure Chinese line stays ragged and a lone space in a Chinese
  line takes all the slack.
* 3.2.2 Han/Latin spacing: 1/4 em between Han characters and Latin letters or digits,
  none where the line breaks at the boundary (clreq allows the break there). Letter
  spacing cannot do it (Pango puts half of a character's spacing on each side of it), so
  once Pango has laid a text out, the glyph before each boundary inside its first line is
  made 1/4 em wider (``_widen_boundaries``; ``pango_layout_get_line`` is the documented way
  to change glyph widths, it keeps Pango from caching the line's extents). A boundary at
  the break is at the end of the first line, not inside it, so it gets nothing; WeasyPrint
  then lays each line's text out again to measure it and to draw it, and the same rule
  gives the same widths, so justified lines end flush. Pango chose the break without the
  spaces: a layout with a width whose widened first line no longer fits is laid out again
  that much narrower. Across an element boundary prepare puts a U+200B at the start of the
  second run, which is widened the same way (and, being breakable, lets the line end before
  the element).
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
    HAN_LATIN_ELEMENT_MARK,
    HAN_LATIN_MARK,
    HAN_LATIN_SPACE_EM,
    NEVER_SPACED_INSIDE,
    is_chinese_lang,
    is_han,
    is_han_latin_boundary,
    is_latin_alnum,
    is_wide,
)

MARKS = (HAN_LATIN_ELEMENT_MARK, HAN_LATIN_MARK)


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
    return multipliers


@lru_cache(maxsize=16384)
def expandable_units(text: str, chinese: bool) -> float:
    """How many times the justification spacing Pango will add to this text box."""
    # In Chinese a space is one more gap, opened by its neighbours' halves; WeasyPrint
    # would stretch it twice as much again (set_text gives it word spacing).
    spaces = 0 if chinese else text.count(" ") + text.count("\u00a0")
    if chinese:
        spaces += 0.5 * len(han_latin_boundaries(text))   # see _space_boundaries
    last = len(text) - 1
    units = 0.0
    for index, multiplier in enumerate(justification_multipliers(text, chinese)):
        units += 0.5 * multiplier if index in (0, last) else multiplier
    return spaces + units


@lru_cache(maxsize=16384)
def han_latin_boundaries(text: str) -> tuple[int, ...]:
    """Byte offsets in ``text`` (UTF-8) of the characters a 1/4 em space goes before:
    each Han/Latin-letter-or-digit boundary, and the character after a mark that opens the
    text (U+200B from prepare, or an earlier version's U+2060) when it is Han or Latin.
    Offset 0 is never one (nothing before it in this text)."""
    found = []
    offset = 0
    previous = ""
    for index, char in enumerate(text):
        if index and (is_han_latin_boundary(previous, char) or (
                index == 1 and previous in MARKS and (is_han(char) or is_latin_alnum(char)))):
            found.append(offset)
        offset += len(char.encode())
        previous = char
    return tuple(found)


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


_ffi_ready: list = []


def _ffi():
    """WeasyPrint's cffi handles, with the two Pango calls its declarations lack."""
    from weasyprint.text.ffi import TO_UNITS, ffi, pango

    if not _ffi_ready:
        ffi.cdef("PangoLayoutLine * pango_layout_get_line (PangoLayout *layout, int line);"
                 "int pango_layout_get_width (PangoLayout *layout);")
        _ffi_ready.append(True)
    return ffi, pango, TO_UNITS


def _widen_first_line(layout, offsets: tuple[int, ...], space: int) -> int:
    """Add ``space`` (Pango units) to the glyph before each boundary inside the layout's
    first line; the number of boundaries widened."""
    ffi, pango, _ = _ffi()
    line = pango.pango_layout_get_line(layout.layout, 0)
    if line == ffi.NULL:
        return 0
    start, end = line.start_index, line.start_index + line.length
    inside = [b for b in offsets if start < b < end]
    if not inside:
        return 0
    glyphs = []                       # (byte offset of the cluster, glyph info), logical order
    run = line.runs
    while run != ffi.NULL:
        item, string = run.data.item, run.data.glyphs
        if item.analysis.level % 2 == 0:  # left to right (Chinese and Latin)
            for i in range(string.num_glyphs):
                glyphs.append((item.offset + string.log_clusters[i], string.glyphs + i))
        run = run.next
    widened = 0
    position = 0
    for boundary in inside:
        while position + 1 < len(glyphs) and glyphs[position + 1][0] < boundary:
            position += 1
        if glyphs and glyphs[position][0] < boundary:
            glyphs[position][1].geometry.width += space
            widened += 1
    return widened


def _line_width(layout) -> int:
    ffi, pango, _ = _ffi()
    extents = ffi.new("PangoRectangle *")
    pango.pango_layout_line_get_extents(pango.pango_layout_get_line(layout.layout, 0),
                                        ffi.NULL, extents)
    return extents.width


def _space_boundaries(layout, justification: float) -> None:
    """The Han/Latin spaces of the layout's first line, laid out narrower when needed.
    A boundary also opens by the justification: half of it comes from the Han neighbour's
    letter spacing, the other half with the space (``expandable_units`` counts it)."""
    if not is_chinese_lang(layout.style["lang"]):
        return
    offsets = han_latin_boundaries(layout.text)
    if not offsets:
        return
    ffi, pango, to_units = _ffi()
    space = int((HAN_LATIN_SPACE_EM * layout.style["font_size"] + justification / 2)
                * to_units)
    width = pango.pango_layout_get_width(layout.layout)
    narrowed = getattr(layout, "_press_narrowed", None)
    if narrowed and narrowed[1] == width:
        width = narrowed[0]        # a new text in a layout narrowed for the previous one
        pango.pango_layout_set_width(layout.layout, width)
        layout._press_narrowed = None
    widened = _widen_first_line(layout, offsets, space)
    target = width
    for _ in range(4):
        if width < 0 or not widened or _line_width(layout) <= width:
            return
        # Pango broke the line without the spaces: break it again that much narrower
        target -= widened * space
        pango.pango_layout_set_width(layout.layout, max(target, 0))
        layout._press_narrowed = (width, max(target, 0))
        widened = _widen_first_line(layout, offsets, space)


def _patched_set_text(original: Callable) -> Callable:
    def set_text(self, text, justify=False):
        if justify and is_chinese_lang(self.style["lang"]) and han_latin_boundaries(text):
            # Only when drawing (``Layout.reactivate``): draw.text then sets single-paragraph
            # mode, which would lay the text out again and lose the widened glyphs; set
            # first, that call changes nothing.
            from weasyprint.text.ffi import pango

            pango.pango_layout_set_single_paragraph_mode(self.layout, True)
        original(self, text, justify)
        spacing = self.justification_spacing if justify else 0
        plan = plan_text(self.text, self.style["lang"], self.style["font_size"], spacing)
        if plan:
            _apply_plan(self, plan)
        _space_boundaries(self, spacing)
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
