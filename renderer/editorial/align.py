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
from functools import cache, lru_cache

from renderer.editorial.structure import line_kind
from renderer.model import Alignment
from renderer.policy import MONTHS_EN
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
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
}
UNIT_WORDS = {"one": 1, "two": 2, **{w: n for w, n in ENGLISH_NUMBER_WORDS.items() if n < 10}}
# "twenty-five" is 25, not 20 and 5
TENS_UNITS = re.compile(r"\b(twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[- ]"
                        r"(one|two|three|four|five|six|seven|eight|nine)\b", re.IGNORECASE)
# English words (and exonyms) that happen to spell pinyin but are not pinyin names.
NOT_PINYIN_NAMES = {"china", "chinese", "canada", "hong", "kong", "macao", "macau", "taipei",
                    "tibet", "he", "she", "me", "an", "a", "panda", "long", "bang", "pa"}
EN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
NAME_RUN = re.compile(r"[A-Z][a-z]+(?: [A-Z][a-z]+)*")
ZH_NUMERALS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
               "六": 6, "七": 7, "八": 8, "九": 9}
ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000}
ZH_NUMERAL_RUN = re.compile("[零〇一二两三四五六七八九十百千万]+")


# --- shared text, lengths and the length model ------------------------------------

# Text both languages carry unchanged (addresses, links, e-mail): it says nothing about
# the translation, so it is left out of lengths and anchors on both sides.
SHARED = re.compile(r"(?:https?://|www\.)[A-Za-z0-9._~:/?#\[\]@!$&'*+,;=%-]+"
                    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
PHONE = re.compile(r"(?<![\d,.])(?:\+\d{1,3}[ -]?)?(?:\(\d{2,5}\)[ -]?)?\d{2,5}(?:[ -]\d{2,5}){1,4}"
                   r"(?![\d,.]\d)")
ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
# Codes mixing capitals and digits (COVID-19, 5G, G20, F-16) are names, not counts.
CODE = re.compile(r"(?<![\w-])(?=[A-Za-z0-9-]*[A-Z])(?=[A-Za-z0-9-]*\d)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")


def strip_shared(text: str) -> str:
    return SHARED.sub(" ", text)


def length_en(text: str) -> int:
    return len(" ".join(strip_shared(text).split()))


def length_zh(text: str) -> int:
    return sum(1 for ch in strip_shared(text) if not ch.isspace())


@dataclass(frozen=True)
class AlignModel:
    """What the issue itself says about its translations."""

    ratio: float = DEFAULT_RATIO       # c: English characters per Chinese character
    variance: float = DEFAULT_VARIANCE  # s2 per Chinese character
    common_names: frozenset[str] = frozenset()  # weak anchors, see `common_names`
    pairs: int = 0                      # how many pairs the figures were estimated from

    def delta(self, l_en: int, l_zh: int) -> float:
        """Gale-Church delta: how many standard deviations the English is off."""
        return (l_en - self.ratio * l_zh) / math.sqrt(self.variance * max(l_zh, 1))


SHRINK_PAIRS = 6  # the defaults count as this many pairs: one odd article moves little


def estimate_model(pairs: list[tuple[str, str]], english: list[str] | None = None
                   ) -> AlignModel:
    """c and s2 from the issue's in-order pairs, robustly (medians), shrunk to the defaults.

    `pairs` are the issue's paragraphs paired in order (articles whose counts
    differ contribute what they have); `english` is every English paragraph. Medians
    keep a truncated or untranslated paragraph from moving the figures, and the
    shrinkage keeps a small issue (or one article linted alone) near the defaults.
    """
    names = common_names(english if english is not None else [en for en, _ in pairs])
    lengths = [(length_en(en), length_zh(zh)) for en, zh in pairs if en and zh]
    lengths = [(en, zh) for en, zh in lengths if en and zh]
    n = len(lengths)
    if n < 3:
        return AlignModel(common_names=names, pairs=n)
    median_ratio = statistics.median(en / zh for en, zh in lengths)
    ratio = (n * median_ratio + SHRINK_PAIRS * DEFAULT_RATIO) / (n + SHRINK_PAIRS)
    squared = [(en - ratio * zh) ** 2 / zh for en, zh in lengths]
    # The median of a chi-square(1) variable is 0.455: scale it back to a variance.
    variance = statistics.median(squared) / 0.455
    variance = (n * variance + SHRINK_PAIRS * DEFAULT_VARIANCE) / (n + SHRINK_PAIRS)
    return AlignModel(ratio=ratio, variance=max(MIN_VARIANCE, variance), common_names=names,
                      pairs=n)


def _two_sided_tail(delta: float) -> float:
    return max(1e-12, math.erfc(abs(delta) / math.sqrt(2)))


GAUSSIAN_UP_TO = 1.5  # |delta| beyond this costs linearly (paragraphs have heavy tails)
TAIL_SLOPE = 1.2


def length_cost(delta: float) -> float:
    """-log P(|delta|): Gale-Church's normal near the centre, a Laplace tail beyond it.

    Paragraphs, unlike sentences, are often rewritten (a list folded into one sentence,
    a name spelled out): a normal tail would make a real pair 4 sigma off cost more than
    two untranslated paragraphs, and the DP would split it."""
    size = abs(delta)
    if size <= GAUSSIAN_UP_TO:
        return -math.log(_two_sided_tail(size))
    return -math.log(_two_sided_tail(GAUSSIAN_UP_TO)) + TAIL_SLOPE * (size - GAUSSIAN_UP_TO)


# --- anchors -------------------------------------------------------------------


@dataclass(frozen=True)
class Anchors:
    numbers: frozenset[float] = frozenset()
    names: tuple[str, ...] = ()   # pinyin names as written in the English
    mentions: tuple[frozenset[float], ...] = ()  # each number as written: its readings
    phones: frozenset[str] = frozenset()


@dataclass(frozen=True)
class AnchorCheck:
    found: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()     # English anchors the Chinese lacks
    missing_en: tuple[str, ...] = ()  # Chinese anchors (numbers >= 10, Latin) the English lacks


# Interjection syllables (呣 m, 嗯 n/ng, 哼 hng) never occur in names and would let any
# English word ending in -m or -n pass for pinyin.
INTERJECTIONS = {"m", "n", "ng", "hm", "hng", "ê", "e", "o"}
COMMON_NAME_SHARE = 0.25
MONTH_NAMES = [month.lower() for month in MONTHS_EN]
EN_MONTH = re.compile(r"\b(" + "|".join(MONTHS_EN) + r")\b")
EN_NUMBER = re.compile(
    r"(?<![A-Za-z0-9.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
    r"(?:\s*(million|billion|thousand|trillion)\b)?(?:st|nd|rd|th)?(?![A-Za-z0-9]|[.,]\d)")
MULTIPLIERS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
               "千": 1e3, "万": 1e4, "亿": 1e8}
