"""Page geometry: the sizes the press lays every page out on.

Shared by prepare (a figure is sized for the text width) and compose (the edition's
stylesheet gets the side margins and column widths from here), so that the two can
never disagree. Top and bottom margins are the stylesheet's alone (styles/base.css).
"""

from __future__ import annotations

from renderer.policy import POINTS_PER_MM, page_size_mm

SIDE_MARGIN_MM = 17.0
NARROW_SIDE_MARGIN_MM = 12.0  # pages narrower than NARROW_BELOW_MM (A5: 148 mm)
NARROW_BELOW_MM = 180.0
COLUMN_GAP_MM = 4.0  # padding on the Chinese side of the rule between the columns
COLUMN_RULE_PT = 0.5  # that rule (base.css, td.zh border-left), half of it inside the cell
ZH_BODY_PT = 10.5  # clreq: size 5 (wuhao), the usual Chinese body size
ZH_SHARE = 0.4  # of the text width, about: Chinese is denser than English
# A narrow page (A5) keeps two columns readable with a smaller type scale: Chinese in
# size small-5 (xiao wu, 9 pt), 15 characters a line on A5, the least clreq's
# examples of parallel and multi-column settings go to before a column reads as a
# list of fragments (an A4 column here has 17); English at 8.5 pt, about 50 characters
# a line (book practice: 45-75). Margins narrow to 12 mm to give the columns room.
NARROW_ZH_BODY_PT = 9.0
NARROW_EN_BODY_PT = 8.5
NARROW_ZH_SHARE = 0.42


def is_narrow(page_size: str) -> bool:
    return page_size_mm(page_size)[0] < NARROW_BELOW_MM


def side_margin_mm(page_size: str) -> float:
    return NARROW_SIDE_MARGIN_MM if is_narrow(page_size) else SIDE_MARGIN_MM


def zh_body_pt(page_size: str) -> float:
    return NARROW_ZH_BODY_PT if is_narrow(page_size) else ZH_BODY_PT


def en_body_pt(page_size: str) -> float | None:
    """The English body size where it differs from the stylesheet's 9.5 pt."""
    return NARROW_EN_BODY_PT if is_narrow(page_size) else None


def text_width_mm(page_size: str) -> float:
    """Between the side margins: what a figure spans."""
    return page_size_mm(page_size)[0] - 2 * side_margin_mm(page_size)


def chinese_column_pt(page_size: str) -> float:
    """Width of the Chinese column: a whole number of body characters plus the gap.

    Chinese is set on a grid: a line of Han characters fills the measure exactly
    when the measure is a whole number of ems (clreq 3.4; jlreq 2.3.1), so the
    justification only ever spreads what punctuation, Latin words and the line
    breaking rules leave over, and a pure Han line is not opened up at all.
    """
    text_width_pt = text_width_mm(page_size) * POINTS_PER_MM
    gap_pt = COLUMN_GAP_MM * POINTS_PER_MM + COLUMN_RULE_PT
    share = NARROW_ZH_SHARE if is_narrow(page_size) else ZH_SHARE
    body = zh_body_pt(page_size)
    characters = round((share * text_width_pt - gap_pt) / body)
    return characters * body + gap_pt


def chinese_characters_per_line(page_size: str) -> int:
    gap_pt = COLUMN_GAP_MM * POINTS_PER_MM + COLUMN_RULE_PT
    return round((chinese_column_pt(page_size) - gap_pt) / zh_body_pt(page_size))
