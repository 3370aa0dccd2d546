"""Real bilingual sample text and a paired-column page like the lead's layout, for the
typography and audit tests (seed: /work/shared/seeds/000_3e00285e0875153c.txt, converted
with OpenCC t2s, pinyin annotations and ASCII commas fixed with a quick regex)."""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

from renderer.prepare.page import ZH_BODY_PT, chinese_column_pt
from renderer.prepare.typography import prepare_en_html, prepare_zh_html

ROOT = Path(__file__).resolve().parent.parent
SEED = Path("/work/shared/seeds/000_3e00285e0875153c.txt")
HAN = re.compile(r"[\u3400-\u9fff]")
PINYIN = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)")
CSS = (ROOT / "styles" / "cjk.css").read_text(encoding="utf-8")


@cache
def paragraphs() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(English paragraphs, Simplified Chinese paragraphs) of the seed."""
    import opencc

    t2s = opencc.OpenCC("t2s")
    english, chinese = [], []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        if not HAN.search(line):
            english.append(line)
            continue
        line = t2s.convert(PINYIN.sub("", line))
        if re.search(r"[?;]", line):
            continue                       # a paragraph the converter corrupted
        line = re.sub(r"(?<=[\u4e00-\u9fff”）])\s*,\s*", "，", line)
        line = re.sub(r"\(([^()]*[\u4e00-\u9fff][^()]*)\)", r"（\1）", line)
        chinese.append(line)
    return tuple(english), tuple(chinese)


def page_html(prepare: bool = True, zh_font: str = "Noto Serif CJK SC") -> str:
    """One table row per paragraph pair, the press's A4 columns: a Chinese measure of
    whole ems (renderer.prepare.page.chinese_column_pt), English taking the rest."""
    english, chinese = paragraphs()
    rows = []
    for en, zh in zip(english, chinese):
        en_html, zh_html = html.escape(en, quote=False), html.escape(zh, quote=False)
        if prepare:
            en_html, zh_html = prepare_en_html(en_html), prepare_zh_html(zh_html)
        rows.append(f'<tr><td class="en" lang="en"><p>{en_html}</p></td>'
                    f'<td class="zh" lang="zh-Hans"><p>{zh_html}</p></td></tr>')
    css = CSS.replace('"Press Serif SC", ', "").replace('"Press Serif", ', "")
    css = css.replace('"Press Sans SC", ', "").replace("Noto Serif CJK SC", zh_font)
    return f"""<html><head><style>
      @page {{ size: A4; margin: 15mm 17mm; }}
      html {{ font-size: 9.5pt; }}
      table {{ width: 100%; table-layout: fixed; border-collapse: collapse; }}
      td {{ vertical-align: top; padding: 0 0 2.6mm; }}
      td.en {{ padding-right: 4mm; }} td.zh {{ padding-left: 4mm; }}
      td.en p {{ font: 9.5pt/1.42 "Noto Serif"; }}
      {css}
      td.zh p {{ font-size: {ZH_BODY_PT}pt; }}
    </style></head><body><table><colgroup><col><col style="width: {chinese_column_pt("A4")}pt">
    </colgroup>{"".join(rows)}</table></body></html>"""


def render(markup: str, path: Path) -> Path:
    from weasyprint import HTML

    HTML(string=markup).write_pdf(path)
    return path