ZH_NUMBER = re.compile(r"(?<![A-Za-z0-9.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(千|万|亿)?")
ZH_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9&+-]*[A-Za-z0-9]|[A-Za-z]{1}(?=\d)")
ZH_TITLE = re.compile(r"《[^》]{2,}》")


@cache
def toneless_syllables() -> frozenset[str]:
    from renderer.editorial.clean import pinyin_syllables

    return frozenset(_toneless(s) for s in pinyin_syllables()) - INTERJECTIONS


def _toneless(syllable: str) -> str:
    bare = "".join(ch for ch in unicodedata.normalize("NFD", syllable)
                   if not unicodedata.combining(ch))
    return bare.replace("ü", "u").replace("v", "u").lower()


# A word's answer never changes, and an issue's names recur in every article. Bounded:
# the words come from content, and watch and serve run for hours.
@lru_cache(maxsize=1 << 16)
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


def _is_pinyin_word(word: str) -> bool:
    from renderer.editorial.words import is_common

    lower = word.lower()
    return (lower not in NOT_PINYIN_NAMES and not is_common(lower)
            and _syllable_count(lower) > 0)


def shown(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _masked(text: str, pattern: re.Pattern) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), text)


def _phones(text: str) -> tuple[set[str], str]:
    phones = set()

    def take(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group())
        if len(digits) < 7:
            return match.group()
        phones.add(digits)
        return " " * len(match.group())
    return phones, PHONE.sub(take, text)


def _numbers_ready(text: str) -> tuple[set[str], list[frozenset[float]], str]:
    """What both languages share before their numbers are read: the text without URLs
    and addresses, its phone numbers, its ISO dates (as mentions), and the text with
    those dates and codes masked."""
    text = strip_shared(text)
    phones, text = _phones(text)
    mentions = [frozenset({float(g)}) for m in ISO_DATE.finditer(text) for g in m.groups()]
    return phones, mentions, _masked(_masked(text, ISO_DATE), CODE)


