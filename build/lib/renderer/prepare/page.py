"""Page geometry: the sizes the press lays every page out on.

Shared by prepare (a figure is sized for the text width) and compose (the edition's
stylesheet gets the side margins and column widths from here), so that the two can
never disagree. Top and bottom margins are the stylesheet's alone (styles/base.css).
"""

from __future__ import annotations

from renderer.policy import PAGE_SIZES_MM, POINTS_PER_MM

SIDE_MARGIN_MM = 17.0
COLUMN_GAP_MM = 4.0  # padding on the Chinese side of the rule between the columns
COLUMN_RULE_PT = 0.5  # that rule (base.css, td.zh border-left), half of it inside the cell
ZH_BODY_PT = 10.5  # clreq: size 5 (wuhao), the usual Chinese body size
ZH_SHARE = 0.4  # of the text width, about: Chinese is denser than English


def text_width_mm(page_size: str) -> float:
    """Between the side margins: what a figure spans."""
    return PAGE_SIZES_MM[page_size][0] - 2 * SIDE_MARGIN_MM


def chinese_column_pt(page_size: str) -> float:
    """Width of the Chinese column: a whole number of body characters plus the gap.

    Chinese is set on a grid: a line of Han characters fills the measure exactly
    when the measure is a whole number of ems (clreq 3.4; jlreq 2.3.1), so the
    justification only ever spreads what punctuation, Latin words and the line
    breaking rules leave over, and a pure Han line is not opened up at all.
    """
    text_width_pt = text_width_mm(page_size) * POINTS_PER_MM
    gap_pt = COLUMN_GAP_MM * POINTS_PER_MM + COLUMN_RULE_PT
    characters = round((ZH_SHARE * text_width_pt - gap_pt) / ZH_BODY_PT)
    return characters * ZH_BODY_PT + gap_pt
