"""Audit the Chinese typography of a finished PDF against W3C clreq.

The PDF is read back with pypdfium2 (PDFium): every drawn character with its loose box
(the advance box the layout engine placed) and baseline. Characters are grouped into
lines (same baseline, no gutter between them); a line whose characters are mostly Han is
a Chinese line. Lines of the dominant Chinese size are body lines; they are grouped into
columns by horizontal overlap and read in order to find paragraph ends (next line
indented, or a larger vertical gap, or the end of the column's text).

Rules counted (W3C clreq, https://www.w3.org/TR/clreq/):

* ``line-start-prohibited``  3.1.4: a line starts with 、，。：；！？ or a closing mark.
* ``line-end-opening``       3.1.4: a line ends with an opening bracket or quote.
* ``split-dash-ellipsis``    3.1.4: —— or …… broken across lines.
* ``justified-line-short``   3.8: a non-final body line ends more than 1 pt before
  its column's right edge (the widest body line of that column); less is not visible.
* ``han-latin-no-gap``       3.2.2: a Han/Latin boundary with no extra space (less than
  1/10 em beyond the line's own inter-character spacing).
* ``gap-inside-latin-word``  3.2.2: space opened inside a Latin word or number (a space
  typed between two of them is not inside: ``0451 8000``).
* ``wide-gap``               3.8: a gap wider than 0.5 em between two characters of a
  Chinese line (a lone space that took the line's slack).
* ``loose-line``             3.8: a line whose widest added gap between two adjacent Han
  characters exceeds 0.15 em (``renderer.verify.spacing``; ``audit(loose_em=)``): it
  looks letter-spaced.
* ``single-char-last-line``  3.6: the last line of a paragraph holds one character.

Below what is visible nothing is reported: a justified line less than 1 pt short, a
Han-to-Han gap of 0.15 em or less.
"""

from __future__ import annotations

import ctypes
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from renderer.diagnostics import Diagnostic, Report
from renderer.errors import PressError
from renderer.policy import LOOSE_EM
from renderer.text import HANGING_MARKS, is_han, is_latin_alnum, is_wide
from renderer.verify.spacing import han_gaps

RULES = (
    "line-start-prohibited",
    "line-end-opening",
    "split-dash-ellipsis",
    "justified-line-short",
    "han-latin-no-gap",
    "gap-inside-latin-word",
    "wide-gap",
    "loose-line",
    "single-char-last-line",
)
NO_LINE_START = set("、，。．：；！？）］｝〕】》〉」』〗”’·・…‼⁇⁈⁉ ％,.:;!?)]}")
NO_LINE_END = set("（［｛〔【《〈「『〖“‘([{")
UNBREAKABLE_MARKS = "—…"
HALF_WIDTH_AT_END = set("、，。．：；！？）］｝〕】》〉」』〗”’")
PUNCTUATION = NO_LINE_START | NO_LINE_END | set("—…～-–")
JUSTIFY_TOLERANCE_PT = 1.0   # less is not visible (a 0.56 pt shortfall was reported 39 times)
WIDE_GAP_EM = 0.5
HAN_LATIN_MIN_EM = 0.1
LATIN_WORD_GAP_EM = 0.1
COLUMN_GUTTER_EM = 1.2      # a wider gap may separate two columns ...
GUTTER_STRIP_PT = 3.0       # ... if a strip this wide is empty in the lines around it
GUTTER_SEARCH_PT = 60.0     # how far above and below to look for text across the gap
BLOCK_GAP_EM = 2.5          # a gap this wide with no space character: two text blocks
LIST_MARKER = re.compile(r"^\s*(?:\d{1,3}[.、)．]|[•·●◦▪■–])")
PARAGRAPH_GAP_RATIO = 1.3   # baseline distance above 1.3 x the usual pitch ends a paragraph
HINTS = {
    "line-start-prohibited": "Let the line break before the mark (line-break: strict), or "
                             "review the finding.",
    "line-end-opening": "Keep the opening mark with what follows it.",
    "split-dash-ellipsis": "Keep —— and …… on one line.",
    "justified-line-short": "Justify the Chinese text (text-align: justify, inter-character).",
    "han-latin-no-gap": "Add a quarter-em space between Han and Latin (prepare_zh_html).",
    "gap-inside-latin-word": "Do not let justification open Latin words.",
    "wide-gap": "Remove the space that took the line's slack.",
    "loose-line": "A word, number or address that cannot break pushed the slack into this "
                  "line: let it break (an editor's rewording, or a break point), or accept it.",
    "single-char-last-line": "Rebreak the paragraph so its last line holds more than one "
                             "character.",
}


@dataclass(frozen=True)
class Glyph:
    char: str
    left: float
    right: float
    baseline: float