# Lint and the aligner ask for one paragraph's anchors several times: for the issue's
# common names, then for each row it may take part in.
@lru_cache(maxsize=4096)
def english_anchors(text: str) -> Anchors:
    phones, mentions, text = _numbers_ready(text)
    for m in EN_NUMBER.finditer(text):
        value = float(m.group(1).replace(",", ""))
        if m.group(2):
            value *= MULTIPLIERS[m.group(2)]
        mentions.append(frozenset({value}))
    for m in EN_MONTH.finditer(text):
        if m.group(1) == "May" and not re.match(r"\s+\d", text[m.end():]) and not re.search(
                r"\b(?:in|of|since|until|early|late|mid-?)\s*$", text[:m.start()]):
            continue  # "May" the verb
        mentions.append(frozenset({float(MONTH_NAMES.index(m.group(1).lower()) + 1)}))
    for m in TENS_UNITS.finditer(text):
        mentions.append(frozenset({float(ENGLISH_NUMBER_WORDS[m[1].lower()]
                                         + UNIT_WORDS[m[2].lower()])}))
    mentions += [frozenset({float(ENGLISH_NUMBER_WORDS[w.lower()])})
                 for w in EN_WORD.findall(_masked(text, TENS_UNITS))
                 if w.lower() in ENGLISH_NUMBER_WORDS]
    names = []
    for run in NAME_RUN.finditer(text):
        words = run.group().split()
        pinyin_words: list[str] = []
        for word in words + [""]:  # "" flushes the last run
            if word and _is_pinyin_word(word):
                pinyin_words.append(word)
                continue
            if sum(_syllable_count(w.lower()) for w in pinyin_words) >= 2:
                names.append(" ".join(pinyin_words))
            pinyin_words = []
    return Anchors(numbers=frozenset(v for m in mentions for v in m),
                   names=tuple(dict.fromkeys(names)), mentions=tuple(mentions),
                   phones=frozenset(phones))


def chinese_mentions(text: str) -> tuple[list[frozenset[float]], set[float], set[str]]:
    """Numbers written in digits (each with its readings: 40万 is 40 and 400000), every
    number the Chinese names (digits and numerals), and its phone numbers."""
    phones, mentions, text = _numbers_ready(text)
    for m in ZH_NUMBER.finditer(text):
        value = float(m.group(1).replace(",", ""))
        readings = {value}
        if m.group(2):
            readings.add(value * MULTIPLIERS[m.group(2)])
        mentions.append(frozenset(readings))
    numbers = {v for m in mentions for v in m}
    for run in ZH_NUMERAL_RUN.findall(text):
        value = _chinese_numeral(run)
        if value is not None:
            numbers.add(float(value))
        numbers.update(float(ZH_NUMERALS[ch]) for ch in run if ch in ZH_NUMERALS)
    return mentions, numbers, phones


def chinese_numbers(text: str) -> set[float]:
    return chinese_mentions(text)[1]


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


def _close(value: float, numbers: set[float] | frozenset[float]) -> bool:
    return any(abs(value - n) <= 1e-6 * max(1.0, abs(value)) for n in numbers)


