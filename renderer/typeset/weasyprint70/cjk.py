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
* 3.1.6 and 3.8 line adjustment: the slack of a line goes into punctuation before it goes
  between characters, and the breaks of a paragraph are chosen together so that no line
  is letter-spaced for the sake of the next (renderer.typeset.weasyprint70.breaks); the
  marks it compresses are kept with the line's layout (``_press_line``). 3.1.7 hanging
  punctuation: a stop or comma that does not otherwise fit hangs into the margin where
  the element asks for it (``--press-hanging-punctuation: allow-end``).

Everything is done with Pango attributes on the existing text, so the PDF text (and
therefore pdftotext/pdfium extraction and search) is exactly the source text.

How Pango 1.50 applies letter spacing (pango-layout.c, shape_run/adjust_line_letter_spacing;
measured here): a character with spacing ``s`` gets ``s/2`` before and ``s/2`` after it, and
the outer halves at both ends of a layout are dropped. Every text box is its own layout, so
the spacing a character contributes to its box is ``s`` inside the box, ``s/2`` at its first
or last position and 0 if it is alone. ``expandable_units`` counts exactly that, so the width
WeasyPrint adds to a box (units x spacing) is the width Pango draws and justified lines end
flush with the column.

Patched here: ``layout.inline.count_expandable_spaces`` (what a line can stretch),
``text.line_break.Layout.set_text`` (where the stretch goes, which marks are half-width),
``layout.inline.split_first_line`` (where the line ends), ``layout.inline.add_word_spacing``
(the justified layout keeps the line's compressed marks) and
``layout.inline.get_next_linebox`` (the width of the lines after the first); a sixth,
``pdf.stream.Stream.show_text``, is patched by renderer.typeset.weasyprint70.tc so that the
stretch is written as PDF character spacing, which text extraction does not mistake for
spaces. All are internal and change between releases: renderer.typeset.weasyprint70
checks the version.

Upstream-ready description: CSS Text 3 ``text-justify: inter-character`` (and ``auto`` for
CJK text) is unimplemented; ``count_expandable_spaces`` could count justification
opportunities per UAX #14 class (ID, CL, OP) and ``Layout.set_text`` could apply the
spacing to those characters as it already does to spaces.
"""

from __future__ import annotations

from collections import OrderedDict
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
from renderer.typeset.weasyprint70 import breaks

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
    end, or (rarely) just before an inline element; a text that is only the mark (``。``
    after ``</em>``) is one too, or the line before it could not end with the element.
    """
    positions = [index for index in range(len(text) - 1)
                 if text[index] in COMPRESSIBLE_MARKS and text[index + 1] in COMPRESSIBLE_MARKS]
    last = len(text.rstrip("".join(MARKS))) - 1   # the break mark after ” (prepare) is not it
    if last >= 0 and text[last] in CLOSING_MARKS and last not in positions:
        positions.append(last)
    return positions


@dataclass(frozen=True)
class _Spacing:
    """Extra letter spacing (CSS px) and the halt flag decided for one character;
    ``unstretched`` takes back the word spacing WeasyPrint gave a space."""
    extra: float = 0.0
    halt: bool = False
    unstretched: bool = False


@lru_cache(maxsize=16384)
def plan_text(text: str, lang: str | None, font_size: float, justification_spacing: float,
              compressed: frozenset[int] = frozenset()
              ) -> tuple[tuple[int, int, _Spacing], ...]:
    """What ``set_text`` adds to the text of a layout: (start byte, end byte, spacing)
    per character that gets something; ``compressed``: indexes of marks set half-width
    besides those of ``halt_positions`` (a line pulled back, ``plan_line``). Cached:
    WeasyPrint sets the same text again and again while it looks for line breaks."""
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
        for index in sorted({*halt_positions(text), *compressed}):
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
        plan = plan_text(self.text, self.style["lang"], self.style["font_size"], spacing,
                         _compressed(self))
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


# --- line breaking: the slack goes into punctuation before it goes between characters -------

# Marks that may give up the blank half of their em to make a line fit (clreq 3.1.6,
# 3.8: compress punctuation before opening up the characters): pause and stop marks,
# brackets and quotes. ！ and ？ keep their em.
LINE_COMPRESSIBLE = COMPRESSIBLE_MARKS - frozenset("！？")
PAUSE_AND_STOP = frozenset("、，。．：；")
# CSS Text 3 ``hanging-punctuation: allow-end``, which WeasyPrint 70 does not know, is read
# from the custom property ``--press-hanging-punctuation`` (styles/cjk.css, the theme's
# ``hanging_punctuation``): a stop or comma that does not otherwise fit hangs.
HANGING_PROPERTY = "__press_hanging_punctuation"
PLANS = 512             # paragraphs (and the rests of them) whose breaks are remembered


@dataclass(frozen=True)
class PlannedLine:
    """A line whose breaks were planned (renderer.typeset.weasyprint70.breaks): its text
    and the marks compressed in it (indexes). Kept on the layout (``_press_line``) so
    that every later ``set_text`` of that text, for the justification and for drawing,
    compresses the same marks."""
    text: str
    compressed: frozenset[int]


def compression_order(text: str) -> list[int]:
    """Indexes of the marks of a line that may be set half-width to make it fit, in the
    order they give up their space. clreq 3.1.6 adjusts punctuation in two places only,
    at a line's start or end and where marks meet; a single mark inside the line keeps
    its full width (the mainland style). So: an opening mark that starts the line, then
    a closing mark that follows another mark (the first is half-width already: clreq
    3.1.6.2 allows the pair 1 em instead of 1.5), the nearest the line end first. The
    mark that ends the line is half-width already (``halt_positions``).

    An opening mark after another mark stays as it is: ``halt`` takes its blank half off
    its left, so its glyph would be drawn from where the mark before it starts, and
    poppler's text extraction then breaks the line there."""
    halted = set(halt_positions(text))
    order = [0] if text[:1] and text[0] in LINE_COMPRESSIBLE and text[0] not in CLOSING_MARKS \
        and 0 not in halted else []
    order += [index for index in range(len(text) - 1, 0, -1)
              if index not in halted and text[index] in CLOSING_MARKS
              and text[index - 1] in COMPRESSIBLE_MARKS and index - 1 in halted]
    return order


def inner_compression_order(text: str) -> list[int]:
    """The single closing marks inside a line, for when nothing else makes it fit but
    opening up its characters visibly (JIS X 4051 4.8 compresses them; the mainland style
    only then): pause and stop marks first, then closing brackets and quotes, the nearest
    the line end first in each. Marks next to another mark are not in it, nor opening
    marks (see ``compression_order``)."""
    halted = set(halt_positions(text))
    single = [index for index in range(1, len(text) - 1)
              if text[index] in CLOSING_MARKS and index not in halted
              and text[index - 1] not in COMPRESSIBLE_MARKS
              and text[index + 1] not in COMPRESSIBLE_MARKS]
    return sorted(single, key=lambda index: (text[index] not in PAUSE_AND_STOP, -index))


def hangs_punctuation(style) -> bool:
    """Whether the element asks for hanging stops and commas (``allow-end``)."""
    tokens = style[HANGING_PROPERTY] or ()
    return any(getattr(token, "value", None) == "allow-end" for token in tokens)


def _plans_breaks(style) -> bool:
    return (is_chinese_lang(style["lang"]) and style["text_align_all"] == "justify"
            and style["white_space"] in ("normal", "pre-line") and bool(style["font_size"]))


def _compressed(layout) -> frozenset[int]:
    line = getattr(layout, "_press_line", None)
    if line is None or line.text.rstrip(" ") != layout.text.rstrip(" "):
        return frozenset()
    return line.compressed


def _measure(text: str, style, justification_spacing: float, compressed: frozenset[int]):
    """(layout, its first line, width in px) of ``text`` set on one line."""
    from weasyprint.text.line_break import Layout, line_size

    layout = Layout(style, justification_spacing)
    layout._press_line = PlannedLine(text, compressed)
    layout.set_text(text)
    line, _ = layout.get_first_line()
    return layout, line, line_size(line, style)[0]


def measure(text: str, style, justification_spacing: float = 0.0) -> breaks.Measured:
    """``text`` laid out by Pango on one line, as ``breaks.Plan`` needs it: the advance of
    each character, where lines may break (Pango's UAX #14 and clreq 3.1.4)."""
    from weasyprint.text.line_break import get_log_attrs

    ffi, _, to_units = _ffi()
    layout, line, _ = _measure(text, style, justification_spacing, frozenset())  # keep it: line
    offsets = _byte_offsets(text)
    char_at = {offset: index for index, offset in enumerate(offsets)}
    advances = [0.0] * len(text)
    run = line.runs
    while run != ffi.NULL:
        item, glyphs = run.data.item, run.data.glyphs
        for i in range(glyphs.num_glyphs):
            index = char_at.get(item.offset + glyphs.log_clusters[i])
            if index is not None and index < len(text):
                advances[index] += glyphs.glyphs[i].geometry.width / to_units
        run = run.next
    del layout
    attrs = get_log_attrs(text, style["lang"])
    allowed = tuple(index for index in range(1, len(text))
                    if attrs[index].is_line_break and breaks.clreq_allows_break(text, index))
    return breaks.Measured(
        text=text, advances=tuple(advances), breaks=(*allowed, len(text)),
        halted=frozenset(halt_positions(text)),
        boundaries=frozenset(char_at[offset] for offset in han_latin_boundaries(text)),
        space=HAN_LATIN_SPACE_EM * style["font_size"] + justification_spacing / 2,
        em=style["font_size"], multipliers=tuple(justification_multipliers(text, True)))


_plans: OrderedDict = OrderedDict()


_line_widths: list[float] = []      # the width of the lines being laid out (innermost last)


def plan_for(text: str, style, max_width: float, line_width: float,
             justification_spacing: float = 0.0, at_line_start: bool = True
             ) -> tuple[breaks.Plan, int]:
    """The breaks of the text box whose rest is ``text``, its first line ``max_width``
    wide (``at_line_start``: nothing before it on that line) and the next ones
    ``line_width``: (plan, where ``text`` starts in the plan's text). The rest of a
    paragraph asked for at the next line is found again by its text."""
    from weasyprint.text.line_break import _font_style_cache_key

    hanging = hangs_punctuation(style)
    # the fonts of this document (an issue's supplement fonts may reuse a family name)
    key = (id(style.font_config), _font_style_cache_key(style, include_size=True),
           style["letter_spacing"], style["word_spacing"], hanging, justification_spacing,
           round(line_width, 3))
    first = (text, round(max_width, 3), at_line_start, key)
    found = _plans.get(first)
    if found is not None:
        _plans.move_to_end(first)
        return found
    plan = breaks.Plan(measure(text, style, justification_spacing), max_width, line_width,
                       hanging, (compression_order, inner_compression_order),
                       first_at_start=at_line_start)
    _plans[first] = (plan, 0)
    for line in plan.path()[:-1]:
        _plans[(text[line.end:], round(line_width, 3), True, key)] = (plan, line.end)
    while len(_plans) > PLANS:
        _plans.popitem(last=False)
    return plan, 0


def planned_first_line(text: str, style, max_width: float, justification_spacing: float,
                       at_line_start: bool = True):
    """``split_first_line``'s answer for the first line of the text box's planned breaks
    (``breaks``), laid out by Pango and checked to fit; None when the plan has no line
    that fits (a word wider than the column: WeasyPrint's own rules then apply)."""
    from weasyprint.text.line_break import first_line_metrics

    line_width = _line_widths[-1] if _line_widths else max_width
    plan, offset = plan_for(text, style, max_width, max(line_width, max_width),
                            justification_spacing, at_line_start)
    choice = plan.choice(offset)
    if choice is None or choice.cost >= breaks.OVERFULL_COST:
        return None
    end = choice.end - offset
    layout, line, width = _measure(text[:end], style, justification_spacing,
                                   choice.compressed)
    if width - choice.hang > max_width:
        return None
    space_collapse = style["white_space"] in ("normal", "nowrap", "pre-line")
    resume = None if end >= len(text) else len(text[:end].encode())
    layout, length, resume, width, height, baseline = first_line_metrics(
        line, text, layout, resume, space_collapse, style)
    return layout, length, resume, width - choice.hang, height, baseline


def _patched_split(original: Callable) -> Callable:
    def split_first_line(text, style, context, max_width, justification_spacing,
                         is_line_start=True, minimum=False):
        """Justified Chinese: the first line of the text box's planned breaks. Pango is
        not asked first (it would lay the rest of the paragraph out again at every line);
        the plan lays the whole text out once."""
        if not (minimum or max_width is None or not text or "\n" in text) and (
                _plans_breaks(style)):
            planned = planned_first_line(text, style, max_width, justification_spacing,
                                         is_line_start)
            if planned is not None:
                return planned
        return original(text, style, context, max_width, justification_spacing,
                        is_line_start, minimum)
    split_first_line.__wrapped__ = original
    return split_first_line


def _patched_next_linebox(original: Callable) -> Callable:
    def get_next_linebox(context, linebox, position_y, bottom_space, skip_stack,
                         containing_block, *args, **kwargs):
        """Lays out one line; the planned breaks need the width of the next ones."""
        _line_widths.append(containing_block.width)
        try:
            return original(context, linebox, position_y, bottom_space, skip_stack,
                            containing_block, *args, **kwargs)
        finally:
            _line_widths.pop()
    get_next_linebox.__wrapped__ = original
    return get_next_linebox


def _patched_add_word_spacing(original: Callable, boxes_module) -> Callable:
    def add_word_spacing(context, box, justification_spacing, x_advance):
        """WeasyPrint lays a justified text box out again: the new layout compresses the
        marks the line was planned with."""
        before = box.pango_layout if isinstance(box, boxes_module.TextBox) else None
        x_advance = original(context, box, justification_spacing, x_advance)
        if before is not None and box.pango_layout is not before and hasattr(
                before, "_press_line"):
            box.pango_layout._press_line = before._press_line
        return x_advance
    add_word_spacing.__wrapped__ = original
    return add_word_spacing


_originals: list = []


def install() -> None:
    if _originals:
        return  # installed already
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import inline
    from weasyprint.text import line_break

    _originals.append((inline.count_expandable_spaces, line_break.Layout.set_text,
                       inline.split_first_line, inline.add_word_spacing,
                       inline.get_next_linebox))
    inline.count_expandable_spaces = _patched_count(boxes)
    line_break.Layout.set_text = _patched_set_text(line_break.Layout.set_text)
    inline.split_first_line = _patched_split(inline.split_first_line)
    inline.add_word_spacing = _patched_add_word_spacing(inline.add_word_spacing, boxes)
    inline.get_next_linebox = _patched_next_linebox(inline.get_next_linebox)


def uninstall() -> None:
    if not _originals:
        return
    from weasyprint.layout import inline
    from weasyprint.text import line_break

    (inline.count_expandable_spaces, line_break.Layout.set_text, inline.split_first_line,
     inline.add_word_spacing, inline.get_next_linebox) = _originals.pop()
