"""clean_chinese: converter damage repaired, nothing else touched, idempotent."""

from __future__ import annotations

import opencc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renderer.editorial.clean import clean_chinese, corrupted_spans, pinyin_syllables
from tests.conftest import ROOT

SEED = ROOT / "tests" / "fixtures" / "import" / "seed-2022-02.txt"


def test_pinyin_annotation_removed_and_simplified():
    result = clean_chinese("外國(guó)駐渝領(lǐng)事官員")
    assert result.text == "外国驻渝领事官员"
    assert result.repairs["pinyin-annotation"] == 2
    assert result.repairs["traditional-to-simplified"] >= 3


def test_outer_bracket_kept_as_full_width():
    result = clean_chinese("赴重慶廣播電視集團(tuán)(總臺(tái))、重慶華龍網(wǎng)集團(tuán)調(diào)研。")
    assert result.text == "赴重庆广播电视集团（总台）、重庆华龙网集团调研。"
    assert result.repairs["full-width-brackets"] == 2


def test_bracket_without_a_toned_syllable_is_not_pinyin():
    # "de" has no tone mark, "xyz" is no syllable, "Hello" is English.
    for text in ["国(de)", "国(xyz)", "国(Hello)", "国(guo)"]:
        assert clean_chinese(text, simplify=False).text == text


def test_numbers_latin_runs_and_english_parentheses_untouched():
    text = "捐赠400,000只口罩,支援COVID-19防控 (Chongqing Chamber, 2022) 10:30"
    result = clean_chinese(text, simplify=False)
    assert "400,000" in result.text
    assert "COVID-19" in result.text
    assert "(Chongqing Chamber, 2022)" in result.text
    assert "10:30" in result.text
    assert "口罩，支援" in result.text


def test_ascii_punctuation_after_latin_run_before_han():
    assert clean_chinese("防控COVID-19,重庆", simplify=False).text == "防控COVID-19，重庆"
    assert clean_chinese("Hello, world", simplify=False).text == "Hello, world"


def test_traditional_issue_keeps_its_script():
    result = clean_chinese("外國(guó)駐渝,領(lǐng)事", script="hant")
    assert result.text == "外國駐渝，領事"
    assert "traditional-to-simplified" not in result.repairs


def test_corrupted_sequence_left_for_an_editor():
    raw = "重慶將舉辦中白建交30周年配套慶?;顒?dòng)"
    result = clean_chinese(raw, simplify=True)
    assert result.corrupted == ("?;颙?dòng)",)
    assert result.text.endswith("?;颙?dòng)")  # the ASCII ? stays: lint still sees it
    assert corrupted_spans(result.text)


def test_question_mark_at_sentence_end_is_punctuation():
    assert clean_chinese("你好吗?", simplify=False).text == "你好吗？"
    assert corrupted_spans("你好吗?") == []
    assert corrupted_spans("你\ufffd好")


def test_syllable_inventory_is_pypinyin_s():
    syllables = pinyin_syllables()
    assert {"guó", "lǐng", "zhǎng", "tái"} <= syllables
    assert "de" not in syllables and "guo" not in syllables


HAN_SAMPLE = "國國际會会重慶庆張娅茜臺台领領的是"
TONED = ["guó", "huì", "qìng", "tái", "lǐng", "zhāng"]
pieces = st.one_of(
    st.sampled_from(list(HAN_SAMPLE)),
    st.sampled_from([f"({s})" for s in TONED]),
    st.sampled_from(list(",:;?!()（）。，\ufffd ")),
    st.sampled_from(["COVID-19", "400,000", "30th", "Chongqing", "a", "B", "7", "10:30"]),
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
)
mixed_text = st.lists(pieces, max_size=30).map("".join)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: the profile
@given(mixed_text, st.sampled_from(["hans", "hant"]), st.sampled_from([None, True, False]))
def test_cleaning_is_idempotent(text, script, simplify):
    once = clean_chinese(text, script=script, simplify=simplify)
    twice = clean_chinese(once.text, script=script, simplify=simplify)
    assert twice.text == once.text


def test_seed_title_line_cleaned_needs_no_more_conversion():
    t2s, s2t = opencc.OpenCC("t2s"), opencc.OpenCC("s2t")
    line = SEED.read_text(encoding="utf-8").split("\n")[5]  # the first Chinese title
    cleaned = clean_chinese(line, simplify=True).text
    assert cleaned == "外国驻渝领事官员在红岩公园共建友谊林"
    assert t2s.convert(s2t.convert(cleaned)) == cleaned