@dataclass
class Line:
    page: int                       # 1-based
    glyphs: list[Glyph]

    @property
    def visible(self) -> list[Glyph]:
        return [g for g in self.glyphs if not g.char.isspace()]

    @property
    def text(self) -> str:
        return "".join(g.char for g in self.glyphs).strip()

    @property
    def left(self) -> float:
        return self.visible[0].left

    @property
    def right(self) -> float:
        return self.advance_right(self.visible[-1])

    def possible_rights(self) -> tuple[float, ...]:
        """Where the line may end. A closing or pause mark set half-width at the line end
        (``halt``, GB/T 15834) keeps its one-em /W width in the PDF, and the half advance
        is only a TJ offset, so both ends are possible; the narrower comes first. A stop
        or comma hung into the margin (clreq 3.1.7) ends the line where it starts."""
        last = self.visible[-1]
        if last.char in HANGING_MARKS and self.em:
            return (last.left, last.left + self.em / 2, self.right)
        if last.char in HALF_WIDTH_AT_END and self.em:
            return (last.left + self.em / 2, self.right)
        return (self.right,)

    @property
    def flush_left(self) -> float:
        """Where the column's edge may be for this line. An opening mark set half-width
        at the line start (clreq 3.1.6) is drawn from half an em before the edge (the
        font's ``halt`` moves it left), so the edge may be half an em right of it."""
        first = self.visible[0]
        if first.char in NO_LINE_END and self.em:
            return first.left + self.em / 2
        return first.left

    def advance_right(self, glyph: Glyph) -> float:
        """Where the glyph's advance ends. PDFium's loose box of some Han glyphs (员, 办)
        is wider than their one-em advance, so a full-width glyph is capped at one em."""
        em = self.em
        if em and is_wide(glyph.char, True) and glyph.right - glyph.left < 1.5 * em:
            return min(glyph.right, glyph.left + em)
        return glyph.right      # Latin, or a ligature such as —— (one 2 em glyph)

    @property
    def baseline(self) -> float:
        return self.glyphs[0].baseline

    @property
    def em(self) -> float:
        """Median advance of the Han characters: the line's font size in pt."""
        widths = [g.right - g.left for g in self.visible if is_han(g.char)]
        return statistics.median(widths) if widths else 0.0

    @property
    def is_chinese(self) -> bool:
        visible = self.visible
        han = sum(is_han(g.char) for g in visible)
        wide = sum(is_wide(g.char, True) for g in visible)
        return han > 0 and wide >= 0.3 * len(visible)


@dataclass(frozen=True)
class Finding:
    rule: str
    page: int
    line: str
    detail: str = ""


@dataclass
class AuditReport:
    pdf: str
    chinese_lines: int = 0
    body_lines: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(f.rule for f in self.findings)
        return {rule: counted.get(rule, 0) for rule in RULES}

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """Each finding as a warning (it needs a human's eye), code ``audit.<rule>``."""
        return [Diagnostic(severity="warning", code=f"audit.{f.rule}",
                           message=(f"{f.detail}: " if f.detail else "") + f.line,
                           file=self.pdf, page=f.page, hint=HINTS.get(f.rule))
                for f in self.findings]

    def as_report(self) -> Report:
        verdict = "OK" if self.ok else f"{len(self.findings)} findings"
        return Report(
            title=f"Chinese typography audit (W3C clreq): {self.pdf}: {verdict}",
            diagnostics=self.diagnostics,
            figures={"pdf": self.pdf, "chinese_lines": self.chinese_lines,
                     "body_lines": self.body_lines, "counts": self.counts})

    def to_text(self) -> str:
        return self.as_report().to_text()

    def to_json(self) -> str:
        report = self.as_report()
        report.figures["findings"] = [asdict(f) for f in self.findings]
        return report.to_json()


# --- reading the PDF -------------------------------------------------------------------

def read_glyphs(pdf: Path) -> list[list[Glyph]]:
    """Drawn characters per page (PDFium's generated spaces and line ends left out)."""
    import pikepdf
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    from renderer.verify.preflight.reader import open_guarded

    if not Path(pdf).is_file():
        raise PressError("does not exist or is not a file.", file=pdf,
                         fix="Give the path of a PDF written by make-issue.")
    try:
        open_guarded(pdf).close()  # refuses decompression bombs before PDFium decodes them
    except pikepdf.PasswordError:
        raise PressError("needs a password to open, so it cannot be audited.", file=pdf,
                         fix="Audit the file before it is encrypted.") from None
    try:
        document = pdfium.PdfDocument(str(pdf))
    except (pdfium.PdfiumError, FileNotFoundError) as error:
        raise PressError(f"cannot read the PDF to audit it: {error}", file=pdf,
                         fix="Give the path of a PDF written by make-issue.") from None
    pages = []
    x, y = ctypes.c_double(), ctypes.c_double()
    for page in document:
        textpage = page.get_textpage()
        glyphs = []
        for index in range(textpage.count_chars()):
            if raw.FPDFText_IsGenerated(textpage.raw, index) == 1:
                continue
            char = chr(raw.FPDFText_GetUnicode(textpage.raw, index))
            left, _, right, _ = textpage.get_charbox(index, loose=True)
            raw.FPDFText_GetCharOrigin(textpage.raw, index, x, y)
            glyphs.append(Glyph(char, left, right, y.value))
        pages.append(glyphs)
    return pages


