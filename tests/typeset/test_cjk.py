"""Text preparation (renderer.prepare.typography) and the WeasyPrint extension
(renderer.typeset.weasyprint70.cjk), checked on the strings they produce and on real rendered PDFs."""

from __future__ import annotations

import pytest

from renderer.prepare.typography import prepare_en_html, prepare_zh_html
from renderer.typeset import weasyprint70
from renderer.typeset.weasyprint70.cjk import expandable_units, halt_positions
from renderer.verify.audit import audit
from tests.cjk_sample import render

WJ = "\u2060"
ZW = "\u200b"


# --- prepare_zh_html -----------------------------------------------------------------

def test_han_latin_boundaries_inside_a_run_get_no_mark():
    """The typesetter spaces them itself; a joiner would forbid the break clreq allows."""
    out = prepare_zh_html("在我国第44个植树节，COVID-19疫情期间。")
    assert out == f"在我国第44个植树节，COVID-19疫情期{WJ}间。"
    # an earlier version's joiners at boundaries are taken out again
    assert prepare_zh_html(f"第{WJ}44{WJ}个植树节。") == f"第44个植树{WJ}节。"


def test_tags_and_entities_pass_through():
    source = '重庆<em>COVID</em>与<a href="https://x.cn/?a=1&amp;b=2">巴西&amp;</a>合作。'
    out = prepare_zh_html(source)
    assert '<a href="https://x.cn/?a=1&amp;b=2">' in out and "巴西&amp;" in out
    assert out.startswith(f"重庆<em>{ZW}COVID</em>{ZW}与")   # the mark opens the 2nd run


def test_interpunct_is_glued_and_last_two_han_are_joined():
    out = prepare_zh_html("叶·德米特里表示合作。")
    assert out == f"叶{WJ}·德米特里表示合{WJ}作。"


def test_adjacent_marks_across_a_tag_get_a_halt_span():
    out = prepare_zh_html("他说：“<em>好。</em>”然后走了。")
    assert '<em>好<span class="halt">。</span></em>”' in out


def test_prepare_is_idempotent():
    for source in ("在我国第44个植树节，COVID-19疫情。", "他说：“<em>好。</em>”走了。",
                   "叶·德米特里表示合作。"):
        once = prepare_zh_html(source)
        assert prepare_zh_html(once) == once
    english = "Consular officers planted trees at <em>Hongyan</em> Park."
    assert prepare_en_html(prepare_en_html(english)) == prepare_en_html(english)


def test_english_short_last_word_is_glued():
    assert prepare_en_html("They planted the trees for us.") == (
        "They planted the trees for\u00a0us.")
    long_last = "Consular Officers Planting Trees at Hongyan Park"
    assert prepare_en_html(long_last) == long_last


# --- typeset_cjk ---------------------------------------------------------------------

def test_expandable_units_follow_pangos_half_spacing():
    assert expandable_units("中文字", True) == 2          # 0.5 + 1 + 0.5
    assert expandable_units("中", True) == 0              # alone in its box
    assert expandable_units("Hello world", False) == 1    # one space, as WeasyPrint
    assert expandable_units("合作——互利", True) == 3       # 0.5+1+0+0+1+0.5: —— stays shut
    assert expandable_units("“好”", False) == 1           # curly quotes wide only in zh


def test_halt_on_first_of_two_marks_and_on_a_closing_mark_at_the_end():
    assert halt_positions("好。”走") == [1]
    assert halt_positions("他说，") == [2]
    assert halt_positions("说：“") == [1]


def test_install_is_idempotent_and_version_pinned(monkeypatch):
    weasyprint70.install()
    from weasyprint.text import line_break
    patched = line_break.Layout.set_text
    weasyprint70.install()
    assert line_break.Layout.set_text is patched
    assert line_break.Layout.set_text.__wrapped__ is not patched
    from importlib import metadata

    real_version = metadata.version
    for package, other in (("weasyprint", "71.0"), ("pydyf", "0.14.0")):
        monkeypatch.setattr(metadata, "version",
                            lambda name, p=package, v=other: v if name == p else real_version(name))
        with pytest.raises(weasyprint70.UnsupportedWeasyPrint, match=f"{package} {other}"):
            weasyprint70.check_versions()


