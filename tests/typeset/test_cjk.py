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
    real_version = weasyprint70.metadata.version
    for package, other in (("weasyprint", "71.0"), ("pydyf", "0.14.0")):
        monkeypatch.setattr(weasyprint70.metadata, "version",
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
    report = audit(render(markup, tmp_path / "p.pdf"))
    assert report.chinese_lines >= 6
    for rule in ("line-start-prohibited", "line-end-opening", "split-dash-ellipsis",
                 "han-latin-no-gap", "single-char-last-line"):
        assert report.counts[rule] == 0, report.to_text()


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