def group_lines(glyphs: list[Glyph], page: int) -> list[Line]:
    """Split a page's characters into lines: one baseline, no column gutter inside."""
    rows: dict[float, list[Glyph]] = defaultdict(list)
    for glyph in glyphs:
        rows[round(glyph.baseline, 1)].append(glyph)
    lines = []
    for baseline in sorted(rows, reverse=True):
        row = sorted(rows[baseline], key=lambda g: g.left)
        nearby = [g for b, r in rows.items() if abs(b - baseline) <= GUTTER_SEARCH_PT
                  for g in r]
        current: list[Glyph] = []
        for glyph in row:
            if current and _is_gutter(current[-1], glyph, nearby):
                lines.append(Line(page, current))
                current = []
            current.append(glyph)
        lines.append(Line(page, current))
    return [line for line in lines if line.visible]


def _is_gutter(before: Glyph, after: Glyph, nearby: list[Glyph]) -> bool:
    """A wide gap that is part of a white vertical strip through the nearby lines.

    A gap inside a badly justified line is not a gutter: the lines above and below
    have text across it.
    """
    size = max(before.right - before.left, 6.0)
    if after.left - before.right <= COLUMN_GUTTER_EM * size:
        return False
    if after.left - before.right > BLOCK_GAP_EM * size and not (
            before.char.isspace() or after.char.isspace()):
        return True  # two blocks side by side (table cells, captions): no space between
    #                  them, and wider than any justification ever opens
    covered = sorted((max(g.left, before.right), min(g.right, after.left)) for g in nearby
                     if g.right > before.right and g.left < after.left)
    free_from = before.right
    for left, right in covered:
        if left - free_from >= GUTTER_STRIP_PT:
            return True
        free_from = max(free_from, right)
    return after.left - free_from >= GUTTER_STRIP_PT


# --- rules on single lines ---------------------------------------------------------------

def check_line_edges(line: Line) -> list[Finding]:
    visible = line.visible
    found = []
    if visible[0].char in NO_LINE_START:
        found.append(Finding("line-start-prohibited", line.page, line.text, visible[0].char))
    if visible[-1].char in NO_LINE_END:
        found.append(Finding("line-end-opening", line.page, line.text, visible[-1].char))
    text = "".join(g.char for g in visible)
    for mark in UNBREAKABLE_MARKS:
        leading = len(text) - len(text.lstrip(mark))
        trailing = len(text) - len(text.rstrip(mark))
        if leading % 2 or (trailing % 2 and trailing != len(text)):
            found.append(Finding("split-dash-ellipsis", line.page, line.text, mark * 2))
    return found


def _han_gap(glyphs: list[Glyph], em: float) -> float:
    """The line's own spacing between directly adjacent Han characters (justification),
    in pt; a pair with a space between them says nothing about it."""
    gaps = [b.left - min(a.right, a.left + em) for a, b in zip(glyphs, glyphs[1:])
            if is_han(a.char) and is_han(b.char)]
    return statistics.median(gaps) if gaps else 0.0


def _spaced(line: Line) -> list[bool]:
    """For each visible glyph of the line: whether a drawn space stands before it."""
    spaced, pending = [], False
    for glyph in line.glyphs:
        if glyph.char.isspace():
            pending = True
        else:
            spaced.append(pending)
            pending = False
    return spaced


def check_spacing(line: Line) -> list[Finding]:
    em = line.em
    visible = line.visible
    base = _han_gap(line.glyphs, em)
    found = []
    for a, b, space_before in zip(visible, visible[1:], _spaced(line)[1:]):
        if abs(b.left - a.left) < 0.01:
            continue            # two characters of one glyph (the —— ligature)
        gap = b.left - line.advance_right(a)
        pair = f"{a.char}{b.char} {gap / em:.2f} em"
        if (is_han(a.char) and is_latin_alnum(b.char)) or (
                is_latin_alnum(a.char) and is_han(b.char)):
            if gap - base < HAN_LATIN_MIN_EM * em:
                found.append(Finding("han-latin-no-gap", line.page, line.text, pair))
        elif is_latin_alnum(a.char) and is_latin_alnum(b.char) and not space_before:
            if gap > LATIN_WORD_GAP_EM * em:
                found.append(Finding("gap-inside-latin-word", line.page, line.text, pair))
        if gap > WIDE_GAP_EM * em:
            found.append(Finding("wide-gap", line.page, line.text, pair))
    return found


