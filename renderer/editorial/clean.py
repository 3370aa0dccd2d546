"""Repair the damage a Traditional->Simplified converter left in Chinese text.

The raw dumps we import went through a web converter that

* wrote the pinyin of every converted character after it, in ASCII brackets:
  ``國(guó)`` (the character itself stayed Traditional);
* used ASCII punctuation inside Chinese sentences: ``2月22日,在``.

`clean_chinese` undoes exactly that, and nothing else:

1. A pinyin annotation is removed only when the bracket right after a Han
   character holds a real, tone-marked pinyin syllable from pypinyin's
   inventory (its single-character dictionary), so ``(總臺(tái))`` keeps its
   outer bracket and English parentheses are never touched.
2. Traditional characters become Simplified with OpenCC ``t2s`` when the issue's
   Chinese is Simplified (``script="hans"``) and the text shows converter damage
   (or the caller says so with ``simplify=True``); a Traditional (``"hant"``)
   issue is left in its script.
3. ASCII ``, : ; ? ! ( )`` inside Chinese become the full-width forms W3C clreq
   ("Requirements for Chinese Text Layout", section 3.1 punctuation marks)
   prescribes for Chinese text; never between two digits (``400,000``,
   ``10:30``) or inside a Latin run, and brackets only when they enclose Chinese.

A corrupted sequence (``?`` or U+FFFD inside a Han run, e.g. ``慶?;顒?dòng)``)
is *not* repaired: it is left byte for byte so that lint can still find it and
an editor can restore it by hand ("flag, never guess").

Every repair is counted per kind, and cleaning is idempotent: the steps are
applied until none of them changes the text any more.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from renderer.text import HAN_RANGES, has_han, is_chinese_context, is_han

HAN = HAN_RANGES  # inside a regex character class
TONE_MARKED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
PINYIN_LETTERS = "a-zü\u0300-\u036f" + TONE_MARKED  # combining marks: decomposed input
FULL_WIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}


PINYIN_ANNOTATIONS = re.compile(rf"(?<=[{HAN}])(?:\([{PINYIN_LETTERS}]{{1,12}}\))+")
ONE_ANNOTATION = re.compile(rf"\(([{PINYIN_LETTERS}]{{1,12}})\)")
CORRUPTED = re.compile(
    rf"(?:(?<=[{HAN}])\?|\uFFFD)"           # a ? right after a Han character, or U+FFFD
    rf"(?:[?\uFFFD;:,!]|[{HAN}]{{1,2}}[?\uFFFD])*"  # more of the same mess
    rf"(?:[{PINYIN_LETTERS}]+\))?")          # a pinyin annotation that lost its '('
QUESTION_END = set(" \t\n”’\"')）」』")
BRACKETED = re.compile(r"\(([^()]*)\)")
REPAIR_KINDS = {
    "_remove_pinyin_annotations": "pinyin-annotation",
    "_to_simplified": "traditional-to-simplified",
    "_full_width_brackets": "full-width-brackets",
    "_full_width_punctuation": "full-width-punctuation",
}
MAX_ROUNDS = 50  # every round shortens the text or removes an ASCII mark; real text needs 2


@dataclass(frozen=True)
class CleanResult:
    text: str
    repairs: Counter = field(default_factory=Counter)
    corrupted: tuple[str, ...] = ()  # the corrupted sequences left for an editor


@cache
def pinyin_dictionary() -> dict[int, str]:
    """pypinyin's single-character dictionary: code point -> its tone-marked readings
    ("zhāng,zhǎng"). Its data module is loaded alone: importing the pypinyin package
    also loads its phrase dictionary, which nothing here uses (0.2 s a process)."""
    import importlib.util
    from pathlib import Path

    package = importlib.util.find_spec("pypinyin")  # found, not imported
    path = Path(package.submodule_search_locations[0]) / "pinyin_dict.py"
    spec = importlib.util.spec_from_file_location("_press_pinyin_dict", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.pinyin_dict


@cache
def pinyin_syllables() -> frozenset[str]:
    """Every tone-marked syllable of pypinyin's single-character dictionary."""
    readings = set(",".join(pinyin_dictionary().values()).split(","))  # 41,000 entries, 1,500 kinds
    return frozenset(r for r in readings if any(mark in r for mark in TONE_MARKED))


@cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def corrupted_spans(text: str) -> list[tuple[int, int]]:
    """Where converter corruption (? or U+FFFD inside Han text) sits, as (start, end)."""
    spans = []
    for match in CORRUPTED.finditer(text):
        after = text[match.end():match.end() + 1]
        plain_question = match.group() == "?" and (after == "" or after in QUESTION_END)
        if not plain_question:
            spans.append(match.span())
    return spans


