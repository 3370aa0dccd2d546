"""Loose Chinese lines (renderer.verify.spacing), measured from character origins read
with pypdfium2 on the sample and the three corpus issues, both editions."""

from __future__ import annotations

from pathlib import Path

import pytest

from renderer.verify.audit import Glyph, Line, audit, check_loose_lines, group_lines, read_glyphs
from renderer.verify.spacing import han_gaps, widest_han_gap
from tests.conftest import CORPUS_ISSUES, SAMPLE, SECOND_SAMPLE

ISSUES = [SAMPLE, SECOND_SAMPLE, *CORPUS_ISSUES]


def _line(chars: str, advances: list[float], em: float = 10.0) -> Line:
    x, glyphs = 0.0, []
    for char, advance in zip(chars, advances + [em]):
        glyphs.append(Glyph(char, x, x + em, 100.0))
        x += advance
    return Line(1, glyphs)


def test_widest_gap_is_in_em_and_ignores_typed_spaces_and_latin():
    line = _line("中文字体排", [11.0, 10.5, 10.5, 10.5])
    assert widest_han_gap(line).gap_em == pytest.approx(0.1)
    # a typed space that was skipped over, not drawn: not a justification gap
    spaced = _line("植下友谊树共建", [10.3, 10.3, 10.3, 10.3, 13.6, 10.3])
    assert widest_han_gap(spaced).gap_em == pytest.approx(0.03)
    latin = _line("第4个", [12.5, 8.0])           # Han/Latin space: not a Han-Han gap
    assert widest_han_gap(latin).pairs == 0
    findings = check_loose_lines([_line("中文字体排", [12.0, 12.0, 12.0, 12.0])])
    assert [f.rule for f in findings] == ["loose-line"] and "0.20 em" in findings[0].detail


@pytest.fixture
def built(sample_build, second_sample_build, corpus_builds) -> dict[str, list[Path]]:
    return {SAMPLE.name: [sample_build["print"], sample_build["email"]],
            SECOND_SAMPLE.name: [second_sample_build["print"], second_sample_build["email"]],
            **{folder.name: [pdfs["print"], pdfs["email"]]
               for folder, pdfs in corpus_builds.items()}}


@pytest.mark.xdist_group("corpus")
@pytest.mark.parametrize("issue", [issue.name for issue in ISSUES])
def test_chinese_lines_are_not_letter_spaced(built, issue):
    """Acceptance of issue 20: >= 99 % of Chinese lines with a widest added Han-Han gap
    <= 0.15 em, none over 0.25 em, in each edition, and the clreq rules still kept."""
    for pdf in built[issue]:
        lines = [line for page, glyphs in enumerate(read_glyphs(pdf), start=1)
                 for line in group_lines(glyphs, page) if line.is_chinese]
        gaps = han_gaps(lines)
        assert len(gaps) > 80
        tight = sum(gap.gap_em <= 0.15 for gap in gaps) / len(gaps)
        worst = max(gaps, key=lambda gap: gap.gap_em)
        assert tight >= 0.99, (pdf.name, tight, [g.text for g in gaps if g.gap_em > 0.15])
        assert worst.gap_em <= 0.25, (pdf.name, worst)
        report = audit(pdf)
        assert report.ok, report.to_text()