# --- rules on paragraphs of body lines ------------------------------------------------

def body_size(lines: list[Line]) -> float:
    """The most common Chinese size (pt, 0.1 pt steps): the body text."""
    sizes = Counter(round(line.em, 1) for line in lines)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def columns(lines: list[Line]) -> list[list[Line]]:
    """Body lines grouped into columns, each in reading order.

    On a page, lines that overlap horizontally share a column. Page columns with the same
    left and right edges (within 1 pt) continue one another from page to page, so a
    paragraph that runs over a page break is still one paragraph.
    """
    per_page: list[list[Line]] = []
    for page in sorted({line.page for line in lines}):
        groups: list[list[Line]] = []
        for line in (ln for ln in lines if ln.page == page):
            for group in groups:
                if any(line.left < other.right and other.left < line.right for other in group):
                    group.append(line)
                    break
            else:
                groups.append([line])
        per_page.extend(groups)
    linked: list[list[Line]] = []
    for group in per_page:
        edges = _edges(group)
        for column in linked:
            if all(abs(a - b) < 1.0 for a, b in zip(edges, _edges(column))):
                column.extend(group)
                break
        else:
            linked.append(list(group))
    return [sorted(column, key=lambda ln: (ln.page, -ln.baseline)) for column in linked]


def _edges(group: list[Line]) -> tuple[float, float]:
    return (min(line.flush_left for line in group),
            max(line.possible_rights()[0] for line in group))


def final_flags(column: list[Line]) -> list[bool]:
    """For each line of a column: is it the last line of its paragraph?"""
    left = min(line.flush_left for line in column)
    pitches = [a.baseline - b.baseline for a, b in zip(column, column[1:])
               if a.page == b.page and a.baseline > b.baseline]
    pitch = statistics.median(pitches) if pitches else 0.0
    flags = []
    for line, following in zip(column, column[1:] + [None]):
        if following is None:
            flags.append(True)
            continue
        indented = following.left > left + 0.5 * following.em
        # a list: the next item starts with its marker (1., •)
        next_item = LIST_MARKER.match(following.text) is not None
        gap_ends = (following.page == line.page and pitch
                    and line.baseline - following.baseline > PARAGRAPH_GAP_RATIO * pitch)
        flags.append(bool(indented or gap_ends or next_item))
    return flags


def check_paragraphs(column: list[Line]) -> list[Finding]:
    edge = max(line.possible_rights()[0] for line in column)
    found = []
    for line, final in zip(column, final_flags(column)):
        short = min(abs(edge - right) for right in line.possible_rights())
        if not final and short > JUSTIFY_TOLERANCE_PT:
            found.append(Finding("justified-line-short", line.page, line.text,
                                 f"{edge - line.right:.2f} pt short"))
        if final:
            content = [g for g in line.visible if g.char not in PUNCTUATION]
            if len(content) <= 1:
                found.append(Finding("single-char-last-line", line.page, line.text))
    return found


def check_loose_lines(lines, threshold_em: float = LOOSE_EM) -> list[Finding]:
    """A ``loose-line`` finding for each line whose widest added Han-to-Han gap
    (renderer.verify.spacing) exceeds ``threshold_em``."""
    return [Finding("loose-line", gap.page, gap.text,
                    f"{gap.gap_em:.2f} em between Han characters")
            for gap in han_gaps(lines) if gap.gap_em > threshold_em]


def audit(pdf: Path, loose_em: float = LOOSE_EM) -> AuditReport:
    """Read ``pdf`` back and count the clreq rules each Chinese line breaks; a line is
    loose when its widest added Han-to-Han gap exceeds ``loose_em`` (default 0.15 em)."""
    pdf = Path(pdf)
    lines = [line for page, glyphs in enumerate(read_glyphs(pdf), start=1)
             for line in group_lines(glyphs, page)]
    chinese = [line for line in lines if line.is_chinese]
    report = AuditReport(pdf=str(pdf), chinese_lines=len(chinese))
    for line in chinese:
        report.findings += check_line_edges(line) + check_spacing(line)
    report.findings += check_loose_lines(chinese, loose_em)
    size = body_size(chinese)
    body = [line for line in chinese if abs(line.em - size) < 0.15]
    report.body_lines = len(body)
    for column in columns(body):
        report.findings += check_paragraphs(column)
    report.findings.sort(key=lambda f: (f.page, RULES.index(f.rule)))
    return report