def has_converter_damage(text: str) -> bool:
    return any(_is_annotation_run(m.group()) for m in PINYIN_ANNOTATIONS.finditer(text))


def clean_chinese(text: str, *, script: str = "hans", simplify: bool | None = None,
                  keep: tuple[str, ...] = ()) -> CleanResult:
    """Repair converter damage in one Chinese title or paragraph.

    `script` is the issue's Chinese script, "hans" (Simplified) or "hant"
    (Traditional). `simplify` forces (True) or forbids (False) the t2s
    conversion; by default it runs for a "hans" text showing converter damage.
    `keep` are names written in Traditional characters that stay so (the manifest's
    `names:` with `script: hant`): every other character is converted.
    """
    if script not in ("hans", "hant"):
        raise ValueError(f"script must be 'hans' or 'hant', not {script!r}")
    if simplify is None:
        simplify = script == "hans" and has_converter_damage(text)
    elif script == "hant":
        simplify = False
    repairs: Counter = Counter()
    def _to_simplified(text: str) -> tuple[str, int]:
        return _simplified_keeping(text, keep)

    steps = [_remove_pinyin_annotations] + ([_to_simplified] if simplify else []) + [
        _full_width_brackets, _full_width_punctuation]
    current = text
    for _ in range(MAX_ROUNDS):
        changed = False
        for step in steps:
            new, count = step(current)
            if new != current:
                repairs[REPAIR_KINDS[step.__name__]] += count
                current, changed = new, True
        if not changed:
            break
    corrupted = tuple(current[a:b] for a, b in corrupted_spans(current))
    return CleanResult(text=current, repairs=repairs, corrupted=corrupted)


def _outside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return all(end <= a or start >= b for a, b in spans)


def _is_annotation_run(run: str) -> bool:
    return all(unicodedata.normalize("NFC", m.group(1)) in pinyin_syllables()
               for m in ONE_ANNOTATION.finditer(run))


def _remove_pinyin_annotations(text: str) -> tuple[str, int]:
    spans = corrupted_spans(text)
    count = 0

    def remove(match: re.Match) -> str:
        nonlocal count
        if not _outside(spans, *match.span()) or not _is_annotation_run(match.group()):
            return match.group()
        count += match.group().count("(")
        return ""
    return PINYIN_ANNOTATIONS.sub(remove, text), count


def _simplified_keeping(text: str, keep: tuple[str, ...]) -> tuple[str, int]:
    """t2s of everything but the names in `keep` (each converted part on its own)."""
    names = sorted({name for name in keep if name and name in text}, key=len, reverse=True)
    if not names:
        return _simplified(text)
    parts = re.split("(" + "|".join(map(re.escape, names)) + ")", text)
    count = 0
    for index in range(0, len(parts), 2):  # odd indices are the kept names
        parts[index], changed = _simplified(parts[index])
        count += changed
    return "".join(parts), count


def _simplified(text: str) -> tuple[str, int]:
    if not text:
        return text, 0
    converted = _t2s().convert(text)
    if len(converted) == len(text):
        return converted, sum(a != b for a, b in zip(text, converted))
    return converted, 1


def _full_width_brackets(text: str) -> tuple[str, int]:
    """( ... ) holding Chinese -> （ ... ）; English parentheses stay."""
    spans = corrupted_spans(text)
    count = 0

    def convert(match: re.Match) -> str:
        nonlocal count
        if not has_han(match.group(1)) or not _outside(spans, *match.span()):
            return match.group()
        count += 2
        return f"（{match.group(1)}）"
    return BRACKETED.sub(convert, text), count


def _full_width_punctuation(text: str) -> tuple[str, int]:
    spans = corrupted_spans(text)
    out: list[str] = []
    count = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char in ",:;?!" and _outside(spans, i, i + 1) and _in_chinese(text, i):
            out.append(FULL_WIDTH[char])
            count += 1
            i += 1
            while i < len(text) and text[i] == " ":  # no space after full-width marks
                i += 1
            continue
        out.append(char)
        i += 1
    return "".join(out), count


def _in_chinese(text: str, i: int) -> bool:
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    if before.isdigit() and after.isdigit():
        return False  # 400,000 and 10:30 are numbers, not sentences
    if before and is_chinese_context(before):
        return True
    # After a Latin run ("COVID-19,在"), only a Chinese character right after counts.
    return bool(after) and is_han(after)
