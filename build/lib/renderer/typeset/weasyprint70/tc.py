"""Letter spacing written as PDF character spacing (``Tc``), so that extraction stays clean.

WeasyPrint 70 draws every glyph run as one ``TJ`` array and writes letter spacing (ours:
the inter-character justification of renderer.typeset.weasyprint70.cjk) as a positioning number after
each glyph. Text extractors cannot tell such a number from a word gap: PDFium
(``CPDF_TextPage::ProcessTextObject``) inserts a space wherever one exceeds half the
font's space width, about 0.11 em in our CJK fonts, so a loosely justified Chinese line
came out as ``重 庆``, and a search for 重庆 could miss it.

PDF has an operator for exactly this, character spacing (ISO 32000-1, 9.3.2), and
extractors know it: PDFium subtracts an object's ``Tc`` before it looks for gaps
(``CalculateBaseSpace``), as long as no number in the object takes back part of it. So
each run of three or more glyphs followed by at least the justification's extra space is
written as ``<spacing> Tc [<glyphs, extra beyond it>] TJ 0 Tc``, and a number-only
``TJ`` after it puts the pen back where the run's last glyph left it; the rest of the
array is left as WeasyPrint wrote it. Glyph positions do not move.

Upstream-ready description: ``draw.text.draw_first_line`` could emit ``Tc`` for a
run's letter spacing instead of a TJ number after every glyph; extractors would then
see the spacing for what it is. Until then, the patch wraps
``weasyprint.pdf.stream.Stream.show_text``, whose argument is the inside
of the ``TJ`` array as ``draw.text.draw_first_line`` builds it; anything else it is given
(a bitmap font's one-byte glyphs, a format it does not know) passes through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from renderer.text import is_han

MIN_RUN = 3  # PDFium ignores Tc on objects of fewer than three items
_ZERO_SHIFT = re.compile(r">-?0(?:\.0*)?<")
_TOKEN = re.compile(r"<([0-9a-fA-F]*)>|(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)")


def parse_tj(text: str) -> tuple[float, list[tuple[str, float]]] | None:
    """(leading shift, [(glyph hex, shift after it)]) of a TJ array's inside, or None.

    Shifts are in thousandths of the font size, negative to the right, as in TJ."""
    lead, glyphs, end = 0.0, [], 0
    for match in _TOKEN.finditer(text):
        if match.start() != end:
            return None
        end = match.end()
        hexdigits, number = match.groups()
        if number is not None:
            if glyphs:
                glyphs[-1] = (glyphs[-1][0], glyphs[-1][1] + float(number))
            else:
                lead += float(number)
        elif len(hexdigits) % 4:
            return None  # one-byte glyph codes: a bitmap font, left alone
        else:
            glyphs.extend((hexdigits[i:i + 4], 0.0) for i in range(0, len(hexdigits), 4))
    if end != len(text):
        return None
    return lead, glyphs


def justification_shift(glyphs: list[tuple[str, float]], chars: Callable[[str], str]
                        ) -> float | None:
    """The extra space the justification put between two Han characters (the commonest
    such shift), or None when there is none (a line that is not justified, English)."""
    counts: dict[float, int] = {}
    for (hexcode, shift), (next_hexcode, _) in zip(glyphs, glyphs[1:]):
        if shift < 0 and is_han(chars(hexcode)) and is_han(chars(next_hexcode)):
            counts[shift] = counts.get(shift, 0) + 1
    if not counts:
        return None
    return max(counts, key=lambda shift: (counts[shift], shift))


def split_runs(glyphs: list[tuple[str, float]], base: float
               ) -> list[tuple[bool, list[tuple[str, float]]]]:
    """The glyphs cut into (is_spaced_run, glyphs).

    A spaced run is MIN_RUN or more glyphs each followed by at least ``base`` (a word
    gap or a Han/Latin space on top is fine: PDFium still takes ``base`` for Tc), plus
    the glyph after them, whatever follows it (its difference is put right after the
    run). Everything else stays as WeasyPrint wrote it."""
    parts: list[tuple[bool, list[tuple[str, float]]]] = []
    start = 0
    while start < len(glyphs):
        end = start
        while end < len(glyphs) and glyphs[end][1] <= base:
            end += 1
        end = min(end + 1, len(glyphs))  # the glyph that ends the run belongs to it
        if end - start >= MIN_RUN:
            parts.append((True, glyphs[start:end]))
        elif parts and not parts[-1][0]:
            parts[-1][1].extend(glyphs[start:end])
        else:
            parts.append((False, glyphs[start:end]))
        start = end
    return parts


def _array(glyphs: list[tuple[str, float]], lead: float = 0.0) -> str:
    out = f"{_number(lead)}" if lead else ""
    for hexcode, shift in glyphs:
        out += f"<{hexcode}>"
        if shift:
            out += _number(shift)
    return out


def _number(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


def rewrite(text: str, font_size: float, chars: Callable[[str], str]
            ) -> list[tuple[float, str]] | None:
    """[(character spacing, TJ array inside)] drawing the same glyphs at the same
    places as ``text``, or None when there is nothing to gain (no Han justification,
    or no run long enough to carry it). ``chars`` gives the text of a glyph (by its hex code in
    the current font)."""
    parsed = parse_tj(text)
    if parsed is None:
        return None
    lead, glyphs = parsed
    base = justification_shift(glyphs, chars)
    if base is None:
        return None
    parts = split_runs(glyphs, base)
    if not any(spaced for spaced, _ in parts):
        return None
    shows = []
    for index, (spaced, run) in enumerate(parts):
        part_lead = lead if index == 0 else 0.0
        if not spaced:
            shows.append((0.0, _array(run, part_lead)))
            continue
        inside = [(hexcode, shift - base) for hexcode, shift in run[:-1]]
        shows.append((-base * font_size / 1000, _array(inside + [(run[-1][0], 0.0)], part_lead)))
        if run[-1][1] != base:
            shows.append((0.0, _number(run[-1][1] - base)))  # the pen where WeasyPrint left it
    return shows


def _patched_show_text(original: Callable) -> Callable:
    def draws_han(font) -> bool:
        """Whether the font has drawn a Han character yet (rechecked as it draws more;
        remembered on the document's font object itself)."""
        seen, answer = getattr(font, "_press_draws_han", (-1, False))
        if seen != len(font.to_unicode):
            answer = any(is_han(text) for text in font.to_unicode.values())
            font._press_draws_han = (len(font.to_unicode), answer)
        return answer

    def show_text(self, text):
        current = getattr(self, "_current_font", None)
        font = current and next((font for font in self._fonts.values()
                                 if font.hash == current[0]), None)
        shows = None
        if font is not None and current[1] and draws_han(font):
            shows = rewrite(text, current[1],
                            lambda hexcode: font.to_unicode.get(int(hexcode, 16), ""))
        if shows is None:
            # WeasyPrint writes a 0 after every glyph whose kerning rounds to nothing
            # (most of the English text); dropped: "<0050>0<004d>" is "<0050004d>".
            return original(self, _ZERO_SHIFT.sub("", text))
        for spacing, array in shows:
            if spacing:
                self.stream.append(f"{_number(spacing)} Tc".encode())
            original(self, array)
            if spacing:
                self.stream.append(b"0 Tc")
    show_text.__wrapped__ = original
    return show_text


_original: list = []


def install() -> None:
    if _original:
        return  # installed already
    from weasyprint.pdf.stream import Stream

    _original.append(Stream.show_text)
    Stream.show_text = _patched_show_text(Stream.show_text)


def uninstall() -> None:
    if not _original:
        return
    from weasyprint.pdf.stream import Stream

    Stream.show_text = _original.pop()