@cache
def _readings(char: str) -> frozenset[str]:
    """Every reading pypinyin gives the character, toneless (what its
    ``pinyin(char, style=Style.NORMAL, heteronym=True)`` gives, for all 41,923 of them)."""
    from renderer.editorial.clean import pinyin_dictionary

    if not is_han(char):
        return frozenset()
    return frozenset(_toneless(r) for r in pinyin_dictionary().get(ord(char), "").split(",") if r)


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
    """Anchors of each side looked up in the other.

    English numbers (with month names, decimals, "3.2 million") in the Chinese; pinyin
    names in the Chinese characters' readings; the Chinese's own numbers of 10 or more
    written in digits, its Latin words and acronyms and its 《titles》 in the English.
    """
    anchors = english_anchors(english)
    zh_mentions, zh_numbers, zh_phones = chinese_mentions(chinese)
    found: list[str] = []
    missing: list[str] = []
    missing_en: list[str] = []
    for mention in dict.fromkeys(anchors.mentions):
        label = "/".join(shown(v) for v in sorted(mention))
        (found if any(_close(v, zh_numbers) for v in mention) else missing).append(label)
    for phone in sorted(anchors.phones):
        (found if phone in zh_phones else missing).append(phone)
    for name in anchors.names:
        if name in ignore:
            continue
        (found if _name_occurs(name, chinese) else missing).append(name)
    en_numbers = anchors.numbers
    for mention in dict.fromkeys(zh_mentions):
        if max(mention) < 10:
            continue  # small numbers are often idiom or written out in English
        if not any(_close(v, en_numbers) for v in mention):
            missing_en.append(shown(min(mention)))
    for phone in sorted(zh_phones - anchors.phones):
        missing_en.append(phone)
    english_plain = strip_shared(english).lower()
    for word in dict.fromkeys(ZH_LATIN.findall(_masked(strip_shared(chinese), ZH_TITLE))):
        if len(word) >= 2:
            (found if word.lower() in english_plain else missing_en).append(word)
    for title in dict.fromkeys(ZH_TITLE.findall(chinese)):
        if re.search(r"[\"“”*]|[A-Z][a-z]+ (?:[a-z]{1,3} )?[A-Z][a-z]+", english):
            found.append(title)
        else:
            missing_en.append(title)
    return AnchorCheck(found=tuple(dict.fromkeys(found)), missing=tuple(dict.fromkeys(missing)),
                       missing_en=tuple(dict.fromkeys(missing_en)))


# --- sentence ends -----------------------------------------------------------------

EN_FINAL = tuple(".!?:;…\"”’')]")
ZH_FINAL = tuple("。！？；：…”’」』）)》】.!?")


def ends_open(text: str, language: str) -> bool:
    """Does the paragraph stop without sentence-final punctuation (where a cut leaves it)?

    Text both languages share (a link, an address) at the end, and a byline, caption or
    dateline line (renderer.editorial.structure), end as they are."""
    bare = strip_shared(text).rstrip(" *_")
    if not bare.strip():
        return False  # ends with a link or address
    if line_kind(text):
        return False  # a byline, caption or dateline does not end like a sentence
    return not bare.endswith(EN_FINAL if language == "en" else ZH_FINAL)


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


ANCHOR_HIT = 1.0   # each shared anchor (at most MAX_HITS) speaks for a row
MAX_HITS = 4
CONFIDENT = 0.95   # every row of an `align:` written without review has this posterior


# A pair whose shorter side lost its tail (a paste cut off mid-sentence) is still one
# pair: the DP must not take it for two untranslated paragraphs (1:0 and 0:1) and shift
# every row after it. The prior of that hypothesis depends on the evidence a cut leaves:
# a paragraph that ends without sentence-final punctuation is cut far more often than
# one that ends like a sentence (cut at a full stop).
TRUNCATED_PRIOR = {True: 0.2, False: 0.01}  # short side ends open / ends like a sentence
KEPT_MARGIN = 0.7  # translation reorders a sentence: only the first 70 % of the kept share


def _pair_cost(en: list[str], zh: list[str], model: AlignModel) -> float:
    kind = (len(en), len(zh))
    prior = -math.log(PRIORS[kind])
    if not en or not zh:
        return prior  # a lone paragraph: only the prior speaks against it
    english, chinese = " ".join(en), "".join(zh)
    delta = model.delta(length_en(english), length_zh(chinese))
    check = check_anchors(english, chinese, model.common_names)
    hits = ANCHOR_HIT * min(MAX_HITS, len(check.found))
    whole = (length_cost(delta) + ANCHOR_COST * (len(check.missing) + len(check.missing_en))
             - hits)
    if kind != (1, 1) or delta == 0:
        return prior + whole
    # Truncated: the short side's length says nothing (any fraction of the other), and
    # the anchors of its lost tail are missing as expected. Its own anchors must still be
    # found in the other side, and so must the other side's anchors in the part the kept
    # text translates (its first `kept` share, less a margin for word order).
    short = "zh" if delta > 0 else "en"
    if short == "zh":
        kept = length_zh(chinese) * model.ratio / max(length_en(english), 1)
        head = check_anchors(english[:int(len(english) * kept * KEPT_MARGIN)], chinese,
                             model.common_names).missing
        lacking = len(head) + len(check.missing_en)
    else:
        kept = length_en(english) / max(model.ratio * length_zh(chinese), 1)
        head = check_anchors(english, chinese[:int(len(chinese) * kept * KEPT_MARGIN)],
                             model.common_names).missing_en
        lacking = len(head) + len(check.missing)
    opened = ends_open(chinese if short == "zh" else english, short)
    cut = -math.log(TRUNCATED_PRIOR[opened]) + ANCHOR_COST * lacking - hits
    low = min(whole, cut)
    return prior + low - math.log(math.exp(low - whole) + math.exp(low - cut))


