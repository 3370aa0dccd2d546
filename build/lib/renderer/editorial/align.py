"""Pair English and Chinese paragraphs, and judge each pair.

Pairing is the length-based dynamic program of Gale & Church, "A Program for
Aligning Sentences in Bilingual Corpora" (Computational Linguistics 19:1,
1993): a paragraph of `l_zh` Chinese characters is expected to become
`c * l_zh` English characters with variance `s2 * l_zh`; the cost of a
pairing is -log(prior of its kind) - log P(|delta|), with
delta = (l_en - c * l_zh) / sqrt(s2 * l_zh), over the kinds 1:1, 1:2, 2:1,
1:0 and 0:1. `c` and `s2` are estimated from the issue itself (about 4.4
English characters per Chinese character in the seed), not taken from the
paper's European-language figures.

Length alone cannot tell a truncated translation from a terse one, so each
pair is also checked with anchors that survive translation: numbers (``400,000``
is ``40万``, ``1)`` is ``一是``) and Chinese names and places the English writes
in pinyin ("Zhang Yaxi", "Yuzhong"), matched against every heteronym reading
pypinyin gives for the Chinese characters (茜 is "xi" in 张娅茜, not only "qian").
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from renderer.model import Alignment
from renderer.text import is_han

# Gale & Church 1993, table 5 (1:1 .89, 1:0+0:1 .0099, 2:1+1:2 .089); no 2:2 here.
PRIORS = {(1, 1): 0.89, (1, 0): 0.0099 / 2, (0, 1): 0.0099 / 2, (2, 1): 0.089 / 2,
          (1, 2): 0.089 / 2}
DEFAULT_RATIO = 4.4      # English characters per Chinese character, when an issue is too small
DEFAULT_VARIANCE = 6.8   # Gale & Church's s2, used when an issue is too small to estimate it
MIN_VARIANCE = 2.0
ANCHOR_COST = 2.0        # a missing anchor costs about as much as delta = 1.5 in the DP

# "one" and "two" are left out: "one of the ways", "the two sides" (双方) are idiom, not counts.
ENGLISH_NUMBER_WORDS = {
    "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "thousand": 1000,
}
# English words (and exonyms) that happen to spell pinyin but are not pinyin names.
NOT_PINYIN_NAMES = {"china", "chinese", "canada", "hong", "kong", "macao", "macau", "taipei",
                    "tibet", "he", "she", "me", "an", "a", "panda", "long", "bang", "pa"}
EN_NUMBER = re.compile(r"(?<![\w-])(\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th)?(?![\w-])")
EN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
NAME_RUN = re.compile(r"[A-Z][a-z]+(?: [A-Z][a-z]+)*")
ZH_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿)?")
ZH_NUMERALS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
               "六": 6, "七": 7, "八": 8, "九": 9}
ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000}
ZH_NUMERAL_RUN = re.compile("[零〇一二两三四五六七八九十百千万]+")


# --- lengths and the length model ---------------------------------------------


def length_en(text: str) -> int:
    return len(" ".join(text.split()))


def length_zh(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


@dataclass(frozen=True)
class AlignModel:
    """What the issue itself says about its translations."""

    ratio: float = DEFAULT_RATIO       # c: English characters per Chinese character
    variance: float = DEFAULT_VARIANCE  # s2 per Chinese character
    common_names: frozenset[str] = frozenset()  # weak anchors, see `common_names`

    def delta(self, l_en: int, l_zh: int) -> float:
        """Gale-Church delta: how many standard deviations the English is off."""
        return (l_en - self.ratio * l_zh) / math.sqrt(self.variance * max(l_zh, 1))


def estimate_model(pairs: list[tuple[str, str]], english: list[str] | None = None
                   ) -> AlignModel:
    """c from the issue's total lengths, s2 robustly (median) from its in-order pairs.

    `pairs` are the issue's paragraphs paired in order (articles whose counts
    differ contribute what they have); `english` is every English paragraph.
    """
    names = common_names(english if english is not None else [en for en, _ in pairs])
    pairs = [(length_en(en), length_zh(zh)) for en, zh in pairs if en and zh]
    if len(pairs) < 3:
        return AlignModel(common_names=names)
    ratio = sum(en for en, _ in pairs) / max(1, sum(zh for _, zh in pairs))
    squared = [(en - ratio * zh) ** 2 / max(zh, 1) for en, zh in pairs]
    # The median of a chi-square(1) variable is 0.455: scale it back to a variance.
    variance = max(MIN_VARIANCE, statistics.median(squared) / 0.455)
    return AlignModel(ratio=ratio, variance=variance, common_names=names)


def _two_sided_tail(delta: float) -> float:
    return max(1e-12, math.erfc(abs(delta) / math.sqrt(2)))


# --- anchors -------------------------------------------------------------------


@dataclass(frozen=True)
class Anchors:
    numbers: frozenset[int] = frozenset()
    names: tuple[str, ...] = ()   # pinyin names as written in the English


@dataclass(frozen=True)
class AnchorCheck:
    found: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


# Interjection syllables (呣 m, 嗯 n/ng, 哼 hng) never occur in names and would let any
# English word ending in -m or -n pass for pinyin.
INTERJECTIONS = {"m", "n", "ng", "hm", "hng", "ê", "e", "o"}
COMMON_NAME_SHARE = 0.25


@cache
def toneless_syllables() -> frozenset[str]:
    from renderer.editorial.clean import pinyin_syllables

    return frozenset(_toneless(s) for s in pinyin_syllables()) - INTERJECTIONS


def _toneless(syllable: str) -> str:
    bare = "".join(ch for ch in unicodedata.normalize("NFD", syllable)
                   if not unicodedata.combining(ch))
    return bare.replace("ü", "u").replace("v", "u").lower()


def _syllable_count(word: str) -> int:
    """Fewest pinyin syllables `word` splits into, 0 when it is not pinyin.

    Pinyin orthography (GB/T 16159) writes an apostrophe before a syllable that
    starts with a, o or e inside a word (Xi'an), so such a syllable can only
    come first: this is what keeps "Leading" (le-a-ding) from passing as pinyin.
    """
    syllables = toneless_syllables()
    best = [0] + [math.inf] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 6), end):
            piece = word[start:end]
            if start and piece[0] in "aoe":
                continue
            if best[start] != math.inf and piece in syllables:
                best[end] = min(best[end], best[start] + 1)
    return 0 if best[-1] == math.inf else int(best[-1])


def english_anchors(text: str) -> Anchors:
    numbers = {int(m.group(1).replace(",", "")) for m in EN_NUMBER.finditer(text)}
    numbers |= {ENGLISH_NUMBER_WORDS[w.lower()] for w in EN_WORD.findall(text)
                if w.lower() in ENGLISH_NUMBER_WORDS}
    names = []
    for run in NAME_RUN.finditer(text):
        words = run.group().split()
        pinyin_words: list[str] = []
        for word in words + [""]:  # "" flushes the last run
            if word and word.lower() not in NOT_PINYIN_NAMES and _syllable_count(word.lower()):
                pinyin_words.append(word)
                continue
            if sum(_syllable_count(w.lower()) for w in pinyin_words) >= 2:
                names.append(" ".join(pinyin_words))
            pinyin_words = []
    return Anchors(numbers=frozenset(numbers), names=tuple(dict.fromkeys(names)))


def chinese_numbers(text: str) -> set[int]:
    numbers: set[int] = set()
    for m in ZH_NUMBER.finditer(text):
        value = float(m.group(1))
        numbers.add(int(value))
        if m.group(2):
            numbers.add(int(value * (10_000 if m.group(2) == "万" else 100_000_000)))
    for run in ZH_NUMERAL_RUN.findall(text):
        value = _chinese_numeral(run)
        if value is not None:
            numbers.add(value)
        numbers.update(ZH_NUMERALS[ch] for ch in run if ch in ZH_NUMERALS)
    return numbers


def _chinese_numeral(run: str) -> int | None:
    """四十四 -> 44, 十 -> 10, 二〇二二 -> 2022; None when it is not one number."""
    if all(ch in ZH_NUMERALS for ch in run):
        return int("".join(str(ZH_NUMERALS[ch]) for ch in run))
    total, current = 0, 0
    for ch in run:
        if ch in ZH_NUMERALS:
            current = ZH_NUMERALS[ch]
        elif ch in ZH_UNITS:
            unit = ZH_UNITS[ch]
            if unit == 10_000:
                total = (total + current) * unit
            else:
                total += (current or 1) * unit
            current = 0
    return total + current


@cache
def _readings(char: str) -> frozenset[str]:
    from pypinyin import Style, pinyin

    if not is_han(char):
        return frozenset()
    return frozenset(_toneless(r) for r in pinyin(char, style=Style.NORMAL, heteronym=True)[0])


def pinyin_occurs(name: str, chinese: str) -> bool:
    """Does `name` ("Zhang Yaxi") spell the readings of consecutive characters of `chinese`?"""
    letters = name.replace(" ", "").replace("'", "").replace("-", "").lower()
    chars = [ch for ch in chinese if not ch.isspace()]
    readings = [_readings(ch) for ch in chars]

    @cache
    def match(pos: int, index: int) -> bool:
        if pos == len(letters):
            return True
        if index >= len(chars):
            return False
        return any(letters.startswith(r, pos) and match(pos + len(r), index + 1)
                   for r in readings[index] if r)

    return any(match(0, start) for start in range(len(chars)) if readings[start])


def common_names(english_paragraphs: list[str]) -> frozenset[str]:
    """Names in a quarter or more of the issue's English paragraphs ("Chongqing").

    The newsletter's own city is named in most English paragraphs but usually
    abbreviated in the Chinese (渝, 市), so its absence says nothing.
    """
    if len(english_paragraphs) < 4:
        return frozenset()
    counts: dict[str, int] = {}
    for paragraph in english_paragraphs:
        for name in english_anchors(paragraph).names:
            counts[name] = counts.get(name, 0) + 1
    return frozenset(name for name, n in counts.items()
                     if n >= COMMON_NAME_SHARE * len(english_paragraphs))


def _name_occurs(name: str, chinese: str) -> bool:
    """The whole run, or any part of it of two syllables or more ("Sunshine Chongqing"
    is 《阳光重庆》: only "Chongqing" is pinyin, "Sunshine" merely spells like it)."""
    words = name.split()
    parts = [" ".join(words[a:b]) for a in range(len(words))
             for b in range(len(words), a, -1)]
    return any(pinyin_occurs(part, chinese) for part in parts
               if part == name or sum(_syllable_count(w.lower()) for w in part.split()) >= 2)


def check_anchors(english: str, chinese: str, ignore: frozenset[str] = frozenset()
                  ) -> AnchorCheck:
    anchors = english_anchors(english)
    zh_numbers = chinese_numbers(chinese)
    found: list[str] = []
    missing: list[str] = []
    for number in sorted(anchors.numbers):
        (found if number in zh_numbers else missing).append(str(number))
    for name in anchors.names:
        if name in ignore:
            continue
        (found if _name_occurs(name, chinese) else missing).append(name)
    return AnchorCheck(found=tuple(found), missing=tuple(missing))


# --- the dynamic program -------------------------------------------------------


@dataclass(frozen=True)
class PairScore:
    """Evidence for one row: lengths, ratio, delta and anchors."""

    length_en: int
    length_zh: int
    ratio: float | None
    expected_ratio: float
    delta: float
    anchors: AnchorCheck = field(default_factory=AnchorCheck)


def score_pair(english: str, chinese: str, model: AlignModel) -> PairScore:
    l_en, l_zh = length_en(english), length_zh(chinese)
    return PairScore(
        length_en=l_en, length_zh=l_zh,
        ratio=round(l_en / l_zh, 2) if l_zh else None,
        expected_ratio=round(model.ratio, 2),
        delta=round(model.delta(l_en, l_zh), 2),
        anchors=(check_anchors(english, chinese, model.common_names) if english and chinese
                 else AnchorCheck()))


def _pair_cost(en: list[str], zh: list[str], model: AlignModel) -> float:
    kind = (len(en), len(zh))
    prior = -math.log(PRIORS[kind])
    if not en or not zh:
        return prior  # a lone paragraph: only the prior speaks against it
    english, chinese = " ".join(en), "".join(zh)
    delta = model.delta(length_en(english), length_zh(chinese))
    missing = len(check_anchors(english, chinese, model.common_names).missing)
    return prior - math.log(_two_sided_tail(delta)) + ANCHOR_COST * missing


def align_paragraphs(en: list[str], zh: list[str], model: AlignModel) -> tuple[Alignment, ...]:
    """The cheapest pairing of all paragraphs, in order (Gale-Church DP)."""
    inf = math.inf
    cost = [[inf] * (len(zh) + 1) for _ in range(len(en) + 1)]
    back: dict[tuple[int, int], tuple[int, int]] = {}
    cost[0][0] = 0.0
    for i in range(len(en) + 1):
        for j in range(len(zh) + 1):
            if cost[i][j] == inf:
                continue
            for di, dj in PRIORS:
                ni, nj = i + di, j + dj
                if ni > len(en) or nj > len(zh):
                    continue
                total = cost[i][j] + _pair_cost(en[i:ni], zh[j:nj], model)
                if total < cost[ni][nj]:
                    cost[ni][nj] = total
                    back[(ni, nj)] = (i, j)
    rows: list[Alignment] = []
    i, j = len(en), len(zh)
    while (i, j) != (0, 0):
        pi, pj = back[(i, j)]
        rows.append(Alignment(en=tuple(range(pi + 1, i + 1)), zh=tuple(range(pj + 1, j + 1))))
        i, j = pi, pj
    return tuple(reversed(rows))


def is_one_to_one(rows: tuple[Alignment, ...]) -> bool:
    return all(row.en == row.zh and len(row.en) == 1 for row in rows)


def format_alignment(rows: tuple[Alignment, ...]) -> list[str]:
    """Rows in the article file's `align:` notation: "3:3,4", "4:"."""
    return [f"{','.join(map(str, row.en))}:{','.join(map(str, row.zh))}" for row in rows]
