"""English converter damage: what a PDF-to-text or web converter does to English.

Checked against a real word list (renderer.editorial.words) plus the issue's own proper
nouns (capitalised words the issue uses more than once, Latin words in its Chinese):

* split ligatures: ``e ffi cient``, ``fi nal`` (the ligature glyph came out as its own
  word) and ``signif cant``, ``inf uential`` (the glyph lost its second letter): joined
  when the joined form is a word and a part is not, the one repair made without asking;
* ``?`` or U+FFFD standing for a letter (``Gda?sk``, ``a recent ?visit``);
* l for I (``lnternational``, ``lndia``);
* one letter swapped, lost or doubled (``Goverment``, ``Ofifce``): the most frequent word
  one edit away, when the word is not in the list;
* glued words: ``Smith,Director``, ``5thSession``, ``on“Building``, ``cooperationbetween``.

Each finding carries the damaged text and the suggested fix; nothing but the ligatures
is changed.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from renderer.editorial import words
from renderer.editorial.align import SHARED

WORD = re.compile(r"[A-Za-z][A-Za-z'’]*[A-Za-z]|[A-Za-z]")
LIGATURES = ("ffi", "ffl", "ff", "fi", "fl")
QUESTION = re.compile(r"[A-Za-z]*(?:[A-Za-z][?\uFFFD]|[?\uFFFD][A-Za-z])[A-Za-z?\uFFFD]*"
                      r"|\uFFFD")
GLUED = [
    (re.compile(r"\b[A-Za-z]{2,}[,;:!?][“\"‘]?[A-Z][a-z]+"), "a space after the punctuation"),
    (re.compile(r"(?<![.\w])[a-z]{2,}\.[A-Z][a-z]{2,}"), "a space after the full stop"),
    (re.compile(r"\b\d+(?:st|nd|rd|th)(?:[A-Z][a-z]+|[a-z]{2,})"), "a space after the ordinal"),
    (re.compile(r"\b[A-Za-z]+[“\"‘][A-Za-z]+"), "a space before the quotation mark"),
    (re.compile(r"\b[A-Za-z]+[”][A-Za-z]+"), "a space after the quotation mark"),
    (re.compile(r"\b[A-Za-z]+['’]s[A-Za-z]{2,}"), "a space after the 's"),
    # English never sets a comma or semicolon tight against the next word: "Fair,better",
    # "1998,was", 'responsibility,"said' (a digit after a comma is a number: 1,000).
    (re.compile(r"[A-Za-z0-9%)][”\"’]?[,;][“\"]?[a-z]{2,}"), "a space after the comma"),
]
# Prefixes of real capitalised names written in one word: McDonald, MacArthur, DeGraw.
NAME_PREFIXES = frozenset({"mc", "mac", "de", "la", "le", "di", "da", "du", "van", "von"})
# Brands written in camel case (a glued-looking word that is right as it is).
CAMEL_BRANDS = frozenset({"wechat", "youtube", "paypal", "linkedin", "powerpoint", "tiktok",
                          "whatsapp", "fedex", "javascript", "github", "macbook", "playstation",
                          "blackberry"})
CAMEL = re.compile(r"\b([A-Z]?[a-z]{1,}|[A-Z]{2,})([A-Z][a-z]{2,}|[A-Z]{2,}s?|[a-z]{3,})\b")
MIN_PART = 2_000      # both halves of a glued word are common words
MIN_SUGGESTION = 20_000  # a capitalised word is taken for a misspelling only of a common word


@dataclass(frozen=True)
class Damage:
    kind: str       # split-ligature, question-mark, l-for-I, misspelt, glued
    text: str       # as found
    fix: str | None  # the suggested text, when there is one

    def shown(self) -> str:
        what = {"split-ligature": "split ligature", "question-mark": "? for a letter",
                "l-for-I": "l for I", "misspelt": "not a word", "glued": "glued words"}[self.kind]
        return f"'{self.text}' ({what}{'; ' + repr(self.fix) if self.fix else ''})"


def _case_like(model: str, word: str) -> str:
    return word[:1].upper() + word[1:] if model[:1].isupper() else word


TOKEN = re.compile(r"[A-Za-z]+")


def ligature_joins(text: str) -> list[tuple[int, int, str]]:
    """(start, end, joined) for every split ligature: the joined form is a word, a part not.

    A ligature glyph read as its own word (``e ffi cient``, ``fi nal``) is joined with its
    neighbours; a word ending in f before a fragment (``signif cant``, ``inf uential``)
    lost the ligature's second letter (i or l) or only a space.
    """
    tokens = list(TOKEN.finditer(text))
    joins: list[tuple[int, int, str]] = []
    index = 0

    def adjacent(a: re.Match, b: re.Match) -> bool:
        return text[a.end():b.start()] == " "

    while index < len(tokens):
        token = tokens[index]
        prev = tokens[index - 1] if index and adjacent(tokens[index - 1], token) else None
        nxt = (tokens[index + 1] if index + 1 < len(tokens) and adjacent(token, tokens[index + 1])
               else None)
        low = token.group().lower()
        if low in LIGATURES:
            options = []
            if prev and nxt:
                options.append((prev, nxt))
            if nxt:
                options.append((token, nxt))
            if prev:
                options.append((prev, token))
            for first, last in options:
                pieces = [t.group() for t in tokens if first.start() <= t.start() <= last.start()]
                joined = "".join(pieces)
                if is_english(joined, 50) and not _taken(joins, first.start()):
                    joins.append((first.start(), last.end(), joined))
                    break
        elif low.endswith("f") and nxt and nxt.group().islower():
            # Two real words ("of shore") are joined only into a commoner word ("Af airs":
            # affairs is 10 times as common as af).
            both = words.is_word(low, 200) and words.is_word(nxt.group(), 200) and len(
                nxt.group()) > 2
            rarer = min(words.count(low), words.count(nxt.group()))
            for letter in ("", "i", "l", "f"):  # fi, fl, ff: the glyph's second letter lost
                joined = token.group() + letter + nxt.group()
                if both and words.count(joined) < 10 * rarer:
                    continue
                if is_english(joined, 50) and not _taken(joins, token.start()):
                    joins.append((token.start(), nxt.end(), joined))
                    break
        index += 1
    return joins


def _taken(joins, start: int) -> bool:
    return any(a <= start < b for a, b, _ in joins)


def repair_ligatures(text: str) -> tuple[str, int]:
    """Join split ligatures whose joined form is a word while a part is not."""
    joins = ligature_joins(text)
    for start, end, joined in reversed(joins):
        text = text[:start] + joined + text[end:]
    return text, len(joins)


def _edits(word: str) -> set[str]:
    letters = string.ascii_lowercase
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in letters}
            | {a + c + b for a, b in splits for c in letters})


def suggestion(word: str, minimum: int) -> str | None:
    lower = word.lower()
    best = max(_edits(lower), key=words.count, default=None)
    if best is None or words.count(best) < minimum or best == lower:
        return None
    return _case_like(word, best)


def _transposition(lower: str, known: frozenset[str] = frozenset(), *, minimum: int = 50
                   ) -> str | None:
    """Two neighbouring letters swapped into a listed word or one of the issue's own
    proper nouns (rarely a name's spelling): "Febraury", "Cetnre", "Jiagnbei"."""
    for i in range(len(lower) - 1):
        candidate = lower[:i] + lower[i + 1] + lower[i] + lower[i + 2:]
        if candidate == lower:
            continue
        if is_english(candidate, minimum) or candidate in known:
            return candidate
    return None


def proper_nouns(paragraphs: list[str], chinese: list[str] = ()) -> frozenset[str]:
    """Capitalised words the issue writes twice or more, and the Latin words of its Chinese."""
    counts: dict[str, int] = {}
    for text in paragraphs:
        for word in set(WORD.findall(SHARED.sub(" ", text))):
            if word[:1].isupper():
                counts[word] = counts.get(word, 0) + 1
    latin = {w for text in chinese for w in WORD.findall(SHARED.sub(" ", text))}
    return frozenset(w.lower() for w, n in counts.items() if n >= 2) | {w.lower() for w in latin}


def find_damage(text: str, known: frozenset[str] = frozenset()) -> list[Damage]:
    from renderer.editorial.align import _syllable_count

    plain = SHARED.sub(lambda m: " " * len(m.group()), text)
    found: list[Damage] = []
    taken: list[tuple[int, int]] = []

    def add(kind: str, span: tuple[int, int], fix: str | None) -> None:
        if any(a < span[1] and span[0] < b for a, b in taken):
            return
        taken.append(span)
        found.append(Damage(kind, plain[span[0]:span[1]], fix))

    for start, end, joined in ligature_joins(plain):
        add("split-ligature", (start, end), joined)
    for match in QUESTION.finditer(plain):
        add("question-mark", match.span(), None)
    for pattern, fix in GLUED:
        for match in pattern.finditer(plain):
            add("glued", match.span(), fix)
    for match in CAMEL.finditer(plain):
        if _camel_glued(match[1], match[2], known):
            add("glued", match.span(), f"{match[1]} {match[2]}")
    for match in WORD.finditer(plain):
        word = re.sub(r"['’]s$", "", match.group().replace("’", "'"))  # the city's
        lower = word.lower()
        if "'" in word or len(word) < 4 or is_english(lower) or lower in known:
            continue
        if lower.startswith("l") and words.is_word("i" + lower[1:], 50):
            add("l-for-I", match.span(), "I" + word[1:])
            continue
        if word[:1].islower() or not _syllable_count(lower) or any(
                lower.startswith(name) or lower.endswith(name) for name in known
                if len(name) >= 4):
            split = _glued_split(lower, known, lower_case=word[:1].islower())
            if split:
                add("glued", match.span(), split)
                continue
        if word[:1].isupper():
            # A capitalised word is mostly a name: only a swap into one of the issue's own
            # names, or into a very common word, is taken for damage ("Amina" stays).
            swapped = _transposition(lower, known, minimum=MIN_SUGGESTION)
            if swapped:  # "Jiagnbei" for the Jiangbei, "Febraury" for February
                add("misspelt", match.span(), _case_like(word, swapped))
                continue
        if word[:1].isupper() and (_syllable_count(lower) or word.isupper()):
            continue  # a pinyin name or an acronym
        if len(word) < 5:
            continue  # short rare words and names: too many words are one edit away
        fix = suggestion(word, MIN_SUGGESTION if word[:1].isupper() else 200)
        if fix is None:
            swapped = _transposition(lower, known)
            fix = _case_like(word, swapped) if swapped else None
        if fix and word[:1].isupper() and len(fix) < len(word):
            continue  # "Sato" is a name, not "Sat" with a letter too many
        if fix:
            add("misspelt", match.span(), fix)
    return found


FUNCTION_WORDS = frozenset(
    "a an the of in on at to for with by from and or but as into onto between among about "
    "over under after before during its their this that these those which who is are was "
    "were be been has have had will would can they we he she it you our his her them us "
    "not also more most very such up out off down than all each both every many several another "
    "your my mine "
    "one two three four five six seven eight nine ten".split())
INFLECTIONS = ("s", "ed", "ing", "ly")


# British spellings the (American) list lacks: honour, organised, defence, centre, programme.
# A leading "-" marks a word ending ("intre" in "intrenational" is no British "inter").
BRITISH = [("isation", "ization"), ("ising", "izing"), ("ised", "ized"), ("ise", "ize"),
           ("ises", "izes"), ("yse", "yze"), ("our", "or"), ("ours", "ors"),
           ("oured", "ored"), ("ence", "ense"), ("-mme", "m"), ("-mmes", "ms"), ("lled", "led"),
           ("lling", "ling"), ("-ogue", "og"),
           # -tre only in the words that have it ("computres" is no British computers)
           *((f"-{stem}{end}", f"{stem[:-2]}er{end[1:] if end else ''}")
             for stem in ("centre", "metre", "theatre", "litre", "fibre", "calibre", "spectre")
             for end in ("", "s"))]


def is_english(word: str, minimum: int = words.KNOWN) -> bool:
    """A listed word, in American or British spelling (the list is American)."""
    lower = word.lower()
    if words.is_word(lower, minimum):
        return True
    for british, american in BRITISH:
        if british.startswith("-"):  # a word ending: centre, programme, defence
            ending = british[1:]
            spelt = lower[:-len(ending)] + american if lower.endswith(ending) else None
        else:
            spelt = lower.replace(british, american) if british in lower else None
        if spelt and words.is_word(spelt, 50):
            return True
    return False


def _camel_glued(left: str, right: str, known: frozenset[str]) -> bool:
    """"MayorZhang", "theAPEC", "CIIEthree", "fromSingapore": a word (or an acronym) and a
    capitalised word, an acronym or a lower-case word, glued. Not a brand or a name that
    is written so (McDonald), nor a word the issue itself writes that way twice."""
    token = (left + right).lower()
    if token in CAMEL_BRANDS or token in known or left.lower() in NAME_PREFIXES or (
            left + right).isupper():
        return False  # TOEFL is an acronym, not TOE and FL
    if left.isupper() and right.islower():  # an acronym, then a word: CIIEthree, not IDs
        return len(right) >= 3 and words.is_word(right, MIN_PART)
    if right.islower():
        return False  # "Chongqing" is no glued pair of "C" and "hongqing"
    from renderer.editorial.align import _syllable_count

    left_ok = left.lower() in FUNCTION_WORDS or words.is_word(left, MIN_PART // 10) or (
        left.lower() in known)
    right_ok = (right.isupper() or words.is_word(right, MIN_PART // 10)
                or right.lower() in known or _syllable_count(right.lower()) > 0)
    return left_ok and right_ok and (left[:1].islower() or len(left) >= 3)


def _glued_split(lower: str, known: frozenset[str] = frozenset(), *,
                 lower_case: bool = False) -> str | None:
    """Two words without the space between them: one of them a function word ("ofthe",
    "cooperationbetween"), or both common; compounds ("roadmap") are words and are not
    looked at. The issue's own proper nouns count as words ("Kiprono" + "won"). A word
    in lower case (no name) that is two common words of four letters or more is glued
    ("sweetrice", "hostfamilies"); a capitalised one may be a name ("Fishman") and needs
    an inflected first part or two very common ones."""
    def part(word: str, minimum: int) -> bool:
        return is_english(word, minimum) or word in known

    best = None
    for i in range(2, len(lower) - 1):
        a, b = lower[:i], lower[i:]
        if a in FUNCTION_WORDS and part(b, 50) and len(b) >= 3:
            found = f"{a} {b}"
        elif b in FUNCTION_WORDS and part(a, 50) and len(a) >= 3:
            found = f"{a} {b}"
        elif lower_case and min(len(a), len(b)) >= 4 and part(a, MIN_PART // 2) and part(
                b, MIN_PART // 2):
            found = f"{a} {b}"
        elif min(len(a), len(b)) >= 3 and part(a, MIN_PART // 4) and part(b, MIN_PART // 4) and (
                a.endswith(INFLECTIONS) or (part(a, 20 * MIN_PART) and part(b, 20 * MIN_PART))):
            # An inflected word then another ("remindedparticipants", "universitiesset"),
            # or two very common ones ("cityheld"); a compound's first part is seldom
            # inflected ("smartphones", "icerink" are left alone, and "dombra").
            found = f"{a} {b}"
        else:
            continue
        score = min(words.count(a) or 1, words.count(b) or 1)
        if best is None or score > best[0]:
            best = (score, found)
    return best[1] if best else None
