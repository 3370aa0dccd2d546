"""Character classes of Chinese and Latin text, the one definition every stage imports.

The loader, the editorial tools, prepare, the typesetter's extensions and the audit all
ask the same questions of a character (is it Han, is it a full-width mark, may it start
a line); they must get the same answer, or the audit would judge the PDF by rules the
typesetter did not follow. Terms follow W3C clreq (https://www.w3.org/TR/clreq/), 3.1
(punctuation) and 3.2 (mixed text); ranges follow Unicode 15.1 (UAX #38 for Han).
"""

from __future__ import annotations

import re
import unicodedata

# Han ideographs: 〇 々, the URO, extension A, the compatibility block, extensions B-H.
HAN_RANGES = "\u3007\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af"
HAN = re.compile(f"[{HAN_RANGES}]")

# U+2060 WORD JOINER: invisible, forbids a break (interpuncts, the paragraph's last two Han).
# Han/Latin spacing (clreq 3.2.2, 1/4 em) needs no character inside a text run: the
# typesetter finds the boundaries itself (renderer.typeset.weasyprint70.cjk). Where an
# element boundary separates Han from Latin (中<em>COVID</em>), U+200B ZERO WIDTH SPACE opens
# the second run: it carries the space and allows the break clreq allows there.
# HAN_LATIN_MARK (U+2060 at a boundary) is the mark of earlier versions, still understood.
WORD_JOINER = "\u2060"
HAN_LATIN_MARK = WORD_JOINER
ZERO_WIDTH_SPACE = "\u200b"
HAN_LATIN_ELEMENT_MARK = ZERO_WIDTH_SPACE
HAN_LATIN_SPACE_EM = 0.25

# Marks that are full-width (one em) in Simplified Chinese fonts. Curly quotes, the em dash,
# the ellipsis and the middle dot are "ambiguous width" in Unicode: full-width only in
# Chinese text, which is why classification depends on the language.
AMBIGUOUS_WIDE = frozenset("“”‘’—…·")
COMPRESSIBLE_MARKS = frozenset("、，。．：；！？（）［］｛｝〔〕【】《》〈〉「」『』〖〗“”‘’")
CLOSING_MARKS = frozenset("、，。．：；！？）］｝〕】》〉」』〗”’")  # never at a line start
NEVER_SPACED_INSIDE = frozenset("—…")  # ——, …… are one 2 em mark: never open them up
INTERPUNCTS = "·・"
# Marks that may hang into the margin at a line end (clreq 3.1.7, hanging punctuation).
HANGING_MARKS = frozenset("，。、")

# Chinese context: Han characters and CJK / full-width punctuation (clreq 3.1).
# Curly quotes are shared with English, so they do not make a context Chinese.
CHINESE_PUNCTUATION = frozenset("，。、；：？！（）《》〈〉【】〔〕「」『』…—·～") | {
    chr(c) for c in range(0x3000, 0x3040)} | {chr(c) for c in range(0xFF01, 0xFF61)}

# Blocks whose characters English text may borrow from the Chinese fonts.
CJK_BLOCKS = (
    (0x2E80, 0x2FDF),  # CJK radicals, Kangxi radicals
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3040, 0x31FF),  # kana, bopomofo, Hangul compatibility jamo, CJK strokes
    (0x3200, 0x33FF),  # enclosed CJK letters, CJK compatibility
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half-width and full-width forms
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)


def is_han(char: str) -> bool:
    """One Han character (clreq's "Han characters", including 〇 and 々)."""
    return len(char) == 1 and HAN.match(char) is not None


def has_han(text: str) -> bool:
    return HAN.search(text) is not None


def is_latin_alnum(char: str) -> bool:
    """Letters and digits of alphabetic scripts (Latin, Greek, Cyrillic, full range)."""
    if ord(char) >= 0x2E80 or not char.isalnum():
        return False
    return unicodedata.category(char)[0] in "LN"


def is_wide(char: str, chinese: bool) -> bool:
    """A character that occupies a full em in Chinese setting (Han, kana, CJK marks)."""
    code = ord(char)
    if is_han(char) or 0x3000 < code <= 0x30FF or 0xFF01 <= code <= 0xFF60:
        return True
    return chinese and char in AMBIGUOUS_WIDE


def is_cjk(char: str) -> bool:
    """Any character of the CJK blocks (ideographs, kana, CJK and full-width marks)."""
    code = ord(char)
    return any(first <= code <= last for first, last in CJK_BLOCKS)


def is_chinese_context(char: str) -> bool:
    return is_han(char) or char in CHINESE_PUNCTUATION


def is_chinese_lang(lang: str | None) -> bool:
    return bool(lang) and lang.lower().split("-")[0] in ("zh", "cmn", "yue")


def is_han_latin_boundary(before: str, after: str) -> bool:
    return (is_han(before) and is_latin_alnum(after)) or (
        is_latin_alnum(before) and is_han(after))


SLUG_STOP_WORDS = frozenset({"a", "an", "the", "of", "in", "at", "for", "to", "and", "on",
                             "with", "by", "between", "be", "from", "into"})


def slugify(text: str, *, limit: int = 48) -> str:
    """A file-name base from an English title: lower-case words joined by '-', without
    the small words, cut at a whole word within ``limit`` characters."""
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in SLUG_STOP_WORDS]
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > limit:
            break
        slug = candidate
    return slug
