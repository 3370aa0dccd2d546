"""Lines of a pasted article that are neither titles nor body text proper.

A byline (``By Li Na``, ``文/本刊记者 张三``, ``图：王五``), a numbered photo caption
(``① 代表团参观…``, ``Photo: …``), a dateline on its own (``Harbin, May 18`` /
``哈尔滨，5月18日``) and a pull quote (a line that is one quotation) stay in their article;
none of them starts a new one, and none is expected to end like a sentence.
"""

from __future__ import annotations

import re

from renderer.policy import MONTHS_EN
from renderer.text import HAN_RANGES

BYLINE = re.compile(
    r"^(?:(?:By|Text by|Written by|Reported by|Photos? by)\s+[A-Z]"
    r"|(?:文|图|文图|图文|文／图|文/图|记者|本刊记者|通讯员|撰稿|供稿|摄影|摄)\s*[/／:：|｜]"
    r"|(?:本刊记者|特约记者|通讯员)\s)")
PHOTO_CAPTION = re.compile(r"^(?:[\u2460-\u2473\u2776-\u277f]|(?:Photo|Caption|图片|图)\s*\d*\s*[:：])")
MONTH = "|".join(MONTHS_EN)
DATELINE = re.compile(
    rf"^(?:[A-Z][A-Za-z .'-]{{0,40}},\s*)?(?:(?:{MONTH})\.? \d{{1,2}}(?:st|nd|rd|th)?"
    rf"(?:,? \d{{4}})?|\d{{1,2}} (?:{MONTH}) \d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})[.:]?$"
    rf"|^(?:[{HAN_RANGES}]{{2,8}}[，,]\s*)?(?:\d{{4}}年)?\d{{1,2}}月\d{{1,2}}日(?:电|讯)?[：:]?$")
PULL_QUOTE = re.compile(r"^[“\"「『].{4,}[”\"」』][\s.。]*(?:[—–-]{1,2}\s*.{1,40})?$")


def line_kind(text: str) -> str | None:
    """'byline', 'photo-caption', 'dateline', 'pull-quote' or None (a title or body line)."""
    text = text.strip()
    if BYLINE.match(text):
        return "byline"
    if PHOTO_CAPTION.match(text):
        return "photo-caption"
    if DATELINE.match(text):
        return "dateline"
    if PULL_QUOTE.match(text):
        return "pull-quote"
    return None
