"""The paragraph planner (renderer.typeset.weasyprint70.breaks) on measured texts made up
here: 10 px characters in a 100 px column, so each result can be worked out by hand.
(The real layouts are checked in test_cjk.py and, on whole issues, test_spacing.py.)"""

from __future__ import annotations

import pytest

from renderer.typeset.weasyprint70 import breaks, cjk

EM = 10.0


GLUED = ("捐赠", "同意")           # no break inside (prepare's joiner)


def _plan(text: str, width: float = 100.0, *, hanging: bool = False,
          first_width: float | None = None, at_start: bool = True) -> breaks.Plan:
    allowed = tuple(i for i in range(1, len(text)) if breaks.clreq_allows_break(text, i)
                    and text[i - 1:i + 1] not in GLUED
                    and not (text[i - 1].isascii() and text[i].isascii()))  # a word, a number
    return breaks.Plan(_measured(text, allowed), width if first_width is None else first_width,
                       width, hanging, (cjk.compression_order, cjk.inner_compression_order),
                       first_at_start=at_start)


def _measured(text: str, allowed: tuple[int, ...]) -> breaks.Measured:
    """As Pango sets the whole text: halted marks half-width, Latin 0.55 em, the Han/Latin
    space on the glyph before each boundary."""
    halted = frozenset(cjk.halt_positions(text))
    offsets = [len(text[:i].encode()) for i in range(len(text) + 1)]
    boundaries = frozenset(offsets.index(b) for b in cjk.han_latin_boundaries(text))
    advances = [EM / 2 if i in halted else 0.55 * EM if text[i].isascii() else EM
                for i in range(len(text))]
    for k in boundaries:
        advances[k - 1] += 2.5
    return breaks.Measured(
        text=text, advances=tuple(advances), breaks=(*allowed, len(text)), halted=halted,
        boundaries=boundaries, space=2.5, em=EM,
        multipliers=tuple(cjk.justification_multipliers(text, True)))


def _lines(plan: breaks.Plan) -> list[str]:
    start, lines = 0, []
    for line in plan.path():
        lines.append(plan.measured.text[start:line.end])
        start = line.end
    return lines


# 18 characters, then 捐赠。 kept together (the last two Han are glued, clreq 3.6)
TEXT = "重庆市人民对外友好协会组织各商会企业捐赠。"


def test_the_slack_of_a_glued_last_line_is_shared_by_the_lines_before():
    """Taking as much as fits leaves the second line 2 em short (0.29 em between its 8
    characters); the plan pushes one character forward from the first line instead,
    two lines 1 em short (0.125 em)."""
    plan = _plan(TEXT)
    assert _lines(plan) == ["重庆市人民对外友好", "协会组织各商会企业", "捐赠。"]
    start = 0
    for line in plan.path()[:-1]:
        assert plan.fit(start, line.end)[3] == pytest.approx(1 / 8)
        start = line.end


def test_a_mark_at_the_line_end_is_half_width_so_the_line_takes_it():
    """9 characters and a comma in 9.5 em: it fits, the comma set half-width there."""
    plan = _plan("重庆市人民政府外办，邀请各国驻渝总领馆官员。", width=95.0)
    first = plan.path()[0]
    assert plan.measured.text[:first.end] == "重庆市人民政府外办，"
    assert not first.compressed and not first.hang
    assert plan.fit(0, first.end)[0] == pytest.approx(95.0)


def test_a_stop_hangs_only_where_allowed_and_only_when_it_does_not_fit():
    text = "重庆市人民政府外事办，邀请各国驻渝总领馆官员参加。"
    assert not _lines(_plan(text))[0].endswith("，")                # 办， pushed on
    hung = _plan(text, hanging=True)
    assert _lines(hung)[0] == "重庆市人民政府外事办，"
    assert hung.path()[0].hang == pytest.approx(EM / 2)
    # a comma that fits is not hung
    assert _plan(text, width=105.0, hanging=True).path()[0].hang == 0


def test_the_first_line_may_be_narrower_than_the_rest():
    """An indented first line (2 em) is planned with its own width."""
    plan = _plan(TEXT, first_width=80.0)
    assert [len(line) for line in _lines(plan)] == [8, 10, 3]


def test_a_word_wider_than_the_column_is_overfull_not_lost():
    plan = _plan("重庆" + "x" * 25 + "市")           # 25 letters: 13.75 em in 10
    assert plan.path() and plan.path()[-1].end == 28
    assert any(line.cost >= breaks.OVERFULL_COST for line in plan.path())


def test_single_marks_inside_a_line_give_way_only_to_avoid_visible_spacing():
    """Mainland style keeps a comma inside a line full width; only when the alternative
    is a line spaced out beyond 0.15 em does one give up its blank half."""
    # 13.5 em: 10 Han, a comma, and 同意。 glued. In 13 em the other breaks leave 9 Han
    # (办， stays together) or 10 and the comma, 0.5 or 0.25 em between characters.
    text = "重庆市人民政府外事办，同意。"
    plan = _plan(text, width=130.0)
    assert _lines(plan) == [text] and plan.path()[0].compressed == frozenset({10})
    assert not _plan(text, width=135.0).path()[0].compressed


def test_an_opening_mark_is_half_width_only_where_it_starts_the_line():
    """“ + 9 characters + ” is 10.5 em with the ” half-width at the line end: 10 em with
    the “ half-width too, at the start of a line; a text box that starts after other
    text on its line (网<span>（example…) keeps it."""
    text = "“重庆明斯克友好交流”将进一步深化合作。"
    plan = _plan(text)
    assert _lines(plan)[0] == "“重庆明斯克友好交流”" and plan.path()[0].compressed == {0}
    after_others = _plan(text, at_start=False)
    assert _lines(after_others)[0] == "“重庆明斯克友好交"
    assert 0 not in after_others.path()[0].compressed


def test_a_last_line_of_one_character_is_avoided(monkeypatch):
    """3300万。: prepare glues the last two Han only, so 万。 could end the paragraph alone
    (clreq 3.6); the plan takes a character down with it instead."""
    text = "巴基斯坦约三分之一的国土被洪水淹没，受灾人数超过3300万。"
    assert _lines(_plan(text, width=140.0)) == ["巴基斯坦约三分之一的国土被洪",
                                                "水淹没，受灾人数超过3300万。"]
    monkeypatch.setattr(breaks, "LONE_LAST_COST", 0.0)
    assert _lines(_plan(text, width=140.0))[-1] == "万。"     # what it would be


def test_line_widths_and_units_agree_with_the_line_set_on_its_own():
    """The plan reads every line off the whole text's advances; laid out on its own,
    the line has the Han/Latin spaces, the half-width end mark and the justification
    units that cjk gives its own text (``expandable_units``, ``halt_positions``)."""
    text = "受灾人数超过3300万，\u200b“COVID-19”\u200b期间约40%的企业参与；他说：“好。”走了"
    plan = _plan(text)
    m = plan.measured
    for start in range(len(text)):
        for end in range(start + 1, len(text) + 1):
            line = text[start:end]
            # the same line measured as a whole text of its own
            alone = _measured(line, ())
            expected = sum(alone.advances)
            width, _ = plan.natural(start, end)
            assert width == pytest.approx(expected), (start, end, line)
            assert plan.units(start, end) == cjk.expandable_units(line, True), line
    assert m.boundaries                                   # there are some to get right