PROHIBITIONS = ("他说：“我们在《人民日报》上看到了‘重庆’的报道……”随后，叶·德米特里（白俄罗斯驻重庆"
                "总领事）表示：「合作——互利！」这是第44个植树节，COVID-19疫情期间，约40%的企业参与；"
                "『真的吗？』她问。《阳光重庆》、《重庆之声》等栏目录制现场！“外事翻译工作的内涵”"
                "“外事接待翻译实践”并结合外事活动真实情境作分享。她说：“好。”然后走了。")


@pytest.mark.parametrize("width_em", [9, 12.5, 16, 17.5, 21])
def test_no_prohibited_line_start_or_end_at_any_width(tmp_path, width_em):
    weasyprint70.install()
    markup = (f'<style>p{{font:10.5pt/1.7 "Noto Serif CJK SC";width:{width_em}em;'
              f'text-align:justify;text-indent:2em;margin:0}}</style>'
              f'<p lang="zh-Hans">{prepare_zh_html(PROHIBITIONS)}</p>')
    pdf = render(markup, tmp_path / "p.pdf")
    report = audit(pdf)
    assert report.chinese_lines >= 6
    for rule in ("line-start-prohibited", "line-end-opening", "split-dash-ellipsis",
                 "han-latin-no-gap", "single-char-last-line"):
        assert report.counts[rule] == 0, report.to_text()
    # and, from 12 em on, not letter-spaced (Pango's own breaks reach 0.2-0.6 em here)
    if width_em >= 12:
        assert max(gap.gap_em for gap in _gaps(pdf)) <= 0.15, report.to_text()


def test_halt_shortens_the_line(tmp_path):
    """Two adjacent marks really are set in 1.5 em (font feature reaches the PDF)."""
    from renderer.verify.audit import group_lines, read_glyphs

    weasyprint70.install()
    markup = ('<p lang="zh-Hans" style="font:10.5pt \'Noto Serif CJK SC\'">'
              '好。”走了</p>')
    glyphs = read_glyphs(render(markup, tmp_path / "h.pdf"))[0]
    line = group_lines(glyphs, 1)[0]
    positions = {g.char: g.left for g in line.visible}
    assert positions["”"] - positions["。"] == pytest.approx(0.5 * line.em, abs=0.05)
    assert positions["走"] - positions["”"] == pytest.approx(line.em, abs=0.05)


# --- line breaks: the slack in punctuation first (renderer.typeset.weasyprint70.breaks) ---

def _gaps(pdf):
    from renderer.verify.audit import group_lines, read_glyphs
    from renderer.verify.spacing import han_gaps

    return han_gaps([line for page, glyphs in enumerate(read_glyphs(pdf), start=1)
                     for line in group_lines(glyphs, page) if line.is_chinese])


def _paragraph(text: str, width_em: float, *, hanging: bool = False, indent: bool = True) -> str:
    hang = "--press-hanging-punctuation: allow-end;" if hanging else ""
    return (f'<style>p{{font:10.5pt/1.7 "Noto Serif CJK SC";width:{width_em}em;margin:0;'
            f'text-align:justify;text-indent:{2 if indent else 0}em;{hang}}}</style>'
            f'<p lang="zh-Hans">{prepare_zh_html(text)}</p>')


QUOTED_NAME = "5月25日，第36届“哈尔滨之夏”音乐会组委会召开新闻发布会宣布，本届音乐会将于8月6日至15日举行。"


def test_planned_breaks_keep_a_quoted_name_together(tmp_path, monkeypatch):
    """Pango measures the ” that ends “哈尔滨之夏” one em wide, breaks the name (” may not
    start a line) and letter-spaces the first line by 0.16 em. Set half-width at the line
    end, the whole name fits: the line ends flush, the comma keeps its em."""
    from weasyprint.layout import inline

    from renderer.verify.audit import group_lines, read_glyphs

    weasyprint70.install()
    planned = render(_paragraph(QUOTED_NAME, 18), tmp_path / "planned.pdf")
    monkeypatch.setattr(inline, "split_first_line", inline.split_first_line.__wrapped__)
    greedy = render(_paragraph(QUOTED_NAME, 18), tmp_path / "greedy.pdf")
    assert max(gap.gap_em for gap in _gaps(greedy)) > 0.15
    gaps = _gaps(planned)
    assert gaps[0].text == "5月25日，第36届“哈尔滨之夏”"
    assert max(gap.gap_em for gap in gaps) < 0.1
    assert audit(planned).ok
    assert [f.rule for f in audit(greedy).findings] == ["loose-line"]
    first = group_lines(read_glyphs(planned)[0], 1)[0]
    marks = {g.char: g.left for g in first.visible}
    assert marks["第"] - marks["，"] == pytest.approx(first.em, abs=0.1 * first.em)


