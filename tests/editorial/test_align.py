"""Gale-Church pairing and the anchors that back it up."""

from __future__ import annotations

from renderer.editorial import align
from renderer.editorial.clean import clean_chinese
from renderer.editorial.importer.split import split_articles
from renderer.model import Alignment
from tests.conftest import ROOT

SEED = ROOT / "tests" / "fixtures" / "import" / "seed-2022-02.txt"


def seed_articles() -> list[tuple[list[str], list[str]]]:
    articles = split_articles(SEED.read_text(encoding="utf-8"))
    return [([line.text for line in a.en.body],
             [clean_chinese(line.text, simplify=True).text for line in a.zh.body])
            for a in articles]


def seed_model(articles) -> align.AlignModel:
    return align.estimate_model([p for en, zh in articles for p in zip(en, zh)],
                                [p for en, _ in articles for p in en])


def test_ratio_is_estimated_from_the_issue():
    model = seed_model(seed_articles())
    assert 4.0 < model.ratio < 5.0
    assert "Chongqing" in model.common_names


def test_seed_pairs_one_to_one():
    articles = seed_articles()
    model = seed_model(articles)
    for en, zh in articles:
        assert align.is_one_to_one(align.align_paragraphs(en, zh, model))


def test_dp_finds_a_split_translation_and_a_missing_one():
    articles = seed_articles()
    model = seed_model(articles)
    en, zh = articles[1]  # four English and four Chinese paragraphs
    # The second Chinese paragraph cut in two at its first full stop: a 1:2 row.
    head, tail = zh[1].split("，", 1)
    split = [zh[0], head + "，", tail, zh[2], zh[3]]
    rows = align.align_paragraphs(en, split, model)
    assert rows[1] == Alignment(en=(2,), zh=(2, 3))
    # The third Chinese paragraph dropped: English 3 stands alone (1:0).
    rows = align.align_paragraphs(en, [zh[0], zh[1], zh[3]], model)
    assert Alignment(en=(3,), zh=()) in rows
    assert align.format_alignment(rows) == ["1:1", "2:2", "3:", "4:3"]


def test_pinyin_names_match_every_heteronym_reading():
    # 茜 reads "qian" first; in 张娅茜 it is "xi".
    assert align.pinyin_occurs("Zhang Yaxi", "市政府外办副主任张娅茜率队")
    assert align.pinyin_occurs("Yuzhong", "渝中区政府")
    assert not align.pinyin_occurs("Wang Wen", "与世界各国友好交流的情谊")


def test_english_words_that_spell_like_pinyin_are_not_names():
    names = align.english_anchors("On Since Leading China, Cambodia and Wang Wen said.").names
    assert names == ("Wang Wen",)


def test_numbers_survive_translation():
    check = align.check_anchors("donate 400,000 masks, six sessions, 1) first; 2) second",
                                "捐赠40万只口罩，计划开展6期，一是……二是……")
    assert set(check.found) == {"400000", "6", "1", "2"}
    assert check.missing == ()
    assert align.check_anchors("COVID-19 containment", "防疫工作").missing == ()


def test_truncated_pair_and_terse_pair_told_apart():
    articles = seed_articles()
    model = seed_model(articles)
    truncated = align.score_pair(articles[0][0][2], articles[0][1][2], model)
    terse = align.score_pair(articles[3][0][2], articles[3][1][2], model)
    assert truncated.ratio < terse.ratio  # length alone would get this backwards
    assert truncated.anchors.missing == ("Wang Wen",)
    assert terse.anchors.missing == ()
