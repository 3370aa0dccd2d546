"""The English word list: pyspellchecker's English frequency dictionary (MIT licence).

pyspellchecker ships `spellchecker/resources/en.json.gz`, about 160,000 lower-case words
with their counts in the OpenSubtitles 2018 corpus (after the package's own clean-up). We
read that file directly (no spell-checking is done with the package itself): a word is
English when it is listed, "common" when it is listed with at least `COMMON` counts.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib import resources

COMMON = 5_000   # "long", "man", "pan": common words that merely spell like pinyin
KNOWN = 20       # fewer counts than this is mostly noise in a subtitle corpus


@cache
def frequencies() -> dict[str, int]:
    data = (resources.files("spellchecker") / "resources" / "en.json.gz").read_bytes()
    return json.loads(gzip.decompress(data))


def count(word: str) -> int:
    return frequencies().get(word.lower(), 0)


def is_word(word: str, minimum: int = KNOWN) -> bool:
    return count(word) >= minimum


def is_common(word: str) -> bool:
    return count(word) >= COMMON