HANG = "重庆市人民政府外事办公室与渝中区人民政府共同主办，邀请各国驻渝总领馆领事官员参加活动。"


def test_a_comma_that_does_not_fit_hangs_where_the_element_allows_it(tmp_path):
    """24 Han characters in a 24 em column, then a comma: it hangs outside the column
    (clreq 3.1.7, allow-end) instead of taking 办 to the next line; without the property
    the line is one character shorter and no mark stands outside."""
    from renderer.verify.audit import group_lines, read_glyphs

    weasyprint70.install()
    for hanging in (True, False):
        pdf = render(_paragraph(HANG, 24, hanging=hanging, indent=False), tmp_path / "h.pdf")
        lines = [line for line in group_lines(read_glyphs(pdf)[0], 1) if line.is_chinese]
        first, second = lines[0], lines[1]
        edge = second.left + 24 * first.em          # the column's right edge
        if hanging:
            assert first.text.endswith("主办，") and first.visible[-1].left == pytest.approx(
                edge, abs=0.3)
            assert first.visible[-2].left + first.em == pytest.approx(edge, abs=0.3)
        else:
            assert not first.text.endswith("，") and first.right <= edge + 0.3
        assert audit(pdf).ok, audit(pdf).to_text()


def test_an_opening_mark_that_starts_a_line_may_be_half_width(tmp_path):
    """clreq 3.1.6: the blank half of a line-start “ goes when the line needs it, here to
    keep a quoted name (1 + 9 + 0.5 em at the line end) on one 10 em line rather than
    spacing out its first nine characters; the audit finds the column's edge all the
    same (the mark is drawn from half an em before it), and the text extracts in order."""
    import subprocess

    from renderer.verify.audit import group_lines, read_glyphs

    weasyprint70.install()
    text = "市政府外办副主任表示“重庆明斯克友好交流”将进一步深化合作。"
    pdf = render(_paragraph(text, 10, indent=False), tmp_path / "open.pdf")
    lines = [line for line in group_lines(read_glyphs(pdf)[0], 1) if line.is_chinese]
    assert [line.text for line in lines] == [
        "市政府外办副主任表示", "“重庆明斯克友好交流”", "将进一步深化合作。"]
    quote, first = lines[1].visible[0], lines[1].visible[1]
    assert lines[0].left - quote.left == pytest.approx(0.5 * lines[0].em, abs=0.6)
    assert first.left - lines[0].left == pytest.approx(0.5 * lines[0].em, abs=0.1)
    assert audit(pdf).ok, audit(pdf).to_text()
    extracted = subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True,
                               check=True).stdout
    assert extracted.split() == ["市政府外办副主任表示", "“重庆明斯克友好交流”", "将进一步深化合作。"]


def test_compression_order_keeps_single_marks_and_opening_pairs():
    from renderer.typeset.weasyprint70.cjk import compression_order, inner_compression_order

    # line start （, then the closing second of each pair (。” and ），), nearest the end first
    assert compression_order("（甲），乙。”丙") == [0, 6, 3]
    # an opening mark after a mark stays (its glyph would be drawn over the mark before)
    assert compression_order("甲，“乙”") == []
    # single closing marks: stops and pauses first, then brackets, nearest the end first
    assert inner_compression_order("甲，乙、丙》丁，戊") == [7, 3, 1, 5]
    assert inner_compression_order("甲“乙”丙") == [3]


def test_breaks_only_where_clreq_allows():
    from renderer.typeset.weasyprint70.breaks import clreq_allows_break

    assert clreq_allows_break("江北大学", 2)
    assert not clreq_allows_break("江北—湖区", 2) and not clreq_allows_break("江北—湖区", 3)
    assert clreq_allows_break("合作——互利", 2) and not clreq_allows_break("合作——互利", 3)
    assert not clreq_allows_break("他说，好", 2) and not clreq_allows_break("说“好", 2)