@dataclass(frozen=True)
class Aligned:
    """The cheapest pairing, and for each row the posterior probability that it is right
    (the share of all pairings' probability mass, exp(-cost), that passes through it)."""

    rows: tuple[Alignment, ...]
    confidence: tuple[float, ...]

    @property
    def confident(self) -> bool:
        return all(c >= CONFIDENT for c in self.confidence)

    @property
    def weakest(self) -> int | None:
        """The 0-based index of the least certain row."""
        return min(range(len(self.rows)), key=self.confidence.__getitem__) if self.rows else None


def _logadd(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    top = max(a, b)
    return top + math.log(math.exp(a - top) + math.exp(b - top))


def align_with_confidence(en: list[str], zh: list[str], model: AlignModel) -> Aligned:
    """Gale-Church DP (Viterbi) plus forward-backward for each row's posterior."""
    n, m = len(en), len(zh)
    inf = math.inf
    costs: dict[tuple[int, int, int, int], float] = {}
    for i in range(n + 1):
        for j in range(m + 1):
            for di, dj in PRIORS:
                if i + di <= n and j + dj <= m:
                    costs[(i, j, i + di, j + dj)] = _pair_cost(en[i:i + di], zh[j:j + dj], model)
    best = [[inf] * (m + 1) for _ in range(n + 1)]
    fwd = [[-inf] * (m + 1) for _ in range(n + 1)]
    back: dict[tuple[int, int], tuple[int, int]] = {}
    best[0][0], fwd[0][0] = 0.0, 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if best[i][j] == inf:
                continue
            for di, dj in PRIORS:
                key = (i, j, i + di, j + dj)
                if key not in costs:
                    continue
                ni, nj = i + di, j + dj
                total = best[i][j] + costs[key]
                if total < best[ni][nj]:
                    best[ni][nj] = total
                    back[(ni, nj)] = (i, j)
                fwd[ni][nj] = _logadd(fwd[ni][nj], fwd[i][j] - costs[key])
    bwd = [[-inf] * (m + 1) for _ in range(n + 1)]
    bwd[n][m] = 0.0
    for i in range(n, -1, -1):
        for j in range(m, -1, -1):
            for di, dj in PRIORS:
                key = (i, j, i + di, j + dj)
                if key in costs and bwd[i + di][j + dj] != -inf:
                    bwd[i][j] = _logadd(bwd[i][j], bwd[i + di][j + dj] - costs[key])
    total = fwd[n][m]
    rows: list[Alignment] = []
    confidence: list[float] = []
    i, j = n, m
    while (i, j) != (0, 0):
        pi, pj = back[(i, j)]
        rows.append(Alignment(en=tuple(range(pi + 1, i + 1)), zh=tuple(range(pj + 1, j + 1))))
        posterior = fwd[pi][pj] - costs[(pi, pj, i, j)] + bwd[i][j] - total
        confidence.append(round(min(1.0, math.exp(posterior)), 3))
        i, j = pi, pj
    return Aligned(rows=tuple(reversed(rows)), confidence=tuple(reversed(confidence)))


def align_paragraphs(en: list[str], zh: list[str], model: AlignModel) -> tuple[Alignment, ...]:
    """The cheapest pairing of all paragraphs, in order (Gale-Church DP)."""
    return align_with_confidence(en, zh, model).rows


def is_one_to_one(rows: tuple[Alignment, ...]) -> bool:
    return all(row.en == row.zh and len(row.en) == 1 for row in rows)


def format_alignment(rows: tuple[Alignment, ...]) -> list[str]:
    """Rows in the article file's `align:` notation: "3:3,4", "4:"."""
    return [f"{','.join(map(str, row.en))}:{','.join(map(str, row.zh))}" for row in rows]
